"""Save tfbsl models on one Keras backend, load them on another.

`python _cross_backend_script.py save DIR` (under one KERAS_BACKEND) trains
and saves three models and what they predict; `... load DIR` (under another)
loads them and prints, per model, the largest difference from the saved
prediction: a head's mean and standard deviation, a variational layer's
posterior means and scales, a flow's log-densities.
"""

import pathlib
import sys

import keras
import numpy as np

import tfbsl

rng = np.random.default_rng(0)
X = rng.normal(size=(64, 2)).astype("float32")
Y = (X[:, :1] - X[:, 1:] ** 2).astype("float32")


def _head():
    return keras.Sequential([keras.Input((2,)), keras.layers.Dense(8, activation="tanh"),
                             keras.layers.Dense(2), tfbsl.layers.IndependentNormal(1)])


def _variational():
    return keras.Sequential([keras.Input((2,)),
                             tfbsl.layers.DenseVariational(4, estimator="flipout", seed=1),
                             keras.layers.Dense(1)])


def _flow():
    inputs = keras.Input((2,))
    flow = tfbsl.layers.NormalizingFlow([
        tfbsl.layers.ActNorm(), tfbsl.layers.MaskedAutoregressive((8,)), tfbsl.layers.Permute(),
        tfbsl.layers.SplineCoupling((8,))])
    return keras.Model(inputs, flow(inputs))


def _predict(name, model):
    if name == "head":
        distribution = tfbsl.get_distribution(model(X))
        return np.concatenate([np.asarray(distribution.mean()), np.asarray(distribution.stddev())])
    if name == "variational":
        posterior = model.layers[0].posterior
        return np.concatenate([np.asarray(posterior.loc),
                               np.log1p(np.exp(np.asarray(posterior.rho)))])
    return np.asarray(model(X))


_MODELS = {"head": _head, "variational": _variational, "flow": _flow}


def save(directory):
    keras.utils.set_random_seed(0)
    for name, make in _MODELS.items():
        model = make()
        if name != "flow":  # a step away from the initial weights
            model.compile("adam", tfbsl.losses.NegativeLogLikelihood() if name == "head" else "mse")
            model.fit(X, Y, epochs=2, verbose=0)
        else:
            model(X)  # ActNorm's data-dependent initialisation
        model.save(directory / f"{name}.keras")
        np.save(directory / f"{name}.npy", _predict(name, model))


def load(directory):
    for name in _MODELS:
        model = keras.saving.load_model(directory / f"{name}.keras")
        expected = np.load(directory / f"{name}.npy")
        print(name, float(np.max(np.abs(_predict(name, model) - expected))))


if __name__ == "__main__":
    {"save": save, "load": load}[sys.argv[1]](pathlib.Path(sys.argv[2]))
