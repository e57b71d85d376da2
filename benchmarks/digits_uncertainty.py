"""Classification uncertainty on scikit-learn digits: eight ways, one budget.

Task: train on the digits 0-4 (a stratified split of them: `--train-fraction`
for training, the rest held out), then
- in distribution: accuracy, NLL, ECE (15 bins), the debiased calibration
  error (tfbsl.debiased_calibration_error), Brier and the mean confidence
  minus accuracy (> 0: over-confident) on the held-out 0-4;
- under a shift: accuracy and ECE on the held-out 0-4 rotated by 15, 30 and
  45 degrees (Ovadia et al. 2019);
- out of distribution: AUROC for telling the digits 5-9 (never seen) from the
  held-out 0-4, by predictive entropy and, for the stochastic methods, by
  mutual information (BALD).

Methods, same CNN (Conv 16 - pool - Conv 32 - pool - Dense 64 - softmax 5),
same data, optimiser (Adam 3e-3, batch 64) and epochs:
- deterministic CNN;
- MC dropout (dropout 0.25 before each dense layer, kept on at test time);
- deep ensemble of 5 deterministic CNNs (5x the training cost);
- tfbsl Flipout CNN and local-reparameterization CNN (every layer variational,
  kl_weight = 1 / n_train: the ELBO);
- tfbsl Flipout CNN with a tempered KL, kl_weight = 0.3 / n_train (a "cold"
  posterior, Wenzel et al. 2020): mean-field VI under the full ELBO is
  under-confident on this small CNN, tempering trades that back;
- tfbsl Flipout head: deterministic convolutions, the two dense layers
  variational (full ELBO), a Bayesian "last layers" CNN (Kristiadi et al. 2020);
- bayesianize + MOPED: the trained deterministic CNN converted
  (`moped_delta=0.1`), fine-tuned for a quarter of the epochs.
Stochastic methods average 30 passes. Reported: mean +/- standard error over
seeds. Writes benchmarks/results/digits_uncertainty.{json,csv} (or `--name`).
Run from the repository root:

    python -m benchmarks.digits_uncertainty                       # ~15 min on 2 cores
    python -m benchmarks.digits_uncertainty --train-fraction 0.15 --epochs 100
    python -m benchmarks.digits_uncertainty --seeds 1 --epochs 5  # smoke run
    python -m benchmarks.digits_uncertainty --methods head --name digits_head  # some rows
    python -m benchmarks.digits_uncertainty --seeds 5 --first-seed 5  # seeds 5-9 (in parallel)
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from scipy.ndimage import rotate  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import tfbsl  # noqa: E402
from benchmarks._common import machine, write_results  # noqa: E402

NUM_CLASSES = 5
PASSES = 30
ANGLES = (15, 30, 45)


def load_data(seed, train_fraction):
    digits = load_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]
    y = digits.target
    seen = y < NUM_CLASSES
    x_train, x_test, y_train, y_test = train_test_split(
        x[seen], y[seen], train_size=train_fraction, stratify=y[seen], random_state=seed)
    return x_train, y_train, x_test, y_test, x[~seen]


def cnn(dropout=0.0, seed=0):
    """The deterministic CNN; `dropout > 0` keeps dropout on at test time."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8, 8, 1))
    h = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(h)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Flatten()(h)
    if dropout:
        h = keras.layers.Dropout(dropout)(h, training=True)
    h = keras.layers.Dense(64, activation="relu")(h)
    if dropout:
        h = keras.layers.Dropout(dropout)(h, training=True)
    outputs = keras.layers.Dense(NUM_CLASSES, activation="softmax")(h)
    return keras.Model(inputs, outputs)


def bayesian_cnn(estimator, n, seed=0, temperature=1.0, head_only=False):
    """The CNN with variational layers; `head_only`: deterministic convolutions."""
    keras.utils.set_random_seed(seed)
    common = {"estimator": estimator, "kl_weight": temperature / n}

    def conv(filters, layer_seed):
        if head_only:
            return keras.layers.Conv2D(filters, 3, padding="same", activation="relu")
        return tfbsl.layers.Conv2DVariational(filters, 3, padding="same", activation="relu",
                                              seed=layer_seed, **common)

    return keras.Sequential([
        keras.Input((8, 8, 1)),
        conv(16, seed),
        keras.layers.MaxPooling2D(),
        conv(32, seed + 1),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        tfbsl.layers.DenseVariational(64, activation="relu", seed=seed + 2, **common),
        tfbsl.layers.DenseVariational(NUM_CLASSES, seed=seed + 3, **common),
        tfbsl.layers.Categorical(NUM_CLASSES),
    ])


def train(model, x, y, epochs, verbose=0):
    model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy",
                  jit_compile=True)
    model.fit(x, y, epochs=epochs, batch_size=64, verbose=verbose)
    return model


def rotated(x, angle):
    return rotate(x, angle, axes=(1, 2), reshape=False, order=1).clip(0, 1)


def scores(samples_in, y_in, samples_out, samples_rotated):
    """Metrics from per-pass probabilities `(S, n, K)` (S = 1: deterministic);
    `samples_rotated[angle]`: those of the held-out digits rotated by `angle`."""
    mean_in = samples_in.mean(0)
    accuracy = float(np.mean(mean_in.argmax(-1) == y_in))
    row = {
        "accuracy": accuracy,
        "overconfidence": float(mean_in.max(-1).mean()) - accuracy,
        "nll": tfbsl.classification_nll(samples_in, y_in),
        "ece": tfbsl.expected_calibration_error(samples_in, y_in),
        "calibration_error": tfbsl.debiased_calibration_error(samples_in, y_in),
        "brier": tfbsl.brier_score(samples_in, y_in),
        "auroc_entropy": tfbsl.auroc(tfbsl.predictive_entropy(samples_in),
                                     tfbsl.predictive_entropy(samples_out)),
    }
    for angle, samples in samples_rotated.items():
        row[f"accuracy_rot{angle}"] = float(np.mean(samples.mean(0).argmax(-1) == y_in))
        row[f"ece_rot{angle}"] = tfbsl.expected_calibration_error(samples, y_in)
    row["ece_rotated"] = float(np.mean([row[f"ece_rot{a}"] for a in samples_rotated]))
    if len(samples_in) > 1:
        row["auroc_mi"] = tfbsl.auroc(tfbsl.mutual_information(samples_in),
                                      tfbsl.mutual_information(samples_out))
    return row


def run_seed(seed, epochs, train_fraction, methods=None):
    """Rows of every method (or of those whose name contains one of `methods`;
    the deterministic CNN always)."""
    x_train, y_train, x_test, y_test, x_ood = load_data(seed, train_fraction)
    n = len(x_train)

    x_rotated = {angle: rotated(x_test, angle) for angle in ANGLES}

    def proba(model, passes):
        return (tfbsl.predict_proba_mc(model, x_test, passes),
                tfbsl.predict_proba_mc(model, x_ood, passes),
                {a: tfbsl.predict_proba_mc(model, x, passes) for a, x in x_rotated.items()})

    rows = []

    def record(method, started, samples):
        rows.append({"method": method, "seed": seed, "time_s": time.perf_counter() - started,
                     **scores(samples[0], y_test, *samples[1:])})
        print(f"  seed {seed} {method:<24} " + " ".join(
            f"{k}={v:.4f}" for k, v in rows[-1].items() if k not in ("method", "seed")),
            flush=True)

    started = time.perf_counter()
    deterministic = train(cnn(seed=seed), x_train, y_train, epochs)
    det_time = time.perf_counter() - started
    record("deterministic CNN", started, proba(deterministic, 1))

    def wanted(name):
        return methods is None or any(m.lower() in name.lower() for m in methods)

    if wanted("MC dropout"):
        started = time.perf_counter()
        record("MC dropout", started,
               proba(train(cnn(0.25, seed), x_train, y_train, epochs), PASSES))

    if wanted("deep ensemble (5)"):
        started = time.perf_counter()
        members = [deterministic] + [train(cnn(seed=100 * seed + m), x_train, y_train, epochs)
                                     for m in range(1, 5)]
        parts = [proba(m, 1) for m in members]
        rows_start = started - det_time  # the first member is the deterministic CNN
        record("deep ensemble (5)", rows_start,
               (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                {a: np.concatenate([p[2][a] for p in parts]) for a in ANGLES}))

    for estimator, name, temperature, head_only in (
            ("flipout", "tfbsl Flipout CNN", 1.0, False),
            ("local_reparameterization", "tfbsl LRT CNN", 1.0, False),
            ("flipout", "tfbsl Flipout CNN, KL x 0.3", 0.3, False),
            ("flipout", "tfbsl Flipout head", 1.0, True)):
        if wanted(name):
            started = time.perf_counter()
            model = bayesian_cnn(estimator, n, seed, temperature, head_only)
            record(name, started, proba(train(model, x_train, y_train, epochs), PASSES))

    if wanted("bayesianize + MOPED"):
        started = time.perf_counter() - det_time
        moped = tfbsl.bayesianize(deterministic, kl_weight=1 / n, moped_delta=0.1, seed=seed)
        train(moped, x_train, y_train, max(1, epochs // 4))
        record("bayesianize + MOPED", started, proba(moped, PASSES))
    return rows


def summarise(rows):
    methods = list(dict.fromkeys(r["method"] for r in rows))
    metrics = ["accuracy", "overconfidence", "nll", "ece", "calibration_error", "brier",
               "auroc_entropy", "auroc_mi", "ece_rotated", "time_s"]
    metrics += [f"{m}_rot{a}" for a in ANGLES for m in ("accuracy", "ece")]
    table = []
    for method in methods:
        group = [r for r in rows if r["method"] == method]
        entry = {"method": method, "seeds": len(group)}
        for metric in metrics:
            values = np.array([r[metric] for r in group if metric in r])
            if len(values):
                entry[metric] = float(values.mean())
                entry[metric + "_se"] = (float(values.std(ddof=1) / np.sqrt(len(values)))
                                         if len(values) > 1 else float("nan"))
        table.append(entry)
    return table


def print_table(table):
    columns = [("accuracy", "accuracy"), ("overconfidence", "conf - acc"), ("nll", "NLL"),
               ("ece", "ECE"), ("calibration_error", "debiased CE"), ("brier", "Brier"),
               ("ece_rot30", "ECE at 30 deg"), ("auroc_entropy", "AUROC (entropy)"),
               ("auroc_mi", "AUROC (MI)"), ("time_s", "time s (train + predict)")]
    columns = [c for c in columns if any(c[0] in e for e in table)]
    print("| method | " + " | ".join(title for _, title in columns) + " |")
    print("|" + "---|" * (len(columns) + 1))
    def cell(e, metric):
        if metric not in e:
            return "—"
        digits = 1 if metric == "time_s" else 4 if metric == "overconfidence" else 3
        return f"{e[metric]:.{digits}f} ± {e[metric + '_se']:.{digits}f}"

    for e in table:
        print(f"| {e['method']} | " + " | ".join(cell(e, m) for m, _ in columns) + " |")


def main():
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.digits_uncertainty", description=__doc__.split("\n")[0],
        epilog="Results: benchmarks/results/<name>.{json,csv} (default digits_uncertainty).")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--train-fraction", type=float, default=0.8)
    parser.add_argument("--name", default="digits_uncertainty",
                        help="results file name under benchmarks/results/")
    parser.add_argument("--methods", nargs="+",
                        help="run only the methods whose name contains one of these words "
                             "(the deterministic CNN always runs)")
    args = parser.parse_args()
    rows = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        rows += run_seed(seed, args.epochs, args.train_fraction, args.methods)
    table = summarise(rows)
    print_table(table)
    write_results(args.name, rows,
                  {"epochs": args.epochs, "seeds": args.seeds, "first_seed": args.first_seed,
                   "passes": PASSES, "train_fraction": args.train_fraction, "methods": args.methods,
                   "summary": table, "machine": machine()})


if __name__ == "__main__":
    main()
