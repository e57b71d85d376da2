"""Classification uncertainty on scikit-learn digits: a dozen ways, one budget.

Task: train on the digits 0-4 (a stratified split of them: `--train-fraction`
for training, the rest held out), then
- in distribution: accuracy, NLL, ECE (15 bins), the debiased calibration
  error (tfbsl.debiased_calibration_error), Brier and the mean confidence
  minus accuracy (> 0: over-confident) on the held-out 0-4;
- under a shift: accuracy and ECE on the held-out 0-4 rotated by 15, 30 and
  45 degrees (Ovadia et al. 2019), and their mean (`ece_rotated`);
- out of distribution: AUROC for telling the digits 5-9 (never seen) from the
  held-out 0-4, by predictive entropy and, for the methods with samples, by
  mutual information (BALD).

Methods, same CNN (Conv 16 - pool - Conv 32 - pool - Dense 64 - softmax 5),
same data, optimiser (Adam 3e-3, batch 64) and epochs (E, `--epochs`):
- deterministic CNN (E epochs);
- MC dropout: dropout 0.25 before each dense layer (E epochs), predicted with
  `tfbsl.baselines.mc_dropout_predict` (dropout on at test time);
- deep ensemble of 5 CNNs: `tfbsl.baselines.DeepEnsemble` (`build_fn`,
  `compile`, `fit`: 5 x E epochs), each member's probabilities a sample;
- tfbsl Flipout CNN and local-reparameterization CNN (every layer variational,
  the library's default posterior and prior, kl_weight = 1 / n_train: the ELBO);
- tfbsl Flipout CNN with a tempered KL, kl_weight = 0.3 / n_train (a "cold"
  posterior, Wenzel et al. 2020);
- tfbsl Flipout head: deterministic convolutions, the two dense layers
  variational (full ELBO), a Bayesian "last layers" CNN (Kristiadi et al. 2020);
- bayesianize + MOPED: the trained deterministic CNN converted
  (`moped_delta=0.1`), fine-tuned for E / 4 epochs;
- last-layer Laplace: `tfbsl.baselines.LastLayerLaplaceClassifier` on the
  trained deterministic CNN (no extra training): full GGN of the last Dense
  layer on the training digits, prior precision maximising the marginal
  likelihood (`optimize_prior_precision`), the mode left at the trained
  weights; Monte-Carlo predictive (softmax of draws of the linearised
  logits, one draw per "pass"), not the probit;
- SWAG: `tfbsl.baselines.SWAG` (diagonal + low-rank, rank <= 20), collected
  once per epoch while the trained deterministic CNN trains on for
  max(2, E / 2) more epochs with the same optimiser (constant learning rate);
  each pass a weight draw;
- temperature scaling: a deterministic CNN trained (E epochs) on 80% of the
  training digits, its temperature fitted by NLL
  (`tfbsl.baselines.TemperatureScaling`) on the other 20% (stratified); the
  row "CNN on train - val (T = 1)" is the same network unscaled.
Stochastic methods average 30 passes (ensemble: its 5 members). Reported:
mean +/- standard error over seeds; the time of a method built on the
deterministic CNN (MOPED, Laplace, SWAG) includes that CNN's training.
Writes benchmarks/results/digits_uncertainty.{json,csv} (or `--name`).
Run from the repository root:

    python -m benchmarks.digits_uncertainty                       # ~15 min on 2 cores
    python -m benchmarks.digits_uncertainty --train-fraction 0.15 --epochs 100
    python -m benchmarks.digits_uncertainty --seeds 1 --epochs 5  # smoke run
    python -m benchmarks.digits_uncertainty --methods head --name digits_head  # some rows
    python -m benchmarks.digits_uncertainty --methods baselines --name digits_baselines
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
ENSEMBLE_MEMBERS = 5
VALIDATION_FRACTION = 0.2  # of the training digits, held out to fit the temperature
# The rows `--methods baselines` selects: those of tfbsl.baselines.
BASELINES = ("MC dropout", "deep ensemble (5)", "last-layer Laplace", "SWAG",
             "temperature scaling")


def load_data(seed, train_fraction):
    digits = load_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]
    y = digits.target
    seen = y < NUM_CLASSES
    x_train, x_test, y_train, y_test = train_test_split(
        x[seen], y[seen], train_size=train_fraction, stratify=y[seen], random_state=seed)
    return x_train, y_train, x_test, y_test, x[~seen]


def cnn(dropout=0.0, seed=None):
    """The deterministic CNN, with `dropout` before each dense layer (on in
    training; `mc_dropout_predict` keeps it on at test time). `seed`: set
    before building (None: the current random state, as `DeepEnsemble` sets)."""
    if seed is not None:
        keras.utils.set_random_seed(seed)
    inputs = keras.Input((8, 8, 1))
    h = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(h)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Flatten()(h)
    if dropout:
        h = keras.layers.Dropout(dropout)(h)
    h = keras.layers.Dense(64, activation="relu")(h)
    if dropout:
        h = keras.layers.Dropout(dropout)(h)
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


def compile_model(model):
    model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy",
                  jit_compile=True)
    return model


def train(model, x, y, epochs, verbose=0, callbacks=None):
    compile_model(model)
    model.fit(x, y, epochs=epochs, batch_size=64, verbose=verbose, callbacks=callbacks)
    return model


def logits(model, x):
    """The pre-softmax outputs of `cnn()`'s last Dense layer, float64 (the
    softmax's log would lose the confident rows' logits to underflow)."""
    last = model.layers[-1]
    features = keras.ops.convert_to_numpy(keras.Model(model.input, last.input)(x))
    kernel = keras.ops.convert_to_numpy(last.kernel).astype(np.float64)
    bias = keras.ops.convert_to_numpy(last.bias).astype(np.float64)
    return features.astype(np.float64) @ kernel + bias


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
    """Rows of every method (or of those whose name contains one of `methods`,
    "baselines" standing for the rows of tfbsl.baselines; the deterministic
    CNN always)."""
    x_train, y_train, x_test, y_test, x_ood = load_data(seed, train_fraction)
    n = len(x_train)

    x_rotated = {angle: rotated(x_test, angle) for angle in ANGLES}

    def each_set(predict):
        """`predict(x)` (per-pass probabilities `(S, n, K)`) on the held-out,
        unseen and rotated digits."""
        return (predict(x_test), predict(x_ood),
                {a: predict(x) for a, x in x_rotated.items()})

    def proba(model, passes):
        return each_set(lambda x: tfbsl.predict_proba_mc(model, x, passes))

    rows = []

    def record(method, started, samples, **extra):
        rows.append({"method": method, "seed": seed, "time_s": time.perf_counter() - started,
                     **scores(samples[0], y_test, *samples[1:]), **extra})
        print(f"  seed {seed} {method:<24} " + " ".join(
            f"{k}={v:.4f}" for k, v in rows[-1].items() if k not in ("method", "seed")),
            flush=True)

    started = time.perf_counter()
    deterministic = train(cnn(seed=seed), x_train, y_train, epochs)
    det_time = time.perf_counter() - started
    record("deterministic CNN", started, proba(deterministic, 1))

    words = [m.lower() for m in methods or ()]

    def wanted(name):
        return (methods is None or any(w in name.lower() for w in words)
                or ("baselines" in words and name in BASELINES))

    if wanted("MC dropout"):
        started = time.perf_counter()
        model = train(cnn(0.25, seed), x_train, y_train, epochs)
        record("MC dropout", started, each_set(
            lambda x: tfbsl.baselines.mc_dropout_predict(model, x, PASSES)))

    if wanted("deep ensemble (5)"):
        started = time.perf_counter()
        ensemble = tfbsl.baselines.DeepEnsemble(
            build_fn=cnn, num_members=ENSEMBLE_MEMBERS, seed=100 * seed + 1)
        compile_model(ensemble)
        ensemble.fit(x_train, y_train, epochs=epochs, batch_size=64, verbose=0)
        samples = each_set(lambda x: np.concatenate(
            [tfbsl.predict_proba_mc(m, x, 1) for m in ensemble.members]))
        # The members' mean is the ensemble's own predictive (its call: the mixture's mean).
        np.testing.assert_allclose(samples[0].mean(0),
                                   keras.ops.convert_to_numpy(ensemble(x_test)), atol=1e-5)
        record("deep ensemble (5)", started, samples)

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

    if wanted("last-layer Laplace"):
        started = time.perf_counter() - det_time  # post hoc, on the deterministic CNN
        laplace = tfbsl.baselines.LastLayerLaplaceClassifier(deterministic).fit(x_train, y_train)
        prior_precision = laplace.optimize_prior_precision()
        record("last-layer Laplace", started, each_set(
            lambda x: laplace.predict_samples(x, PASSES, seed=seed)),
            prior_precision=prior_precision)

    if wanted("temperature scaling"):
        started = time.perf_counter()
        x_fit, x_val, y_fit, y_val = train_test_split(
            x_train, y_train, test_size=VALIDATION_FRACTION, stratify=y_train,
            random_state=seed)
        model = train(cnn(seed=seed), x_fit, y_fit, epochs)
        scaling = tfbsl.baselines.TemperatureScaling().fit(logits(model, x_val), y_val)
        for method, t in (("CNN on train - val (T = 1)", 1.0),
                          ("temperature scaling", scaling.temperature)):
            record(method, started, each_set(lambda x, t=t: keras.ops.convert_to_numpy(
                keras.ops.softmax(logits(model, x) / t))[None]),
                temperature=scaling.temperature)

    if wanted("SWAG"):  # last: it trains the deterministic CNN on
        started = time.perf_counter() - det_time
        swag = tfbsl.baselines.SWAG()
        deterministic.fit(x_train, y_train, epochs=max(2, epochs // 2), batch_size=64,
                          verbose=0, callbacks=[swag])

        def swag_samples(x):
            out = []
            for s in range(PASSES):
                swag.sample(seed=10_000 * seed + s)
                out.append(tfbsl.predict_proba_mc(deterministic, x, 1))
            return np.concatenate(out)

        record("SWAG", started, each_set(swag_samples),
               swag_rank=float(swag.deviations.shape[1]))
    return rows


def summarise(rows):
    methods = list(dict.fromkeys(r["method"] for r in rows))
    metrics = ["accuracy", "overconfidence", "nll", "ece", "calibration_error", "brier",
               "auroc_entropy", "auroc_mi", "ece_rotated", "time_s", "temperature",
               "prior_precision", "swag_rank"]
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
               ("ece_rot30", "ECE at 30 deg"), ("ece_rotated", "ECE rotated (15-45 deg)"),
               ("auroc_entropy", "AUROC (entropy)"),
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
                        help="run only the methods whose name contains one of these words, "
                             "'baselines' for those of tfbsl.baselines (the deterministic CNN "
                             "always runs)")
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
