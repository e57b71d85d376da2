"""tfbsl's `Sampling` + `fit` against the keras.io VAE recipe, on digits.

Both VAEs share the architecture of the official Keras example
(keras-team/keras-io examples/generative/vae.py) scaled to 8x8 images, the data
(scikit-learn digits binarised at 8/16, stratified 80/20 split), the initial
weights (same seed, same layer order), the optimiser and the epochs:

- (a) tfbsl: a functional model `encoder -> Sampling -> decoder` whose decoder
  ends in `IndependentBernoulli` logits, loss = NLL summed over pixels, `fit`;
- (b) keras.io: a `keras.Model` subclass with a custom `train_step`
  (`GradientTape`, sigmoid decoder, `binary_crossentropy` summed over pixels,
  closed-form KL), as the example does it.

Reported per method: seconds per epoch (median over epochs after the first,
which includes tracing), held-out ELBO and its parts, and the importance-weighted
log-likelihood (Burda et al. 2016), all with `tfbsl.vae` so both are measured
the same way. Writes benchmarks/results/vae_digits.{json,csv}. Run from the
repository root:

    python -m benchmarks.vae_digits              # default: a few minutes on 2 cores
    python -m benchmarks.vae_digits --epochs 10 --seeds 1   # smoke run
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
import tensorflow as tf  # noqa: E402
import tensorflow_probability as tfp  # noqa: E402
from keras import ops  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import tfbsl  # noqa: E402

tfd = tfp.distributions
RESULTS = pathlib.Path(__file__).resolve().parent / "results"


def load_data(seed):
    digits = load_digits()
    x = (digits.images >= 8).astype("float32")[..., None]
    x_train, x_test = train_test_split(
        x, test_size=0.2, stratify=digits.target, random_state=seed)
    return x_train, x_test


def build_encoder(latent_dim):
    x_in = keras.Input((8, 8, 1))
    h = keras.layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(x_in)
    h = keras.layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(h)
    h = keras.layers.Dense(16, activation="relu")(keras.layers.Flatten()(h))
    z_mean = keras.layers.Dense(latent_dim, name="z_mean")(h)
    z_log_var = keras.layers.Dense(latent_dim, name="z_log_var")(h)
    return keras.Model(x_in, [z_mean, z_log_var], name="encoder")


def build_decoder_trunk(latent_dim, last_activation):
    z_in = keras.Input((latent_dim,))
    h = keras.layers.Dense(2 * 2 * 64, activation="relu")(z_in)
    h = keras.layers.Reshape((2, 2, 64))(h)
    h = keras.layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(h)
    h = keras.layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(h)
    out = keras.layers.Conv2DTranspose(1, 3, activation=last_activation, padding="same")(h)
    return z_in, out


def negative_log_likelihood(x, p_x):
    return -p_x.log_prob(x)


def tfbsl_vae(latent_dim, seed, learning_rate):
    """(a) The tfbsl way: one functional model, `Sampling` adds the KL."""
    keras.utils.set_random_seed(seed)
    encoder = build_encoder(latent_dim)
    z_in, logits = build_decoder_trunk(latent_dim, None)
    p_x = tfbsl.layers.IndependentBernoulli((8, 8, 1))(keras.layers.Flatten()(logits))
    decoder = keras.Model(z_in, p_x, name="decoder")
    x_in = keras.Input((8, 8, 1))
    z = tfbsl.layers.Sampling(seed=seed)(encoder(x_in))
    model = keras.Model(x_in, decoder(z))
    model.compile(keras.optimizers.Adam(learning_rate), loss=negative_log_likelihood)
    return model, encoder, decoder


class _KerasIOSampling(keras.layers.Layer):
    def __init__(self, seed, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


class _KerasIOVAE(keras.Model):
    """The keras.io recipe: losses computed by hand in a custom train_step."""

    def __init__(self, encoder, decoder, seed, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.decoder = encoder, decoder
        self.sampling = _KerasIOSampling(seed, name="sampling")
        self.total_loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

    def call(self, x):
        z_mean, z_log_var = self.encoder(x)
        return self.decoder(self.sampling([z_mean, z_log_var]))

    def train_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        with tf.GradientTape() as tape:
            z_mean, z_log_var = self.encoder(x)
            reconstruction = self.decoder(self.sampling([z_mean, z_log_var]))
            reconstruction_loss = ops.mean(ops.sum(
                keras.losses.binary_crossentropy(x, reconstruction), axis=(1, 2)))
            kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
            kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
            total_loss = reconstruction_loss + kl_loss
        grads = tape.gradient(total_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights, strict=True))
        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.kl_loss_tracker.update_state(kl_loss)
        return {m.name: m.result() for m in self.metrics}


def kerasio_vae(latent_dim, seed, learning_rate):
    """(b) The keras.io way, same layers created in the same order."""
    keras.utils.set_random_seed(seed)
    encoder = build_encoder(latent_dim)
    z_in, probs = build_decoder_trunk(latent_dim, "sigmoid")
    decoder = keras.Model(z_in, probs, name="decoder")
    model = _KerasIOVAE(encoder, decoder, seed)
    model.compile(keras.optimizers.Adam(learning_rate))

    def bernoulli_decoder(z):
        # keras' binary_crossentropy clips probabilities at 1e-7 likewise.
        p = ops.clip(decoder(z), 1e-7, 1 - 1e-7)
        return tfd.Independent(tfd.Bernoulli(probs=p, dtype=tf.float32), 3)

    return model, encoder, bernoulli_decoder


class _EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self._start)


def run(method, build, x_train, x_test, args, seed):
    model, encoder, decoder = build(args.latent_dim, seed, args.learning_rate)
    timer = _EpochTimer()
    fit_y = x_train if method == "tfbsl" else None
    model.fit(x_train, fit_y, epochs=args.epochs, batch_size=args.batch_size,
              shuffle=True, verbose=0, callbacks=[timer])
    elbo = tfbsl.vae.evaluate_elbo(encoder, decoder, x_test, num_samples=10, seed=seed)
    iwae = tfbsl.vae.importance_weighted_log_likelihood(
        encoder, decoder, x_test, num_samples=args.iwae_k, seed=seed)
    return {
        "method": method, "seed": seed,
        "first_epoch_s": timer.times[0],
        "s_per_epoch": float(np.median(timer.times[1:] or timer.times)),
        "elbo": elbo["elbo"], "reconstruction": elbo["reconstruction"],
        "kl": elbo["kl"], "iwae": iwae,
    }


def summarise(rows, methods):
    keys = ("s_per_epoch", "first_epoch_s", "elbo", "reconstruction", "kl", "iwae")
    summary = {}
    for method in methods:
        mine = [r for r in rows if r["method"] == method]
        summary[method] = {k: float(np.mean([r[k] for r in mine])) for k in keys}
        summary[method].update(
            {k + "_se": float(np.std([r[k] for r in mine], ddof=1) / np.sqrt(len(mine)))
             if len(mine) > 1 else 0.0 for k in keys})
    return summary


def print_table(summary, args):
    a, b = summary["tfbsl"], summary["keras.io"]
    print(f"\nVAE on scikit-learn digits (8x8, binarised at 8/16), latent {args.latent_dim}, "
          f"{args.epochs} epochs, batch {args.batch_size}, {args.seeds} seed(s); "
          f"held-out nats per image (mean ± s.e. over seeds), IWAE K={args.iwae_k}")
    header = (f"| {'':<28} | {'tfbsl Sampling + fit':>22} | {'keras.io train_step':>22} "
              f"| {'ratio tfbsl / keras.io':>22} |")
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    def cell(s, key):
        return f"{s[key]:.4g} ± {s[key + '_se']:.2g}"

    for key, label in [("s_per_epoch", "seconds per epoch"),
                       ("first_epoch_s", "first epoch (tracing), s"),
                       ("elbo", "held-out ELBO"),
                       ("reconstruction", "  reconstruction E log p(x|z)"),
                       ("kl", "  KL"),
                       ("iwae", f"IWAE log p(x), K={args.iwae_k}")]:
        print(f"| {label:<28} | {cell(a, key):>22} | {cell(b, key):>22} "
              f"| {a[key] / b[key]:>22.3f} |")


def main():
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.vae_digits", description=__doc__.split("\n")[0],
        epilog="Results: benchmarks/results/vae_digits.{json,csv} (or --out).")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--latent-dim", type=int, default=2)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--iwae-k", type=int, default=100)
    parser.add_argument("--out", default=str(RESULTS / "vae_digits"))
    args = parser.parse_args()

    builders = {"tfbsl": tfbsl_vae, "keras.io": kerasio_vae}
    rows = []
    for seed in range(args.seeds):
        x_train, x_test = load_data(seed)
        for method, build in builders.items():
            rows.append(run(method, build, x_train, x_test, args, seed))
            print({k: round(v, 4) if isinstance(v, float) else v for k, v in rows[-1].items()},
                  flush=True)
    summary = summarise(rows, list(builders))
    print_table(summary, args)

    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"args": vars(args), "tensorflow": tf.__version__, "keras": keras.__version__,
            "tfp": tfp.__version__, "machine": platform.platform(), "cpus": os.cpu_count()}
    out.with_suffix(".json").write_text(
        json.dumps({"meta": meta, "summary": summary, "runs": rows}, indent=2))
    with open(out.with_suffix(".csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"\nwrote {out.with_suffix('.json')} and {out.with_suffix('.csv')}")


if __name__ == "__main__":
    main()
