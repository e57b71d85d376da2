"""Bad input to the uncertainty read-outs (`tfbsl.uncertainty`)."""

import functools

import keras
import numpy as np
import tensorflow as tf

import tfbsl
from tests.bad_inputs import rows

PROBS = np.array([[0.7, 0.3], [0.2, 0.8], [0.5, 0.5], [0.9, 0.1]])
SAMPLES = np.stack([PROBS, PROBS[::-1]])
LABELS = np.array([0, 1, 1, 0])
X = np.zeros((4, 3), "float32")


@functools.cache
def _regressor():
    """A tiny model with one unbounded output: no probabilities."""
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])


@functools.cache
def _logits_classifier():
    """Three classes, but logits (all 2.0 on zeros): a Dense layer without softmax."""
    bias = keras.initializers.Constant(2.0)
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(3, bias_initializer=bias)])


def _prediction(shape=(4, 1)):
    return tfbsl.MCPrediction(np.zeros(shape), np.ones(shape), None, np.ones(shape),
                              np.zeros(shape))


# Read-outs of class probabilities and labels, each called as fn(probs, labels).
WITH_LABELS = {
    "calibration": tfbsl.calibration,
    "expected_calibration_error": tfbsl.expected_calibration_error,
    "maximum_calibration_error": tfbsl.maximum_calibration_error,
    "debiased_calibration_error": functools.partial(
        tfbsl.debiased_calibration_error, num_bins=1),
    "brier_score": tfbsl.brier_score,
    "classification_nll": tfbsl.classification_nll,
}
# Read-outs of probabilities alone: name -> (fn, argument name, how to make
# their input from (n, K) probabilities).
WITHOUT_LABELS = {
    "predictive_entropy": (tfbsl.predictive_entropy, "probs", lambda p: p),
    "expected_entropy": (tfbsl.expected_entropy, "samples", lambda p: [p, p]),
    "mutual_information": (tfbsl.mutual_information, "samples", lambda p: [p, p]),
}

BAD_LABELS = [  # (case, labels, error, words)
    ("out-of-range", [0, 1, 2, 0], ValueError, ("labels", "[0, 2)", "labels[2]=2")),
    ("negative", [0, -1, 1, 0], ValueError, ("labels", "labels[1]=-1")),
    ("fractional", [0, 0.5, 1, 0], ValueError, ("labels", "whole", "labels[1]=0.5")),
    ("nan", [0, 1, np.nan, 0], ValueError, ("labels", "labels[2]=nan")),
    ("short", [0, 1, 1], ValueError, ("labels", "(4)", "labels.shape=(3,)")),
    ("soft-one-hot", np.full((4, 2), 0.5), ValueError, ("labels", "one-hot", "[0.5, 0.5]")),
    ("one-hot-width", np.eye(3)[[0, 1, 1, 0]], ValueError, ("labels", "(4, 3)")),
    ("3d", np.zeros((4, 1, 1)), ValueError, ("labels", "labels.shape=(4, 1, 1)")),
    ("strings", ["a", "b", "b", "a"], TypeError, ("labels", "'a'")),
    ("none", None, TypeError, ("labels", "labels=None")),
]

BAD_PROBS = [  # (case, (n, K) probabilities, error, words with {} for the name)
    ("logits", np.log(PROBS), ValueError, ("{}", "softmax", "=-0.356")),
    ("unnormalised", PROBS * 2 / 3, ValueError, ("{}", "sum to 1", "softmax", "0.6667")),
    ("nan", np.where(PROBS == 0.5, np.nan, PROBS), ValueError, ("{}", "finite", "=nan")),
    ("inf", np.where(PROBS == 0.5, np.inf, PROBS), ValueError, ("{}", "=inf")),
    ("empty", np.zeros((0, 2)), ValueError, ("{}", "empty", "0, 2)")),
    ("strings", np.array([["a", "b"]] * 4), TypeError, ("{}", "'a'")),
    ("ragged", [[0.5, 0.5], [1.0]], TypeError, ("{}", "[1.0]")),
]

BAD_SCORES = [  # (case, scores, error, words with {} for the name)
    ("nan", [0.1, np.nan], ValueError, ("{}", "finite", "{}[1]=nan")),
    ("inf", [0.1, np.inf], ValueError, ("{}", "{}[1]=inf")),
    ("-inf", [-np.inf], ValueError, ("{}", "{}[0]=-inf")),
    ("empty", [], ValueError, ("{}", "at least one score")),
    ("strings", ["high", "low"], TypeError, ("{}", "'high'")),
    ("none", None, TypeError, ("{}", "{}=None")),
]

BAD_COUNTS = [  # (case, argument, value, error, words)
    ("0", "num_samples", 0, ValueError, ("num_samples", "num_samples=0")),
    ("-3", "num_samples", -3, ValueError, ("num_samples", "num_samples=-3")),
    ("2.5", "num_samples", 2.5, ValueError, ("num_samples", "num_samples=2.5")),
    ("string", "num_samples", "30", ValueError, ("num_samples", "num_samples='30'")),
    ("bool", "num_samples", True, ValueError, ("num_samples", "num_samples=True")),
    ("0", "batch_size", 0, ValueError, ("batch_size", "batch_size=0")),
    ("-1", "batch_size", -1, ValueError, ("batch_size", "batch_size=-1")),
    ("2.5", "batch_size", 2.5, ValueError, ("batch_size", "batch_size=2.5")),
    ("none", "batch_size", None, ValueError, ("batch_size", "batch_size=None")),
    ("empty", "x", X[:0], ValueError, ("x", "at least one example", "x.shape=(0, 3)")),
    ("scalar", "x", np.float32(1.0), ValueError, ("x", "x.shape=()")),
    ("empty-dataset", "x", tf.data.Dataset.from_tensor_slices(X[:0]).batch(2), ValueError,
     ("x", "at least one example")),
    ("none", "model", None, TypeError, ("model", "model=None")),
]

BAD_LEVEL = [  # (case, level, words)
    ("zero", 0, ("level", "level=0")),
    ("one", 1.0, ("level", "level=1.0")),
    ("negative", -0.5, ("level", "level=-0.5")),
    ("percent", 95, ("level", "level=95")),
    ("nan", float("nan"), ("level", "level=nan")),
    ("none", None, ("level", "level=None")),
    ("bool", True, ("level", "level=True")),
]

BAD_TARGETS = [  # (case, y_true against (4, 1) predictions, error, words)
    ("short", np.zeros(3), ValueError, ("y_true", "(4)", "y_true.shape=(3,)")),
    ("long", np.zeros(5), ValueError, ("y_true", "y_true.shape=(5,)")),
    ("reshaped", np.zeros((2, 2)), ValueError, ("y_true", "(4, 1)", "y_true.shape=(2, 2)")),
    ("nan", [0.0, 1.0, np.nan, 0.0], ValueError, ("y_true", "finite", "y_true[2]=nan")),
    ("inf", [0.0, np.inf, 1.0, 0.0], ValueError, ("y_true", "y_true[1]=inf")),
    ("strings", ["a", "b", "c", "d"], TypeError, ("y_true", "'a'")),
]

REGRESSION = {  # read-outs of an MCPrediction and targets
    "interval_coverage": tfbsl.interval_coverage,
    "coverage_curve": tfbsl.coverage_curve,
    "gaussian_log_likelihood": tfbsl.gaussian_log_likelihood,
    "rmse": tfbsl.rmse,
}


def _call(fn, *args, **kwargs):
    return lambda: fn(*args, **kwargs)


def _predict(fn, make_model, **kwargs):
    """`fn(model=make_model(), **kwargs)`, the model built at the first call."""
    return lambda: fn(**{"model": make_model(), **kwargs})


def _named(words, name):
    return tuple(w.format(name) for w in words)


ROWS = rows(
    *[(f"readouts/{name}/labels-{case}", _call(fn, PROBS, labels), error, *words)
      for name, fn in WITH_LABELS.items() for case, labels, error, words in BAD_LABELS],
    *[(f"readouts/{name}/probs-{case}", _call(fn, probs, LABELS), error,
       *_named(words, "probs"))
      for name, fn in WITH_LABELS.items() for case, probs, error, words in BAD_PROBS],
    *[(f"readouts/{name}/probs-{case}", _call(fn, make(probs)), error, *_named(words, arg))
      for name, (fn, arg, make) in WITHOUT_LABELS.items()
      for case, probs, error, words in BAD_PROBS],
    *[(f"readouts/{name}/num_bins-{value!r}", _call(fn, PROBS, LABELS, num_bins=value),
       ValueError, "num_bins", f"num_bins={value!r}")
      for name, fn in WITH_LABELS.items() if "calibration" in name and "debiased" not in name
      for value in (0, -2, 2.5, "15", True, None, 10_001)],
    *[(f"readouts/{name}/probs-1d", _call(fn, PROBS[:, 0]), ValueError, arg,
       f"{arg}.shape=(4,)")
      for name, (fn, arg, _) in WITHOUT_LABELS.items()],
    *[(f"readouts/auroc/{arg}-{case}",
       _call(tfbsl.auroc, **{"in_scores": [0.2, 0.3], "out_scores": [0.9], arg: scores}),
       error, *_named(words, arg))
      for arg in ("in_scores", "out_scores") for case, scores, error, words in BAD_SCORES],
    *[(f"readouts/{fn.__name__}/{arg}-{case}",
       _predict(fn, _regressor, **{"x": X, arg: value}), error, *words)
      for fn in (tfbsl.predict_mc, tfbsl.predict_proba_mc)
      for case, arg, value, error, words in BAD_COUNTS],
    *[(f"readouts/interval_coverage/level-{case}",
       _call(tfbsl.interval_coverage, _prediction(), np.zeros(4), level=level),
       ValueError, *words)
      for case, level, words in BAD_LEVEL],
    *[(f"readouts/prediction_interval/level-{case}",
       _call(tfbsl.prediction_interval, _prediction(), level), ValueError, *words)
      for case, level, words in BAD_LEVEL],
    *[(f"readouts/{name}/y_true-{case}", _call(fn, _prediction(), y_true), error, *words)
      for name, fn in REGRESSION.items() for case, y_true, error, words in BAD_TARGETS],
    *[(f"readouts/{name}/prediction-array", _call(fn, np.zeros((4, 1)), np.zeros(4)),
       TypeError, "prediction", "ndarray")
      for name, fn in REGRESSION.items() if name != "rmse"],
    *[(f"readouts/{name}/prediction-empty", _call(fn, _prediction((0, 1)), np.zeros(0)),
       ValueError, "prediction", "(0, 1)")
      for name, fn in REGRESSION.items()],
    *[(f"readouts/{name}/y_scale-{value!r}", _call(fn, _prediction(), np.zeros(4), y_scale=value),
       ValueError, "y_scale", f"y_scale={value!r}")
      for name, fn in REGRESSION.items() if name in ("gaussian_log_likelihood", "rmse")
      for value in (0, -1.0, float("nan"), float("inf"), "big", None)],
    (
        "readouts/debiased_calibration_error/num_bins-above-n-half",
        _call(tfbsl.debiased_calibration_error, PROBS, LABELS, num_bins=3),
        ValueError, "num_bins", "[1, 2]", "num_bins=3",
    ),
    (
        "readouts/debiased_calibration_error/num_bins-0",
        _call(tfbsl.debiased_calibration_error, PROBS, LABELS, num_bins=0),
        ValueError, "num_bins", "num_bins=0",
    ),
    *[(f"readouts/classification_nll/eps-{value!r}",
       _call(tfbsl.classification_nll, PROBS, LABELS, eps=value), ValueError, "eps",
       f"eps={value!r}")
      for value in (0, 1.5, -1e-12, float("nan"))],
    (
        "readouts/predict_mc/num_samples-1",
        _predict(tfbsl.predict_mc, _regressor, x=X, num_samples=1),
        ValueError, "num_samples", ">= 2", "num_samples=1",
    ),
    (
        "readouts/predict_proba_mc/model-regression",
        _predict(tfbsl.predict_proba_mc, _regressor, x=X, num_samples=1),
        ValueError, "model", "probabilities", "softmax", "outputs of shape (4, 1)",
    ),
    (
        "readouts/predict_proba_mc/model-logits",
        _predict(tfbsl.predict_proba_mc, _logits_classifier, x=X, num_samples=1),
        ValueError, "model", "probabilities", "outputs[0, 0]=",
    ),
    *[(f"readouts/coverage_curve/levels-{case}",
       _call(tfbsl.coverage_curve, _prediction(), np.zeros(4), levels=levels),
       error, "levels", *words)
      for case, levels, error, words in [
          ("above-one", [0.5, 1.5], ValueError, ("(0, 1)", "levels=[0.5, 1.5]")),
          ("zero", [0.0, 0.5], ValueError, ("levels=[0.0, 0.5]",)),
          ("nan", [np.nan], ValueError, ("levels=[nan]",)),
          ("empty", [], ValueError, ("non-empty", "levels=[]")),
          ("scalar", 0.9, ValueError, ("1-D", "levels=0.9")),
          ("nested", [[0.5, 0.9]], ValueError, ("levels=[[0.5, 0.9]]",)),
          ("strings", ["90%"], TypeError, ("levels=['90%']",)),
      ]],
    (
        "readouts/gaussian_log_likelihood/per_example-string",
        _call(tfbsl.gaussian_log_likelihood, _prediction(), np.zeros(4), per_example="yes"),
        TypeError, "per_example", "per_example='yes'",
    ),
    (
        "readouts/prediction_interval/prediction-shapes",
        _call(tfbsl.prediction_interval, _prediction()._replace(stddev=np.ones(4))),
        ValueError, "prediction.stddev", "(4, 1)", "(4,)",
    ),
    (
        "readouts/prediction_interval/prediction-none",
        _call(tfbsl.prediction_interval, None), TypeError, "prediction", "NoneType",
    ),
    (
        "readouts/rmse/prediction-strings",
        _call(tfbsl.rmse, ["a", "b", "c", "d"], np.zeros(4)), TypeError, "prediction", "'a'",
    ),
)
