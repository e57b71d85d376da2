"""Held-out NLL and time per epoch of tfbsl's flows on 2-D toy densities,
beside the same architectures written the pre-Keras-3 way (TFP bijectors +
`tfb.AutoregressiveNetwork` under `tf_keras`) and, if installed, zuko.

Run from the repository root: `python -m benchmarks.flows_2d` (a few minutes
on 2 CPU cores) or `python -m benchmarks.flows_2d --long` (more data, epochs
and datasets); results in benchmarks/results/flows_2d.{json,csv}.
`--backend jax` trains tfbsl's flows on Keras' JAX backend (results
flows_2d_jax.*; the tf_keras baseline is TensorFlow's and is left out there).

All NLLs are in nats per example on the RAW data scale (no standardisation),
beside the data's own entropy (`benchmarks.published.FLOW_ENTROPY_RAW`), the best
any model can reach. Every model: Adam(2e-3), batch 256, same epochs, same
data (fixed seeds); tfbsl and tf_keras are trained with `fit(jit_compile=True)`.
The implementations of one dataset train in turns, one epoch each, so that a
burst of load on this shared machine hits them all. Time per epoch is the
fastest epoch after the first (which compiles), the median beside it in the
results: other tenants only ever add time, so the fastest epoch is the
steadiest estimate of an epoch's own cost.

Architectures (all 2 -> 2, hidden units (64, 64), ReLU):
  MAF     3 affine MADE blocks, order reversed between blocks
  RealNVP 4 affine coupling blocks, halves swapped between blocks
  NSF     3 autoregressive rational-quadratic spline blocks, 8 bins on [-5, 5]
"""

import argparse
import functools
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from sklearn.datasets import make_moons  # noqa: E402

from benchmarks._common import add_backend_argument, select_backend, write_results  # noqa: E402
from benchmarks.published import FLOW_ENTROPY_RAW  # noqa: E402

# Keras, TFP and tfbsl are imported once `--backend` has chosen Keras' backend.
HIDDEN = (64, 64)
LR, BATCH = 2e-3, 256

# The data's entropy, raw scale: benchmarks/published.py says how each was computed.
ENTROPY = dict(FLOW_ENTROPY_RAW)


def make_data(name, n, seed):
    rng = np.random.default_rng(seed)
    if name == "moons":
        x = make_moons(n, noise=0.05, random_state=seed)[0]
    elif name == "8gaussians":  # FFJORD's recipe
        s = 1 / np.sqrt(2)
        centres = 4 * np.array([(1, 0), (-1, 0), (0, 1), (0, -1),
                                (s, s), (s, -s), (-s, s), (-s, -s)])
        x = (rng.normal(size=(n, 2)) * 0.5 + centres[rng.integers(0, 8, n)]) / 1.414
    elif name == "checkerboard":  # FFJORD's recipe
        x1 = rng.uniform(size=n) * 4 - 2
        x2 = rng.uniform(size=n) - rng.integers(0, 2, n) * 2 + np.floor(x1) % 2
        x = np.stack([x1, x2], 1) * 2
    else:
        raise ValueError(f"unknown dataset {name!r}")
    return x.astype("float32")


def _after_first(times):
    """(fastest, median) epoch time, leaving out the first (it compiles)."""
    times = times[1:] if len(times) > 1 else times
    return float(np.min(times)), float(np.median(times))


# ---- tfbsl (Keras 3) -------------------------------------------------------

def tfbsl_flow(kind):
    from tfbsl.layers import (
        AffineCoupling,
        MaskedAutoregressive,
        NormalizingFlow,
        Permute,
        SplineAutoregressive,
    )

    if kind == "MAF":
        blocks = [MaskedAutoregressive(HIDDEN), Permute(),
                  MaskedAutoregressive(HIDDEN), Permute(), MaskedAutoregressive(HIDDEN)]
    elif kind == "RealNVP":
        blocks = [AffineCoupling(HIDDEN), Permute(), AffineCoupling(HIDDEN), Permute(),
                  AffineCoupling(HIDDEN), Permute(), AffineCoupling(HIDDEN)]
    else:
        blocks = [SplineAutoregressive(HIDDEN, bins=8, bound=5.0), Permute(),
                  SplineAutoregressive(HIDDEN, bins=8, bound=5.0), Permute(),
                  SplineAutoregressive(HIDDEN, bins=8, bound=5.0)]
    return NormalizingFlow(blocks)


def run_tfbsl(kind, train, test, steps_per_execution=1):
    """(train one epoch, held-out NLL) closures for tfbsl's flow `kind`."""
    import keras

    keras.utils.set_random_seed(0)
    flow = tfbsl_flow(kind)
    x_in = keras.Input((2,))
    model = keras.Model(x_in, flow(x_in))
    model.compile(keras.optimizers.Adam(LR), loss=lambda _, log_prob: -log_prob, jit_compile=True,
                  steps_per_execution=steps_per_execution)
    return _keras_closures(model, train, test)


def _keras_closures(model, train, test):
    """(train one epoch, held-out NLL) for a compiled Keras or tf_keras flow model."""
    targets = np.zeros(len(train))
    return (lambda: model.fit(train, targets, epochs=1, batch_size=BATCH, verbose=0),
            lambda: -float(np.mean(model.predict(test, 4096, 0))))


# ---- baseline: TFP bijectors + tfb.AutoregressiveNetwork under tf_keras -----

def run_tf_keras(kind, train, test):
    import tensorflow as tf
    import tensorflow_probability as tfp
    import tf_keras

    tfd, tfb = tfp.distributions, tfp.bijectors

    class Flow(tf_keras.Model):
        def __init__(self):
            super().__init__()
            bijectors = []
            if kind == "MAF":
                self.nets = [tfb.AutoregressiveNetwork(
                    params=2, event_shape=[2], hidden_units=list(HIDDEN), activation="relu")
                    for _ in range(3)]
                for net in self.nets:
                    bijectors += [tfb.MaskedAutoregressiveFlow(shift_and_log_scale_fn=net),
                                  tfb.Permute([1, 0])]
            else:
                self.nets = [tf_keras.Sequential(
                    [tf_keras.layers.Dense(u, activation="relu") for u in HIDDEN]
                    + [tf_keras.layers.Dense(2)]) for _ in range(4)]
                for net in self.nets:
                    bijectors += [tfb.RealNVP(num_masked=1, shift_and_log_scale_fn=(
                        lambda x0, units, net=net: tf.unstack(net(x0)[..., None], axis=-2))),
                        tfb.Permute([1, 0])]
            self.distribution = tfd.TransformedDistribution(
                tfd.MultivariateNormalDiag(loc=tf.zeros(2)), tfb.Chain(bijectors[:-1]))

        def call(self, x):
            return self.distribution.log_prob(x)

    tf_keras.utils.set_random_seed(0)
    model = Flow()
    model.compile(tf_keras.optimizers.Adam(LR), loss=lambda _, log_prob: -log_prob,
                  jit_compile=True)
    return _keras_closures(model, train, test)


# ---- zuko (PyTorch) ---------------------------------------------------------

def run_zuko(kind, train, test):
    import torch
    import zuko

    torch.manual_seed(0)
    # One thread: measured here on 2 shared cores, two torch threads spun
    # against each other (1 s per NSF step against 0.03 s with one).
    torch.set_num_threads(1)
    if kind == "MAF":
        flow = zuko.flows.MAF(2, transforms=3, hidden_features=HIDDEN)
    else:
        flow = zuko.flows.NSF(2, transforms=3, hidden_features=HIDDEN, bins=8)
    optimizer = torch.optim.Adam(flow.parameters(), lr=LR)
    x = torch.from_numpy(train)
    generator = torch.Generator().manual_seed(0)

    def epoch():
        for batch in x[torch.randperm(len(x), generator=generator)].split(BATCH):
            loss = -flow().log_prob(batch).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    def nll():
        with torch.no_grad():
            return -float(flow().log_prob(torch.from_numpy(test)).mean())

    return epoch, nll


def _installed(module):
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def main():
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.flows_2d", description=__doc__.split("\n\n")[0],
        epilog="Results: benchmarks/results/flows_2d.{json,csv}.")
    parser.add_argument("--long", action="store_true",
                        help="32k training points, 60 epochs, all three datasets")
    parser.add_argument("--datasets", nargs="+", choices=list(ENTROPY))
    parser.add_argument("--epochs", type=int)
    add_backend_argument(parser)
    args = parser.parse_args()
    select_backend(args.backend)
    import keras

    import tfbsl
    from tfbsl._backend import tfp

    n, epochs = (32768, 60) if args.long else (8192, 15)
    epochs = args.epochs or epochs
    datasets = args.datasets or (list(ENTROPY) if args.long else ["moons", "8gaussians"])

    # A Keras step of these small flows is mostly framework overhead; running
    # 16 steps per call (a `compile` argument) is how Keras users cut it.
    peers = [("tfbsl", run_tfbsl, ("MAF", "RealNVP", "NSF")),
             ("tfbsl, 16 steps/call", functools.partial(run_tfbsl, steps_per_execution=16),
              ("MAF", "RealNVP", "NSF"))]
    if args.backend != "tensorflow":
        print("the tf_keras baseline runs on TensorFlow: left out with --backend jax")
    elif _installed("tf_keras"):
        peers.append(("tf_keras+TFP", run_tf_keras, ("MAF", "RealNVP")))
    else:
        print("tf_keras is not installed: skipping the tf_keras baseline (pip install tf-keras)")
    if _installed("zuko"):
        peers.append(("zuko", run_zuko, ("MAF", "NSF")))
    else:
        print("zuko is not installed: skipping it (pip install torch==2.13.0, then zuko)")

    rows = []
    for dataset in datasets:
        train, test = make_data(dataset, n, 0), make_data(dataset, n, 1)
        runs = {(kind, peer): run(kind, train, test)
                for kind in ("MAF", "RealNVP", "NSF")
                for peer, run, kinds in peers if kind in kinds}
        times = {key: [] for key in runs}
        for _ in range(epochs):
            for key, (epoch, _) in runs.items():
                start = time.perf_counter()
                epoch()
                times[key].append(time.perf_counter() - start)
        for (kind, peer), (_, heldout_nll) in runs.items():
            nll = heldout_nll()
            per_epoch, median = _after_first(times[kind, peer])
            rows.append({"dataset": dataset, "flow": kind, "implementation": peer,
                         "heldout_nll": round(nll, 4), "entropy_raw": round(ENTROPY[dataset], 3),
                         "seconds_per_epoch": round(per_epoch, 4),
                         "seconds_per_epoch_median": round(median, 4)})
            print(f"  {dataset:<13}{kind:<8}{peer:<22}NLL {nll:7.3f}  {per_epoch:6.3f} s/epoch",
                  flush=True)

    for row in rows:
        ours = next(r for r in rows if r["dataset"] == row["dataset"] and r["flow"] == row["flow"]
                    and r["implementation"] == "tfbsl")
        row["nll_minus_tfbsl"] = round(row["heldout_nll"] - ours["heldout_nll"], 4)
        row["time_ratio_vs_tfbsl"] = round(row["seconds_per_epoch"] / ours["seconds_per_epoch"], 2)

    header = (f"{'dataset':<13}{'flow':<9}{'implementation':<23}{'NLL':>8}{'entropy':>9}"
              f"{'NLL-H':>8}{'vs tfbsl':>9}{'s/epoch':>9}{'time x':>8}")
    print(f"\nHeld-out NLL (nats, raw scale; entropy = best possible, benchmarks/published.py), "
          f"{n} train / {n} test points, {epochs} epochs, batch {BATCH}")
    print(header)
    for r in rows:
        print(f"{r['dataset']:<13}{r['flow']:<9}{r['implementation']:<23}{r['heldout_nll']:>8.3f}"
              f"{r['entropy_raw']:>9.3f}{r['heldout_nll'] - r['entropy_raw']:>8.3f}"
              f"{r['nll_minus_tfbsl']:>+9.3f}{r['seconds_per_epoch']:>9.3f}"
              f"{r['time_ratio_vs_tfbsl']:>8.2f}")

    meta = {"n_train": n, "n_test": n, "epochs": epochs, "batch_size": BATCH, "learning_rate": LR,
            "hidden_units": list(HIDDEN), "scale": "raw", "tfbsl": tfbsl.__version__,
            "keras": keras.__version__, "keras_backend": keras.backend.backend(),
            "tfp": tfp.__version__, "cpu_count": os.cpu_count(), "peers": [p[0] for p in peers]}
    write_results("flows_2d" if args.backend == "tensorflow" else "flows_2d_jax", rows, meta)


if __name__ == "__main__":
    main()
