"""Normalizing flows as Keras 3 layers on `tfp.bijectors`."""

from tfbsl.flows.actnorm import ActNorm  # noqa: F401
from tfbsl.flows.autoregressive import MaskedAutoregressive  # noqa: F401
from tfbsl.flows.autoregressive_transform import AutoregressiveTransform  # noqa: F401
from tfbsl.flows.coupling import AffineCoupling  # noqa: F401
from tfbsl.flows.made import AutoregressiveNetwork  # noqa: F401
from tfbsl.flows.normalizing_flow import NormalizingFlow  # noqa: F401
from tfbsl.flows.permute import Permute  # noqa: F401
from tfbsl.flows.spline import SplineAutoregressive, SplineCoupling  # noqa: F401
