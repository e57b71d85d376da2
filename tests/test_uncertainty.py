import keras
import numpy as np
import pytest
from scipy import stats

import tfbsl
from tfbsl.layers import DenseFlipout, IndependentNormal

RNG = np.random.default_rng(3)


def _gaussian_prediction(n, loc=0.5, scale=2.0):
    mean = np.full((n, 1), loc)
    stddev = np.full((n, 1), scale)
    return tfbsl.MCPrediction(mean, stddev, None, stddev, np.zeros_like(stddev))


def test_read_outs_on_an_exact_gaussian():
    prediction = _gaussian_prediction(20000)
    y = RNG.normal(0.5, 2.0, size=20000)  # flat: must align with (n, 1), not broadcast
    lower, upper = tfbsl.prediction_interval(prediction, 0.95)
    np.testing.assert_allclose(upper - 0.5, 1.959964 * 2.0, rtol=1e-6)
    assert abs(tfbsl.interval_coverage(prediction, y, 0.95) - 0.95) < 0.01
    levels, covered = tfbsl.coverage_curve(prediction, y)
    assert len(levels) == 19 and np.max(np.abs(covered - levels)) < 0.02
    per_example = tfbsl.gaussian_log_likelihood(prediction, y, y_scale=3.0, per_example=True)
    assert per_example.shape == (20000, 1)
    np.testing.assert_allclose(
        per_example[:, 0], stats.norm.logpdf(y, 0.5, 2.0) - np.log(3.0), rtol=1e-6)
    assert tfbsl.gaussian_log_likelihood(prediction, y) == pytest.approx(
        stats.norm.logpdf(y, 0.5, 2.0).mean())
    np.testing.assert_allclose(
        tfbsl.rmse(prediction, y, y_scale=3.0), 3.0 * np.sqrt(np.mean((y - 0.5) ** 2)))
    assert tfbsl.rmse(np.zeros(3), [3.0, 0.0, 0.0]) == pytest.approx(np.sqrt(3.0))


def test_bad_input_is_a_value_error_saying_what_was_expected():
    prediction = _gaussian_prediction(4)
    with pytest.raises(ValueError, match=r"level.*\(0, 1\).*1.5"):
        tfbsl.prediction_interval(prediction, 1.5)
    with pytest.raises(ValueError, match=r"one target per prediction \(4\)"):
        tfbsl.interval_coverage(prediction, np.zeros(5))
    with pytest.raises(ValueError, match=r"y_scale.*> 0.*y_scale=0"):
        tfbsl.gaussian_log_likelihood(prediction, np.zeros(4), y_scale=0)
    zero_scale = prediction._replace(stddev=np.zeros((4, 1)))
    with pytest.raises(ValueError, match=r"stddev.*> 0"):
        tfbsl.gaussian_log_likelihood(zero_scale, np.zeros(4))
    with pytest.raises(ValueError, match=r"params_size\(\(1,\)\) = 2.*Dense\(2\)"):
        IndependentNormal(1)(np.zeros((3, 3), "float32"))
    with pytest.raises(ValueError, match=r"scale.*> 0.*scale=-1"):
        tfbsl.priors.Normal(scale=-1.0)


def _fit(model, x, y, epochs, batch_size):
    model.compile(keras.optimizers.Adam(0.03), loss=tfbsl.losses.NegativeLogLikelihood(),
                  jit_compile=True)
    model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0)
    return model


@pytest.mark.slow
def test_epistemic_part_shrinks_with_more_data():
    def linear_bnn(n):
        return keras.Sequential([
            keras.Input((1,)),
            tfbsl.layers.DenseVariational(
                2, make_posterior_fn=tfbsl.posteriors.MeanFieldNormal(init_scale=0.05),
                kl_weight=1 / n, seed=0, estimator="local_reparameterization"),
            IndependentNormal(1),
        ])

    x_test = np.linspace(-1, 1, 50, dtype="float32")[:, None]
    epistemic = {}
    for n in (16, 1024):
        x = RNG.uniform(-1, 1, size=(n, 1)).astype("float32")
        y = 2 * x + 0.3 * RNG.normal(size=(n, 1)).astype("float32")
        # The same steps for both sizes: the 16 points are tiled to 1024 rows,
        # which leaves the expected loss of a batch unchanged.
        x, y = np.tile(x, (1024 // n, 1)), np.tile(y, (1024 // n, 1))
        model = _fit(linear_bnn(n), x, y, epochs=30, batch_size=128)
        epistemic[n] = tfbsl.predict_mc(model, x_test, num_samples=50).epistemic_stddev.mean()
    # Ideally sqrt(1024 / 16) = 8 times smaller.
    assert epistemic[1024] < 0.4 * epistemic[16], epistemic


@pytest.mark.slow
def test_95_percent_interval_covers_held_out_heteroscedastic_data():
    def data(n):
        x = RNG.uniform(-3, 3, size=(n, 1)).astype("float32")
        noise = 0.05 + 0.25 * np.abs(x)
        return x, (np.sin(x) + noise * RNG.normal(size=(n, 1))).astype("float32")

    x, y = data(1500)
    x_test, y_test = data(2000)
    model = _fit(keras.Sequential([
        keras.Input((1,)),
        DenseFlipout(32, activation="tanh", kl_weight=1 / len(x), seed=0),
        DenseFlipout(2, kl_weight=1 / len(x), seed=1),
        IndependentNormal(1),
    ]), x, y, epochs=25, batch_size=50)
    prediction = tfbsl.predict_mc(model, x_test, num_samples=30)
    coverage = tfbsl.interval_coverage(prediction, y_test, 0.95)
    assert 0.90 <= coverage <= 0.99, coverage
    # The head learned the heteroscedasticity: wider intervals where the noise is.
    wide = np.abs(x_test[:, 0]) > 2
    narrow = np.abs(x_test[:, 0]) < 0.5
    assert prediction.aleatoric_stddev[wide].mean() > 2 * prediction.aleatoric_stddev[narrow].mean()
