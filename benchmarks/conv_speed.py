"""Train-step time of variational 2-D convolutions, side by side in one run.

Model: Input(S, S, C) -> 2 convolutions of F filters (3x3, same, relu), every
one of the kind compared -> Flatten -> a plain Dense(1); MSE + KL (weight 1/N);
Adam; `jit_compile=True` where the framework allows it. Compared:
`keras.layers.Conv2D` (the floor), tfbsl's `Conv2DVariational` with its three
estimators and its `tfp.layers`-named twins (`tfbsl.tfp_named.*`:
`Convolution2D{Reparameterization,Flipout,LocalReparameterization}`, TFP's
defaults, the KL as TFP's users scale it),
`tfp.layers.Convolution2D{Reparameterization,Flipout}` under
`tf_keras` (what Keras users had; TFP has no local-reparameterization conv),
and `keras-proba` 0.1's `Conv2D{Reparameterization,Flipout}` (the Keras 3
peer) when installed (`pip install -e '.[bench]'`).

The models of one batch size are timed in `--rounds` round-robin rounds of
`--epochs` epochs (each round after a warm-up epoch); time per step is the
fastest timed epoch's (epoch time / steps): the minimum, not the median,
because on a shared machine other processes only ever add time (as `timeit`
advises), and the rounds spread a burst of load over all the layers.

Run from the repository root (about 1-3 minutes on 2 CPU cores); results in
benchmarks/results/<name>.{json,csv}:

    python -m benchmarks.conv_speed [--size 16] [--channels 8] [--filters 16]
                                    [--batches 32 256] [--steps 10] [--epochs 3] [--rounds 2]
                                    [--name conv_speed] [--backend tensorflow|jax]
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
PEER_ESTIMATORS = ("reparameterization", "flipout")


def keras3_model(kind, shape, filters, n):
    import keras

    import tfbsl

    def conv():
        if kind == "keras.Conv2D":
            return keras.layers.Conv2D(filters, 3, padding="same", activation="relu")
        if kind.startswith("tfbsl.tfp_named."):
            cls = {"reparameterization": tfbsl.layers.Convolution2DReparameterization,
                   "flipout": tfbsl.layers.Convolution2DFlipout,
                   "local_reparameterization": tfbsl.layers.Convolution2DLocalReparameterization,
                   }[kind[16:]]
            return cls(filters, 3, padding="same", activation="relu",
                       kernel_divergence_fn=scaled_kl(n))
        if kind.startswith("tfbsl."):
            return tfbsl.layers.Conv2DVariational(
                filters, 3, padding="same", activation="relu", kl_weight=1 / n,
                estimator=kind[6:])
        import keras_proba
        cls = {"reparameterization": keras_proba.layers.Conv2DReparameterization,
               "flipout": keras_proba.layers.Conv2DFlipout}[kind[12:]]
        return cls(filters, 3, padding="same", activation="relu", kl_weight=1 / n)

    model = keras.Sequential([keras.Input(shape), conv(), conv(), keras.layers.Flatten(),
                              keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(1e-3), "mse", jit_compile=True)
    return model, True


def tfp_model(kind, shape, filters, n):
    import tensorflow_probability as tfp
    import tf_keras

    cls = {"reparameterization": tfp.layers.Convolution2DReparameterization,
           "flipout": tfp.layers.Convolution2DFlipout}[kind[11:]]
    divergence = scaled_kl(n)

    def build():
        return tf_keras.Sequential([
            tf_keras.Input(shape),
            cls(filters, 3, padding="same", activation="relu", kernel_divergence_fn=divergence),
            cls(filters, 3, padding="same", activation="relu", kernel_divergence_fn=divergence),
            tf_keras.layers.Flatten(),
            tf_keras.layers.Dense(1),
        ])

    x = np.zeros((8,) + shape, "float32")
    model = build()
    model.compile(tf_keras.optimizers.Adam(1e-3), "mse", jit_compile=True)
    try:  # tfp.layers' stateful samplers may not compile with XLA
        model.fit(x, np.zeros((8, 1), "float32"), verbose=0)
        return model, True
    except Exception:
        model = build()
        model.compile(tf_keras.optimizers.Adam(1e-3), "mse", jit_compile=False)
        return model, False


def time_steps(kinds, shape, filters, batch, steps, epochs, rounds):
    """{kind: (ms array, jit)} for the conv model."""
    def make_model(kind, n):
        build = tfp_model if kind.startswith("tfp.layers.") else keras3_model
        return build(kind, shape, filters, n)

    return step_ms(kinds, make_model, shape, batch, steps, epochs, rounds)


def main():
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.conv_speed", description=__doc__.splitlines()[0],
        epilog="Results: benchmarks/results/<name>.{json,csv} (default conv_speed).")
    parser.add_argument("--size", type=int, default=16)
    parser.add_argument("--channels", type=int, default=8)
    parser.add_argument("--filters", type=int, default=16)
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 256])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per round")
    parser.add_argument("--rounds", type=int, default=2, help="round-robin rounds over the layers")
    parser.add_argument("--name", help="results file name (default: conv_speed, "
                                       "conv_speed_jax on JAX)")
    add_backend_argument(parser)
    args = parser.parse_args()
    shape = (args.size, args.size, args.channels)

    select_backend(args.backend)
    args.name = args.name or ("conv_speed" if args.backend == "tensorflow" else "conv_speed_jax")
    kinds = layer_kinds("keras.Conv2D", ESTIMATORS, PEER_ESTIMATORS, args.backend)
    rows = []
    for batch in args.batches:
        times = {}
        timed = time_steps(kinds, shape, args.filters, batch, args.steps, args.epochs, args.rounds)
        for kind, (ms, jit) in timed.items():
            ms = ms.min()
            times[kind] = ms
            rows.append({"input": "x".join(map(str, shape)), "filters": args.filters,
                         "batch": batch, "layer": kind, "ms_per_step": round(ms, 3),
                         "jit_compile": jit})
        for row in rows[-len(kinds):]:
            row["x_keras_conv2d"] = round(row["ms_per_step"] / times["keras.Conv2D"], 2)
            family, _, estimator = row["layer"].rpartition(".")
            if family.startswith("tfbsl") and f"tfp.layers.{estimator}" in times:
                row["x_tfp_layers"] = round(
                    row["ms_per_step"] / times[f"tfp.layers.{estimator}"], 2)
            if family.startswith("tfbsl") and f"keras_proba.{estimator}" in times:
                row["x_keras_proba"] = round(
                    row["ms_per_step"] / times[f"keras_proba.{estimator}"], 2)
        print_table(rows[-len(kinds):], shape, args.filters, batch)
    import keras

    write_results(args.name, rows, {**machine(), "args": vars(args),
                                    "keras_backend": keras.backend.backend(),
                                    "devices": keras.distribution.list_devices()})


def print_table(rows, shape, filters, batch):
    print(f"\ninput {shape}, {filters} filters, batch {batch}")
    print(f"{'layer':<38}{'ms/step':>9}{'x Conv2D':>10}{'x tfp':>8}{'x kproba':>10}  jit")
    for row in rows:
        print(f"{row['layer']:<38}{row['ms_per_step']:>9.2f}{row['x_keras_conv2d']:>10.2f}"
              f"{row.get('x_tfp_layers', float('nan')):>8.2f}"
              f"{row.get('x_keras_proba', float('nan')):>10.2f}  {row['jit_compile']}")


if __name__ == "__main__":
    main()
