"""Signal through depth: Monte Carlo through deep MLPs against mean-field theory."""

from verify.propagation.comparison import Comparison, compare
from verify.propagation.deepnorm import DeepNormUpdate, deepnorm_update, predict_deepnorm_update
from verify.propagation.gains import Gain, gain
from verify.propagation.isometry import (
    CriticalPoint,
    Extrapolation,
    SpectrumComparison,
    SpectrumPrediction,
    compare_spectrum,
    critical_point,
    depth_slope,
    jacobian_spectrum,
    predict_spectrum,
    spectrum_moments,
)
from verify.propagation.meanfield import GaussianMoments, gaussian_moments, linear_variances
from verify.propagation.montecarlo import propagate
from verify.propagation.prediction import LayerPrediction, predict
from verify.propagation.profile import Profile, Tolerance, layer_widths
from verify.propagation.quadrature import Activation, activation, expect
from verify.propagation.residual import Residual, layer_norm, predict_residual

__all__ = [
    "Activation", "Comparison", "CriticalPoint", "DeepNormUpdate", "Extrapolation", "Gain",
    "GaussianMoments", "LayerPrediction", "Profile", "Residual", "SpectrumComparison",
    "SpectrumPrediction", "Tolerance", "activation", "compare", "compare_spectrum",
    "critical_point", "deepnorm_update", "depth_slope", "expect", "gain", "gaussian_moments",
    "jacobian_spectrum", "layer_norm", "layer_widths", "linear_variances", "predict",
    "predict_deepnorm_update", "predict_residual", "predict_spectrum", "propagate",
    "spectrum_moments",
]
