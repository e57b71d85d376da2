import keras
import numpy as np
import pytest

from tfbsl.callbacks import KLAnnealing
from tfbsl.layers import Sampling
from tfbsl.variational._kl import add_kl_weight_variable

RNG = np.random.default_rng(5)
X = RNG.normal(size=(32, 4)).astype("float32")


class _TraceCounter(keras.Layer):
    """Identity layer counting how often its `call` is traced."""

    traces = 0

    def call(self, x):
        type(self).traces += 1
        return x


class _OtherKLLayer(keras.Layer):
    """A stand-in for another family's KL layer using the shared protocol."""

    def __init__(self, kl_weight=2.0, **kwargs):
        super().__init__(**kwargs)
        self.kl_weight = kl_weight

    def build(self, input_shape):
        add_kl_weight_variable(self)

    def call(self, x):
        self.add_loss(self.kl_weight_variable * 3.0)
        return x


def _model():
    inputs = keras.Input((4,))
    h = keras.layers.Dense(2)(inputs)
    z = Sampling(kl_weight=0.5, seed=0)([h, keras.layers.Dense(2)(inputs)])
    # A zero output against zero targets and lr = 0: the loss is the KL
    # terms alone, deterministic (analytic KL) and weighted by the schedule.
    out = keras.layers.Dense(4, kernel_initializer="zeros")(_TraceCounter()(z))
    model = keras.Model(inputs, _OtherKLLayer()(out))
    model.compile(keras.optimizers.SGD(0.0), loss="mse", jit_compile=True)
    return model


@pytest.mark.slow
def test_annealing_drives_every_kl_layer_under_jit_without_retracing():
    model = _model()
    _TraceCounter.traces = 0
    annealing = KLAnnealing("linear", steps=2, start=0.0, stop=1.0)
    history = model.fit(X, 0 * X, epochs=4, batch_size=32, verbose=0,
                        callbacks=[annealing])
    assert history.history["kl_factor"] == [0.0, 0.5, 1.0, 1.0]
    losses = np.array(history.history["loss"])
    # loss = factor * (0.5 * KL + 3 * 2.0): Sampling's KL at kl_weight 0.5
    # plus the other layer's 3 * kl_weight.
    sampling = [la for la in model.layers if isinstance(la, Sampling)][0]
    sampling([model.layers[1](X), model.layers[2](X)])
    expected = float(sampling.losses[0]) + 6.0
    np.testing.assert_allclose(losses, [0.0, 0.5 * expected, expected, expected], rtol=1e-5)
    assert float(model.layers[-1].kl_weight_variable.numpy()) == 2.0
    # The jit-compiled train step was traced once for all four weights.
    assert _TraceCounter.traces == 1, _TraceCounter.traces


def test_schedules():
    linear = KLAnnealing("linear", steps=4, start=0.2, stop=1.0)
    assert [linear.factor_at(t) for t in (0, 2, 4, 9)] == pytest.approx([0.2, 0.6, 1.0, 1.0])
    cyclical = KLAnnealing("cyclical", steps=4, ratio=0.5, cycles=2)
    assert [cyclical.factor_at(t) for t in range(10)] == pytest.approx(
        [0, 0.5, 1, 1, 0, 0.5, 1, 1, 1, 1])
    custom = KLAnnealing(lambda t: 0.1 * t)
    assert custom.factor_at(3) == pytest.approx(0.3)


@pytest.mark.slow
def test_batch_updates():
    model = _model()
    annealing = KLAnnealing("linear", steps=4, update="batch")
    model.fit(X, X, epochs=2, batch_size=8, verbose=0, callbacks=[annealing])
    # 8 batches: the last one was run at step 7 -> factor 1.
    assert annealing.factor == 1.0
    annealing = KLAnnealing("linear", steps=100, update="batch")
    model.fit(X, X, epochs=1, batch_size=8, verbose=0, callbacks=[annealing])
    assert annealing.factor == pytest.approx(0.03)


@pytest.mark.parametrize("kwargs,match", [
    ({"schedule": "cosine"}, "schedule"),
    ({"steps": 0}, "steps"),
    ({"start": -1.0}, "start"),
    ({"ratio": 1.5}, "ratio"),
    ({"cycles": 0}, "cycles"),
    ({"update": "step"}, "update"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        KLAnnealing(**kwargs)


def test_model_without_kl_layers_is_an_error():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(4)(inputs))
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="no layer with a KL weight"):
        model.fit(X, X, epochs=1, verbose=0, callbacks=[KLAnnealing()])
