"""tfbsl.baselines on every backend: temperature scaling recovers a known
over-confidence factor, a deep ensemble predicts its members' mixture (and
survives a `.keras` round trip)."""

import os

import keras
import numpy as np
import pytest

import tfbsl
from tfbsl._backend import tfd

B = tfbsl.baselines


# Temperature scaling ---------------------------------------------------------

def test_fit_temperature_recovers_overconfidence_factor():
    rng = np.random.default_rng(0)
    n, k, c = 20_000, 5, 2.5
    logits = rng.normal(scale=1.5, size=(n, k))
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    labels = (p.cumsum(1) > rng.uniform(size=(n, 1))).argmax(1)  # drawn from p
    t = B.fit_temperature(c * logits, labels)
    assert abs(t / c - 1) < 0.05
    scaler = B.TemperatureScaling().fit(c * logits, np.eye(k)[labels])
    assert scaler.temperature == pytest.approx(t)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(scaler(c * logits.astype("float32"))),
        keras.ops.convert_to_numpy(keras.ops.softmax(c * logits.astype("float32") / t)),
        rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("logits, labels, match", [
    (np.zeros((4, 1)), np.zeros(4), "logits"),
    (np.zeros((4, 3)), np.array([0, 1, 3, 0]), "labels"),
    (np.full((2, 3), np.nan), np.zeros(2), "logits"),
    (np.zeros((4, 3)), np.zeros(3), "labels"),
])
def test_fit_temperature_rejects_bad_input(logits, labels, match):
    with pytest.raises(ValueError, match=match):
        B.fit_temperature(logits, labels)


def test_temperature_scaling_rejects_bad_temperature():
    with pytest.raises(ValueError, match="temperature=-1"):
        B.TemperatureScaling(-1)


# Deep ensembles --------------------------------------------------------------

def _classifier():
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, activation="relu"),
                             keras.layers.Dense(3, activation="softmax")])


def _regressor():
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2),
                             tfbsl.layers.IndependentNormal(1)])


X = np.random.default_rng(1).normal(size=(32, 3)).astype("float32")


def test_deep_ensemble_classification_is_mean_of_members(tmp_path):
    ensemble = B.DeepEnsemble(build_fn=_classifier, num_members=3, seed=4)
    ensemble.compile(optimizer=keras.optimizers.Adam(0.01),
                     loss="sparse_categorical_crossentropy")
    y = (X[:, 0] > 0).astype("int32") + (X[:, 1] > 0).astype("int32")
    histories = ensemble.fit(X, y, epochs=2, batch_size=16, verbose=0)
    assert len(histories) == 3
    members = [keras.ops.convert_to_numpy(m(X)) for m in ensemble.members]
    assert not np.allclose(members[0], members[1])  # own seeds
    expected = np.mean(members, axis=0)
    np.testing.assert_allclose(ensemble.predict_proba(X), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(ensemble(X)), expected,
                               rtol=1e-5, atol=1e-6)
    path = os.path.join(tmp_path, "ensemble.keras")
    ensemble.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, B.DeepEnsemble) and loaded.num_members == 3
    np.testing.assert_allclose(loaded.predict_proba(X), expected, rtol=1e-5, atol=1e-6)


def test_deep_ensemble_regression_mixture_moments(tmp_path):
    ensemble = B.DeepEnsemble([_regressor() for _ in range(4)])
    mixture = ensemble.predictive_distribution(X)
    assert isinstance(mixture, tfd.MixtureSameFamily)
    dists = [tfbsl.get_distribution(m(X)) for m in ensemble.members]
    means = np.stack([keras.ops.convert_to_numpy(d.mean()) for d in dists])
    variances = np.stack([keras.ops.convert_to_numpy(d.variance()) for d in dists])
    mean = means.mean(0)
    variance = variances.mean(0) + means.var(0)  # law of total variance
    np.testing.assert_allclose(keras.ops.convert_to_numpy(mixture.mean()), mean,
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(mixture.variance()), variance,
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(ensemble(X)), mean,
                               rtol=1e-5, atol=1e-5)
    path = os.path.join(tmp_path, "ensemble.keras")
    ensemble.save(path)
    loaded = keras.saving.load_model(path)
    reloaded = loaded.predictive_distribution(X)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(reloaded.mean()), mean,
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(reloaded.variance()), variance,
                               rtol=1e-4, atol=1e-5)


def test_deep_ensemble_rejects_bad_arguments():
    with pytest.raises(ValueError, match="members"):
        B.DeepEnsemble()
    with pytest.raises(ValueError, match="members"):
        B.DeepEnsemble([])
    with pytest.raises(TypeError, match=r"members\[0\]"):
        B.DeepEnsemble(["not a model"])
    with pytest.raises(ValueError, match="num_members=0"):
        B.DeepEnsemble(build_fn=_classifier, num_members=0)
