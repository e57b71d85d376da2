"""Bad input to the small public helpers: `tfbsl.vae`, `tfbsl.callbacks`,
`tfbsl.bayesianize` and `tfbsl.datasets`."""

import functools

import keras
import numpy as np

import tfbsl
from tests.bad_inputs import rows
from tfbsl.callbacks import KLAnnealing

X = np.zeros((4, 3), "float32")


def _encoder(x):
    return [np.zeros((len(x), 2), "float32")] * 2


def _decoder(z):
    return tfbsl.layers.IndependentBernoulli(3)(np.zeros(tuple(z.shape[:-1]) + (3,), "float32"))


@functools.cache
def _dense_model():
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])


@functools.cache
def _model_without_twins():
    """Nothing to convert: arguments only the layers would use are still checked."""
    return keras.Sequential([keras.Input((3,)), keras.layers.BatchNormalization()])


def _case(kwargs):
    """A row id from keyword arguments; a lambda by its parameters, not its address."""
    def show(value):
        if callable(value):
            return f"lambda({', '.join(value.__code__.co_varnames[:value.__code__.co_argcount])})"
        return repr(value)
    return "-".join(f"{k}={show(v)}" for k, v in kwargs.items())


def _bayesianize(make_model=_dense_model, **kwargs):
    return lambda: tfbsl.bayesianize(make_model(), **kwargs)


BAD_VAE = [  # (argument, value, error, words)
    ("num_samples", 0, ValueError, ("num_samples", "num_samples=0")),
    ("num_samples", -1, ValueError, ("num_samples", "num_samples=-1")),
    ("num_samples", 2.5, ValueError, ("num_samples", "num_samples=2.5")),
    ("num_samples", "10", ValueError, ("num_samples", "num_samples='10'")),
    ("num_samples", None, ValueError, ("num_samples", "num_samples=None")),
    ("batch_size", 0, ValueError, ("batch_size", "batch_size=0")),
    ("batch_size", 1.5, ValueError, ("batch_size", "batch_size=1.5")),
    ("batch_size", None, ValueError, ("batch_size", "batch_size=None")),
    ("x", X[:0], ValueError, ("x", "at least one example", "x.shape=(0, 3)")),
    ("x", np.float32(0.0), ValueError, ("x", "x.shape=()")),
    ("x", "digits", TypeError, ("x", "x='digits'")),
    ("encoder", None, TypeError, ("encoder", "encoder=None")),
    ("decoder", "bernoulli", TypeError, ("decoder", "decoder='bernoulli'")),
    ("sampling", 3, TypeError, ("sampling", "Sampling", "sampling=3")),
    ("sampling", "normal", TypeError, ("sampling", "sampling='normal'")),
    ("seed", "0", TypeError, ("seed", "seed='0'")),
    ("seed", 1.5, TypeError, ("seed", "seed=1.5")),
    ("seed", 2**64, ValueError, ("seed", f"seed={2**64}")),
]

BAD_ANNEALING = [  # (kwargs, error, words)
    ({"schedule": "cosine"}, ValueError, ("schedule", "schedule='cosine'")),
    ({"schedule": None}, ValueError, ("schedule", "schedule=None")),
    ({"schedule": 3}, ValueError, ("schedule", "schedule=3")),
    ({"schedule": lambda: 1.0}, TypeError, ("schedule", "step -> factor", "()")),
    ({"schedule": lambda a, b: 1.0}, TypeError, ("schedule", "(a, b)")),
    ({"steps": 0}, ValueError, ("steps", "steps=0")),
    ({"steps": -5}, ValueError, ("steps", "steps=-5")),
    ({"steps": 2.5}, ValueError, ("steps", "steps=2.5")),
    ({"steps": "10"}, ValueError, ("steps", "steps='10'")),
    ({"steps": True}, ValueError, ("steps", "steps=True")),
    ({"start": -1.0}, ValueError, ("start", "start=-1.0")),
    ({"start": float("nan")}, ValueError, ("start", "start=nan")),
    ({"start": "low"}, ValueError, ("start", "start='low'")),
    ({"stop": float("inf")}, ValueError, ("stop", "stop=inf")),
    ({"stop": -0.5}, ValueError, ("stop", "stop=-0.5")),
    ({"stop": None}, ValueError, ("stop", "stop=None")),
    ({"ratio": 0}, ValueError, ("ratio", "ratio=0")),
    ({"ratio": 1.5}, ValueError, ("ratio", "(0, 1]", "ratio=1.5")),
    ({"ratio": float("nan")}, ValueError, ("ratio", "ratio=nan")),
    ({"schedule": "cyclical", "cycles": 0}, ValueError, ("cycles", "cycles=0")),
    ({"schedule": "cyclical", "cycles": 2.5}, ValueError, ("cycles", "cycles=2.5")),
    ({"schedule": "linear", "cycles": 2}, ValueError,
     ("cycles", "cyclical", "cycles=2", "schedule='linear'")),
    ({"update": "step"}, ValueError, ("update", "update='step'")),
    ({"update": None}, ValueError, ("update", "update=None")),
    ({"update": ["epoch"]}, ValueError, ("update", "update=['epoch']")),
]

BAD_BAYESIANIZE = [  # (kwargs, error, words)
    ({"estimator": "gibbs"}, ValueError, ("estimator", "estimator='gibbs'")),
    ({"estimator": None}, ValueError, ("estimator", "estimator=None")),
    ({"estimator": ["flipout"]}, ValueError, ("estimator", "estimator=['flipout']")),
    ({"init": "xavier"}, ValueError, ("init", "init='xavier'")),
    ({"moped_delta": 0}, ValueError, ("moped_delta", "moped_delta=0")),
    ({"moped_delta": -0.1}, ValueError, ("moped_delta", "moped_delta=-0.1")),
    ({"moped_delta": float("nan")}, ValueError, ("moped_delta", "moped_delta=nan")),
    ({"init_scale": 0.0}, ValueError, ("init_scale", "init_scale=0.0")),
    ({"init_scale": "small"}, ValueError, ("init_scale", "init_scale='small'")),
    ({"kl_weight": -1}, ValueError, ("kl_weight", "kl_weight=-1")),
    ({"kl_weight": float("inf")}, ValueError, ("kl_weight", "kl_weight=inf")),
    ({"kl_weight": "1/n"}, ValueError, ("kl_weight", "kl_weight='1/n'")),
    ({"prior": "laplace"}, ValueError, ("prior", "prior='laplace'")),
    ({"prior": 3}, ValueError, ("prior", "prior=3")),
    ({"prior": lambda kernel_size: None}, TypeError, ("prior", "(kernel_size)")),
    ({"seed": "1"}, TypeError, ("seed", "seed='1'")),
    ({"seed": 1.5}, TypeError, ("seed", "seed=1.5")),
    ({"seed": -(2**64)}, ValueError, ("seed", f"seed={-(2**64)}")),
]

ROWS = rows(
    *[(f"helpers/{fn.__name__}/{arg}-{value!r}",
       functools.partial(fn, **{"encoder": _encoder, "decoder": _decoder, "x": X, arg: value}),
       error, *words)
      for fn in (tfbsl.vae.evaluate_elbo, tfbsl.vae.importance_weighted_log_likelihood)
      for arg, value, error, words in BAD_VAE],
    *[(f"helpers/KLAnnealing/{_case(kwargs)}",
       functools.partial(KLAnnealing, **kwargs), error, *words)
      for kwargs, error, words in BAD_ANNEALING],
    (
        "helpers/KLAnnealing/schedule-returns-nan",
        lambda: KLAnnealing(lambda step: float("nan")).factor_at(3),
        ValueError, "schedule(3)", "schedule(3)=nan",
    ),
    (
        "helpers/KLAnnealing/schedule-returns-negative",
        lambda: KLAnnealing(lambda step: -0.5 * step).factor_at(2),
        ValueError, "schedule(2)", ">= 0", "schedule(2)=-1.0",
    ),
    *[(f"helpers/bayesianize/{_case(kwargs)}",
       _bayesianize(**kwargs), error, *words)
      for kwargs, error, words in BAD_BAYESIANIZE],
    *[(f"helpers/bayesianize/no-twins-{arg}", _bayesianize(_model_without_twins, **{arg: value}),
       ValueError, arg, f"{arg}={value!r}")
      for arg, value in (("kl_weight", -1.0), ("prior", "laplace"))],
    (
        "helpers/bayesianize/model-string",
        lambda: tfbsl.bayesianize("cnn"), ValueError, "model", "model='cnn'", "str",
    ),
    (
        "helpers/bayesianize/model-none",
        lambda: tfbsl.bayesianize(None), ValueError, "model", "model=None",
    ),
    (
        "helpers/bayesianize/model-layer",
        lambda: tfbsl.bayesianize(keras.layers.Dense(2)), ValueError, "model", "Dense",
    ),
    (
        "helpers/bayesianize/model-unbuilt",
        lambda: tfbsl.bayesianize(keras.Sequential([keras.layers.Dense(2)], name="unbuilt")),
        ValueError, "model", "built", "model='unbuilt'",
    ),
    *[(f"helpers/load_wine_quality/color-{value!r}",
       functools.partial(tfbsl.datasets.load_wine_quality, value), ValueError,
       "color", "['both', 'red', 'white']", f"color={value!r}")
      for value in ("rose", "RED", "", None, 1, ["red"], ("red",))],
)
