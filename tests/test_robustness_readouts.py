"""Bad input to the uncertainty read-outs and the small public helpers is
refused by name, with the value received; valid input reads as before."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfbsl
from tests.conformance import reset_seeds
from tfbsl.callbacks import KLAnnealing

PROBS = np.array([[0.7, 0.3], [0.2, 0.8], [0.5, 0.5], [0.9, 0.1]])
LABELS = np.array([0, 1, 1, 0])
X = np.random.default_rng(0).normal(size=(10, 3)).astype("float32")

WITH_LABELS = [
    tfbsl.calibration, tfbsl.expected_calibration_error, tfbsl.maximum_calibration_error,
    tfbsl.brier_score, tfbsl.classification_nll,
    lambda p, y: tfbsl.debiased_calibration_error(p, y, num_bins=2),
]
# Without labels, with the name of the probabilities' argument.
WITHOUT_LABELS = [
    (tfbsl.predictive_entropy, "probs"),
    (lambda p: tfbsl.expected_entropy(np.stack([p, p])), "samples"),
    (lambda p: tfbsl.mutual_information(np.stack([p, p])), "samples"),
]


@pytest.mark.parametrize("labels,words", [
    ([0, 1, 2, 0], r"labels.*\[0, 2\).*2"),  # a third class of two
    ([0, -1, 1, 0], r"labels.*-1"),
    ([0, 0.5, 1, 0], r"labels.*whole.*0.5"),
    ([0, 1, np.nan, 0], r"labels.*nan"),
    ([0, 1, 1], r"labels.*one label per example \(4\)"),
    (np.full((4, 2), 0.5), r"labels.*one-hot"),  # soft labels are not one-hot
])
@pytest.mark.parametrize("fn", WITH_LABELS)
def test_classification_read_outs_refuse_bad_labels(fn, labels, words):
    with pytest.raises(ValueError, match=words):
        fn(PROBS, labels)


BAD_PROBS = [
    (np.log(PROBS), r"{}.*\[0, 1\].*softmax"),  # logits
    (np.array([[0.9, 0.9], [0.5, 0.6], [0.1, 0.1], [1.0, 1.0]]), r"{}.*sum to 1.*softmax"),
    (np.where(PROBS == 0.5, np.nan, PROBS), r"{}.*finite.*nan"),
    (np.zeros((0, 2)), r"{}.*empty"),
]


@pytest.mark.parametrize("probs,words", BAD_PROBS)
@pytest.mark.parametrize("fn", WITH_LABELS)
def test_read_outs_with_labels_refuse_non_probabilities(fn, probs, words):
    with pytest.raises(ValueError, match=words.format("probs")):
        fn(probs, LABELS[:len(probs)])


@pytest.mark.parametrize("probs,words", BAD_PROBS)
@pytest.mark.parametrize("fn,name", WITHOUT_LABELS)
def test_entropies_refuse_non_probabilities(fn, name, probs, words):
    with pytest.raises(ValueError, match=words.format(name)):
        fn(probs)


def test_valid_labels_in_every_accepted_form_read_the_same():
    reference = tfbsl.brier_score(PROBS, LABELS)
    for labels in (LABELS.astype(float), LABELS[:, None], np.eye(2)[LABELS], list(LABELS)):
        assert tfbsl.brier_score(PROBS, labels) == reference


def test_num_bins_is_bounded():
    with pytest.raises(ValueError, match=r"num_bins.*10000.*num_bins=10001"):
        tfbsl.calibration(PROBS, LABELS, num_bins=10001)
    assert tfbsl.calibration(PROBS, LABELS, num_bins=np.int64(10000)).count.sum() == 4


@pytest.mark.parametrize("scores,words", [
    ([0.1, np.nan], r"in_scores.*finite.*nan"),
    ([0.1, np.inf], r"in_scores.*finite.*inf"),
    (["a", "b"], r"in_scores.*numbers"),
])
def test_auroc_refuses_non_finite_scores(scores, words):
    with pytest.raises((ValueError, TypeError), match=words):
        tfbsl.auroc(scores, [0.5])


def _regressor():
    return keras.Sequential([keras.Input((3,)), tfbsl.layers.DenseFlipout(1, seed=0)])


@pytest.mark.slow
def test_predict_proba_mc_refuses_a_model_without_probabilities():
    with pytest.raises(ValueError, match=r"model.*probabilities.*softmax.*Received.*\(10, 1\)"):
        tfbsl.predict_proba_mc(_regressor(), X, num_samples=2)


def test_predict_proba_mc_takes_an_independent_bernoulli_head():
    model = keras.Sequential([keras.Input((3,)), tfbsl.layers.DenseFlipout(2, seed=0),
                              tfbsl.layers.IndependentBernoulli(2)])
    samples = tfbsl.predict_proba_mc(model, X, num_samples=2)
    assert samples.shape == (2, 10, 2) and np.all((samples >= 0) & (samples <= 1))


def _classifier():
    return keras.Sequential([keras.Input((3,)), tfbsl.layers.DenseFlipout(3, seed=0),
                             tfbsl.layers.Categorical(3)])


@pytest.mark.slow
def test_predictions_take_a_dataset_and_give_the_same_numbers():
    datasets = [  # of x, of (x, y) and of (x, y, w), batched otherwise than batch_size
        tf.data.Dataset.from_tensor_slices(X).batch(3),
        tf.data.Dataset.from_tensor_slices((X, np.zeros(10))).batch(4),
        tf.data.Dataset.from_tensor_slices((X, np.zeros(10), np.ones(10))).batch(10),
    ]
    for predict, model in ((tfbsl.predict_mc, _regressor()),
                           (tfbsl.predict_proba_mc, _classifier())):
        reset_seeds(model)
        reference = predict(model, X, num_samples=np.int64(3), batch_size=np.int32(4))
        for dataset in datasets:
            reset_seeds(model)
            from_dataset = predict(model, dataset, num_samples=3, batch_size=4)
            draws = [getattr(r, "samples", r) for r in (reference, from_dataset)]  # MCPrediction
            np.testing.assert_array_equal(*draws)


@pytest.mark.parametrize("predict", [tfbsl.predict_mc, tfbsl.predict_proba_mc])
@pytest.mark.parametrize("kwargs,words", [
    ({"batch_size": 0}, r"batch_size.*positive.*batch_size=0"),
    ({"batch_size": 2.5}, r"batch_size.*batch_size=2.5"),
    ({"num_samples": 3.0}, r"num_samples.*num_samples=3.0"),
    ({"x": X[:0]}, r"x.*at least one example.*\(0, 3\)"),
    ({"x": tf.data.Dataset.from_tensor_slices(X[:0]).batch(2)}, r"x.*at least one example"),
])
def test_predictions_refuse_bad_counts_and_empty_inputs(predict, kwargs, words):
    kwargs = {"x": X, **kwargs}
    with pytest.raises(ValueError, match=words):
        predict(_regressor(), **kwargs)


def _prediction(shape=(4, 1)):
    return tfbsl.MCPrediction(np.zeros(shape), np.ones(shape), None, np.ones(shape),
                              np.zeros(shape))


@pytest.mark.parametrize("call,words", [
    (lambda p: tfbsl.coverage_curve(p, np.zeros(4), levels=[0.5, 1.5]), r"levels.*\(0, 1\).*1.5"),
    (lambda p: tfbsl.coverage_curve(p, np.zeros(4), levels=[]), r"levels.*non-empty"),
    (lambda p: tfbsl.interval_coverage(p, [0, 1, np.nan, 0]), r"y_true.*finite.*nan"),
    (lambda p: tfbsl.gaussian_log_likelihood(p, [0, 1, np.nan, 0]), r"y_true.*finite"),
    (lambda p: tfbsl.rmse(p, [0, 1, np.nan, 0]), r"y_true.*finite"),
    (lambda p: tfbsl.rmse(p, np.zeros((2, 2))), r"y_true.*\(4, 1\).*\(2, 2\)"),
    (lambda p: tfbsl.interval_coverage(_prediction((2, 3)), np.zeros((3, 2))),
     r"y_true.*\(2, 3\).*\(3, 2\)"),
    (lambda p: tfbsl.interval_coverage(_prediction((0, 1)), np.zeros(0)),
     r"prediction.*at least one"),
])
def test_regression_read_outs_refuse_bad_targets_and_levels(call, words):
    with pytest.raises(ValueError, match=words):
        call(_prediction())


def test_regression_targets_align_across_axes_of_length_one():
    y = np.arange(4.0)
    for target in (y, y[:, None], y[None, :]):
        assert tfbsl.rmse(_prediction(), target) == pytest.approx(np.sqrt(np.mean(y ** 2)))


def _encoder(x):
    return [np.zeros((len(x), 2), "float32")] * 2


def _decoder(z):
    return tfbsl.layers.IndependentBernoulli(3)(np.zeros(tuple(z.shape[:-1]) + (3,), "float32"))


@pytest.mark.parametrize("fn", [tfbsl.vae.evaluate_elbo,
                                tfbsl.vae.importance_weighted_log_likelihood])
@pytest.mark.parametrize("kwargs,error,words", [
    ({"x": np.zeros((0, 3))}, ValueError, r"x.*at least one example"),
    ({"sampling": 3}, TypeError, r"sampling.*Sampling.*sampling=3"),
    ({"encoder": None}, TypeError, r"encoder.*callable.*encoder=None"),
    ({"decoder": "bernoulli"}, TypeError, r"decoder.*callable.*bernoulli"),
    ({"num_samples": np.int64(2), "seed": "0"}, TypeError, r"seed.*integer.*seed='0'"),
])
def test_vae_evaluation_refuses_bad_arguments(fn, kwargs, error, words):
    kwargs = {"encoder": _encoder, "decoder": _decoder, "x": np.zeros((4, 3), "float32"),
              **kwargs}
    with pytest.raises(error, match=words):
        fn(**kwargs)


def test_kl_annealing_checks_its_schedule():
    with pytest.raises(TypeError, match=r"schedule.*1 positional.*step"):
        KLAnnealing(schedule=lambda: 1.0)
    with pytest.raises(ValueError, match=r"cycles.*cyclical.*cycles=2.*linear"):
        KLAnnealing("linear", cycles=2)
    with pytest.raises(ValueError, match=r"schedule\(3\).*finite.*nan"):
        KLAnnealing(lambda step: float("nan")).factor_at(3)
    assert type(KLAnnealing(steps=np.int64(4)).steps) is int


def test_bayesianize_checks_arguments_before_converting():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(TypeError, match=r"seed.*integer.*seed='1'"):
        tfbsl.bayesianize(model, seed="1")
    # Checked even where no layer would be converted to check them.
    no_twin = keras.Sequential([keras.Input((3,)), keras.layers.BatchNormalization()])
    with pytest.raises(ValueError, match=r"kl_weight.*kl_weight=-1"):
        tfbsl.bayesianize(no_twin, kl_weight=-1)
    with pytest.raises(ValueError, match=r"prior.*prior='laplace'"):
        tfbsl.bayesianize(no_twin, prior="laplace")
