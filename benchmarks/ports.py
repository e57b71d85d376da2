"""Three public `tfp.layers` programs beside their Keras 3 ports to `tfbsl.layers`.

The programs and their ports are `tests/ports` (TFP's regression notebook, all
five cases; TFP's VAE notebook; TFP's `bayesian_neural_network.py`), each port
the program with its imports changed and the few Keras 3 edits listed in
`tests.ports.PORT_EDITS`. Each program runs as written, under `tf_keras` +
`tfp.layers`, and as ported, under Keras 3 + `tfbsl.layers`, at equal settings
(data, epochs, draws, seed) for several seeds; the table gives each figure's
mean ± standard deviation over the seeds for both, their difference in units
of its standard error (|z| < 2: within the noise of the seeds), and a trivial
baseline where one exists:

- regression, per case: the last epoch's training loss, and the held-out NLL
  per point (nats) on 150 new points of the notebook's process; baselines: a
  constant Normal at the training mean, with scale 1 (cases 1 and 3, whose
  scale is fixed at 1) or the training standard deviation (cases 2, 4, 5);
- VAE: the last epoch's training loss and validation loss (Keras' loss: the
  NLL plus the KL regulariser), and the held-out negative ELBO per image with
  its reconstruction and KL parts (exact KL, 10 draws of z); baselines:
  independent Bernoulli pixels at the training frequencies, and at 1/2;
- BNN: the last epoch's mean training loss (cross-entropy + KL / N) and
  accuracy, the script's own "held-out nats", the held-out NLL of the true
  labels and the held-out accuracy (Monte-Carlo mean probabilities); baseline:
  uniform class probabilities.

Also the seconds each run took: an epoch of Keras 3's `fit` on these tiny data
sets costs about 70-100 ms where tf_keras' costs 10-15 ms, whatever the layers
(a plain `Dense` on 150 points), which weighs on the regression's 5 x 200
short epochs. `loss0` rows: the first epoch's loss (equal in both where the
two frameworks draw the same initial weights from the seed). Data:
scikit-learn digits and the notebook's synthetic data, nothing downloaded.
Writes benchmarks/results/ports.{json,csv}. Run from the repository root:

    python -m benchmarks.ports              # 3 seeds, the defaults: 1054 s on 2 shared cores
    python -m benchmarks.ports --quick --out /tmp/ports   # smoke run: 1 seed, tiny settings
"""

import argparse
import csv
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from benchmarks import _common  # noqa: E402
from tests import ports  # noqa: E402
from tests.ports import _common as data  # noqa: E402

LIB_NAMES = {"tfp": "tf_keras + tfp.layers", "tfbsl": "keras + tfbsl.layers"}


def settings(program, args):
    """The keyword arguments of `<program>_<lib>.run`."""
    return {
        "regression": {"epochs": args.regression_epochs, "draws": args.regression_draws,
                       "nll_draws": args.regression_nll_draws},
        "vae": {"epochs": args.vae_epochs},
        "bnn": {"num_epochs": args.bnn_epochs, "num_monte_carlo": args.bnn_monte_carlo},
    }[program]


def flatten(figures, prefix=""):
    """`{'case1': {'loss': 1.0}}` -> `{'case1_loss': 1.0}`; non-numbers dropped."""
    flat = {}
    for key, value in figures.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}_"))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            flat[prefix + key] = float(value)
    return flat


def baselines():
    """Trivial predictors' held-out figures, by program and figure."""
    y, x = data.regression_heldout(150, seed=43)  # the notebook's training set
    y_hld, _ = data.regression_heldout()
    mean, sd = y.mean(), y.std()

    def normal_nll(scale):
        return float(np.mean(0.5 * np.log(2 * np.pi * scale**2)
                             + 0.5 * ((y_hld - mean) / scale) ** 2))

    regression = {}
    for case in range(1, 6):
        scale = 1.0 if case in (1, 3) else sd
        regression[f"case{case}_nll"] = (normal_nll(scale), f"Normal(train mean, {scale:.3g})")

    x_train, x_test, _, _ = data._digits_split()
    # The notebook binarises `image < uniform`: a pixel of intensity a is 1 with
    # probability 1 - a.
    q_train, q_test = 1 - x_train / 255.0, 1 - x_test / 255.0
    p = np.clip(q_train.mean(axis=0), 1e-6, 1 - 1e-6)
    marginal = float(-(q_test * np.log(p) + (1 - q_test) * np.log(1 - p)).sum((1, 2)).mean())
    uniform = 64 * np.log(2.0)
    vae = {"nelbo": (marginal, f"pixels at training frequencies; 1/2: {uniform:.2f}")}
    bnn = {"heldout_nll": (float(np.log(10.0)), "uniform"),
           "heldout_accuracy": (0.1, "chance")}
    return {"regression": regression, "vae": vae, "bnn": bnn}


def summarise(rows):
    """Per program and figure: mean, s.d. and count per library, the
    difference of the means and its z (the difference over its standard error)."""
    summary = {}
    for program in dict.fromkeys(r["program"] for r in rows):
        mine = [r for r in rows if r["program"] == program]
        keys = [k for k in mine[0] if k not in ("program", "lib", "seed")]
        summary[program] = {}
        for key in keys:
            entry = {}
            for lib in ports.LIBS:
                values = np.array([r[key] for r in mine if r["lib"] == lib and key in r])
                entry[lib] = {"mean": float(values.mean()),
                              "sd": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
                              "n": len(values)}
            a, b = entry["tfp"], entry["tfbsl"]
            se = np.sqrt(a["sd"] ** 2 / a["n"] + b["sd"] ** 2 / b["n"])
            entry["difference"] = b["mean"] - a["mean"]
            entry["z"] = float(entry["difference"] / se) if se > 0 else None
            summary[program][key] = entry
    return summary


def print_table(summary, base, args):
    for program, figures in summary.items():
        print(f"\n{program}: {settings(program, args)}, {args.seeds} seed(s); "
              "mean ± s.d. over seeds")
        header = (f"| {'figure':<22} | {LIB_NAMES['tfp']:>24} | {LIB_NAMES['tfbsl']:>24} "
                  f"| {'tfbsl - tfp':>11} | {'z':>5} | {'trivial baseline':<40} |")
        print(header)
        print("|" + "|".join("-" * len(c) for c in header.split("|")[1:-1]) + "|")
        for key, entry in figures.items():
            cells = [f"{entry[lib]['mean']:.4g} ± {entry[lib]['sd']:.2g}" for lib in ports.LIBS]
            z = "" if entry["z"] is None else f"{entry['z']:.1f}"
            baseline = base.get(program, {}).get(key)
            baseline = f"{baseline[0]:.4g} ({baseline[1]})" if baseline else ""
            print(f"| {key:<22} | {cells[0]:>24} | {cells[1]:>24} "
                  f"| {entry['difference']:>11.3g} | {z:>5} | {baseline:<40} |")


def _source_state():
    """The commit and the files changed since (tfbsl moves under these numbers)."""
    import subprocess

    def git(*args):
        try:
            return subprocess.run(["git", *args], capture_output=True, text=True,
                                  check=True).stdout.rstrip("\n")
        except (OSError, subprocess.CalledProcessError):
            return None

    status = git("status", "--porcelain", "tfbsl")
    return {"commit": git("rev-parse", "HEAD"),
            "changed_files": None if status is None else [
                line[3:] for line in status.splitlines()]}


def main():
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.ports", description=__doc__.split("\n")[0],
        epilog="Results: benchmarks/results/ports.{json,csv} (or --out).")
    parser.add_argument("--programs", nargs="+", choices=ports.PROGRAMS,
                        default=list(ports.PROGRAMS))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--regression-epochs", type=int, default=200,
                        help="epochs of each case (the notebook: 1000)")
    parser.add_argument("--regression-draws", type=int, default=25,
                        help="the Figure 3/4 cells' draws (the notebook: 100; they feed "
                             "its plots, not the figures here)")
    parser.add_argument("--regression-nll-draws", type=int, default=1000,
                        help="weight draws averaged in the held-out NLL of cases 3 and 4")
    parser.add_argument("--vae-epochs", type=int, default=8, help="the notebook: 15")
    parser.add_argument("--bnn-epochs", type=int, default=5, help="the script: 10")
    parser.add_argument("--bnn-monte-carlo", type=int, default=20,
                        help="draws of each held-out evaluation (the script: 50)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 seed, 20 regression epochs, 10 draws, "
                             "2 VAE and BNN epochs (give --out to keep the recorded results)")
    parser.add_argument("--out", default=os.path.join(_common.RESULTS, "ports"),
                        help="path prefix of the results (default benchmarks/results/ports)")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.regression_epochs, args.regression_draws = 1, 20, 10
        args.regression_nll_draws, args.vae_epochs = 100, 2
        args.bnn_epochs, args.bnn_monte_carlo = 2, 5

    rows, start = [], time.perf_counter()
    for program in args.programs:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            # Alternate which library runs first, so that drifting load falls on both.
            libs = ports.LIBS if seed % 2 == 0 else ports.LIBS[::-1]
            for lib in libs:
                tic = time.perf_counter()
                figures = ports.run(program, lib, seed=seed, **settings(program, args))
                row = {"program": program, "lib": lib, "seed": seed,
                       "seconds": time.perf_counter() - tic, **flatten(figures)}
                rows.append(row)
                print({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()},
                      flush=True)
    total = time.perf_counter() - start
    summary = summarise(rows)
    base = baselines()
    print_table(summary, base, args)
    print(f"\ntotal {total:.0f} s")

    import keras
    import tensorflow as tf
    import tensorflow_probability as tfp
    import tf_keras

    meta = {"args": vars(args), "total_seconds": total, "machine": _common.machine(),
            "tfbsl_source": _source_state(),
            "load_average": os.getloadavg(), "tensorflow": tf.__version__,
            "keras": keras.__version__, "tf_keras": tf_keras.__version__,
            "tfp": tfp.__version__,
            "settings": {p: settings(p, args) for p in args.programs},
            "port_edits": {p: [{"original": a, "port": b, "count": n, "why": why}
                               for a, b, n, why in ports.PORT_EDITS[p]]
                           for p in args.programs},
            "baselines": {p: {k: {"value": v, "what": w} for k, (v, w) in b.items()}
                          for p, b in base.items() if p in args.programs},
            "summary": summary}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out + ".json", "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1)
    keys = list(dict.fromkeys(k for row in rows for k in row))
    with open(args.out + ".csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {args.out}.json and {args.out}.csv")


if __name__ == "__main__":
    main()
