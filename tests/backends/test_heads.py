"""Distribution heads, `NegativeLogLikelihood` and the Monte-Carlo read-outs
on every backend: each head trains jit-compiled, its distribution has the
shapes it should and its `log_prob` is the loss, `predict_mc` and
`predict_proba_mc` give their documented shapes, and a `.keras` round trip
predicts the same distribution."""

import os

import keras
import numpy as np
import pytest
from keras import ops

import tfbsl
from tests.backends._kernels import RBFKernelFn
from tfbsl._backend import tfd

L = tfbsl.layers
N_TRAIN, N_TEST = 256, 64


@keras.saving.register_keras_serializable(package="tfbsl_tests_backends")
def normal_from_params(t):
    """A `DistributionLambda` function: Normal(loc, softplus(scale))."""
    return tfd.Normal(t[..., :1], 1e-3 + ops.softplus(t[..., 1:]))


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N_TRAIN + N_TEST, 3)).astype("float32")
    signal = x @ np.array([1.0, 2.0, -1.0], "float32")
    noise = rng.normal(size=len(x)).astype("float32")
    label = (signal > 0).astype("int32") + (signal > 1.5).astype("int32")  # 3 classes
    targets = {
        "real": (signal + 0.3 * noise)[:, None],
        "real2": np.stack([signal, signal - x[:, 0]], -1) + 0.3 * noise[:, None],
        "binary": (signal > 0).astype("float32")[:, None],
        "count": rng.poisson(np.exp(0.5 * np.tanh(signal)))[:, None].astype("float32"),
        "label": label,
        "one_hot": np.eye(3, dtype="float32")[label],
    }
    return x, {k: v.astype("float32") if k != "label" else v for k, v in targets.items()}


X, TARGETS = _data()


def _dense_then(head, size):
    return lambda: keras.Sequential([keras.Input((3,)), keras.layers.Dense(size), head()])


def _variable_bias_normal():
    # `VariableLayer` as a learned intercept added to the head's parameters.
    inputs = keras.Input((3,))
    params = ops.add(keras.layers.Dense(2, use_bias=False)(inputs), L.VariableLayer(2)(inputs))
    return keras.Model(inputs, L.IndependentNormal(1)(params))


# name: (model builder, target, batch shape and event shape of the test set's distribution).
# Heads whose sampler is slow to compile (TFP's Poisson, mixtures of
# categoricals, ...) hand on their mean: the default sample is covered by the others.
HEADS = {
    "DistributionLambda": (
        _dense_then(lambda: L.DistributionLambda(normal_from_params), 2), "real", (N_TEST, 1), ()),
    "IndependentNormal": (
        _dense_then(lambda: L.IndependentNormal(1), 2), "real", (N_TEST,), (1,)),
    "IndependentLogistic": (
        _dense_then(lambda: L.IndependentLogistic(1), 2), "real", (N_TEST,), (1,)),
    "IndependentBernoulli": (
        _dense_then(lambda: L.IndependentBernoulli(1), 1), "binary", (N_TEST,), (1,)),
    "IndependentPoisson": (
        _dense_then(lambda: L.IndependentPoisson(1, "mean"), 1), "count", (N_TEST,), (1,)),
    "OneHotCategorical": (
        _dense_then(lambda: L.OneHotCategorical(3), 3), "one_hot", (N_TEST,), (3,)),
    "Categorical": (
        _dense_then(lambda: L.Categorical(3), 3), "label", (N_TEST,), ()),
    "CategoricalMixtureOfOneHotCategorical": (
        _dense_then(lambda: L.CategoricalMixtureOfOneHotCategorical(3, 2, "mean"),
                    L.CategoricalMixtureOfOneHotCategorical.params_size(3, 2)),
        "one_hot", (N_TEST,), (3,)),
    "MixtureSameFamily": (
        _dense_then(lambda: L.MixtureSameFamily(2, L.IndependentNormal(1)),
                    L.MixtureSameFamily.params_size(2, L.IndependentNormal.params_size(1))),
        "real", (N_TEST,), (1,)),
    "MixtureNormal": (
        _dense_then(lambda: L.MixtureNormal(2, [1], "mean"), L.MixtureNormal.params_size(2, [1])),
        "real", (N_TEST,), (1,)),
    "MixtureLogistic": (
        _dense_then(lambda: L.MixtureLogistic(2, [1], "mean"),
                    L.MixtureLogistic.params_size(2, [1])),
        "real", (N_TEST,), (1,)),
    "MultivariateNormalTriL": (
        _dense_then(lambda: L.MultivariateNormalTriL(2, "mean"),
                    L.MultivariateNormalTriL.params_size(2)),
        "real2", (N_TEST,), (2,)),
    "VariableLayer": (_variable_bias_normal, "real", (N_TEST,), (1,)),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(HEADS))
def test_head_fits_jit_compiled_and_its_distribution_is_the_loss(name):
    build, target, batch_shape, event_shape = HEADS[name]
    y = TARGETS[target]
    x_train, y_train, x_test, y_test = X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]
    model = build()
    model.compile(keras.optimizers.Adam(0.05), loss=tfbsl.losses.NegativeLogLikelihood(),
                  jit_compile=True)
    nll = tfbsl.losses.NegativeLogLikelihood()
    before = float(nll(y_test, model(x_test)))
    history = model.fit(x_train, y_train, epochs=6, batch_size=64, verbose=0).history["loss"]
    output = model(x_test)
    after = float(nll(y_test, output))
    assert np.isfinite(history).all(), history
    assert after < before - 0.05 * abs(before), (before, after)

    distribution = tfbsl.get_distribution(output)
    assert tuple(distribution.batch_shape) == batch_shape
    assert tuple(distribution.event_shape) == event_shape
    log_prob = np.asarray(distribution.log_prob(y_test))
    np.testing.assert_allclose(after, -log_prob.mean(), rtol=1e-5, atol=1e-5)


def test_a_copy_of_the_output_carries_no_distribution():
    head = L.IndependentNormal(1)
    output = head(np.zeros((4, 2), "float32"))
    assert tuple(tfbsl.get_distribution(output).mean().shape) == (4, 1)
    with pytest.raises(ValueError, match="carries one"):
        tfbsl.get_distribution(output + 0.0)


@pytest.mark.slow
def test_kl_regularizer_and_add_loss_train_and_add_the_kl():
    prior = tfd.Independent(tfd.Normal(np.zeros(2, "float32"), 1.0), 1)
    model = keras.Sequential([
        keras.Input((3,)),
        keras.layers.Dense(L.IndependentNormal.params_size(2)),
        L.IndependentNormal(2, activity_regularizer=L.KLDivergenceRegularizer(prior, weight=0.5)),
        L.KLDivergenceAddLoss(prior, use_exact_kl=True, weight=0.1),
    ])
    model.compile(keras.optimizers.Adam(0.05), loss=tfbsl.losses.NegativeLogLikelihood(),
                  jit_compile=True)
    history = model.fit(X, TARGETS["real2"], epochs=2, batch_size=64, verbose=0).history["loss"]
    assert np.isfinite(history).all()
    output = model(X[:8])
    kl = np.asarray(tfd.kl_divergence(tfbsl.get_distribution(output), prior))
    # The regularizer's Monte Carlo estimate, and the add-loss's exact value.
    losses = sorted(model.losses, key=lambda v: abs(float(v) - 0.1 * kl.sum()))
    assert len(losses) == 2 and np.isfinite([float(v) for v in losses]).all()
    np.testing.assert_allclose(float(losses[0]), 0.1 * kl.sum(), rtol=1e-5)


@pytest.mark.slow  # XLA compiles the VGP's train step in about 40 s on TensorFlow here
def test_variational_gaussian_process_fits_jit_compiled():
    x = np.linspace(-1, 1, 64, dtype="float32")[:, None]
    y = np.sin(3 * x)

    def loss(y, output):
        try:
            distribution = tfbsl.get_distribution(output)
        except ValueError:  # Keras' trace of the loss on a stand-in for the output
            return ops.zeros(())
        return distribution.variational_loss(y, kl_weight=16 / len(x))

    model = keras.Sequential([keras.Input((1,)), L.VariationalGaussianProcess(
        8, RBFKernelFn(), event_shape=[1], inducing_index_points_initializer=(
            keras.initializers.Constant(np.linspace(-1, 1, 8)[:, None])))])
    model.compile(keras.optimizers.Adam(0.05), loss=loss, jit_compile=True)
    history = model.fit(x, y, batch_size=16, epochs=4, verbose=0).history["loss"]
    assert np.isfinite(history).all() and history[-1] < 0.5 * history[0], history
    mean = np.asarray(tfbsl.get_distribution(model(x)).mean())
    assert mean.shape == (64, 1) and np.isfinite(mean).all()


def _bayesian(units, head):
    return keras.Sequential([
        keras.Input((3,)),
        L.DenseVariational(units, kl_weight=1 / N_TRAIN, seed=1),
        head,
    ])


def test_predict_mc_of_a_bayesian_regression_model():
    model = _bayesian(2, L.IndependentNormal(1))
    prediction = tfbsl.predict_mc(model, X[:40], num_samples=6, batch_size=16)
    assert prediction.samples.shape == (6, 40, 1)
    for array in (prediction.mean, prediction.stddev, prediction.epistemic_stddev,
                  prediction.aleatoric_stddev):
        assert array.shape == (40, 1) and np.isfinite(array).all()
    assert (prediction.epistemic_stddev > 0).all()  # every pass draws new weights
    assert (prediction.aleatoric_stddev > 0).all()  # the head's own variance
    assert np.isfinite(tfbsl.gaussian_log_likelihood(prediction, TARGETS["real"][:40]))


@pytest.mark.parametrize("head", ["OneHotCategorical", "IndependentBernoulli"])
def test_predict_proba_mc_of_a_bayesian_classifier(head):
    layer = {"OneHotCategorical": L.OneHotCategorical(3),
             "IndependentBernoulli": L.IndependentBernoulli(3)}[head]
    samples = tfbsl.predict_proba_mc(_bayesian(3, layer), X[:40], num_samples=5, batch_size=16)
    assert samples.shape == (5, 40, 3) and np.isfinite(samples).all()
    assert ((samples >= 0) & (samples <= 1)).all()
    assert samples.std(axis=0).max() > 0
    if head != "IndependentBernoulli":
        np.testing.assert_allclose(samples.sum(-1), 1.0, atol=1e-5)
        assert tfbsl.mutual_information(samples).shape == (40,)


@pytest.mark.parametrize(
    "name", ["DistributionLambda", "MixtureNormal", "CategoricalMixtureOfOneHotCategorical",
             "VariableLayer"])
def test_keras_round_trip_predicts_the_same_distribution(name, tmp_path):
    model = HEADS[name][0]()
    path = os.path.join(tmp_path, "model.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    means = [np.asarray(tfbsl.get_distribution(m(X[:8])).mean()) for m in (model, loaded)]
    np.testing.assert_allclose(means[1], means[0], rtol=1e-6, atol=1e-6)
