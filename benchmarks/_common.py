"""Shared helpers of the benchmark scripts: timing and result files."""

import csv
import json
import os
import platform
import time

import numpy as np

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def fit_epoch_times(model, x, y, batch_size, epochs, legacy_keras=False):
    """Wall time of each of `epochs` epochs of `model.fit`, after one warm-up
    epoch that includes compilation. `legacy_keras`: `model` is a tf_keras one."""
    if legacy_keras:
        import tf_keras as framework
    else:
        import keras as framework

    class EpochTimer(framework.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.times = []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self._start)

    timer = EpochTimer()
    model.fit(x, y, batch_size=batch_size, epochs=epochs + 1, verbose=0,
              callbacks=[timer], shuffle=False)
    return timer.times[1:]


def add_backend_argument(parser):
    """`--backend tensorflow|jax`: the Keras backend to time on."""
    parser.add_argument("--backend", choices=("tensorflow", "jax"), default="tensorflow",
                        help="Keras backend (jax: tfbsl's generic layers, Keras and "
                             "keras-proba only; tfp.layers and the per-part twins are "
                             "TensorFlow's)")


def select_backend(backend):
    """Set the Keras backend; call before anything imports Keras."""
    os.environ["KERAS_BACKEND"] = backend


def layer_kinds(baseline, estimators, peer_estimators, backend="tensorflow"):
    """The layers a speed benchmark compares: the Keras `baseline`, tfbsl's
    `estimators` in its generic layer and, on TensorFlow, in its
    `tfp.layers`-named twins (`tfbsl.tfp_named.<estimator>`: TFP's defaults
    and per-part engine, the like-for-like port of a `tfp.layers` model) and
    the `peer_estimators` of `tfp.layers`; those of keras-proba (when
    installed) on either backend."""
    kinds = [baseline] + [f"tfbsl.{e}" for e in estimators]
    if backend == "tensorflow":
        kinds += [f"tfbsl.tfp_named.{e}" for e in estimators]
        kinds += [f"tfp.layers.{e}" for e in peer_estimators]
    try:
        import keras_proba  # noqa: F401
        kinds += [f"keras_proba.{e}" for e in peer_estimators]
    except ImportError:
        print("keras-proba is not installed: its columns are skipped "
              "(pip install -e '.[bench]')")
    return kinds


def scaled_kl(n):
    """`kernel_divergence_fn` as TFP's users write it: the exact KL over `n`."""
    import tensorflow_probability as tfp

    return lambda q, p, _: tfp.distributions.kl_divergence(q, p) / n


def step_ms(kinds, make_model, input_shape, batch, steps, epochs, rounds):
    """Milliseconds per train step of `make_model(kind, n)` (which returns the
    compiled model and whether it is jit-compiled) for each of `kinds`, on
    `batch * steps` random regression examples of `input_shape`.

    The models are timed in `rounds` round-robin rounds of `epochs` epochs
    each (after one warm-up epoch per round), so that a burst of load from
    other tenants of the machine falls on all kinds rather than on one.
    Returns `{kind: (ms, jit)}`, `ms` an array with one value per timed epoch.
    """
    n = batch * steps
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n,) + tuple(input_shape)).astype("float32")
    y = rng.normal(size=(n, 1)).astype("float32")
    models = {kind: make_model(kind, n) for kind in kinds}
    times = {kind: [] for kind in kinds}
    for _ in range(rounds):
        for kind, (model, _) in models.items():
            legacy = kind.startswith("tfp.layers.")
            times[kind] += fit_epoch_times(model, x, y, batch, epochs, legacy_keras=legacy)
    return {kind: (1000 * np.asarray(times[kind]) / steps, models[kind][1]) for kind in kinds}


def reset_model(model, fresh):
    """`model` (compiled once, its train step traced once) back to the initial
    weights of the freshly built `fresh` (seed generators' states included)
    and to a new optimizer state: repeated trainings of one architecture
    (splits, seeds) then compile once."""
    # `variables`, unlike `weights`, holds the seed generators' states.
    for variable, initial in zip(model.variables, fresh.variables, strict=True):
        variable.assign(initial)
    for variable in model.optimizer.variables:
        if variable.name != "learning_rate":  # the step count and the moments
            variable.assign(np.zeros(variable.shape, variable.dtype))


def machine():
    return {"platform": platform.platform(), "processor": platform.processor(),
            "cpus": os.cpu_count(), "python": platform.python_version()}


def write_results(name, rows, meta):
    """Write rows (a list of dicts) as results/NAME.json and results/NAME.csv."""
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, f"{name}.json"), "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1)
    keys = list(dict.fromkeys(k for row in rows for k in row))
    with open(os.path.join(RESULTS, f"{name}.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {RESULTS}/{name}.json and .csv")
