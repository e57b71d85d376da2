"""SWAG: a Gaussian over the weights from the SGD trajectory."""

import collections

import keras
import numpy as np

from tfbsl import _checks

__all__ = ["SWAG"]


class SWAG(keras.callbacks.Callback):
    """Stochastic Weight Averaging–Gaussian, collected during `fit`.

    At the end of each epoch from `start_epoch` on, the model's flattened
    trainable weights theta_i are added to running first and second moments
    (mean theta_bar and the diagonal variance `mean(theta^2) - theta_bar^2`)
    and the deviation `theta_i - theta_bar_i` (from the running mean after
    the update, as in Maddox et al.'s Algorithm 1) to the last `max_rank`
    deviations, the columns of D. `sample` draws
    `theta_bar + (1/sqrt 2) Sigma_diag^{1/2} z1 + (1/sqrt(2 (K - 1))) D z2`
    (K the number of deviation columns; the low-rank term is left out while
    K < 2) and sets it as the model's weights.

    Args:
        start_epoch: the first epoch (0-based) whose weights are collected,
            an integer >= 0.
        max_rank: how many deviation columns are kept, an integer >= 1.

    Raises:
        TypeError: if an argument is not an integer.
        ValueError: if an argument is out of range.

    References:
        Maddox, Garipov, Izmailov, Vetrov & Wilson (2019), "A Simple
        Baseline for Bayesian Uncertainty in Deep Learning",
        https://arxiv.org/abs/1902.02476

    Example:
    ```pycon
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    >>> model.compile(keras.optimizers.SGD(0.01), "mse")
    >>> swag = tfbsl.baselines.SWAG(start_epoch=1, max_rank=5)
    >>> history = model.fit(np.ones((16, 3)), np.ones((16, 1)), epochs=4, verbose=0,
    ...                     callbacks=[swag])
    >>> swag.num_collected, swag.mean.shape  # epochs 1-3; 3 + 1 weights
    (3, (4,))
    >>> theta = swag.sample(seed=0)  # now the model's weights
    >>> theta.shape
    (4,)

    ```
    """

    def __init__(self, start_epoch=0, max_rank=20):
        super().__init__()
        self.start_epoch = _checks.check_int("start_epoch", start_epoch, minimum=0)
        self.max_rank = _checks.check_positive_int("max_rank", max_rank)
        self.num_collected = 0
        self._mean = None
        self._sq_mean = None
        self._deviations = collections.deque(maxlen=self.max_rank)

    def on_epoch_end(self, epoch, logs=None):
        if epoch >= self.start_epoch:
            self.update(_flatten(self.model.trainable_weights))

    def update(self, weights):
        """Add one flattened weight vector to the moments and deviations.

        Args:
            weights: a 1-D array of numbers, the same length every time.

        Raises:
            TypeError: if `weights` is not numeric.
            ValueError: if it is not a finite 1-D array of the length
                collected so far.
        """
        theta = np.asarray(_checks.check_numeric_array("weights", weights), np.float64)
        if theta.ndim != 1 or not np.all(np.isfinite(theta)) or (
                self._mean is not None and theta.shape != self._mean.shape):
            expected = "" if self._mean is None else f" of length {len(self._mean)}"
            raise ValueError(
                f"`weights` must be a finite 1-D array{expected}. Received: "
                f"weights.shape={theta.shape}")
        if self._mean is None:
            self._mean, self._sq_mean = np.zeros_like(theta), np.zeros_like(theta)
        self.num_collected += 1
        self._mean += (theta - self._mean) / self.num_collected
        self._sq_mean += (theta * theta - self._sq_mean) / self.num_collected
        self._deviations.append(theta - self._mean)

    def _require_collected(self):
        if self._mean is None:
            raise ValueError("SWAG has collected no weights yet (train with it "
                             "as a callback, or call `update`).")

    @property
    def mean(self):
        """theta_bar, the running mean of the collected weights (float64)."""
        self._require_collected()
        return self._mean.copy()

    @property
    def variance(self):
        """The diagonal variance `mean(theta^2) - theta_bar^2`, clipped at 0."""
        self._require_collected()
        return np.clip(self._sq_mean - self._mean ** 2, 0.0, None)

    @property
    def deviations(self):
        """D, shape `(num_weights, K)`: the last K <= `max_rank` deviations."""
        self._require_collected()
        return np.stack(self._deviations, axis=1)

    def sample(self, seed=None, model=None):
        """Draw weights from the SWAG Gaussian and set them on a model.

        Args:
            seed: an integer seed for NumPy's generator, or None.
            model: the model whose trainable weights are set; default: the
                model this callback was trained with.

        Returns:
            The drawn flat weight vector (NumPy float64).

        Raises:
            ValueError: if nothing was collected, there is no model, or the
                model's weight count differs from the collected vectors'.
        """
        seed = _checks.check_seed("seed", seed)
        self._require_collected()
        model = model if model is not None else self.model
        if model is None:
            raise ValueError("`model` must be given: this SWAG was not trained "
                             "with a model. Received: model=None")
        rng = np.random.default_rng(seed)
        theta = self._mean + np.sqrt(self.variance / 2) * rng.normal(size=self._mean.shape)
        rank = len(self._deviations)
        if rank >= 2:
            theta += self.deviations @ rng.normal(size=rank) / np.sqrt(2 * (rank - 1))
        _assign(model.trainable_weights, theta)
        return theta


def _flatten(variables):
    return np.concatenate(
        [np.ravel(keras.ops.convert_to_numpy(v)).astype(np.float64) for v in variables])


def _assign(variables, theta):
    size = sum(int(np.prod(v.shape)) for v in variables)
    if size != len(theta):
        raise ValueError(
            f"`model` must have {len(theta)} trainable weights, as collected. "
            f"Received: a model with {size}")
    start = 0
    for v in variables:
        count = int(np.prod(v.shape))
        v.assign(theta[start:start + count].reshape(v.shape).astype(v.dtype))
        start += count
