"""Signal through depth: Monte Carlo through deep MLPs against mean-field theory."""

from verify.propagation.comparison import Comparison, compare
from verify.propagation.gains import Gain, gain
from verify.propagation.meanfield import GaussianMoments, gaussian_moments, linear_variances
from verify.propagation.montecarlo import propagate
from verify.propagation.prediction import LayerPrediction, predict
from verify.propagation.profile import Profile, Tolerance, layer_widths
from verify.propagation.quadrature import Activation, activation, expect

__all__ = ["Activation", "Comparison", "Gain", "GaussianMoments", "LayerPrediction", "Profile",
           "Tolerance", "activation", "compare", "expect", "gain", "gaussian_moments",
           "layer_widths", "linear_variances", "predict", "propagate"]
