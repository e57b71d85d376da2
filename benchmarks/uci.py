"""UCI regression suite: the protocol of Hernández-Lobato & Adams (2015) on eight data sets.

Data: `tfbsl.datasets.load_uci` (concrete, energy, kin8nm, naval, power,
protein, wine (red), yacht; Boston housing left out). Per data set, 20 seeded
random 90/10 train/test splits (protein: 5; ours, `load_uci(name, split,
seed)`, not the published ones); one hidden layer of 50 ReLU units (protein:
100); inputs and targets normalised with the training split's mean and
standard deviation (constant features left unscaled). Test RMSE and test
log-likelihood per example are reported on the ORIGINAL target scale
(predictions un-normalised; the log-likelihood of a Gaussian predictive
computed on the normalised scale minus log sigma_y), as mean +- standard error
over the splits, beside the published rows of `benchmarks.published.UCI_PUBLISHED`
(sources: `benchmarks.published.REFERENCES`).

Methods (one row each), all trained for the same budget: Adam (`--lr`, default
3e-3), batch 32, 40 epochs (`--epochs`; PBP's and Gal & Ghahramani's number)
for every network, no weight decay, no early stopping, no tuning per data set:
- tfbsl VI, one row per estimator (reparameterization, flipout, local
  reparameterization): `DenseVariational(H, relu) -> DenseVariational(2) ->
  IndependentNormal(1)`, the library's default posterior and prior (nothing
  passed: whatever `DenseVariational` defaults to; the results file records
  them), `kl_weight = 1 / n_train`, loss `tfbsl.losses.NegativeLogLikelihood()`
  (the negative ELBO / n), an input-dependent Normal likelihood whose noise is
  learned. Test predictive: `tfbsl.predict_mc` (100 passes; Gaussian with the
  total variance, epistemic + aleatoric).
- MC dropout: `Dropout(p) -> Dense(H, relu) -> Dropout(p) -> Dense(2) ->
  IndependentNormal(1)` (dropout on the inputs and the hidden layer as Gal &
  Ghahramani's UCI networks, p = 0.05; the noise learned by the head instead of
  their grid search over tau), trained on the NLL; test predictive from
  `tfbsl.baselines.mc_dropout_predict` (100 passes), the moments of the
  passes' Normal mixture.
- deep ensemble: `tfbsl.baselines.DeepEnsemble` of 5 `Dense(H, relu) ->
  Dense(2) -> IndependentNormal(1)` networks trained on the NLL (no
  adversarial training), each for the full budget; the moments of its
  `predictive_distribution` (the members' equal-weight Normal mixture).
- last-layer Laplace: `Dense(H, relu) -> Dense(1)` trained with MSE, then
  `tfbsl.baselines.LastLayerLaplace` with the noise variance of its training
  residuals and the prior precision maximising the marginal likelihood
  (`optimize_prior_precision`); the same trained network without the Laplace
  step is the `deterministic (MSE)` row (noise: the residuals' variance).
Every log-likelihood is that of a Gaussian with the predictive's mean and
variance (as Lakshminarayanan et al. 2017 evaluate their ensembles).

Run from the repository root; results in benchmarks/results/uci.{json,csv}:

    python -m benchmarks.uci                               # all eight sets: hours
    python -m benchmarks.uci --datasets yacht --splits 3   # one small set, minutes
    python -m benchmarks.uci --quick                       # a smoke run on yacht

Training runs all the epochs of a network as one `tf.data` pass (reshuffled
every epoch) in one Keras epoch, its steps XLA-compiled (`--train-step`); each
method's networks are compiled once per data set and re-initialised for every
split. `benchmarks/README.md` has the options and the times.
"""

import argparse
import collections
import importlib.metadata
import math
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import tfbsl  # noqa: E402
from benchmarks import _common  # noqa: E402
from benchmarks.published import REFERENCES, UCI_PROTOCOL, UCI_PUBLISHED  # noqa: E402

ESTIMATORS = ("reparameterization", "flipout", "local_reparameterization")
METHODS = ESTIMATORS + ("dropout", "ensemble", "laplace")
HIDDEN = {"protein": 100}  # units of the hidden layer; 50 for the others
DEFAULT_HIDDEN = 50

# A Gaussian predictive on the normalised scale: what tfbsl.rmse and
# tfbsl.gaussian_log_likelihood read (`mean`, `stddev`).
Gaussian = collections.namedtuple("Gaussian", ["mean", "stddev"])


def _compile(model, args, loss):
    model.compile(keras.optimizers.Adam(args.lr), loss=loss, **_compiled(args))
    return model


def _compiled(args):
    """`compile` arguments for `--train-step`: XLA, a graph, or eager steps."""
    return dict(jit_compile=args.train_step == "xla", run_eagerly=args.train_step == "eager",
                steps_per_execution=args.steps_per_execution)


def _epochs(x, y, args, seed):
    """All the epochs as one `tf.data` pass: the examples reshuffled every
    epoch, batched within it (as `fit(x, y, epochs=...)` does), then repeated.
    One Keras epoch instead of `args.epochs`: Keras' per-epoch overhead (tens
    to hundreds of milliseconds on a loaded CPU) would otherwise outweigh the
    training steps on the small sets (yacht: 9 steps an epoch)."""
    import tensorflow as tf

    return (tf.data.Dataset.from_tensor_slices((x, y))
            .shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
            .batch(args.batch_size).repeat(args.epochs).prefetch(2))


def _fit(model, x, y, args, seed):
    return model.fit(_epochs(x, y, args, seed), epochs=1, shuffle=False, verbose=0)


class Method:
    """One compared method on one data set: its networks are built and
    compiled once, re-initialised for every split."""

    networks = 1  # networks trained per split (the progress bar's weight)

    def __init__(self, args, num_inputs, hidden, n_train):
        self.args, self.num_inputs, self.hidden, self.n_train = args, num_inputs, hidden, n_train

    def fit_predict(self, x_train, y_train, x_test, seed):
        """{row name: Gaussian predictive at x_test}, after training on this split."""
        raise NotImplementedError


class Variational(Method):
    def __init__(self, args, num_inputs, hidden, n_train, estimator, **layer_arguments):
        # `layer_arguments`: extra `DenseVariational` arguments (the defaults
        # study's candidate priors and posteriors); none here, so the rows
        # are the library's default posterior and prior.
        super().__init__(args, num_inputs, hidden, n_train)
        self.estimator, self.layer_arguments = estimator, layer_arguments
        self.name = f"tfbsl VI, {estimator.replace('_', ' ')}"
        self.model = _compile(self.build(), args, tfbsl.losses.NegativeLogLikelihood())

    def build(self):
        variational = dict(kl_weight=1 / self.n_train, estimator=self.estimator,
                           **self.layer_arguments)
        return keras.Sequential([
            keras.Input((self.num_inputs,)),
            tfbsl.layers.DenseVariational(self.hidden, activation="relu", **variational),
            tfbsl.layers.DenseVariational(tfbsl.layers.IndependentNormal.params_size(1),
                                          **variational),
            tfbsl.layers.IndependentNormal(1),
        ])

    def fit_predict(self, x_train, y_train, x_test, seed):
        keras.utils.set_random_seed(seed)
        _common.reset_model(self.model, self.build())
        _fit(self.model, x_train, y_train, self.args, seed)
        prediction = tfbsl.predict_mc(self.model, x_test, num_samples=self.args.num_samples)
        return {self.name: prediction}


class Dropout(Method):
    name = "MC dropout"

    def __init__(self, args, num_inputs, hidden, n_train):
        super().__init__(args, num_inputs, hidden, n_train)
        self.model = _compile(self.build(), args, tfbsl.losses.NegativeLogLikelihood())

    def build(self):
        rate = self.args.dropout
        body = keras.Sequential([
            keras.Input((self.num_inputs,)),
            keras.layers.Dropout(rate),
            keras.layers.Dense(self.hidden, activation="relu"),
            keras.layers.Dropout(rate),
            keras.layers.Dense(tfbsl.layers.IndependentNormal.params_size(1)),
        ])
        return keras.Sequential([body, tfbsl.layers.IndependentNormal(1)])

    def fit_predict(self, x_train, y_train, x_test, seed):
        keras.utils.set_random_seed(seed)
        _common.reset_model(self.model, self.build())
        _fit(self.model, x_train, y_train, self.args, seed)
        body, head = self.model.layers
        # The Normal parameters of every pass, then the head's Normal of each.
        params = tfbsl.baselines.mc_dropout_predict(
            body, x_test, num_samples=self.args.num_samples)
        normal = tfbsl.get_distribution(head(params.reshape(-1, params.shape[-1])))
        means = keras.ops.convert_to_numpy(normal.mean()).reshape(len(params), -1)
        variances = keras.ops.convert_to_numpy(normal.variance()).reshape(len(params), -1)
        mean = means.mean(0)
        return {self.name: Gaussian(mean, np.sqrt(means.var(0) + variances.mean(0)))}


class Ensemble(Method):
    def __init__(self, args, num_inputs, hidden, n_train):
        super().__init__(args, num_inputs, hidden, n_train)
        self.networks = args.members
        self.name = f"deep ensemble ({args.members} networks)"
        self.ensemble = tfbsl.baselines.DeepEnsemble(
            build_fn=self.build_member, num_members=args.members, seed=args.seed)
        self.ensemble.compile(keras.optimizers.Adam(args.lr),
                              loss=tfbsl.losses.NegativeLogLikelihood(), **_compiled(args))

    def build_member(self):
        return keras.Sequential([
            keras.Input((self.num_inputs,)),
            keras.layers.Dense(self.hidden, activation="relu"),
            keras.layers.Dense(tfbsl.layers.IndependentNormal.params_size(1)),
            tfbsl.layers.IndependentNormal(1),
        ])

    def fit_predict(self, x_train, y_train, x_test, seed):
        for i, member in enumerate(self.ensemble.members):
            keras.utils.set_random_seed(seed + i)
            _common.reset_model(member, self.build_member())
        self.ensemble.seed = seed  # `fit` trains member i after set_random_seed(seed + i)
        # One dataset for all: each member's pass over it draws its own order.
        self.ensemble.fit(_epochs(x_train, y_train, self.args, seed), epochs=1,
                          shuffle=False, verbose=0)
        mixture = self.ensemble.predictive_distribution(x_test)
        mean = keras.ops.convert_to_numpy(mixture.mean()).reshape(-1)
        stddev = keras.ops.convert_to_numpy(mixture.stddev()).reshape(-1)
        return {self.name: Gaussian(mean, stddev)}


class Laplace(Method):
    name = "last-layer Laplace"
    deterministic = "deterministic (MSE)"

    def __init__(self, args, num_inputs, hidden, n_train):
        super().__init__(args, num_inputs, hidden, n_train)
        self.model = _compile(self.build(), args, "mse")

    def build(self):
        return keras.Sequential([
            keras.Input((self.num_inputs,)),
            keras.layers.Dense(self.hidden, activation="relu"),
            keras.layers.Dense(1),
        ])

    def fit_predict(self, x_train, y_train, x_test, seed):
        keras.utils.set_random_seed(seed)
        _common.reset_model(self.model, self.build())
        _fit(self.model, x_train, y_train, self.args, seed)
        fitted = self.model.predict(x_train, batch_size=4096, verbose=0)[:, 0]
        noise_variance = float(np.mean((y_train - fitted) ** 2))
        laplace = tfbsl.baselines.LastLayerLaplace(self.model, noise_variance=noise_variance)
        laplace.fit(x_train, y_train)
        laplace.optimize_prior_precision()
        mean, variance = laplace.predict(x_test)
        point = self.model.predict(x_test, batch_size=4096, verbose=0)[:, 0]
        return {
            self.name: Gaussian(mean[:, 0], np.sqrt(variance[:, 0])),
            self.deterministic: Gaussian(point, np.full_like(point, math.sqrt(noise_variance))),
        }


def make_methods(args, num_inputs, hidden, n_train):
    methods = []
    for key in args.methods:
        if key in ESTIMATORS:
            methods.append(Variational(args, num_inputs, hidden, n_train, key))
        else:
            cls = {"dropout": Dropout, "ensemble": Ensemble, "laplace": Laplace}[key]
            methods.append(cls(args, num_inputs, hidden, n_train))
    return methods


def weight_seed(args, split, method_index):
    """The seed of the networks of method `method_index` (in `args.methods`'
    order) on split `split`: distinct per split and method, reproducible."""
    return args.seed + 1000 * split + 100 * method_index


def normalise(split):
    """The split's arrays normalised with the training mean and standard
    deviation (a constant feature keeps scale 1), float32; and sigma_y."""
    x_train, y_train, x_test, y_test = (np.asarray(a, np.float64) for a in split)
    x_mean, x_std = x_train.mean(0), x_train.std(0)
    x_std[x_std == 0] = 1.0
    y_mean, y_std = y_train.mean(), y_train.std()
    arrays = ((x_train - x_mean) / x_std, (y_train - y_mean) / y_std,
              (x_test - x_mean) / x_std, (y_test - y_mean) / y_std)
    return tuple(a.astype(np.float32) for a in arrays), float(y_std)


def mean_se(values):
    values = np.asarray(values, np.float64)
    se = float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else 0.0
    return float(values.mean()), se


def describe_defaults():
    """The posterior and prior `DenseVariational` builds with nothing passed:
    recorded in the results, since they are the library's current defaults."""
    layer = tfbsl.layers.DenseVariational(1)
    layer.build((None, 1))
    described = {}
    for part, factory in (("posterior", getattr(layer, "_posterior_factory", None)),
                          ("prior", getattr(layer, "_prior_factory", None))):
        try:
            described[part] = keras.saving.serialize_keras_object(factory)
        except Exception:  # a factory Keras cannot serialise: its repr
            described[part] = repr(factory)
    return described


def run_dataset(name, index, args):
    """(rows, seconds) of one data set: its own Progbar over the training steps."""
    num_splits = min(args.splits or tfbsl.datasets.uci_num_splits(name),
                     tfbsl.datasets.uci_num_splits(name))
    first = tfbsl.datasets.load_uci(name, 0, seed=args.seed)
    n_train, num_inputs = first.x_train.shape
    hidden = HIDDEN.get(name, DEFAULT_HIDDEN)
    start = time.perf_counter()
    keras.utils.set_random_seed(args.seed)
    methods = make_methods(args, num_inputs, hidden, n_train)
    steps = math.ceil(n_train / args.batch_size) * args.epochs
    networks = sum(m.networks for m in methods)
    print(f"\n[{index + 1}/{len(args.datasets)}] {name}: {num_splits} splits, "
          f"{n_train} training / {len(first.y_test)} test examples, {num_inputs} features, "
          f"{hidden} hidden units; {networks} networks x {steps} steps per split", flush=True)
    progress = keras.utils.Progbar(num_splits * networks * steps, unit_name="step",
                                   stateful_metrics=["split", "rmse", "ll"])
    scores = collections.defaultdict(lambda: {"rmse": [], "ll": [], "seconds": []})
    for split in range(num_splits):
        arrays, y_scale = normalise(tfbsl.datasets.load_uci(name, split, seed=args.seed))
        x_train, y_train, x_test, y_test = arrays
        for m, method in enumerate(methods):
            began = time.perf_counter()
            predictions = method.fit_predict(
                x_train, y_train, x_test, seed=weight_seed(args, split, m))
            seconds = time.perf_counter() - began
            for row, prediction in predictions.items():
                scores[row]["rmse"].append(tfbsl.rmse(prediction, y_test, y_scale=y_scale))
                scores[row]["ll"].append(
                    tfbsl.gaussian_log_likelihood(prediction, y_test, y_scale=y_scale))
                scores[row]["seconds"].append(seconds)
            shown = scores[next(iter(predictions))]  # this method's first row
            progress.add(method.networks * steps, values=[
                ("split", split + 1), ("rmse", shown["rmse"][-1]), ("ll", shown["ll"][-1])])
            if not sys.stdout.isatty():  # a log file: one line per update
                print(flush=True)
    seconds = time.perf_counter() - start
    rows = []
    for method, s in scores.items():
        rmse, rmse_se = mean_se(s["rmse"])
        ll, ll_se = mean_se(s["ll"])
        rows.append({"dataset": name, "method": method, "rmse": rmse, "rmse_se": rmse_se,
                     "ll": ll, "ll_se": ll_se, "splits": len(s["rmse"]),
                     "source": f"tfbsl, this run ({len(s['rmse'])} splits)",
                     "seconds_per_split": float(np.mean(s["seconds"])),
                     # the first split includes compiling the steps; the others do not
                     "seconds_first_split": s["seconds"][0],
                     "seconds_later_splits": float(np.mean(s["seconds"][1:]))})
    for p in UCI_PUBLISHED[name]:
        rows.append({"dataset": name, "method": p.method, "rmse": p.rmse,
                     "rmse_se": p.rmse_se, "ll": p.ll, "ll_se": p.ll_se, "splits": None,
                     "source": p.source if p.spread in ("s.e.", "n/a")
                     else f"{p.source} (± {p.spread})",
                     "seconds_per_split": None, "seconds_first_split": None,
                     "seconds_later_splits": None})
    return rows, seconds


def _pm(value, se, digits=3):
    if se is None:
        return f"{value:.{digits}f}"
    return f"{value:.{digits}f} ± {se:.{digits}f}"


def markdown(rows):
    lines = ["| dataset | method | test RMSE | test log-likelihood | source |",
             "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['dataset']} | {r['method']} | {_pm(r['rmse'], r['rmse_se'])} | "
                     f"{_pm(r['ll'], r['ll_se'])} | {r['source']} |")
    return "\n".join(lines)


def sources(datasets):
    """The published rows' papers, one line each, and what their ± is."""
    published = [p for name in datasets for p in UCI_PUBLISHED[name]]
    keys = list(dict.fromkeys(k for p in published for k in p.references))
    lines = [f"- {key}: {REFERENCES[key]}" for key in keys]
    notes = dict.fromkeys(
        f"- {p.method} ({'no ±' if p.spread == 'n/a' else '± ' + p.spread}): {p.note}"
        for p in published if p.note)
    return "\n".join(lines + list(notes))


def _version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.uci", description=__doc__.split("\n")[0],
        epilog="Results: benchmarks/results/<name>.{json,csv} (default name: uci; "
               "uci_quick with --quick).")
    parser.add_argument("--datasets", nargs="+", choices=tfbsl.datasets.UCI_DATASETS,
                        default=None, help="default: all eight (--quick: yacht)")
    parser.add_argument("--splits", type=int, default=None,
                        help="splits per data set, at most the protocol's (default: 20, "
                             "protein 5)")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3, help="Adam learning rate")
    parser.add_argument("--num-samples", type=int, default=100,
                        help="Monte-Carlo passes at test time (VI, MC dropout)")
    parser.add_argument("--dropout", type=float, default=0.05, help="MC dropout rate")
    parser.add_argument("--members", type=int, default=5, help="deep-ensemble size")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS),
                        help="laplace also gives the deterministic (MSE) row")
    parser.add_argument("--steps-per-execution", type=int, default=16)
    parser.add_argument("--train-step", choices=("xla", "graph", "eager"), default=None,
                        help="how Keras runs the train steps: XLA-compiled (default), a "
                             "tf.function graph (--quick's default: XLA-compiling ten "
                             "networks would take longer than their training), or eagerly")
    parser.add_argument("--seed", type=int, default=0,
                        help="the splits' seed (load_uci) and the first weight seed")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: yacht (unless --datasets), 2 splits, 2 epochs, "
                             "10 passes, graph (not XLA) train steps")
    parser.add_argument("--name", default=None, help="results file name (default: uci)")
    args = parser.parse_args(argv)
    if args.quick:
        args.datasets = args.datasets or ["yacht"]
        args.splits, args.epochs, args.num_samples = 2, 2, 10
    if args.train_step is None:
        args.train_step = "graph" if args.quick else "xla"
    args.datasets = args.datasets or list(tfbsl.datasets.UCI_DATASETS)
    args.name = args.name or ("uci_quick" if args.quick else "uci")
    if args.splits is not None and args.splits < 2:
        parser.error("--splits must be >= 2 (a standard error needs two splits)")
    return args


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    rows, seconds = [], {}
    for index, name in enumerate(args.datasets):
        dataset_rows, seconds[name] = run_dataset(name, index, args)
        rows += dataset_rows
        print()
        print(markdown(dataset_rows), flush=True)
    print("\nPublished rows (benchmarks/published.py):\n" + sources(args.datasets))
    total = time.perf_counter() - start
    meta = {
        "benchmark": "UCI regression suite, Hernandez-Lobato & Adams 2015 protocol",
        "protocol": UCI_PROTOCOL,
        "splits": "tfbsl.datasets.load_uci(name, split, seed): our own seeded 90/10 splits",
        "settings": vars(args),
        "hidden_units": {n: HIDDEN.get(n, DEFAULT_HIDDEN) for n in args.datasets},
        "variational_defaults": describe_defaults(),
        "versions": {"tfbsl": tfbsl.__version__, **{package: _version(package) for package in (
            "keras", "tensorflow", "tensorflow-probability", "numpy")},
            "backend": keras.backend.backend()},
        "machine": _common.machine(),
        "seconds": total,
        "seconds_per_dataset": seconds,
    }
    _common.write_results(args.name, rows, meta)
    print(f"({total:.0f} s)")


if __name__ == "__main__":
    main()
