"""Training callbacks: `KLAnnealing`."""

import keras

from tfbsl import _checks
from tfbsl.variational._kl import kl_layers

__all__ = ["KLAnnealing"]

_SCHEDULES = ("linear", "cyclical")
_UPDATES = ("epoch", "batch")


class KLAnnealing(keras.callbacks.Callback):
    """Ramps the KL weight of every tfbsl KL layer in the model during `fit`.

    Each update sets `layer.kl_weight_variable` to `factor * layer.kl_weight`
    for every layer found by `tfbsl.variational._kl.kl_layers(model)` (`Sampling`,
    the dense and convolutional variational layers, nested models included).
    The weight is a non-trainable variable read by the compiled train step, so
    annealing works under `jit_compile=True` without retracing. The factor
    in force is logged as `kl_factor` at the end of each epoch; after `fit`
    the variables keep the last value assigned.

    Args:
        schedule: `"linear"` (default): the factor goes from `start` to `stop`
            over `steps` updates, then stays at `stop`. `"cyclical"` (Fu et
            al. 2019): cycles of `steps` updates, each ramping linearly from
            `start` to `stop` over its first `ratio` fraction, then holding
            `stop`. Or a callable `step -> factor` (a finite number >= 0).
        steps: positive int, length of the ramp (linear) or of one cycle.
        start: factor at step 0, finite >= 0 (default 0).
        stop: factor at the end of the ramp, finite >= 0 (default 1).
        ratio: fraction of a cycle spent ramping, in (0, 1] (default 0.5).
        cycles: number of cycles after which the factor stays at `stop`;
            `None` (default) cycles for ever. Only for `"cyclical"`.
        update: `"epoch"` (default; step = epoch index) or `"batch"` (step =
            number of training batches seen by this callback).

    References:
        Bowman, Vilnis, Vinyals, Dai, Jozefowicz, Bengio (2016). "Generating
        Sentences from a Continuous Space". https://arxiv.org/abs/1511.06349

        Fu, Li, Liu, Gao, Celikyilmaz, Carin (2019). "Cyclical Annealing
        Schedule: A Simple Approach to Mitigating KL Vanishing".
        https://arxiv.org/abs/1903.10145

    Example:
    ```pycon
    >>> n = 32
    >>> model = keras.Sequential([keras.Input((2,)),
    ...                           tfbsl.layers.DenseVariational(1, kl_weight=1 / n)])
    >>> model.compile("adam", "mse")
    >>> annealing = tfbsl.callbacks.KLAnnealing("linear", steps=4)
    >>> history = model.fit(np.ones((n, 2)), np.ones((n, 1)), epochs=3, verbose=0,
    ...                     callbacks=[annealing])
    >>> [round(float(f), 2) for f in history.history["kl_factor"]]
    [0.0, 0.25, 0.5]

    ```
    """

    def __init__(self, schedule="linear", steps=10, start=0.0, stop=1.0,
                 ratio=0.5, cycles=None, update="epoch"):
        if callable(schedule):
            _checks.check_callable("schedule", schedule, "step -> factor", num_args=1)
        else:
            _checks.check_choice("schedule", schedule, _SCHEDULES)
        steps = _checks.check_positive_int("steps", steps)
        start = _checks.check_nonnegative_finite("start", start)
        stop = _checks.check_nonnegative_finite("stop", stop)
        ratio = _checks.check_positive_finite("ratio", ratio)
        if ratio > 1:
            raise ValueError(
                f"`ratio` must be in (0, 1]. Received: ratio={ratio!r}"
            )
        if cycles is not None:
            cycles = _checks.check_positive_int("cycles", cycles)
            if schedule != "cyclical":  # it would be ignored
                raise ValueError(
                    "`cycles` applies to schedule='cyclical' only. Received: "
                    f"cycles={cycles!r} with schedule={schedule!r}"
                )
        _checks.check_choice("update", update, _UPDATES)
        super().__init__()
        self.schedule = schedule
        self.steps = steps
        self.start = start
        self.stop = stop
        self.ratio = ratio
        self.cycles = cycles
        self.update = update
        self.factor = None
        self._batches_seen = 0

    def factor_at(self, step):
        """The schedule's factor at update number `step` (from 0)."""
        if callable(self.schedule):
            # A NaN or negative factor would silently spoil the KL weights.
            return _checks.check_nonnegative_finite(f"schedule({step})", self.schedule(step))
        if self.schedule == "linear":
            progress = min(1.0, step / self.steps)
        elif self.cycles is not None and step >= self.cycles * self.steps:
            progress = 1.0
        else:
            progress = min(1.0, (step % self.steps) / (self.ratio * self.steps))
        return self.start + (self.stop - self.start) * progress

    def on_train_begin(self, logs=None):
        self._layers = kl_layers(self.model)
        if not self._layers:
            raise ValueError(
                "KLAnnealing found no layer with a KL weight in the model "
                "(expected tfbsl KL layers such as `Sampling` or the dense "
                "variational layers). Received: model with layers "
                f"{[layer.name for layer in self.model.layers]}"
            )

    def on_epoch_begin(self, epoch, logs=None):
        if self.update == "epoch":
            self._assign(epoch)

    def on_train_batch_begin(self, batch, logs=None):
        if self.update == "batch":
            self._assign(self._batches_seen)
            self._batches_seen += 1

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["kl_factor"] = self.factor

    def _assign(self, step):
        self.factor = self.factor_at(step)
        for layer in self._layers:
            layer.kl_weight_variable.assign(self.factor * layer.kl_weight)
