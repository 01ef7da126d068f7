"""The derivations, one module each, in the order each builds on the ones before."""

from derive.derivation import Derivation
from derive.proofs.activations import activations
from derive.proofs.complex_weights import complex_weights
from derive.proofs.conditions import conditions
from derive.proofs.depth import depth
from derive.proofs.isometry import isometry
from derive.proofs.meanfield import meanfield
from derive.proofs.preactivation import preactivation_variance
from derive.proofs.product_variance import product_variance
from derive.proofs.residual import residual
from derive.proofs.symmetry import symmetry
from derive.proofs.truncated_normal import truncated_normal
from derive.proofs.uniform import uniform
from derive.proofs.width_scaling import width_scaling


def derivations() -> list[Derivation]:
    """The derivations, in the order each builds on the ones before."""
    return [product_variance(), preactivation_variance(), activations(), depth(),
            conditions(), uniform(), truncated_normal(), symmetry(), complex_weights(),
            meanfield(), residual(), isometry(), width_scaling()]


__all__ = ["activations", "complex_weights", "conditions", "depth", "derivations", "isometry",
           "meanfield", "preactivation_variance", "product_variance", "residual", "symmetry",
           "truncated_normal", "uniform", "width_scaling"]
