"""Every public tfbsl layer."""

from tfbsl.layers.conv_variational import (  # noqa: F401
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
from tfbsl.layers.dense_variational import (  # noqa: F401
    DenseFlipout,
    DenseLocalReparameterization,
    DenseReparameterization,
    DenseVariational,
)
from tfbsl.layers.distribution_layers import (  # noqa: F401
    Categorical,
    DistributionLambda,
    IndependentBernoulli,
    IndependentNormal,
    MultivariateNormalTriL,
    OneHotCategorical,
    VariableLayer,
)
from tfbsl.layers.flows import (  # noqa: F401
    ActNorm,
    AffineCoupling,
    AutoregressiveNetwork,
    MaskedAutoregressive,
    NormalizingFlow,
    Permute,
    SplineAutoregressive,
    SplineCoupling,
)
from tfbsl.layers.sampling import Sampling  # noqa: F401
