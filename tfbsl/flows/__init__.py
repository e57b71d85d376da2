"""Normalizing flows as Keras 3 layers on `tfp.bijectors`."""

from tfbsl.flows.actnorm import ActNorm
from tfbsl.flows.autoregressive import MaskedAutoregressive
from tfbsl.flows.autoregressive_transform import AutoregressiveTransform
from tfbsl.flows.coupling import AffineCoupling
from tfbsl.flows.made import AutoregressiveNetwork
from tfbsl.flows.normalizing_flow import NormalizingFlow
from tfbsl.flows.permute import Permute
from tfbsl.flows.spline import SplineAutoregressive, SplineCoupling

__all__ = [
    "ActNorm",
    "AffineCoupling",
    "AutoregressiveNetwork",
    "AutoregressiveTransform",
    "MaskedAutoregressive",
    "NormalizingFlow",
    "Permute",
    "SplineAutoregressive",
    "SplineCoupling",
]
