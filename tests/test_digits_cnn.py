"""Issue #8's quality bar on real data: a Flipout CNN trained on the digits
0-4 classifies held-out 0-4 and flags the unseen classes 5-9 by mutual
information; a Bayesian-head CNN is better calibrated than the deterministic
CNN on rotated digits."""

import keras
import numpy as np
import pytest
from scipy.ndimage import rotate
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import tfbsl
from benchmarks._common import reset_model

pytestmark = pytest.mark.slow  # see setup.cfg: the fast loop leaves it out


def _split(seed, train_fraction):
    """Digits 0-4 split into train and held-out parts, and the unseen 5-9."""
    digits = load_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]
    y = digits.target
    seen = y < 5
    parts = train_test_split(x[seen], y[seen], train_size=train_fraction, stratify=y[seen],
                             random_state=seed)
    return (*parts, x[~seen])


def test_bayesian_cnn_on_digits_is_accurate_and_flags_unseen_classes():
    x_train, x_test, y_train, y_test, x_unseen = _split(0, train_fraction=0.7)
    keras.utils.set_random_seed(0)
    bayes = {"estimator": "flipout", "kl_weight": 1 / len(x_train)}
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        tfbsl.layers.Conv2DVariational(16, 3, padding="same", activation="relu", seed=1, **bayes),
        keras.layers.MaxPooling2D(),
        tfbsl.layers.Conv2DVariational(32, 3, padding="same", activation="relu", seed=2, **bayes),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        tfbsl.layers.DenseVariational(64, activation="relu", seed=3, **bayes),
        tfbsl.layers.DenseVariational(5, seed=4, **bayes),
        tfbsl.layers.Categorical(5),
    ])
    model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy",
                  jit_compile=True)
    model.fit(x_train, y_train, epochs=40, batch_size=64, verbose=0)

    held_out = tfbsl.predict_proba_mc(model, x_test, 30)
    unseen = tfbsl.predict_proba_mc(model, x_unseen, 30)
    accuracy = np.mean(held_out.mean(0).argmax(-1) == y_test)
    auroc = tfbsl.auroc(tfbsl.mutual_information(held_out), tfbsl.mutual_information(unseen))
    assert accuracy >= 0.95, accuracy
    # Identical passes (no posterior spread) give MI 0 everywhere: AUROC 0.5.
    # Measured with the library's defaults: 0.897 after 15 epochs, 0.97 after
    # 40 (benchmarks/defaults_study.py, `digits`).
    assert auroc >= 0.9, auroc


def _cnn(bayesian_head, n, seed):
    """The deterministic CNN, or the same with its two dense layers Flipout
    (full ELBO): a Bayesian "last layers" CNN."""
    keras.utils.set_random_seed(seed)
    if bayesian_head:
        bayes = {"estimator": "flipout", "kl_weight": 1 / n}
        dense = [tfbsl.layers.DenseVariational(64, activation="relu", seed=seed + 1, **bayes),
                 tfbsl.layers.DenseVariational(5, seed=seed + 2, **bayes),
                 tfbsl.layers.Categorical(5)]
    else:
        dense = [keras.layers.Dense(64, activation="relu"),
                 keras.layers.Dense(5, activation="softmax")]
    return keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        *dense,
    ])


def test_bayesian_head_is_better_calibrated_than_the_deterministic_cnn_under_rotation():
    # benchmarks/digits_uncertainty.py, seeds 0-19 (135 training digits): on
    # digits rotated by 30 degrees the head's ECE is lower in 19 of 20 seeds
    # (by 0.05-0.07 on average); in distribution the two are level. These
    # seeds are none of the benchmark's.
    ece = {False: [], True: []}
    accuracy = []
    compiled = {}  # one model of each kind, re-initialised per seed: compiled once
    for seed in (100, 101, 102):
        x_train, x_test, y_train, y_test, _ = _split(seed, train_fraction=0.15)
        x_rotated = rotate(x_test, 30, axes=(1, 2), reshape=False, order=1).clip(0, 1)
        for bayesian_head in (False, True):
            fresh = _cnn(bayesian_head, len(x_train), seed)
            if bayesian_head in compiled:
                model = compiled[bayesian_head]
                reset_model(model, fresh)
            else:
                model = compiled[bayesian_head] = fresh
                model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy",
                              jit_compile=True)
            model.fit(x_train, y_train, epochs=100, batch_size=64, verbose=0)
            passes = 30 if bayesian_head else 1
            ece[bayesian_head].append(tfbsl.expected_calibration_error(
                tfbsl.predict_proba_mc(model, x_rotated, passes), y_test))
            if bayesian_head:
                held_out = tfbsl.predict_proba_mc(model, x_test, passes).mean(0)
                accuracy.append(np.mean(held_out.argmax(-1) == y_test))
    assert np.mean(accuracy) >= 0.95, accuracy
    assert np.mean(ece[True]) < np.mean(ece[False]) - 0.02, ece
