"""Normalizing flows as Keras 3 layers on `tfp.bijectors`."""

from tfbsl.layers.flows.actnorm import ActNorm  # noqa: F401
from tfbsl.layers.flows.autoregressive import MaskedAutoregressive  # noqa: F401
from tfbsl.layers.flows.autoregressive_transform import AutoregressiveTransform  # noqa: F401
from tfbsl.layers.flows.coupling import AffineCoupling  # noqa: F401
from tfbsl.layers.flows.made import AutoregressiveNetwork  # noqa: F401
from tfbsl.layers.flows.normalizing_flow import NormalizingFlow  # noqa: F401
from tfbsl.layers.flows.permute import Permute  # noqa: F401
from tfbsl.layers.flows.spline import SplineAutoregressive, SplineCoupling  # noqa: F401
