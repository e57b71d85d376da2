"""Every public tfbsl layer."""

from tfbsl.flows import (
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
from tfbsl.heads.distribution_layers import (
    Categorical,
    DistributionLambda,
    IndependentBernoulli,
    IndependentNormal,
    MultivariateNormalTriL,
    OneHotCategorical,
    VariableLayer,
)
from tfbsl.heads.gaussian_process import VariationalGaussianProcess
from tfbsl.heads.kl_divergence import KLDivergenceAddLoss, KLDivergenceRegularizer
from tfbsl.heads.mixture_layers import (
    CategoricalMixtureOfOneHotCategorical,
    IndependentLogistic,
    IndependentPoisson,
    MixtureLogistic,
    MixtureNormal,
    MixtureSameFamily,
)
from tfbsl.layers.initializers import BlockwiseInitializer
from tfbsl.layers.util import (
    default_loc_scale_fn,
    default_mean_field_normal_fn,
    default_multivariate_normal_fn,
)
from tfbsl.layers.weight_norm import WeightNorm
from tfbsl.variational.conv import (
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
from tfbsl.variational.dense import (
    DenseFlipout,
    DenseLocalReparameterization,
    DenseReparameterization,
    DenseVariational,
)
from tfbsl.variational.sampling import Sampling

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
