"""Every public tfbsl layer."""

from tfbsl.layers.conv_variational import (
    Conv1DVariational,
    Conv2DTransposeVariational,
    Conv2DVariational,
    Conv3DVariational,
    Convolution1DFlipout,
    Convolution1DLocalReparameterization,
    Convolution1DReparameterization,
    Convolution2DFlipout,
    Convolution2DLocalReparameterization,
    Convolution2DReparameterization,
    Convolution3DFlipout,
    Convolution3DLocalReparameterization,
    Convolution3DReparameterization,
)
from tfbsl.layers.dense_variational import (
    DenseFlipout,
    DenseLocalReparameterization,
    DenseReparameterization,
    DenseVariational,
)
from tfbsl.layers.distribution_layers import (
    Categorical,
    DistributionLambda,
    IndependentBernoulli,
    IndependentNormal,
    MultivariateNormalTriL,
    OneHotCategorical,
    VariableLayer,
)
from tfbsl.layers.flows import (
    ActNorm,
    AffineCoupling,
    AutoregressiveNetwork,
    AutoregressiveTransform,
    MaskedAutoregressive,
    NormalizingFlow,
    Permute,
    SplineAutoregressive,
    SplineCoupling,
)
from tfbsl.layers.gaussian_process import VariationalGaussianProcess
from tfbsl.layers.initializers import BlockwiseInitializer
from tfbsl.layers.kl_divergence import KLDivergenceAddLoss, KLDivergenceRegularizer
from tfbsl.layers.mixture_layers import (
    CategoricalMixtureOfOneHotCategorical,
    IndependentLogistic,
    IndependentPoisson,
    MixtureLogistic,
    MixtureNormal,
    MixtureSameFamily,
)
from tfbsl.layers.sampling import Sampling
from tfbsl.layers.util import (
    default_loc_scale_fn,
    default_mean_field_normal_fn,
    default_multivariate_normal_fn,
)
from tfbsl.layers.weight_norm import WeightNorm

__all__ = [
    "ActNorm",
    "AffineCoupling",
    "AutoregressiveNetwork",
    "AutoregressiveTransform",
    "BlockwiseInitializer",
    "Categorical",
    "CategoricalMixtureOfOneHotCategorical",
    "Conv1DVariational",
    "Conv2DTransposeVariational",
    "Conv2DVariational",
    "Conv3DVariational",
    "Convolution1DFlipout",
    "Convolution1DLocalReparameterization",
    "Convolution1DReparameterization",
    "Convolution2DFlipout",
    "Convolution2DLocalReparameterization",
    "Convolution2DReparameterization",
    "Convolution3DFlipout",
    "Convolution3DLocalReparameterization",
    "Convolution3DReparameterization",
    "DenseFlipout",
    "DenseLocalReparameterization",
    "DenseReparameterization",
    "DenseVariational",
    "DistributionLambda",
    "IndependentBernoulli",
    "IndependentLogistic",
    "IndependentNormal",
    "IndependentPoisson",
    "KLDivergenceAddLoss",
    "KLDivergenceRegularizer",
    "MaskedAutoregressive",
    "MixtureLogistic",
    "MixtureNormal",
    "MixtureSameFamily",
    "MultivariateNormalTriL",
    "NormalizingFlow",
    "OneHotCategorical",
    "Permute",
    "Sampling",
    "SplineAutoregressive",
    "SplineCoupling",
    "VariableLayer",
    "VariationalGaussianProcess",
    "WeightNorm",
    "default_loc_scale_fn",
    "default_mean_field_normal_fn",
    "default_multivariate_normal_fn",
]
