"""initproof.derive: the variance argument through a layer and through depth, proved by sympy.

Every initializer's variance and bound in the catalogue (`SCHEMES`,
`variance_scaling`) is computed from these derivations, never typed in.
"""

from derive.activations import activations
from derive.conditions import conditions
from derive.depth import depth
from derive.derivation import Derivation, Step, StepError
from derive.distributions import truncated_normal, uniform
from derive.moments import preactivation_variance, product_variance
from derive.notation import fan_in, fan_out
from derive.schemes import DISTRIBUTIONS, MODES, SCHEMES, Scheme, variance_scaling
from derive.symmetry import symmetry


def derivations() -> list[Derivation]:
    """The derivations, in the order each builds on the ones before."""
    return [product_variance(), preactivation_variance(), activations(), depth(),
            conditions(), uniform(), truncated_normal(), symmetry()]


__all__ = ["DISTRIBUTIONS", "MODES", "SCHEMES", "Derivation", "Scheme", "Step", "StepError",
           "derivations", "fan_in", "fan_out", "variance_scaling"]
