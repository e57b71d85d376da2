"""Every public tfbsl layer."""

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
from tfbsl.layers.sampling import Sampling  # noqa: F401
