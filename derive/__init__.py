"""initproof.derive: the variance argument through a layer and through depth, proved by sympy.

Every initializer's variance and bound in the catalogue (`SCHEMES`,
`variance_scaling`) is computed from these derivations, never typed in.
Importing derive proves nothing: derivations and the catalogue are built on first use.
"""

from derive.activation_forms import (
    ACTIVATIONS,
    EXACT,
    derivative,
    exact_gain,
    exact_moment,
    form,
    second_derivative,
    selu_constants,
)
from derive.derivation import Derivation, Step, StepError, chain, solve_one
from derive.expressions import CONSTRUCTORS, parse_scheme
from derive.notation import E, Var, fan_in, fan_out, latex, text
from derive.proofs import (
    activations,
    complex_weights,
    conditions,
    depth,
    derivations,
    isometry,
    meanfield,
    preactivation_variance,
    product_variance,
    residual,
    symmetry,
    truncated_normal,
    uniform,
    width_scaling,
)
from derive.proofs.activations import slope, z
from derive.proofs.depth import layer_factor_at
from derive.proofs.meanfield import MEANFIELD_SYMBOLS
from derive.render import (
    CORRECTION_SYMBOL,
    catalogue_latex,
    catalogue_markdown,
    correction_definition,
    derivation_latex,
    derivation_markdown,
    display_form,
)
from derive.schemes import (
    DISTRIBUTIONS,
    MODES,
    SCHEMES,
    ModulusLaw,
    Scheme,
    complex_variance,
    constant,
    correction,
    fixed_normal,
    fixed_truncated_normal,
    fixed_uniform,
    leaky_he_scale,
    modulus_law,
    orthogonal,
    variance_scaling,
)

__all__ = [
    "ACTIVATIONS", "CONSTRUCTORS", "CORRECTION_SYMBOL", "DISTRIBUTIONS", "EXACT",
    "MEANFIELD_SYMBOLS", "MODES", "SCHEMES", "Derivation", "E", "ModulusLaw", "Scheme", "Step",
    "StepError", "Var", "activations", "catalogue_latex", "catalogue_markdown", "chain",
    "complex_variance", "complex_weights", "conditions", "constant", "correction",
    "correction_definition", "depth", "derivation_latex", "derivation_markdown", "derivations",
    "derivative", "display_form", "exact_gain", "exact_moment", "fan_in", "fan_out",
    "fixed_normal", "fixed_truncated_normal", "fixed_uniform", "form", "isometry", "latex",
    "layer_factor_at", "leaky_he_scale", "meanfield", "modulus_law", "orthogonal", "parse_scheme",
    "preactivation_variance", "product_variance", "residual", "second_derivative",
    "selu_constants", "slope", "solve_one", "symmetry", "text", "truncated_normal", "uniform",
    "variance_scaling", "width_scaling", "z",
]
