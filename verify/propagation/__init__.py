"""Signal through depth: Monte Carlo through deep MLPs against mean-field theory."""

from verify.propagation.bivariate import expect2
from verify.propagation.comparison import Comparison, compare
from verify.propagation.correlation import (
    SIGNAL,
    CorrelationRun,
    DepthScaleMeasurement,
    GradientGrowth,
    expected_slope,
    gradient_growth,
    measure_depth_scale,
    propagate_pairs,
    tolerance_factor,
)
from verify.propagation.criticality import (
    CorrelationMap,
    MeanFieldTrajectory,
    chi1,
    correlation_map,
    critical_weight_variance,
    depth_scale,
    depth_scales,
    iterate_gap,
    q_star,
    trajectory,
)
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
    "SIGNAL", "Activation", "Comparison", "CorrelationMap", "CorrelationRun", "CriticalPoint",
    "DeepNormUpdate", "DepthScaleMeasurement", "Extrapolation", "Gain", "GaussianMoments",
    "GradientGrowth", "LayerPrediction", "MeanFieldTrajectory", "Profile", "Residual",
    "SpectrumComparison", "SpectrumPrediction", "Tolerance", "activation", "chi1", "compare",
    "compare_spectrum", "correlation_map", "critical_point", "critical_weight_variance",
    "deepnorm_update", "depth_scale", "depth_scales", "depth_slope", "expect", "expect2",
    "expected_slope", "gain", "gaussian_moments", "gradient_growth", "iterate_gap",
    "jacobian_spectrum", "layer_norm", "layer_widths", "linear_variances", "measure_depth_scale",
    "predict", "predict_deepnorm_update", "predict_residual", "predict_spectrum", "propagate",
    "propagate_pairs", "q_star", "spectrum_moments", "tolerance_factor", "trajectory",
]
