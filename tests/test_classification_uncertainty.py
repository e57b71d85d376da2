import keras
import numpy as np
import pytest
from scipy.special import softmax

import tfbsl


def _draw_labels(probs, rng):
    """One label per row drawn from `probs`, vectorised."""
    u = rng.random((len(probs), 1))
    return np.minimum((u > np.cumsum(probs, -1)).sum(-1), probs.shape[-1] - 1)


def _calibrated(n, k, rng):
    """Probabilities whose top class is right exactly as often as claimed."""
    probs = softmax(rng.normal(scale=2.0, size=(n, k)), -1)
    return probs, _draw_labels(probs, rng)  # y ~ p: calibrated


def test_ece_is_near_zero_when_calibrated_and_large_when_over_confident():
    rng = np.random.default_rng(0)
    probs, labels = _calibrated(20000, 5, rng)
    cal = tfbsl.calibration(probs, labels, num_bins=10)
    assert cal.ece < 0.02, cal.ece
    assert cal.count.sum() == 20000 and len(cal.bin_edges) == 11
    filled = cal.count > 200
    np.testing.assert_allclose(cal.accuracy[filled], cal.confidence[filled], atol=0.05)

    sharp = probs ** 4 / (probs ** 4).sum(-1, keepdims=True)  # same argmax, over-confident
    assert tfbsl.expected_calibration_error(sharp, labels) > 0.1
    assert tfbsl.maximum_calibration_error(sharp, labels) >= tfbsl.expected_calibration_error(
        sharp, labels)
    # One-hot labels and (n, 1) labels read the same as integer labels.
    onehot = np.eye(5)[labels]
    assert tfbsl.expected_calibration_error(sharp, onehot) == tfbsl.expected_calibration_error(
        sharp, labels[:, None])


def test_debiased_calibration_error_removes_the_small_sample_bias_of_ece():
    # 500 test points, as on digits: a calibrated soft model and a calibrated
    # sharp one, 200 label draws each.
    rng = np.random.default_rng(0)
    floors = {}
    for name, scale in (("soft", 1.5), ("sharp", 4.0)):
        probs = softmax(rng.normal(scale=scale, size=(500, 5)), -1)
        draws = [_draw_labels(probs, rng) for _ in range(200)]
        floors[name] = (np.mean([tfbsl.expected_calibration_error(probs, y) for y in draws]),
                        np.mean([tfbsl.debiased_calibration_error(probs, y) for y in draws]))
    (ece_soft, deb_soft), (ece_sharp, deb_sharp) = floors["soft"], floors["sharp"]
    # Binned ECE charges the calibrated soft model more than the sharp one...
    assert ece_soft > ece_sharp + 0.01, floors
    # ...the debiased error is small for both and nearly the same.
    assert deb_soft < 0.5 * ece_soft and deb_sharp < 0.6 * ece_sharp, floors
    assert abs(deb_soft - deb_sharp) < 0.005, floors

    # An over-confident model: labels drawn from softer probabilities than it
    # claims; the estimate matches the binned L2 error computed from the truth.
    logits = rng.normal(scale=3.0, size=(2000, 5))
    claimed, truth = softmax(logits, -1), softmax(logits / 2, -1)
    top, confidence = claimed.argmax(-1), claimed.max(-1)
    right = truth[np.arange(len(top)), top]  # P(top class is correct)
    bins = np.array_split(np.argsort(confidence), 15)
    exact = np.sqrt(sum(len(b) / len(top) * (right[b].mean() - confidence[b].mean()) ** 2
                        for b in bins))
    estimates = [tfbsl.debiased_calibration_error(claimed, _draw_labels(truth, rng))
                 for _ in range(50)]
    assert exact > 0.1
    np.testing.assert_allclose(np.mean(estimates), exact, rtol=0.05)


def test_entropy_decomposition_and_mutual_information():
    agree = np.tile(np.array([[[0.7, 0.2, 0.1]]]), (4, 2, 1))  # (S=4, n=2, K=3)
    np.testing.assert_allclose(tfbsl.mutual_information(agree), 0.0, atol=1e-12)
    np.testing.assert_allclose(tfbsl.predictive_entropy(agree), tfbsl.expected_entropy(agree))

    disagree = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])  # two confident passes that differ
    np.testing.assert_allclose(tfbsl.predictive_entropy(disagree), [np.log(2)])
    np.testing.assert_allclose(tfbsl.expected_entropy(disagree), [0.0], atol=1e-9)
    np.testing.assert_allclose(tfbsl.mutual_information(disagree), [np.log(2)])


def test_brier_nll_and_auroc_against_references():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(1)
    probs, labels = _calibrated(500, 4, rng)
    onehot = np.eye(4)[labels]
    np.testing.assert_allclose(tfbsl.brier_score(probs, labels),
                               np.mean(np.sum((probs - onehot) ** 2, -1)))
    np.testing.assert_allclose(tfbsl.classification_nll(probs, labels),
                               sklearn_metrics.log_loss(labels, probs), rtol=1e-6)
    scores_in = rng.normal(size=300).round(1)  # rounding makes ties
    scores_out = rng.normal(0.8, size=200).round(1)
    reference = sklearn_metrics.roc_auc_score(
        np.r_[np.zeros(300), np.ones(200)], np.r_[scores_in, scores_out])
    np.testing.assert_allclose(tfbsl.auroc(scores_in, scores_out), reference, rtol=1e-12)
    assert tfbsl.auroc([0, 1], [2, 3]) == 1.0 and tfbsl.auroc([1, 1], [1]) == 0.5


@pytest.mark.slow
def test_predict_proba_mc_on_a_bayesian_classifier():
    model = keras.Sequential([
        keras.Input((4,)),
        tfbsl.layers.DenseVariational(
            3, seed=1, make_posterior_fn=tfbsl.posteriors.MeanFieldNormal(0.5),
            estimator="flipout"),
        tfbsl.layers.Categorical(3),
    ])
    x = np.random.default_rng(2).normal(size=(10, 4)).astype("float32")
    samples = tfbsl.predict_proba_mc(model, x, num_samples=5, batch_size=4)
    assert samples.shape == (5, 10, 3)
    np.testing.assert_allclose(samples.sum(-1), 1.0, rtol=1e-5)
    assert samples.std(0).mean() > 0  # every pass redraws the weights
    assert np.all(tfbsl.mutual_information(samples) >= 0)


def test_bad_input_gets_a_clear_value_error():
    probs = np.full((3, 2), 0.5)
    cases = [
        (lambda: tfbsl.calibration(probs, [0, 1, 0], num_bins=0), "num_bins"),
        (lambda: tfbsl.calibration(probs, [0, 1], num_bins=5), "labels"),
        (lambda: tfbsl.debiased_calibration_error(probs, [0, 1, 0], num_bins=2), "num_bins"),
        (lambda: tfbsl.predictive_entropy(np.ones(3)), "probs"),
        (lambda: tfbsl.mutual_information(probs), "samples"),
        (lambda: tfbsl.auroc([], [1.0]), "in_scores"),
        (lambda: tfbsl.predict_proba_mc(None, probs, num_samples=0), "num_samples"),
    ]
    for make, pattern in cases:
        with pytest.raises(ValueError, match=pattern):
            make()
