"""Train-step time of variational dense layers, side by side in one run.

Models: Input(W) -> 2 hidden layers of W units (relu) -> 1 output, every layer
of the kind compared; MSE + KL (weight 1/N); Adam; `jit_compile=True` where the
framework allows it. Compared: `keras.layers.Dense` (the floor), tfbsl's three
estimators in `DenseVariational` and in its `tfp.layers`-named twins
(`tfbsl.tfp_named.*`: TFP's defaults, the KL as TFP's users scale it),
`tfp.layers.Dense{Reparameterization,Flipout,LocalReparameterization}`
under `tf_keras` (what Keras users had), and `keras-proba` 0.1's dense layers
(the Keras 3 peer) when installed (`pip install -e '.[bench]'`).

The models of one (width, batch) cell are built together and timed in
`--rounds` round-robin rounds of `--epochs` epochs (each round after a warm-up
epoch, the first one including compilation). Time per step is the fastest
timed epoch's (epoch time / steps); the median is recorded beside it. On a
shared machine other tenants only ever add time, so the fastest epoch is the
steadiest estimate of a step's own cost (as `timeit` advises), and the
rounds spread a burst of load over all the layers compared.

Run from the repository root (10-20 minutes on 2 CPU cores; `--quick`: one
width, two batches, fewer steps); results in benchmarks/results/<name>.{json,csv}:

    python -m benchmarks.dense_speed [--quick] [--backend tensorflow|jax] [--widths 128 512]
                                     [--batches 32 256 1024] [--steps 30] [--epochs 3]
                                     [--rounds 2] [--name dense_speed]
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from benchmarks._common import (  # noqa: E402
    add_backend_argument,
    layer_kinds,
    machine,
    scaled_kl,
    select_backend,
    step_ms,
    write_results,
)

ESTIMATORS = ("reparameterization", "flipout", "local_reparameterization")


def keras3_model(kind, width, n):
    import keras

    import tfbsl

    def layer(units, activation=None):
        if kind == "keras.Dense":
            return keras.layers.Dense(units, activation=activation)
        if kind.startswith("tfbsl.tfp_named."):
            cls = {"reparameterization": tfbsl.layers.DenseReparameterization,
                   "flipout": tfbsl.layers.DenseFlipout,
                   "local_reparameterization": tfbsl.layers.DenseLocalReparameterization,
                   }[kind[16:]]
            return cls(units, activation=activation, kernel_divergence_fn=scaled_kl(n))
        if kind.startswith("tfbsl."):
            return tfbsl.layers.DenseVariational(
                units, activation=activation, kl_weight=1 / n, estimator=kind[6:])
        import keras_proba
        cls = {"reparameterization": keras_proba.layers.DenseReparameterization,
               "flipout": keras_proba.layers.DenseFlipout,
               "local_reparameterization": keras_proba.layers.DenseLocalReparameterization,
               }[kind[12:]]
        return cls(units, activation=activation, kl_weight=1 / n)

    model = keras.Sequential([keras.Input((width,)), layer(width, "relu"), layer(width, "relu"),
                              layer(1)])
    model.compile(keras.optimizers.Adam(1e-3), "mse", jit_compile=True)
    return model, True


def tfp_model(kind, width, n):
    import tensorflow_probability as tfp
    import tf_keras

    cls = {"reparameterization": tfp.layers.DenseReparameterization,
           "flipout": tfp.layers.DenseFlipout,
           "local_reparameterization": tfp.layers.DenseLocalReparameterization}[kind[11:]]
    divergence = scaled_kl(n)

    def build():
        return tf_keras.Sequential([
            tf_keras.Input((width,)),
            cls(width, activation="relu", kernel_divergence_fn=divergence),
            cls(width, activation="relu", kernel_divergence_fn=divergence),
            cls(1, kernel_divergence_fn=divergence),
        ])

    model = build()
    model.compile(tf_keras.optimizers.Adam(1e-3), "mse", jit_compile=True)
    try:  # tfp.layers' stateful samplers may not compile with XLA
        model.fit(np.zeros((8, width), "float32"), np.zeros((8, 1), "float32"), verbose=0)
        return model, True
    except Exception:
        model = build()
        model.compile(tf_keras.optimizers.Adam(1e-3), "mse", jit_compile=False)
        return model, False


def time_steps(kinds, width, batch, steps, epochs, rounds):
    """{kind: (ms array, jit)} for the 3-layer model of width `width`."""
    def make_model(kind, n):
        build = tfp_model if kind.startswith("tfp.layers.") else keras3_model
        return build(kind, width, n)

    return step_ms(kinds, make_model, (width,), batch, steps, epochs, rounds)


def main():
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.dense_speed", description=__doc__.splitlines()[0],
        epilog="Results: benchmarks/results/<name>.{json,csv} (default dense_speed).")
    parser.add_argument("--widths", type=int, nargs="+", default=[128, 512])
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 256, 1024])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per round")
    parser.add_argument("--rounds", type=int, default=2, help="round-robin rounds over the layers")
    parser.add_argument("--name", help="results file name (default: dense_speed, "
                                       "dense_speed_jax on JAX)")
    add_backend_argument(parser)
    parser.add_argument("--quick", action="store_true", help="one width, two batches, fewer steps")
    args = parser.parse_args()
    if args.quick:
        args.widths, args.batches, args.steps, args.epochs, args.rounds = [256], [32, 512], 10, 2, 1

    select_backend(args.backend)
    args.name = args.name or ("dense_speed" if args.backend == "tensorflow" else "dense_speed_jax")
    kinds = layer_kinds("keras.Dense", ESTIMATORS, ESTIMATORS, args.backend)
    rows = []
    for width in args.widths:
        for batch in args.batches:
            times = {}
            timed = time_steps(kinds, width, batch, args.steps, args.epochs, args.rounds)
            for kind, (ms, jit) in timed.items():
                times[kind] = ms.min()
                rows.append({"width": width, "batch": batch, "layer": kind,
                             "ms_per_step": round(times[kind], 3),
                             "ms_median": round(float(np.median(ms)), 3), "jit_compile": jit})
            for row in rows[-len(kinds):]:
                row["x_keras_dense"] = round(row["ms_per_step"] / times["keras.Dense"], 2)
                family, _, estimator = row["layer"].rpartition(".")
                if family.startswith("tfbsl") and f"tfp.layers.{estimator}" in times:
                    row["x_tfp_layers"] = round(
                        row["ms_per_step"] / times[f"tfp.layers.{estimator}"], 2)
                if family.startswith("tfbsl") and f"keras_proba.{estimator}" in times:
                    row["x_keras_proba"] = round(
                        row["ms_per_step"] / times[f"keras_proba.{estimator}"], 2)
            print_table(rows[-len(kinds):], width, batch)
    import keras

    write_results(args.name, rows, {**machine(), "args": vars(args),
                                    "keras_backend": keras.backend.backend(),
                                    "devices": keras.distribution.list_devices()})


def print_table(rows, width, batch):
    print(f"\nwidth {width}, batch {batch}")
    print(f"{'layer':<38}{'ms/step':>9}{'x Dense':>9}{'x tfp':>8}{'x kproba':>10}  jit")
    for row in rows:
        print(f"{row['layer']:<38}{row['ms_per_step']:>9.2f}{row['x_keras_dense']:>9.2f}"
              f"{row.get('x_tfp_layers', float('nan')):>8.2f}"
              f"{row.get('x_keras_proba', float('nan')):>10.2f}  {row['jit_compile']}")


if __name__ == "__main__":
    main()
