"""UCI wine-quality-red regression, the protocol of Hernandez-Lobato & Adams (2015).

20 random 90/10 train/test splits of the 1,599 red wines; one hidden layer of
50 ReLU units; inputs and targets normalised with the training split's mean
and standard deviation. Test RMSE and test log-likelihood are reported on the
ORIGINAL quality scale (predictions un-normalised; log-likelihood computed on
the normalised scale minus log sigma_y), as mean +- standard error over the
splits, beside the published rows of `benchmarks.published.UCI_WINE_RED`
(sources: `benchmarks.published.REFERENCES`).

Models (one per row):
- tfbsl variational networks, one per estimator (reparameterization, flipout,
  local reparameterization): `DenseVariational(50, relu) -> DenseVariational(2)
  -> IndependentNormal(1)`, i.e. Bayesian weights in both layers and an
  input-dependent (heteroscedastic) Normal likelihood whose noise scale is
  learned, loss `tfbsl.losses.NegativeLogLikelihood()` + KL with
  `kl_weight = 1 / n_train` (the negative ELBO / n); mean-field Normal
  posterior, fixed N(0, prior_scale^2) prior. Test predictions: `predict_mc`
  (Gaussian with the total predictive variance, epistemic + aleatoric).
- deterministic: `Dense(50, relu) -> Dense(1)` trained with MSE; its
  log-likelihood uses a Normal with the training residuals' variance.

The published rows used their own splits (and PBP's 40 epochs / VI's own
settings): the comparison is of protocol, not of identical splits.

Run from the repository root; results in benchmarks/results/uci_wine.{json,csv}:

    python -m benchmarks.uci_wine            # 20 splits, ~10 minutes on 2 cores
    python -m benchmarks.uci_wine --quick    # 3 splits, fewer epochs: a smoke run
"""

import argparse
import csv
import json
import os
import pathlib
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import tfbsl  # noqa: E402
from benchmarks.published import REFERENCES, UCI_WINE_RED  # noqa: E402

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
ESTIMATORS = ("reparameterization", "flipout", "local_reparameterization")
HIDDEN = 50
# (method, RMSE, its s.e., LL, its s.e., source, ...): benchmarks/published.py, with the papers
PUBLISHED = UCI_WINE_RED


def splits(num_splits, num_examples):
    """(train, test) index arrays of random 90/10 splits, seeded by split number."""
    for split in range(num_splits):
        order = np.random.default_rng(split).permutation(num_examples)
        n_test = int(round(0.1 * num_examples))
        yield order[n_test:], order[:n_test]


def build_bnn(estimator, num_inputs, train_size, prior_scale, init_scale, seed):
    prior = tfbsl.priors.Normal(scale=prior_scale)
    posterior = tfbsl.posteriors.MeanFieldNormal(init_scale=init_scale)
    variational = dict(make_posterior_fn=posterior, prior=prior,
                       kl_weight=1 / train_size, estimator=estimator)
    return keras.Sequential([
        keras.Input((num_inputs,)),
        tfbsl.layers.DenseVariational(HIDDEN, activation="relu", seed=seed, **variational),
        tfbsl.layers.DenseVariational(2, seed=seed + 1, **variational),
        tfbsl.layers.IndependentNormal(1),
    ])


def build_deterministic(num_inputs):
    return keras.Sequential([
        keras.Input((num_inputs,)),
        keras.layers.Dense(HIDDEN, activation="relu"),
        keras.layers.Dense(1),
    ])


class _Reusable:
    """One compiled model per method, re-initialised for every split: the
    jit-compiled train step is traced once instead of once per split."""

    def __init__(self, build, loss, args):
        self.build = build
        self.model = build()
        self.args = args
        self.model.compile(
            keras.optimizers.Adam(args.lr), loss=loss, jit_compile=True,
            steps_per_execution=args.steps_per_execution,
        )

    def fit(self, x, y):
        self.model.set_weights(self.build().get_weights())
        for variable in self.model.optimizer.variables:
            if variable.name != "learning_rate":  # the step count and moments
                variable.assign(np.zeros(variable.shape, variable.dtype))
        self.model.fit(x, y, epochs=self.args.epochs, batch_size=self.args.batch_size, verbose=0)
        return self.model


def evaluate_bnn(model, x_test, y_test, y_scale, num_samples):
    prediction = tfbsl.predict_mc(model, x_test, num_samples=num_samples)
    return (tfbsl.rmse(prediction, y_test, y_scale=y_scale),
            tfbsl.gaussian_log_likelihood(prediction, y_test, y_scale=y_scale))


def evaluate_deterministic(model, x_train, y_train, x_test, y_test, y_scale):
    noise = np.std(y_train - model.predict(x_train, verbose=0)[:, 0])
    mean = model.predict(x_test, verbose=0)[:, 0]
    prediction = tfbsl.MCPrediction(
        mean=mean, stddev=np.full_like(mean, noise), samples=mean[None],
        epistemic_stddev=np.zeros_like(mean), aleatoric_stddev=np.full_like(mean, noise),
    )
    return (tfbsl.rmse(prediction, y_test, y_scale=y_scale),
            tfbsl.gaussian_log_likelihood(prediction, y_test, y_scale=y_scale))


def mean_se(values):
    values = np.asarray(values)
    se = float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else 0.0
    return float(values.mean()), se


def run(args):
    keras.utils.set_random_seed(args.seed)
    x, y, _ = tfbsl.datasets.load_wine_quality("red")
    methods = {f"tfbsl VI, {e}": e for e in args.estimators}
    methods["deterministic (MSE)"] = None
    train_size = len(y) - int(round(0.1 * len(y)))
    models = {}
    for name, estimator in methods.items():
        if estimator is None:
            models[name] = _Reusable(lambda: build_deterministic(x.shape[1]), "mse", args)
        else:
            models[name] = _Reusable(
                lambda e=estimator: build_bnn(e, x.shape[1], train_size, args.prior_scale,
                                              args.init_scale, args.seed),
                tfbsl.losses.NegativeLogLikelihood(), args)
    scores = {name: {"rmse": [], "ll": [], "seconds": []} for name in methods}
    for split, (train, test) in enumerate(splits(args.splits, len(y))):
        x_mean, x_std = x[train].mean(0), x[train].std(0)
        y_mean, y_std = y[train].mean(), y[train].std()
        x_train, x_test = (x[train] - x_mean) / x_std, (x[test] - x_mean) / x_std
        y_train, y_test = (y[train] - y_mean) / y_std, (y[test] - y_mean) / y_std
        for name, estimator in methods.items():
            start = time.perf_counter()
            model = models[name].fit(x_train, y_train)
            if estimator is None:
                rmse, ll = evaluate_deterministic(model, x_train, y_train, x_test, y_test, y_std)
            else:
                rmse, ll = evaluate_bnn(model, x_test, y_test, y_std, args.num_samples)
            scores[name]["rmse"].append(rmse)
            scores[name]["ll"].append(ll)
            scores[name]["seconds"].append(time.perf_counter() - start)
        print(f"split {split + 1}/{args.splits}: " + ", ".join(
            f"{n.split(', ')[-1]} {s['rmse'][-1]:.3f}/{s['ll'][-1]:.3f}"
            for n, s in scores.items()), flush=True)
    return scores


def table(scores):
    rows = []
    for name, s in scores.items():
        rmse, rmse_se = mean_se(s["rmse"])
        ll, ll_se = mean_se(s["ll"])
        rows.append({"method": name, "rmse": rmse, "rmse_se": rmse_se, "ll": ll, "ll_se": ll_se,
                     "source": f"tfbsl, this run ({len(s['rmse'])} splits)",
                     "seconds_per_split": float(np.mean(s["seconds"]))})
    for p in PUBLISHED:
        rows.append({"method": p.method, "rmse": p.rmse, "rmse_se": p.rmse_se, "ll": p.ll,
                     "ll_se": p.ll_se, "source": p.source, "seconds_per_split": None})
    return rows


def markdown(rows):
    lines = ["| method | test RMSE | test log-likelihood | source |", "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['method']} | {r['rmse']:.3f} ± {r['rmse_se']:.3f} | "
                     f"{r['ll']:.3f} ± {r['ll_se']:.3f} | {r['source']} |")
    return "\n".join(lines)


def sources():
    """The published rows' papers, one line each, and what their ± is."""
    keys = list(dict.fromkeys(k for p in PUBLISHED for k in p.references))
    lines = [f"- {key}: {REFERENCES[key]}" for key in keys]
    lines += [f"- {p.method} (± {p.spread}): {p.note}" for p in PUBLISHED if p.note]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.uci_wine", description=__doc__.split("\n")[0],
        epilog="Results: benchmarks/results/uci_wine.{json,csv} (or --output).")
    parser.add_argument("--splits", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3, help="Adam learning rate")
    parser.add_argument("--prior-scale", type=float, default=1.0)
    parser.add_argument("--init-scale", type=float, default=1e-3,
                        help="initial posterior standard deviation")
    parser.add_argument("--num-samples", type=int, default=100,
                        help="Monte-Carlo passes at test time")
    parser.add_argument("--estimators", nargs="+", default=list(ESTIMATORS), choices=ESTIMATORS)
    parser.add_argument("--steps-per-execution", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="3 splits, 20 epochs")
    parser.add_argument("--output", default=str(RESULTS / "uci_wine"),
                        help="path prefix of the .json and .csv results")
    args = parser.parse_args()
    if args.quick:
        args.splits, args.epochs = 3, 20

    start = time.perf_counter()
    rows = table(run(args))
    print()
    print(markdown(rows))
    print("\nPublished rows (benchmarks/published.py):\n" + sources())
    settings = {k: v for k, v in vars(args).items() if k != "output"}
    output = pathlib.Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.with_suffix(".json").write_text(json.dumps({
        "benchmark": "UCI wine-quality-red, Hernandez-Lobato & Adams 2015 protocol",
        "settings": settings,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "seconds": time.perf_counter() - start,
        "rows": rows,
    }, indent=2))
    with open(output.with_suffix(".csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"\nwrote {output.with_suffix('.json')} and .csv "
          f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
