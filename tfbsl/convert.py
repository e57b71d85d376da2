"""Turning a trained deterministic Keras model into a Bayesian one."""

import warnings

import keras
import numpy as np

from tfbsl import _checks
from tfbsl._compat import Functional
from tfbsl.variational import conv, dense, posteriors, priors
from tfbsl.variational._base import ESTIMATORS, _Variational
from tfbsl.variational._kl import check_kl_weight

__all__ = ["bayesianize"]

_INITS = ("moped", "random")
# Zero weights (a bias at its initial value) would get a zero scale; the
# posterior scale must stay positive.
_MIN_SCALE = 1e-5


def _dense_twin(layer, **kwargs):
    return dense.DenseVariational(
        layer.units, activation=layer.activation, use_bias=layer.use_bias, **kwargs)


def _conv_twin(cls):
    def twin(layer, **kwargs):
        return cls(layer.filters, layer.kernel_size, layer.strides, layer.padding,
                   layer.data_format, layer.dilation_rate, layer.groups,
                   layer.activation, layer.use_bias, **kwargs)
    return twin


def _conv_transpose_twin(layer, **kwargs):
    return conv.Conv2DTransposeVariational(
        layer.filters, layer.kernel_size, layer.strides, layer.padding,
        layer.output_padding, layer.data_format, layer.dilation_rate,
        layer.activation, layer.use_bias, **kwargs)


# Exact classes: subclasses (e.g. other conv families) may compute otherwise.
_TWINS = {
    keras.layers.Dense: _dense_twin,
    keras.layers.Conv1D: _conv_twin(conv.Conv1DVariational),
    keras.layers.Conv2D: _conv_twin(conv.Conv2DVariational),
    keras.layers.Conv3D: _conv_twin(conv.Conv3DVariational),
    keras.layers.Conv2DTranspose: _conv_transpose_twin,
}


def bayesianize(model, estimator="flipout", prior=None, kl_weight=None,
                init="moped", moped_delta=0.1, init_scale=1e-3, seed=None):
    """A Bayesian copy of a Sequential or functional Keras model: every
    `Dense`, `Conv1D`, `Conv2D`, `Conv3D` and `Conv2DTranspose` becomes its
    variational twin (`DenseVariational`, `Conv*Variational`) with a
    `MeanFieldNormal` posterior; nested models are converted too.

    With `init="moped"` (Krishnan et al. 2020, "Specifying Weight Priors in
    Bayesian Deep Neural Networks with Empirical Bayes"), the posterior means
    are the trained weights and the scales `moped_delta * |w|` (at least
    1e-5), so that the Bayesian model starts where the deterministic one
    ended and its predictive mean matches it; then fine-tune it with `fit`.
    Other layers are cloned with their weights (the original model is left
    untouched). Layers with weights that have no twin (e.g. `BatchNormalization`,
    `DepthwiseConv2D`, `LSTM`) stay deterministic and are listed in a
    warning. Regularizers and constraints of converted layers are dropped:
    the KL term replaces them.

    Args:
        model: a built `keras.Sequential` or functional `keras.Model`.
        estimator: `"flipout"` (default), `"reparameterization"` or
            `"local_reparameterization"`, for every converted layer.
        prior: a prior factory or name, as `DenseVariational`'s `prior`
            (default N(0, 1)).
        kl_weight: float >= 0, each converted layer's KL weight (None means
            1; use `1 / num_training_examples` with a mean data loss).
        init: `"moped"` (means from the trained weights) or `"random"` (a
            fresh `MeanFieldNormal(init_scale)` initialisation).
        moped_delta: float > 0, the relative posterior scale for `"moped"`.
        init_scale: float > 0, the initial posterior scale for `"random"`.
        seed: optional int; layer `i` gets `seed + i`.

    Every argument is checked before any layer is converted, even one that
    no layer of `model` would use.

    Returns:
        A new Keras model of the same architecture.

    Example:
    ```pycon
    >>> cnn = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3),
    ...                         keras.layers.Flatten(), keras.layers.Dense(3, "softmax")])
    >>> bnn = tfbsl.bayesianize(cnn, kl_weight=1 / 100, moped_delta=0.1)
    >>> [type(layer).__name__ for layer in bnn.layers]
    ['Conv2DVariational', 'Flatten', 'DenseVariational']
    >>> tuple(bnn(np.ones((5, 8, 8, 1), "float32")).shape)  # one draw of the weights
    (5, 3)

    ```
    """
    if not isinstance(model, keras.Model) or not isinstance(
            model, (keras.Sequential, Functional)):
        raise ValueError(
            "`model` must be a keras.Sequential or functional keras.Model "
            "(subclassed models have no graph to rebuild). Received: "
            f"model={model!r} of type {type(model).__name__}"
        )
    if not model.built:
        raise ValueError(
            "`model` must be built (give it an Input or call it once) so that "
            f"its weights exist. Received: model={model.name!r}, not built"
        )
    _checks.check_choice("estimator", estimator, ESTIMATORS)
    priors.get(prior)  # the layers take `prior` as given; this checks it
    check_kl_weight(kl_weight)
    _checks.check_choice("init", init, _INITS)
    moped_delta = _checks.check_positive_finite("moped_delta", moped_delta)
    init_scale = _checks.check_positive_finite("init_scale", init_scale)
    seed = _checks.check_seed("seed", seed)

    pairs, skipped = [], []

    def clone(layer):
        twin = _TWINS.get(type(layer))
        if twin is None:
            if layer.weights:
                skipped.append(f"{layer.name} ({type(layer).__name__})")
            new = layer.__class__.from_config(layer.get_config())
        else:
            new = twin(
                layer, estimator=estimator, prior=prior, kl_weight=kl_weight,
                make_posterior_fn=posteriors.MeanFieldNormal(init_scale),
                seed=None if seed is None else seed + len(pairs), name=layer.name)
        pairs.append((layer, new))
        return new

    converted = keras.models.clone_model(model, clone_function=clone, recursive=True)
    for old, new in pairs:
        if not isinstance(new, _Variational):
            new.set_weights(old.get_weights())
        elif init == "moped":
            _moped(old, new, moped_delta)
    if skipped:
        warnings.warn(
            "bayesianize left these layers deterministic (no variational twin "
            f"for their class): {', '.join(skipped)}", stacklevel=2)
    return converted


def _moped(old, new, delta):
    """Posterior means = trained weights, scales = delta * |w| (floored)."""
    weights = [old.kernel] + ([old.bias] if old.use_bias else [])
    loc = np.concatenate([np.asarray(w).ravel() for w in weights])
    scale = np.maximum(delta * np.abs(loc), _MIN_SCALE)
    new.posterior.loc.assign(loc.astype(new.posterior.loc.dtype))
    new.posterior.rho.assign(np.log(np.expm1(scale)).astype(new.posterior.rho.dtype))
