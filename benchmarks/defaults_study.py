"""The study behind the variational layers' defaults: posterior initial scale
and prior, on problems where uncertainty should be informative.

Problems (each model uses `kl_weight = 1 / n`, the full ELBO per example):

- `gap`: 1-D regression with a hole in the data, y = sin(2x) + N(0, 0.1^2)
  on x in [-2, -0.75] U [0.75, 2]; three `DenseVariational` layers (50, 50
  ReLU units, then the Normal head's 2 parameters) + `IndependentNormal`,
  Adam 1e-2, batch 32. Reported: the mean epistemic standard deviation on
  x in [-0.5, 0.5] (inside the gap) over that on the training inputs
  (`ratio`, >= 2 is the issue's bar), and the training RMSE.
- `digits`: the Flipout CNN of `notebooks/bayesian_cnn_digits.ipynb` on
  scikit-learn's digits 0-4 (70% for training), Adam 3e-3, batch 64. Reported:
  held-out accuracy and ECE, AUROC of the unseen digits 5-9 against held-out
  0-4 by mutual information and by predictive entropy (30 passes), and the
  largest mutual information on an unseen digit (nats).
- `uci`: `benchmarks.uci`'s protocol (one hidden layer of 50 units, Adam
  3e-3, batch 32, 40 epochs, 100 passes) on concrete, energy, yacht and
  kin8nm, the seed being the split. Reported per set: test RMSE and
  log-likelihood on the original scale.

Configurations (`--configs`): `PRIOR/INIT_SCALE`, PRIOR one of
`tfbsl.priors.get`'s names (`normal`: N(0, 1) on every weight; `fan_in`:
N(0, 1/fan_in) on kernels; `scale_mixture`), INIT_SCALE the mean-field
posterior's initial standard deviation; `default` is the library's defaults.
`PRIOR/INIT_SCALE/xF` also multiplies the Adam learning rate of the
posterior scales' parameters by F (`gap` and `digits` only), e.g.
`normal/0.001/x10`.

    python -m benchmarks.defaults_study                 # every config and problem, 3 seeds
    python -m benchmarks.defaults_study --quick         # 1 seed, short training: a smoke run
    python -m benchmarks.defaults_study --problems gap --configs default normal/0.05 --seeds 0 1

Results: `results/defaults_study.{json,csv}` (one row per problem, config
and seed) and a mean ± s.e. table printed per problem.
"""

import argparse
import functools
import time

import keras
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import tfbsl
from benchmarks import uci as uci_benchmark
from benchmarks._common import machine, write_results

UCI_SETS = ("concrete", "energy", "yacht", "kin8nm")  # the `uci` problem's sets
CONFIGS = ["default", "normal/0.001", "normal/0.01", "normal/0.05",
           "fan_in/0.001", "fan_in/0.05", "scale_mixture/0.001"]


def _parts(config):
    """(prior, init scale, scale learning-rate factor) of `config`."""
    if config == "default":
        return None, None, 1.0
    prior, init_scale, *factor = config.split("/")
    return prior, float(init_scale), float(factor[0].lstrip("x")) if factor else 1.0


def candidate(config):
    """The prior and posterior arguments of `config` (none for `default`)."""
    prior, init_scale, _ = _parts(config)
    if prior is None:
        return {}
    return {"prior": prior, "make_posterior_fn": tfbsl.posteriors.MeanFieldNormal(init_scale)}


class ScaleRateAdam(keras.optimizers.Adam):
    """Adam whose steps on the mean-field posteriors' scale parameters (the
    `rho` of `scale = softplus(rho)`) use `factor` times the learning rate.
    (Adam's steps do not depend on the gradient's size, so scaling the
    gradient instead would not do it.)"""

    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def update_step(self, gradient, variable, learning_rate):
        # On TensorFlow `variable` is the Keras variable's tf.Variable, named
        # by its path: ".../rho:0".
        if variable.name.split(":")[0].rsplit("/", 1)[-1] == "rho":
            learning_rate = learning_rate * self.factor
        super().update_step(gradient, variable, learning_rate)


def optimizer(config, learning_rate):
    """Adam at `learning_rate`, the posterior scales' rate times the config's factor."""
    factor = _parts(config)[2]
    if factor == 1.0:
        return keras.optimizers.Adam(learning_rate)
    return ScaleRateAdam(factor, learning_rate=learning_rate)


def layer_arguments(config, n, estimator):
    """The variational layers' keyword arguments for `config` and `n` examples."""
    return {"kl_weight": 1 / n, "estimator": estimator, **candidate(config)}


def gap(config, seed, epochs, estimator):
    rng = np.random.default_rng(seed)
    n = 1000
    x = np.concatenate([rng.uniform(-2, -0.75, n // 2), rng.uniform(0.75, 2, n // 2)])
    x = x[:, None].astype("float32")
    y = (np.sin(2 * x) + 0.1 * rng.normal(size=x.shape)).astype("float32")
    keras.utils.set_random_seed(seed)
    bayes = layer_arguments(config, n, estimator)
    model = keras.Sequential([
        keras.Input((1,)),
        tfbsl.layers.DenseVariational(50, activation="relu", **bayes),
        tfbsl.layers.DenseVariational(50, activation="relu", **bayes),
        tfbsl.layers.DenseVariational(2, **bayes),
        tfbsl.layers.IndependentNormal(1),
    ])
    model.compile(optimizer(config, 1e-2), tfbsl.losses.NegativeLogLikelihood(),
                  jit_compile=True)
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    inside = tfbsl.predict_mc(model, np.linspace(-0.5, 0.5, 21, dtype="float32")[:, None], 100)
    on_data = tfbsl.predict_mc(model, x, 100)
    return {
        "ratio": float(inside.epistemic_stddev.mean() / on_data.epistemic_stddev.mean()),
        "epistemic_gap": float(inside.epistemic_stddev.mean()),
        "epistemic_data": float(on_data.epistemic_stddev.mean()),
        "train_rmse": float(np.sqrt(np.mean((on_data.mean - y) ** 2))),
    }


def digits(config, seed, epochs, estimator):
    data = load_digits()
    x = (data.images / 16.0).astype("float32")[..., None]
    seen = data.target < 5
    x_train, x_test, y_train, y_test = train_test_split(
        x[seen], data.target[seen], train_size=0.7, stratify=data.target[seen],
        random_state=seed)
    keras.utils.set_random_seed(seed)
    bayes = layer_arguments(config, len(x_train), estimator)
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        tfbsl.layers.Conv2DVariational(16, 3, padding="same", activation="relu", **bayes),
        keras.layers.MaxPooling2D(),
        tfbsl.layers.Conv2DVariational(32, 3, padding="same", activation="relu", **bayes),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        tfbsl.layers.DenseVariational(64, activation="relu", **bayes),
        tfbsl.layers.DenseVariational(5, **bayes),
        tfbsl.layers.Categorical(5),
    ])
    model.compile(optimizer(config, 3e-3), "sparse_categorical_crossentropy",
                  jit_compile=True)
    model.fit(x_train, y_train, epochs=epochs, batch_size=64, verbose=0)
    held_out = tfbsl.predict_proba_mc(model, x_test, 30)
    unseen = tfbsl.predict_proba_mc(model, x[~seen], 30)
    return {
        "accuracy": float(np.mean(held_out.mean(0).argmax(-1) == y_test)),
        "ece": float(tfbsl.expected_calibration_error(held_out, y_test)),
        "auroc_mi": float(tfbsl.auroc(tfbsl.mutual_information(held_out),
                                      tfbsl.mutual_information(unseen))),
        "auroc_entropy": float(tfbsl.auroc(tfbsl.predictive_entropy(held_out),
                                           tfbsl.predictive_entropy(unseen))),
        "max_mi_unseen": float(tfbsl.mutual_information(unseen).max()),
    }


@functools.cache
def _uci_method(config, name, estimator, epochs):
    """`benchmarks.uci`'s VI method for `config` on data set `name`, compiled
    once and re-initialised by every `fit_predict`, as that benchmark does."""
    args = uci_benchmark.parse_args(["--epochs", str(epochs)])
    split = tfbsl.datasets.load_uci(name, 0, seed=args.seed)
    n_train, num_inputs = split.x_train.shape
    return uci_benchmark.Variational(args, num_inputs, uci_benchmark.DEFAULT_HIDDEN, n_train,
                                     estimator, **candidate(config))


def uci(config, seed, epochs, estimator):
    """`benchmarks.uci`'s protocol and network on split `seed` of each of
    `UCI_SETS`: its tfbsl VI row, with the candidate's prior and posterior."""
    if _parts(config)[2] != 1.0:
        raise ValueError(f"The uci problem takes no scale learning-rate factor: {config}")
    args = uci_benchmark.parse_args(["--epochs", str(epochs)])
    result = {}
    for name in UCI_SETS:
        (x_train, y_train, x_test, y_test), y_scale = uci_benchmark.normalise(
            tfbsl.datasets.load_uci(name, seed, seed=args.seed))
        method = _uci_method(config, name, estimator, epochs)
        # the weight seed benchmarks.uci gives its first method on this split
        prediction = method.fit_predict(x_train, y_train, x_test,
                                        uci_benchmark.weight_seed(args, seed, 0))
        prediction = prediction[method.name]
        result[f"{name}_rmse"] = float(tfbsl.rmse(prediction, y_test, y_scale=y_scale))
        result[f"{name}_ll"] = float(
            tfbsl.gaussian_log_likelihood(prediction, y_test, y_scale=y_scale))
    return result


# Each problem: its function, default epochs and default estimator.
PROBLEMS = {"gap": (gap, 60, "reparameterization"), "digits": (digits, 40, "flipout"),
            "uci": (uci, 40, "reparameterization")}


def summary(rows, problem):
    """Mean ± standard error of each metric per config, as printed lines."""
    lines = []
    for config in dict.fromkeys(r["config"] for r in rows if r["problem"] == problem):
        mine = [r for r in rows if r["problem"] == problem and r["config"] == config]
        cells = []
        for key in mine[0]:
            if key in ("problem", "config", "seed", "seconds"):
                continue
            values = np.array([r[key] for r in mine])
            se = values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else float("nan")
            cells.append(f"{key} {values.mean():.4f} ± {se:.4f}")
        lines.append(f"{problem:<7} {config:<20} " + "  ".join(cells))
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", nargs="+", choices=sorted(PROBLEMS), default=sorted(PROBLEMS))
    parser.add_argument("--configs", nargs="+", default=CONFIGS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=None,
                        help="training epochs (default: gap 60, digits 40, uci 40)")
    parser.add_argument("--estimator", default=None,
                        choices=["reparameterization", "flipout", "local_reparameterization"],
                        help="(default: gap and uci reparameterization, digits flipout)")
    parser.add_argument("--quick", action="store_true", help="1 seed, 3 epochs: a smoke run")
    parser.add_argument("--name", default="defaults_study")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.epochs = args.seeds[:1], 3
    rows, start = [], time.perf_counter()
    runs = [(p, c, s) for p in args.problems for c in args.configs for s in args.seeds]
    bar = keras.utils.Progbar(len(runs), unit_name="run")
    for problem, config, seed in runs:
        run, epochs, estimator = PROBLEMS[problem]
        tic = time.perf_counter()
        result = run(config, seed, args.epochs or epochs, args.estimator or estimator)
        rows.append({"problem": problem, "config": config, "seed": seed, **result,
                     "seconds": round(time.perf_counter() - tic, 1)})
        bar.add(1)
    for problem in args.problems:
        print("\n".join(summary(rows, problem)))
    write_results(args.name, rows, {
        "script": "benchmarks/defaults_study.py", "machine": machine(),
        "date": time.strftime("%Y-%m-%d"), "seeds": args.seeds,
        "epochs": {p: args.epochs or PROBLEMS[p][1] for p in args.problems},
        "estimator": {p: args.estimator or PROBLEMS[p][2] for p in args.problems},
        "wall_seconds": round(time.perf_counter() - start, 1)})


if __name__ == "__main__":
    main()
