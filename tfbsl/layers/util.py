"""`tfp.layers.util`'s names: the posterior and prior factories of the
`tfp.layers`-named variational layers (see `tfbsl.variational.util`)."""

from tfbsl.variational.util import (
    default_loc_scale_fn,
    default_mean_field_normal_fn,
    default_multivariate_normal_fn,
)

__all__ = [
    "default_loc_scale_fn",
    "default_mean_field_normal_fn",
    "default_multivariate_normal_fn",
]
