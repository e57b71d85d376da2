"""Flow blocks: change of variables against autodiff, invertibility, MADE
masks, Keras conformance, and argument checks."""

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp
from keras.src import testing
from scipy import stats

from tests.conformance import check_model_conformance
from tfbsl.layers import (
    ActNorm,
    AffineCoupling,
    AutoregressiveNetwork,
    MaskedAutoregressive,
    NormalizingFlow,
    Permute,
    SplineAutoregressive,
    SplineCoupling,
)

tfd = tfp.distributions
RNG = np.random.default_rng(0)

BLOCKS = {
    "maf": lambda: MaskedAutoregressive((8, 8)),
    "affine_coupling": lambda: AffineCoupling((8,)),
    "spline_coupling": lambda: SplineCoupling((8,), bins=4, bound=3.0),
    "spline_autoregressive": lambda: SplineAutoregressive((8,), bins=4, bound=3.0),
    "permute_reverse": lambda: Permute(),
    "permute_random": lambda: Permute("random", seed=2),
    "permute_list": lambda: Permute([2, 0, 1]),
    "actnorm": lambda: ActNorm(),
}


@keras.saving.register_keras_serializable(package="tests")
def negative_log_prob(_, log_prob):
    return -log_prob


def _randomize(layer, scale=0.4, seed=0):
    """Random weights, so that no block is the identity (biases included)."""
    rng = np.random.default_rng(seed)
    for v in layer.trainable_weights:
        v.assign(rng.normal(scale=scale, size=v.shape).astype("float32"))


def _flow(blocks, x, context=None):
    flow = NormalizingFlow(blocks)
    flow(x, context=context)
    _randomize(flow)
    return flow


def _autodiff_log_prob(flow, x, context):
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        z = flow.inverse(x, context)
    jacobian = tape.batch_jacobian(z, x)
    _, log_det = tf.linalg.slogdet(jacobian)
    base = tfd.MultivariateNormalDiag(loc=tf.zeros(x.shape[-1]))
    return base.log_prob(z) + log_det


@pytest.mark.slow
@pytest.mark.parametrize("name", list(BLOCKS))
def test_block_change_of_variables_and_inverse(name):
    # Conditional blocks are checked in the stacked conditional flow below.
    x = RNG.normal(size=(16, 3)).astype("float32") * 1.5
    context = None
    flow = _flow([BLOCKS[name]()], x, context)
    np.testing.assert_allclose(
        flow.log_prob(x, context), _autodiff_log_prob(flow, x, context), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(flow.forward(flow.inverse(x, context), context), x, atol=1e-4)
    np.testing.assert_allclose(flow.inverse(flow.forward(x, context), context), x, atol=1e-4)
    np.testing.assert_allclose(flow.blocks[0](x, context=context), flow.inverse(x, context),
                               atol=1e-6)


@pytest.mark.slow
def test_stacked_conditional_flow_change_of_variables_and_inverse():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(16, 4)).astype("float32")
    context = rng.normal(size=(16, 3)).astype("float32")
    flow = _flow(
        [factory() for factory in BLOCKS.values() if factory is not BLOCKS["permute_list"]],
        x, context)
    log_prob = flow.log_prob(x, context)
    np.testing.assert_allclose(log_prob, _autodiff_log_prob(flow, x, context), rtol=1e-4, atol=1e-4)
    z, log_det = flow.inverse_and_log_det(x, context)
    np.testing.assert_allclose(log_det, flow.log_det_jacobian(x, context), atol=1e-6)
    assert log_det.dtype == tf.float32 and log_det.shape == (16,)
    np.testing.assert_allclose(flow.forward(z, context), x, atol=1e-4)
    # The whole flow as one TFP bijector and distribution.
    np.testing.assert_allclose(
        flow.bijector(context).inverse(x), z, atol=1e-5)


@pytest.mark.parametrize("order", ["left-to-right", "right-to-left"])
@pytest.mark.parametrize("event_size", [1, 2, 5])
def test_made_jacobian_is_strictly_triangular(order, event_size):
    made = AutoregressiveNetwork(
        params=3, event_shape=event_size, conditional=True, conditional_event_shape=2,
        hidden_units=(16, 16), input_order=order, activation="relu")
    x = tf.convert_to_tensor(RNG.normal(size=(4, event_size)).astype("float32"))
    context = tf.convert_to_tensor(RNG.normal(size=(4, 2)).astype("float32"))
    made(x, conditional_input=context)
    _randomize(made)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = made(x, conditional_input=context)
    assert out.shape == (4, event_size, 3)
    jacobian = tape.batch_jacobian(out, x).numpy()  # [batch, out_dim, param, in_dim]
    allowed = np.tril(np.ones((event_size, event_size)), -1)
    if order == "right-to-left":
        allowed = allowed.T
    for p in range(3):
        assert np.all(jacobian[:, :, p, :][:, allowed == 0] == 0)
    if event_size > 1:
        assert np.all(np.abs(jacobian[:, :, 0, :]).sum(0)[allowed == 1] > 0)


def test_samples_follow_the_model_density():
    # A 1-D flow: its CDF by quadrature of exp(log_prob), then a KS test of
    # seeded samples against it (the density also has to integrate to 1).
    flow = _flow([ActNorm(), SplineAutoregressive((8,), bins=5, bound=3.0),
                  MaskedAutoregressive((8,))], RNG.normal(size=(64, 1)).astype("float32"))
    grid = np.linspace(-15, 15, 30001, dtype="float32")[:, None]
    density = np.exp(flow.log_prob(grid).numpy())
    cdf = np.cumsum(density) * (grid[1, 0] - grid[0, 0])
    assert abs(cdf[-1] - 1) < 2e-3
    samples = flow.sample(2000, seed=5).numpy()[:, 0]
    pvalue = stats.kstest(samples, lambda s: np.interp(s, grid[:, 0], cdf)).pvalue
    assert pvalue > 1e-3
    np.testing.assert_array_equal(samples, flow.sample(2000, seed=5).numpy()[:, 0])
    assert not np.array_equal(flow.sample(10).numpy(), flow.sample(10).numpy())


class FlowLayersTest(testing.TestCase):
    @pytest.mark.slow
    def test_run_layer_test_blocks(self):
        for name, factory in BLOCKS.items():
            layer = factory()
            non_trainable = {"actnorm": 1}.get(name, 0) + (1 if name.startswith("permute") else 0)
            trainable = {"maf": 6, "affine_coupling": 4, "spline_coupling": 4,
                         "spline_autoregressive": 4, "actnorm": 2}.get(name, 0)
            # Mixed precision: flows compute log-densities in float32 (TFP
            # bijectors mix no dtypes); the float16 check does not apply.
            self.run_layer_test(
                type(layer), init_kwargs=layer.get_config(), input_shape=(4, 3),
                expected_output_shape=(4, 3),
                expected_num_trainable_weights=trainable,
                expected_num_non_trainable_weights=non_trainable,
                expected_num_seed_generators=1 if name == "permute_random" else 0,
                run_training_check=trainable > 0,
                run_mixed_precision_check=False,
            )

    @pytest.mark.slow
    def test_run_layer_test_made_and_flow(self):
        self.run_layer_test(
            AutoregressiveNetwork, init_kwargs={"params": 2, "hidden_units": [8]},
            input_shape=(4, 3), expected_output_shape=(4, 3, 2),
            expected_num_trainable_weights=4, run_mixed_precision_check=False,
        )
        self.run_layer_test(
            NormalizingFlow,
            init_kwargs={"blocks": [MaskedAutoregressive((8,)), Permute()]},
            input_shape=(4, 3), expected_output_shape=(4,),
            expected_num_trainable_weights=4, expected_num_non_trainable_weights=1,
            expected_num_seed_generators=1,
            run_mixed_precision_check=False,
        )


@pytest.mark.slow
def test_conditional_flow_model_conforms(tmp_path):
    # Splines are fit jit-compiled in test_flows_training.py and the notebook;
    # leaving them out here keeps the suite's XLA compile time down.
    x = RNG.normal(size=(64, 3)).astype("float32")
    c = RNG.normal(size=(64, 2)).astype("float32")
    blocks = [ActNorm(), MaskedAutoregressive((8,)), Permute("random", seed=1),
              AffineCoupling((8,))]
    x_in, c_in = keras.Input((3,)), keras.Input((2,))
    model = keras.Model([x_in, c_in], NormalizingFlow(blocks)(x_in, context=c_in))
    loaded = check_model_conformance(
        model, [x, c], np.zeros(64, "float32"), loss=negative_log_prob, tmp_path=tmp_path)
    flow = loaded.layers[-1]
    assert bool(flow.blocks[0].initialized.numpy())
    np.testing.assert_array_equal(
        flow.blocks[2].indices.numpy(), model.layers[-1].blocks[2].indices.numpy())


def test_non_default_base_is_a_layer_and_serialises(tmp_path):
    from tfbsl.layers import IndependentNormal, VariableLayer

    base = keras.Sequential([VariableLayer((1, 4)), IndependentNormal(2)])
    x = RNG.normal(size=(32, 2)).astype("float32")
    x_in = keras.Input((2,))
    flow = NormalizingFlow([AffineCoupling((8,)), Permute()], base=base)
    model = keras.Model(x_in, flow(x_in))
    _randomize(flow)
    model.save(tmp_path / "base.keras")
    loaded = keras.saving.load_model(tmp_path / "base.keras")
    np.testing.assert_allclose(loaded(x), model(x), rtol=1e-6, atol=1e-6)
    z = flow.inverse(x)
    expected = base(np.zeros((1, 0))).distribution.log_prob(z) + flow.log_det_jacobian(x)
    np.testing.assert_allclose(flow.log_prob(x), expected, rtol=1e-5, atol=1e-5)
    assert flow.sample(7, seed=1).shape == (7, 2)
    assert len(loaded.trainable_weights) == 4 + 1


def test_bad_arguments_are_value_errors():
    x2 = np.zeros((4, 2), "float32")
    with pytest.raises(ValueError, match=r"event size >= 2.*inputs.shape=\(4, 1\)"):
        AffineCoupling()(np.zeros((4, 1), "float32"))
    with pytest.raises(ValueError, match=r"event size >= 2.*inputs.shape=\(4, 1\)"):
        NormalizingFlow([SplineCoupling()])(np.zeros((4, 1), "float32"))
    with pytest.raises(ValueError, match=r"permutation.*Received: permutation=\[0, 0\]"):
        Permute([0, 0])
    with pytest.raises(ValueError, match=r"permutation.*Received: permutation=\[0.5, 1\]"):
        Permute([0.5, 1])
    with pytest.raises(ValueError, match=r"permutation.*'backwards'"):
        Permute("backwards")
    with pytest.raises(ValueError, match=r"permutation of range\(2\).*\[0, 2\]"):
        Permute([0, 2])(x2)
    with pytest.raises(ValueError, match=r"hidden_units.*-3"):
        MaskedAutoregressive((8, -3))
    with pytest.raises(ValueError, match=r"bins.*0"):
        SplineCoupling(bins=0)
    with pytest.raises(ValueError, match=r"blocks"):
        NormalizingFlow([keras.layers.Dense(2)])
    with pytest.raises(ValueError, match=r"base"):
        NormalizingFlow([Permute()], base=tfd.Normal(0.0, 1.0))

    flow = NormalizingFlow([MaskedAutoregressive((8,)), Permute()])
    flow(x2, context=np.zeros((4, 3), "float32"))
    with pytest.raises(ValueError, match=r"context with a last axis of 3.*context.shape=\(4, 5\)"):
        flow.log_prob(x2, np.zeros((4, 5), "float32"))
    with pytest.raises(ValueError, match=r"context.*context=None"):
        flow.log_prob(x2)
    with pytest.raises(ValueError, match=r"2 features.*inputs.shape=\(4, 3\)"):
        flow.log_prob(np.zeros((4, 3), "float32"), np.zeros((4, 3), "float32"))
    block = flow.blocks[0]
    with pytest.raises(ValueError, match=r"`context`.*last axis of 3.*context.shape=\(4, 1\)"):
        block(x2, context=np.zeros((4, 1), "float32"))
    with pytest.raises(ValueError, match=r"2 features.*inputs.shape=\(4, 5\)"):
        block(np.zeros((4, 5), "float32"), context=np.zeros((4, 3), "float32"))
    built = NormalizingFlow([Permute()])
    built(keras.Input((2,)))
    with pytest.raises(ValueError, match=r"2 features.*inputs.shape=\(None, 5\)"):
        built(keras.Input((5,)))
