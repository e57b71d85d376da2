import math

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp
from keras.src import testing

import tfbsl
from tests.conformance import check_layer_conformance, check_model_conformance, reset_seeds
from tfbsl.layers import (
    DenseFlipout,
    DenseLocalReparameterization,
    DenseReparameterization,
    DenseVariational,
    MultivariateNormalTriL,
    VariableLayer,
)

tfd = tfp.distributions
ESTIMATORS = ["reparameterization", "flipout", "local_reparameterization"]


class DenseVariationalLayerTest(testing.TestCase):
    @pytest.mark.slow
    def test_run_layer_test_every_estimator(self):
        for estimator in ESTIMATORS:
            self.run_layer_test(
                DenseVariational,
                init_kwargs={"units": 3, "estimator": estimator, "seed": 1},
                input_shape=(4, 5),
                expected_output_shape=(4, 3),
                expected_num_trainable_weights=2,      # posterior loc and rho
                expected_num_non_trainable_weights=1,  # the KL weight
                expected_num_seed_generators=1,
                expected_num_losses=1,
            )

    @pytest.mark.slow
    def test_run_layer_test_priors_and_tfp_layers(self):
        for cls, kwargs, trainable in [
            (DenseVariational, {"units": 2, "prior": "scale_mixture", "estimator": "flipout"}, 2),
            (DenseVariational, {"units": 2, "prior": tfbsl.priors.TrainableNormal()}, 3),
            (DenseVariational, {"units": 2, "prior": tfbsl.priors.Normal(scale=0.5),
                                "estimator": "local_reparameterization"}, 2),
            (DenseVariational, {"units": 2, "make_posterior_fn": tfbsl.posteriors.mean_field,
                                "make_prior_fn": tfbsl.priors.trainable}, 2),
            # TFP's per-part layers: kernel loc and scale, bias loc.
            (DenseFlipout, {"units": 2}, 3),
            (DenseReparameterization, {"units": 2}, 3),
            (DenseLocalReparameterization, {"units": 2}, 3),
        ]:
            self.run_layer_test(
                cls, init_kwargs=kwargs, input_shape=(4, 3), expected_output_shape=(4, 2),
                expected_num_trainable_weights=trainable, expected_num_losses=1,
            )


X64 = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")


@pytest.mark.slow
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_conformance_every_estimator(estimator, tmp_path):
    check_layer_conformance(
        DenseVariational(2, activation="tanh", estimator=estimator, kl_weight=1 / 64, seed=3),
        X64, tmp_path=tmp_path)


@pytest.mark.slow
def test_conformance_tfp_tutorial_factories(tmp_path):
    check_layer_conformance(
        DenseVariational(2, tfbsl.posteriors.mean_field, tfbsl.priors.trainable, kl_weight=1 / 64),
        X64, tmp_path=tmp_path)


def _layer_with_posterior(estimator, loc, scale, units=4, input_dim=3, **kwargs):
    layer = DenseVariational(units, estimator=estimator, seed=7, **kwargs)
    layer.build((None, input_dim))
    layer.posterior.loc.assign(loc)
    layer.posterior.rho.assign(np.log(np.expm1(scale)))
    return layer


def _draws(layer, x, n):
    """`n` calls of `layer` on `x`, jit-compiled: (outputs, KL losses) stacked."""
    step = tf.function(lambda: (layer(x), layer.losses[0]), jit_compile=True)
    outputs, losses = zip(*(step() for _ in range(n)), strict=True)
    return np.stack(outputs), np.array(losses)


def _normal_kl(mu_q, s_q, mu_p, s_p):
    return np.sum(np.log(s_p / s_q) + (s_q ** 2 + (mu_q - mu_p) ** 2) / (2 * s_p ** 2) - 0.5)


def test_analytic_kl_matches_closed_form_and_tfd():
    rng = np.random.default_rng(1)
    n = 3 * 4 + 4
    loc, scale = rng.normal(size=n).astype("float32"), rng.uniform(0.1, 0.9, n).astype("float32")
    layer = _layer_with_posterior("reparameterization", loc, scale,
                                  prior=tfbsl.priors.Normal(0.2, 0.7), kl_weight=0.5)
    layer(X64)
    expected = _normal_kl(loc, scale, 0.2, 0.7)
    reference = tfd.kl_divergence(tfd.Normal(loc, scale), tfd.Normal(0.2, 0.7)).numpy().sum()
    np.testing.assert_allclose(float(layer.losses[0]), 0.5 * expected, rtol=1e-5)
    np.testing.assert_allclose(expected, reference, rtol=1e-5)


@pytest.mark.slow
def test_monte_carlo_kl_converges_to_analytic():
    rng = np.random.default_rng(2)
    n = 16
    loc, scale = rng.normal(size=n).astype("float32"), rng.uniform(0.2, 0.6, n).astype("float32")
    layer = _layer_with_posterior("reparameterization", loc, scale, kl_use_exact=False)
    _, draws = _draws(layer, X64[:1], 3000)
    exact = _normal_kl(loc, scale, 0.0, 1.0)
    # The MC draws differ (it is not the analytic value) and average to it.
    assert draws.std() > 0.1
    assert abs(draws.mean() - exact) < 4 * draws.std() / math.sqrt(len(draws))


def test_kl_weight_scales_the_loss_linearly():
    loc = np.linspace(-1, 1, 16).astype("float32")
    losses = []
    for weight in (0.0, 1.0, 2.5):
        layer = _layer_with_posterior("flipout", loc, np.full(16, 0.3, "float32"), kl_weight=weight)
        layer(X64)
        losses.append(float(layer.losses[0]))
    assert losses[0] == 0.0
    np.testing.assert_allclose(losses[2], 2.5 * losses[1], rtol=1e-6)


def test_scale_mixture_prior_uses_monte_carlo_and_rejects_exact():
    layer = DenseVariational(2, prior="scale_mixture", seed=1)
    layer(X64)
    first = float(layer.losses[0])
    layer(X64)
    assert np.isfinite(first) and first != float(layer.losses[0])  # a fresh draw each call
    with pytest.raises(ValueError, match="no closed form"):
        DenseVariational(2, prior="scale_mixture", kl_use_exact=True)(X64)


@pytest.mark.slow
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_estimators_share_the_expected_output(estimator):
    rng = np.random.default_rng(3)
    loc, scale = rng.normal(size=16).astype("float32"), np.full(16, 0.5, "float32")
    layer = _layer_with_posterior(estimator, loc, scale)
    x = X64[:8]
    outputs, _ = _draws(layer, x, 2000)
    expected = x @ loc[:12].reshape(3, 4) + loc[12:]
    standard_error = outputs.std(axis=0) / math.sqrt(len(outputs))
    assert np.all(np.abs(outputs.mean(axis=0) - expected) < 5 * standard_error + 1e-4)


@pytest.mark.slow
def test_local_reparameterization_variance_matches_closed_form():
    rng = np.random.default_rng(4)
    loc, scale = rng.normal(size=16).astype("float32"), rng.uniform(0.2, 0.8, 16).astype("float32")
    layer = _layer_with_posterior("local_reparameterization", loc, scale)
    x = X64[:8]
    outputs, _ = _draws(layer, x, 4000)
    expected = (x ** 2) @ (scale[:12] ** 2).reshape(3, 4) + scale[12:] ** 2
    # Sample variance of 4000 Gaussian draws: relative s.e. sqrt(2 / 3999) ~ 2.2%.
    np.testing.assert_allclose(outputs.var(axis=0), expected, rtol=5 * math.sqrt(2 / 3999))


@pytest.mark.slow
def test_flipout_and_local_reparameterization_lower_gradient_variance():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(256, 3)).astype("float32")
    y = rng.normal(size=(256, 4)).astype("float32")
    loc, scale = rng.normal(size=16).astype("float32"), np.full(16, 0.5, "float32")
    variances = {}
    for estimator in ESTIMATORS:
        layer = _layer_with_posterior(estimator, loc, scale)

        @tf.function(jit_compile=True)
        def gradient(layer=layer):  # bound now, though it is only called in this iteration
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean((layer(x) - y) ** 2)
            return tape.gradient(loss, layer.posterior.loc)

        grads = np.stack([gradient() for _ in range(300)])
        variances[estimator] = grads.var(axis=0).mean()
    assert variances["flipout"] < 0.5 * variances["reparameterization"], variances
    assert variances["local_reparameterization"] < 0.5 * variances["reparameterization"], variances


def test_seed_makes_calls_reproducible():
    a = DenseVariational(3, seed=11)
    b = DenseVariational(3, seed=11)
    a.build((None, 3))
    b.build((None, 3))
    b.set_weights(a.get_weights())
    np.testing.assert_array_equal(np.asarray(a(X64)), np.asarray(b(X64)))
    assert not np.array_equal(np.asarray(a(X64)), np.asarray(a(X64)))  # every call draws anew


def _regression_data(n, rng):
    x = rng.uniform(-1, 1, (n, 1)).astype("float32")
    y = (np.sin(3 * x) + 0.1 * rng.normal(size=x.shape)).astype("float32")
    return x, y


@pytest.mark.slow
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_three_layer_network_fits_and_is_uncertain_away_from_data(estimator, tmp_path):
    rng = np.random.default_rng(6)
    x, y = _regression_data(1024, rng)
    x_test, y_test = _regression_data(256, rng)
    n = len(x)
    model = keras.Sequential([
        keras.Input((1,)),
        DenseVariational(32, activation="relu", kl_weight=1 / n, estimator=estimator, seed=1),
        DenseVariational(32, activation="relu", kl_weight=1 / n, estimator=estimator, seed=2),
        DenseVariational(1, kl_weight=1 / n, estimator=estimator, seed=3),
    ])
    model.compile(keras.optimizers.Adam(1e-2), "mse", jit_compile=True)
    model.fit(x, y, epochs=40, batch_size=64, verbose=0)

    prediction = tfbsl.predict_mc(model, x_test, num_samples=50)
    rmse = np.sqrt(np.mean((prediction.mean - y_test) ** 2))
    assert rmse < 0.4 * y_test.std(), (rmse, y_test.std())

    far = tfbsl.predict_mc(model, np.array([[-3.0], [3.0]], "float32"), num_samples=50)
    assert far.stddev.mean() > 2 * prediction.stddev.mean()

    path = tmp_path / "bnn.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    for a, b in zip(model.weights, loaded.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    reset_seeds(model)
    reset_seeds(loaded)
    np.testing.assert_allclose(
        tfbsl.predict_mc(model, x_test, 5).samples,
        tfbsl.predict_mc(loaded, x_test, 5).samples, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_full_covariance_posterior_trains(tmp_path):
    @keras.saving.register_keras_serializable(package="tests")
    def posterior_tril(kernel_size, bias_size=0, dtype=None):
        n = kernel_size + bias_size
        return keras.Sequential([
            VariableLayer(MultivariateNormalTriL.params_size(n), dtype=dtype,
                          initializer=keras.initializers.RandomNormal(stddev=0.1)),
            MultivariateNormalTriL(n, dtype=dtype),
        ])

    rng = np.random.default_rng(7)
    x = rng.normal(size=(256, 2)).astype("float32")
    y = (x @ np.array([[1.5], [-2.0]]) + 0.5 + 0.1 * rng.normal(size=(256, 1))).astype("float32")
    model = keras.Sequential(
        [keras.Input((2,)), DenseVariational(1, posterior_tril, kl_weight=1 / 256)])
    model.compile(keras.optimizers.Adam(0.05), "mse", jit_compile=True)
    history = model.fit(x, y, epochs=60, batch_size=64, verbose=0)
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]
    prediction = tfbsl.predict_mc(model, x, 20)
    assert np.sqrt(np.mean((prediction.mean - y) ** 2)) < 0.3
    check_model_conformance(model, x, y, tmp_path=tmp_path)  # registered factory: no custom_objects


def test_lambda_factory_needs_safe_mode_false(tmp_path):
    layer = DenseVariational(
        1, make_prior_fn=lambda k, b, dtype: tfbsl.priors.Normal(scale=2.0)(k, b, dtype))
    model = keras.Sequential([keras.Input((3,)), layer])
    model(X64)
    path = tmp_path / "lambda.keras"
    model.save(path)
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.saving.load_model(path)
    loaded = keras.saving.load_model(path, safe_mode=False)
    reset_seeds(model)
    reset_seeds(loaded)
    np.testing.assert_allclose(np.asarray(model(X64)), np.asarray(loaded(X64)), rtol=1e-6)


def test_tfp_divergence_fn_keywords():
    """The TFP twin's divergence is the kernel's KL (its bias is a point
    estimate without a prior, as TFP's), divided as the user asks."""
    n = 1000.0
    layer = DenseFlipout(
        4, kernel_divergence_fn=lambda q, p, _: tfd.kl_divergence(q, p) / n, seed=1)
    layer(X64)
    q = layer.kernel_posterior.distribution
    expected = tf.reduce_sum(tfd.kl_divergence(q, tfd.Normal(0.0, 1.0))) / n
    np.testing.assert_allclose(float(layer.losses[0]), float(expected), rtol=1e-5)
    with pytest.raises(TypeError, match="kernel_posterior_fn"):
        DenseFlipout(4, kernel_posterior_fn=lambda *a: None)(X64)
    with pytest.raises(ValueError, match="make_posterior_fn="):
        DenseVariational(4, kernel_posterior_fn=lambda *a: None)


def test_bad_input_gets_a_clear_value_error():
    cases = [
        (lambda: DenseVariational(0), "units"),
        (lambda: DenseVariational(2.5), "units"),
        (lambda: DenseVariational(2, estimator="gibbs"), r"estimator.*flipout"),
        (lambda: DenseVariational(2, kl_weight=-1.0), "kl_weight"),
        (lambda: DenseVariational(2, kl_weight=float("nan")), "kl_weight"),
        (lambda: DenseVariational(2, kl_use_exact="yes"), "kl_use_exact"),
        (lambda: DenseVariational(2, prior="laplace"), r"prior.*scale_mixture"),
        (lambda: tfbsl.priors.Normal(scale=0.0), "scale"),
        (lambda: tfbsl.priors.Normal(scale=-1.0), "scale"),
        (lambda: tfbsl.priors.ScaleMixtureNormal(pi=1.5), "pi"),
        (lambda: DenseVariational(2, prior="normal", make_prior_fn=tfbsl.priors.trainable),
         "not both"),
        (lambda: DenseVariational(2).build((None, None)), "last dimension"),
    ]
    for make, pattern in cases:
        with pytest.raises(ValueError, match=pattern):
            make()


def test_flipout_rejects_a_full_covariance_posterior():
    def posterior_tril(kernel_size, bias_size=0, dtype=None):
        n = kernel_size + bias_size
        return keras.Sequential([VariableLayer(MultivariateNormalTriL.params_size(n)),
                                 MultivariateNormalTriL(n)])

    with pytest.raises(ValueError, match="factorised Normal"):
        DenseVariational(2, posterior_tril, estimator="flipout").build((None, 3))


def test_predict_mc_splits_epistemic_and_aleatoric():
    model = keras.Sequential([
        keras.Input((3,)),
        DenseVariational(tfbsl.layers.IndependentNormal.params_size(1), seed=2),
        tfbsl.layers.IndependentNormal(1),
    ])
    prediction = tfbsl.predict_mc(model, X64, num_samples=30)
    assert prediction.samples.shape == (30, 64, 1)
    assert np.all(prediction.aleatoric_stddev > 0) and np.all(prediction.epistemic_stddev > 0)
    np.testing.assert_allclose(
        prediction.stddev ** 2, prediction.epistemic_stddev ** 2 + prediction.aleatoric_stddev ** 2,
        rtol=1e-5)
    with pytest.raises(ValueError, match="num_samples"):
        tfbsl.predict_mc(model, X64, num_samples=1)


@pytest.mark.parametrize("jit", [False, True], ids=["eager-philox", "xla-threefry"])
def test_rademacher_signs_are_balanced_and_shaped(jit):
    from tfbsl import _random
    generator = keras.random.SeedGenerator(3)

    def draw():
        return _random.rademacher((257, 33), generator)

    if jit:
        draw = tf.function(draw, jit_compile=True)
    signs = np.asarray(draw())
    assert signs.shape == (257, 33) and set(np.unique(signs)) == {-1.0, 1.0}
    # Mean of 8481 fair signs: standard error 1 / sqrt(8481) ~ 0.011.
    assert abs(signs.mean()) < 5 / np.sqrt(signs.size)
    # Neighbouring signs (bits of different words, and bits of one word) are uncorrelated.
    assert abs(np.mean(signs[:, 1:] * signs[:, :-1])) < 5 / np.sqrt(signs[:, 1:].size)
    flat = signs.ravel()
    assert abs(np.mean(flat[:-1] * flat[1:])) < 5 / np.sqrt(flat.size)
    # Two draws differ.
    assert not np.array_equal(signs, np.asarray(draw()))


def test_rademacher_signs_of_a_small_draw_come_from_separate_words():
    # Sign i is bit i // words of word i % words, with at least 32 words: the
    # 32 signs of a one-unit Flipout output at batch 32 must not all come
    # from one word (XLA then fused its ThreeFry rounds into the output loop
    # as one loop-invariant chain, which LLVM took minutes to compile).
    from tfbsl import _random

    def signs_and_words(shape, num_words, seed):
        signs = _random.rademacher(shape, keras.random.SeedGenerator(seed))
        words = tf.random.stateless_uniform(
            [num_words], seed=_random.tfp_seed(keras.random.SeedGenerator(seed)),
            minval=None, maxval=None, dtype=tf.int32, alg="philox")
        return np.asarray(signs).ravel(), np.asarray(words)

    signs, words = signs_and_words((32, 1), 32, 5)
    np.testing.assert_array_equal(signs, 2 * (words & 1) - 1)
    signs, words = signs_and_words((64, 33), 66, 6)
    index = np.arange(signs.size)
    np.testing.assert_array_equal(signs, 2 * ((words[index % 66] >> (index // 66)) & 1) - 1)


@pytest.mark.slow
@pytest.mark.parametrize("jit", [False, True], ids=["eager-philox", "xla-threefry"])
def test_normal_noise_is_standard_normal(jit):
    from scipy import stats

    from tfbsl import _random
    generator = keras.random.SeedGenerator(4)
    algs = []

    def draw(shape, dtype="float32"):
        algs.append(_random.impl._alg())
        return _random.normal(shape, generator, dtype)

    if jit:
        draw = tf.function(draw, jit_compile=True)
    draws = np.asarray(draw((400, 500))).ravel()
    assert algs == ["threefry" if jit else "philox"]
    # Kolmogorov-Smirnov against N(0, 1) over 200k draws: a wrong scale,
    # shift or shape (e.g. a missing sqrt(2)) gives p-values below 1e-10.
    assert stats.kstest(draws, "norm").pvalue > 1e-3
    assert abs(draws.mean()) < 5 / np.sqrt(draws.size)
    assert abs(draws.var() - 1) < 5 * np.sqrt(2 / draws.size)
    assert abs(stats.kurtosis(draws)) < 5 * np.sqrt(24 / draws.size)
    # Neighbouring draws are uncorrelated (a counter-based generator).
    assert abs(np.corrcoef(draws[:-1], draws[1:])[0, 1]) < 5 / np.sqrt(draws.size)
    # Two draws differ; half precision stays finite (the uniform is float32).
    assert not np.allclose(draws, np.asarray(draw((400, 500))).ravel())
    half = np.asarray(draw((1000, 100), "float16"))
    assert half.dtype == np.float16 and np.isfinite(half).all()
