import keras
import numpy as np
import pytest

import tfbsl
from tests.conformance import reset_seeds
from tfbsl.layers import Conv2DTransposeVariational, Conv2DVariational, DenseVariational

X = np.random.default_rng(0).normal(size=(24, 8, 8, 1)).astype("float32")


def _cnn():
    return keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.1),
        keras.layers.Dense(3, activation="softmax"),
    ])


@pytest.mark.slow
def test_moped_copies_weights_and_matches_the_predictive_mean():
    model = _cnn()
    bnn = tfbsl.bayesianize(model, moped_delta=0.05, seed=1)
    assert [type(layer) for layer in bnn.layers][::4] == [Conv2DVariational, DenseVariational]
    assert bnn.output_shape == model.output_shape
    conv, dense = bnn.layers[0], bnn.layers[4]
    kernel, bias = model.layers[0].get_weights()
    flat = np.r_[kernel.ravel(), bias]
    np.testing.assert_allclose(np.asarray(conv.posterior.loc), flat)
    scale = np.log1p(np.exp(np.asarray(conv.posterior.rho)))
    np.testing.assert_allclose(scale, np.maximum(0.05 * np.abs(flat), 1e-5), rtol=1e-4, atol=1e-7)
    assert dense.estimator == "flipout"

    reference = np.asarray(model(X))
    samples = tfbsl.predict_proba_mc(bnn, X, num_samples=30)
    np.testing.assert_allclose(samples.mean(0), reference, atol=0.02)
    assert samples.std(0).max() > 0  # and it is random
    assert model.layers[0].get_weights()[0] is not None  # the original is untouched
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], kernel)


@pytest.mark.slow
def test_functional_nested_model_warns_and_reloads(tmp_path):
    inner = keras.Sequential([keras.Input((8,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.BatchNormalization()])
    inputs = keras.Input((8, 8, 1))
    h = keras.layers.Conv2DTranspose(2, 2, strides=2)(inputs)
    h = keras.layers.Conv2D(2, 3, strides=2)(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    h = keras.layers.Dense(8)(h)
    outputs = keras.layers.Dense(2)(inner(h))
    model = keras.Model(inputs, outputs)
    with pytest.warns(UserWarning, match=r"batch_normalization.*BatchNormalization"):
        bnn = tfbsl.bayesianize(model, estimator="local_reparameterization",
                                kl_weight=1 / 24, moped_delta=1e-3, seed=2)
    kinds = {type(layer).__name__ for layer in bnn._flatten_layers()}
    assert {"Conv2DTransposeVariational", "Conv2DVariational", "DenseVariational",
            "BatchNormalization"} <= kinds
    assert not any(isinstance(layer, keras.layers.Dense) for layer in bnn._flatten_layers())
    assert isinstance(bnn.layers[1], Conv2DTransposeVariational)
    np.testing.assert_allclose(np.asarray(bnn(X)), np.asarray(model(X)), atol=0.05)
    assert len(bnn.losses) == 5  # one KL per converted layer

    bnn.compile("adam", "mse", jit_compile=True)
    bnn.fit(X, np.zeros((24, 2), "float32"), epochs=1, verbose=0)
    path = tmp_path / "bnn.keras"
    bnn.save(path)
    loaded = keras.saving.load_model(path)
    reset_seeds(bnn)
    reset_seeds(loaded)
    np.testing.assert_allclose(np.asarray(bnn(X)), np.asarray(loaded(X)), rtol=1e-5, atol=1e-6)


def test_random_init_ignores_the_trained_weights():
    model = _cnn()
    bnn = tfbsl.bayesianize(model, init="random", estimator="reparameterization")
    assert not np.allclose(np.asarray(bnn.layers[0].posterior.loc)[:36],
                           model.layers[0].get_weights()[0].ravel())


def test_bad_input_gets_a_clear_value_error():
    cases = [
        (lambda: tfbsl.bayesianize("cnn"), r"model.*keras.Sequential or functional.*str"),
        (lambda: tfbsl.bayesianize(keras.layers.Dense(2)), r"model.*Dense"),
        (lambda: tfbsl.bayesianize(keras.Sequential([keras.layers.Dense(2)])), "built"),
        (lambda: tfbsl.bayesianize(_cnn(), init="xavier"), r"init.*moped"),
        (lambda: tfbsl.bayesianize(_cnn(), estimator="gibbs"), "estimator"),
        (lambda: tfbsl.bayesianize(_cnn(), moped_delta=0), "moped_delta"),
    ]
    for make, pattern in cases:
        with pytest.raises(ValueError, match=pattern):
            make()
