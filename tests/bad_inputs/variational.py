"""Bad inputs to the variational dense and conv layers, priors and posteriors."""

import numpy as np

import tfbsl
from tests.bad_inputs import rows
from tfbsl import layers as L

DENSE = (L.DenseVariational, L.DenseReparameterization, L.DenseFlipout,
         L.DenseLocalReparameterization)
CONV = {
    L.Conv1DVariational: 1, L.Conv2DVariational: 2, L.Conv3DVariational: 3,
    L.Conv2DTransposeVariational: 2,
    **{getattr(L, f"Convolution{r}D{e}"): r for r in (1, 2, 3)
       for e in ("Reparameterization", "Flipout", "LocalReparameterization")},
}


def _built_dense(cls=L.DenseVariational, width=3, **kwargs):
    layer = cls(2, **kwargs)
    layer(np.zeros((1, width), "float32"))
    return layer


def _call(layer_fn, x):
    return lambda: layer_fn()(x)


def _arity1(kernel_size):
    return None


def _returns_distribution_object(kernel_size, bias_size, dtype):
    return 3.0  # not a callable


# Arguments every variational layer takes, with a bad value and the words of
# the message (the argument's name and the value received).
_COMMON = [
    ("kl_weight", -1.0, ValueError, "kl_weight", "-1.0"),
    ("kl_weight", float("nan"), ValueError, "kl_weight", "nan"),
    ("kl_weight", "big", ValueError, "kl_weight", "'big'"),
    ("activation", "relux", ValueError, "activation", "'relux'"),
    ("seed", "a", TypeError, "seed", "'a'"),
    ("seed", 1.5, TypeError, "seed", "1.5"),
    ("seed", 2**64, ValueError, "seed", str(2**64)),
]
# tfbsl's generic layers' own arguments.
_GENERIC = [
    ("kl_use_exact", "yes", ValueError, "kl_use_exact", "'yes'"),
    ("use_bias", "no", TypeError, "use_bias", "'no'"),
    ("prior", "laplace", ValueError, "prior", "'laplace'"),
    ("prior", 3, ValueError, "prior", "3"),
    ("make_prior_fn", _arity1, TypeError, "make_prior_fn", "(kernel_size)"),
    ("make_posterior_fn", _arity1, TypeError, "make_posterior_fn", "(kernel_size)"),
    ("make_posterior_fn", "mean_field", ValueError, "make_posterior_fn", "'mean_field'"),
    ("kernel_divergence_fn", 1, TypeError, "kernel_divergence_fn", "1"),
    ("kernel_divergence_fn", lambda q: 0.0, TypeError, "kernel_divergence_fn", "(q)"),
    ("bias_divergence_fn", "kl", TypeError, "bias_divergence_fn", "'kl'"),
]
# The `tfp.layers` twins' per-part arguments, and tfbsl's generic ones they refuse.
_PER_PART = [
    ("kernel_posterior_fn", 3, TypeError, "kernel_posterior_fn", "3"),
    ("kernel_posterior_fn", _arity1, TypeError, "kernel_posterior_fn", "(kernel_size)"),
    ("kernel_posterior_fn", lambda *a: 3.0, TypeError, "kernel_posterior_fn", "float"),
    ("kernel_posterior_fn", None, ValueError, "kernel_posterior_fn", "None"),
    ("kernel_prior_fn", "normal", TypeError, "kernel_prior_fn", "'normal'"),
    ("kernel_posterior_tensor_fn", lambda a, b: a, TypeError,
     "kernel_posterior_tensor_fn", "(a, b)"),
    ("kernel_divergence_fn", 1, TypeError, "kernel_divergence_fn", "1"),
    ("kernel_divergence_fn", lambda q: 0.0, TypeError, "kernel_divergence_fn", "(q)"),
    ("bias_posterior_fn", "point", TypeError, "bias_posterior_fn", "'point'"),
    ("bias_divergence_fn", "kl", TypeError, "bias_divergence_fn", "'kl'"),
    ("kl_use_exact", True, TypeError, "kl_use_exact", "kernel_divergence_fn"),
    ("use_bias", False, TypeError, "use_bias", "bias_posterior_fn=None"),
    ("prior", "normal", TypeError, "prior", "kernel_prior_fn"),
    ("make_posterior_fn", None, TypeError, "make_posterior_fn", "kernel_posterior_fn"),
    ("estimator", "flipout", TypeError, "estimator", "'flipout'"),
]

_dense_rows = []
for cls in DENSE:
    name = cls.__name__
    _dense_rows += [
        (f"variational/{name} units=0", lambda c=cls: c(0), ValueError, "units", "0"),
        (f"variational/{name} units=-2", lambda c=cls: c(-2), ValueError, "units", "-2"),
        (f"variational/{name} units=2.5", lambda c=cls: c(2.5), ValueError, "units", "2.5"),
        (f"variational/{name} units='8'", lambda c=cls: c("8"), ValueError, "units", "'8'"),
        (f"variational/{name} units=True", lambda c=cls: c(True), ValueError, "units", "True"),
        (f"variational/{name} width 3 then 5",
         _call(lambda c=cls: _built_dense(c), np.zeros((2, 5), "float32")),
         ValueError, "expected axis -1", "value 3", "(2, 5)"),
        (f"variational/{name} rank-1 input",
         _call(lambda c=cls: c(2), np.zeros((5,), "float32")), ValueError, "ndim", "1"),
    ]
    own = _GENERIC if cls is L.DenseVariational else _PER_PART
    for arg, value, error, *words in _COMMON + own:
        _dense_rows.append((
            f"variational/{name} {arg}={value!r:.20}",
            lambda c=cls, a=arg, v=value: _built_dense(c, **{a: v}), error, *words))

_dense_rows += [
    ("variational/DenseVariational estimator=bayes",
     lambda: L.DenseVariational(2, estimator="bayes"), ValueError, "estimator", "'bayes'"),
    ("variational/DenseVariational prior and make_prior_fn",
     lambda: L.DenseVariational(2, prior="normal", make_prior_fn=tfbsl.priors.trainable),
     ValueError, "prior", "make_prior_fn"),
    ("variational/DenseVariational factory returns a float",
     lambda: _built_dense(make_posterior_fn=_returns_distribution_object), TypeError,
     "make_posterior_fn", "float"),
    ("variational/DenseVariational kl_use_exact with scale mixture",
     lambda: _built_dense(prior="scale_mixture", kl_use_exact=True), ValueError,
     "kl_use_exact=True", "MixtureSameFamily"),
    ("variational/DenseVariational kernel_posterior_tensor_fn",
     lambda: L.DenseVariational(2, kernel_posterior_tensor_fn=lambda d: d.sample()),
     ValueError, "kernel_posterior_tensor_fn"),
]

_conv_rows = []
for cls, rank in CONV.items():
    name = cls.__name__
    image = np.zeros((1,) + (6,) * rank + (2,), "float32")
    _conv_rows += [
        (f"variational/{name} filters=0", lambda c=cls: c(0, 3), ValueError, "filters", "0"),
        (f"variational/{name} filters=1.5", lambda c=cls: c(1.5, 3), ValueError,
         "filters", "1.5"),
        (f"variational/{name} kernel_size=0", lambda c=cls: c(2, 0), ValueError,
         "kernel_size", "0"),
        (f"variational/{name} kernel_size wrong length",
         lambda c=cls, r=rank: c(2, (3,) * (r + 1)), ValueError, "kernel_size",
         repr((3,) * (rank + 1))),
        (f"variational/{name} strides=-1", lambda c=cls: c(2, 3, strides=-1), ValueError,
         "strides", "-1"),
        (f"variational/{name} padding=full", lambda c=cls: c(2, 3, padding="full"),
         ValueError, "padding", "'full'"),
        (f"variational/{name} data_format=NHWC", lambda c=cls: c(2, 3, data_format="NHWC"),
         ValueError, "data_format", "'NHWC'"),
        (f"variational/{name} seed='x'", lambda c=cls: c(2, 3, seed="x"), TypeError,
         "seed", "'x'"),
        (f"variational/{name} kl_weight=-1", lambda c=cls: c(2, 3, kl_weight=-1), ValueError,
         "kl_weight", "-1"),
        (f"variational/{name} wrong rank",
         _call(lambda c=cls: c(2, 3), np.zeros((1, 6), "float32")), ValueError,
         "expected ndim", str(rank + 2)),
        (f"variational/{name} channels 2 then 3",
         lambda c=cls, x=image: (lambda layer: (layer(x), layer(np.concatenate([x, x[..., :1]], -1))))(c(2, 3)),
         ValueError, "expected axis -1", "value 2"),
    ]

_prior_rows = [
    ("variational/priors.Normal scale=0", lambda: tfbsl.priors.Normal(scale=0), ValueError,
     "scale", "0"),
    ("variational/priors.Normal scale=-1", lambda: tfbsl.priors.Normal(scale=-1), ValueError,
     "scale", "-1"),
    ("variational/priors.Normal scale=inf", lambda: tfbsl.priors.Normal(scale=float("inf")),
     ValueError, "scale", "inf"),
    ("variational/priors.Normal loc=nan", lambda: tfbsl.priors.Normal(loc=float("nan")),
     ValueError, "loc", "nan"),
    ("variational/priors.Normal loc='0'", lambda: tfbsl.priors.Normal(loc="zero"),
     ValueError, "loc", "'zero'"),
    ("variational/priors.ScaleMixtureNormal pi=0",
     lambda: tfbsl.priors.ScaleMixtureNormal(pi=0), ValueError, "pi", "0"),
    ("variational/priors.ScaleMixtureNormal pi=1",
     lambda: tfbsl.priors.ScaleMixtureNormal(pi=1), ValueError, "pi", "1"),
    ("variational/priors.ScaleMixtureNormal pi='half'",
     lambda: tfbsl.priors.ScaleMixtureNormal(pi="half"), ValueError, "pi", "'half'"),
    ("variational/priors.ScaleMixtureNormal scale1=0",
     lambda: tfbsl.priors.ScaleMixtureNormal(scale1=0), ValueError, "scale1", "0"),
    ("variational/priors.ScaleMixtureNormal scale2=-3",
     lambda: tfbsl.priors.ScaleMixtureNormal(scale2=-3), ValueError, "scale2", "-3"),
    ("variational/priors.TrainableNormal scale=0",
     lambda: tfbsl.priors.TrainableNormal(scale=0), ValueError, "scale", "0"),
    ("variational/priors.TrainableNormal trainable_scale='yes'",
     lambda: tfbsl.priors.TrainableNormal(trainable_scale="yes"), TypeError,
     "trainable_scale", "'yes'"),
    ("variational/priors.FanInNormal gain=0",
     lambda: tfbsl.priors.FanInNormal(gain=0), ValueError, "gain", "0"),
    ("variational/priors.FanInNormal bias_scale=-1",
     lambda: tfbsl.priors.FanInNormal(bias_scale=-1), ValueError, "bias_scale", "-1"),
    ("variational/priors.FanInNormal called without kernel_shape",
     lambda: tfbsl.priors.FanInNormal()(6, 2), ValueError, "kernel_shape", "None"),
    ("variational/posteriors.MeanFieldNormal init_scale=0",
     lambda: tfbsl.posteriors.MeanFieldNormal(init_scale=0), ValueError, "init_scale", "0"),
    ("variational/posteriors.MeanFieldNormal init_scale=nan",
     lambda: tfbsl.posteriors.MeanFieldNormal(init_scale=float("nan")), ValueError,
     "init_scale", "nan"),
    ("variational/posteriors.MeanFieldNormal loc_initializer=zero",
     lambda: tfbsl.posteriors.MeanFieldNormal(loc_initializer="zerox"), ValueError,
     "loc_initializer", "'zerox'"),
]

ROWS = rows(*_dense_rows, *_conv_rows, *_prior_rows)
