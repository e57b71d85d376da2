"""What the ported programs share that is not program text: the small local
data standing in for their downloads, and the held-out measurements.

Both copies of a program call these the same way. The measurements take what a
model returns under either library: a TFP distribution (`tf_keras` +
`tfp.layers`) or a tfbsl tensor carrying `.distribution` (whose `log_prob`,
`mean`, `stddev`, `sample`, ... are the distribution's), and reach the
distribution itself only through `as_distribution`.
"""

import types

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

tfd = tfp.distributions

# scikit-learn's digits (1,797 images, 8x8, values 0-16), one fixed stratified
# 80/20 split, as MNIST's train/test split is fixed.
DIGITS_SPLIT_SEED = 0
DIGITS_TEST_FRACTION = 0.2


def _digits_split():
    digits = load_digits()
    # To the 0-255 uint8 range of MNIST, which the programs' preprocessing expects.
    images = np.round(digits.images * (255.0 / 16.0)).astype(np.uint8)
    return train_test_split(
        images, digits.target.astype(np.uint8), test_size=DIGITS_TEST_FRACTION,
        stratify=digits.target, random_state=DIGITS_SPLIT_SEED)


def digits_as_mnist(num_train=None, num_heldout=None):
    """`((x_train, y_train), (x_test, y_test))` as `keras.datasets.mnist.load_data()`
    returns it (uint8 images in 0-255, uint8 labels), from the 8x8 digits.
    `num_train` / `num_heldout`: the first examples only."""
    x_train, x_test, y_train, y_test = _digits_split()
    return ((x_train[:num_train], y_train[:num_train]),
            (x_test[:num_heldout], y_test[:num_heldout]))


def digits_as_tfds(num_train=None):
    """`(datasets, datasets_info)` as `tfds.load(name='mnist', with_info=True,
    as_supervised=False)` returns them, from the 8x8 digits: `datasets['train']`
    and `['test']` are `tf.data.Dataset`s of `{'image': uint8 (8, 8, 1), 'label'}`,
    and `datasets_info.features['image'].shape` is `(8, 8, 1)`."""
    x_train, x_test, y_train, y_test = _digits_split()
    x_train, y_train = x_train[:num_train], y_train[:num_train]

    def dataset(images, labels):
        return tf.data.Dataset.from_tensor_slices(
            {"image": images[..., None], "label": labels.astype(np.int64)})

    datasets = {"train": dataset(x_train, y_train), "test": dataset(x_test, y_test)}
    info = types.SimpleNamespace(features={"image": types.SimpleNamespace(shape=(8, 8, 1))})
    return datasets, info


# The regression tutorial's data-generating process (its `load_dataset`), drawn
# again for a held-out set: the tutorial has none (its `x_tst` is a grid).
W0, B0, X_RANGE = 0.125, 5.0, (-20, 60)


def regression_heldout(n=150, seed=44):
    """`(y, x)`: `n` new points of the tutorial's process (it draws its
    training set with seed 43), `y` of shape `(n,)`, `x` of shape `(n, 1)`."""
    rng = np.random.RandomState(seed)
    x = (X_RANGE[1] - X_RANGE[0]) * rng.rand(n) + X_RANGE[0]
    g = (x - X_RANGE[0]) / (X_RANGE[1] - X_RANGE[0])
    y = (W0 * x * (1.0 + np.sin(x)) + B0) + rng.randn(n) * 3 * (0.25 + g**2.0)
    return y, x[..., np.newaxis]


def as_distribution(output):
    """The distribution a model output is (`tfp.layers`) or carries (tfbsl)."""
    return output if isinstance(output, tfd.Distribution) else output.distribution


def heldout_nll(model, x, y, draws=1):
    """Held-out NLL per point, nats: `-mean_i log (1/S) sum_s p(y_i | draw s)`,
    `S = draws` calls of `model(x)` (each a new draw of a variational layer's
    weights), `p` the model's per-point Normal. The calls run in one
    `tf.function` (traced once: 100 eager calls would take seconds)."""
    x = tf.constant(x)
    y = np.asarray(y, np.float64).reshape(-1, 1)

    @tf.function
    def log_prob():
        distribution = as_distribution(model(x))
        return tf.cast(distribution.log_prob(tf.cast(y, distribution.dtype)), tf.float64)

    log_probs = tf.stack([log_prob() for _ in range(draws)])  # (draws, n, 1)
    mixture = tf.reduce_logsumexp(log_probs, axis=0) - np.log(draws)
    return float(-tf.reduce_mean(mixture))


def gp_heldout_nll(model, x, y):
    """Held-out NLL per point, nats, of a Gaussian-process output: each point's
    predictive marginal `Normal(mean, stddev)` (observation noise included)."""
    distribution = as_distribution(model(x))
    marginal = tfd.Normal(distribution.mean(), distribution.stddev())
    y = np.asarray(y).reshape(-1, 1).astype(marginal.dtype.name)
    return float(-tf.reduce_mean(marginal.log_prob(y)))


def vae_heldout_nelbo(encoder, decoder, prior, dataset, num_samples=10):
    """Held-out negative ELBO per image, nats: `E_q[-log p(x|z)] + KL(q(z|x) || p(z))`,
    the KL exact and the expectation over `num_samples` draws of `z`; also
    its two parts. `dataset` yields `(image, image)` batches (the tutorial's)."""
    # The tutorial's prior, Independent(Normal), as the MultivariateNormalDiag it
    # is: TFP has no exact KL from a MultivariateNormalTriL to an Independent.
    prior = tfd.MultivariateNormalDiag(prior.mean(), prior.stddev())
    reconstruction, kl, count = 0.0, 0.0, 0
    for x, _ in dataset:
        x = tf.cast(x, tf.float32)
        q = as_distribution(encoder(x))
        kl += float(tf.reduce_sum(tfd.kl_divergence(q, prior)))
        for _ in range(num_samples):
            p_x = as_distribution(decoder(q.sample()))
            reconstruction -= float(tf.reduce_sum(p_x.log_prob(x))) / num_samples
        count += int(x.shape[0])
    return {"nelbo": (reconstruction + kl) / count,
            "reconstruction": reconstruction / count, "kl": kl / count}


def classification_figures(mean_probs, labels_onehot):
    """Held-out NLL of the true labels (nats per example) and accuracy of
    Monte-Carlo mean class probabilities `mean_probs` (examples x classes)."""
    mean_probs = np.asarray(mean_probs, np.float64)
    labels = np.argmax(np.asarray(labels_onehot), axis=-1)
    p_true = mean_probs[np.arange(len(labels)), labels]
    return {"heldout_nll": float(-np.mean(np.log(np.maximum(p_true, 1e-300)))),
            "heldout_accuracy": float(np.mean(np.argmax(mean_probs, axis=-1) == labels))}
