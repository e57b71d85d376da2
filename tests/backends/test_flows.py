"""The flow family on every backend: each block trained with `fit`
(jit-compiled), inverted, its log-density checked against a finite-difference
Jacobian, sampled with seeds; a conditional flow, a layer base and `.keras`
round trips."""

import keras
import numpy as np
import pytest
from keras import ops

import tfbsl
from tfbsl import layers as L
from tfbsl._backend import tfd

BACKEND = keras.backend.backend()

# tanh conditioners: smooth maps, for the finite-difference Jacobians.
BLOCKS = {
    "masked_autoregressive": lambda: L.MaskedAutoregressive((8,), activation="tanh"),
    "affine_coupling": lambda: L.AffineCoupling((8,), activation="tanh"),
    "spline_coupling": lambda: L.SplineCoupling((8,), bins=4, activation="tanh"),
    "spline_autoregressive": lambda: L.SplineAutoregressive((8,), bins=4, activation="tanh"),
    "permute": lambda: L.Permute("random", seed=2),
    "actnorm": lambda: L.ActNorm(),
}


def _banana(n, seed):
    """A curved, non-Gaussian 2-D set: x1 = x0^2 plus a little noise."""
    z = np.random.default_rng(seed).normal(size=(n, 2))
    return np.stack([z[:, 0], z[:, 0] ** 2 - 1 + 0.3 * z[:, 1]], -1).astype("float32")


X, X_TEST = _banana(512, 0), _banana(256, 1)


def _nll(flow, x, context=None):
    return -float(np.mean(ops.convert_to_numpy(flow.log_prob(x, context))))


def _fit(flow, x, context=None, epochs=20, learning_rate=1e-2):
    inputs = [keras.Input((x.shape[1],))]
    if context is not None:
        inputs.append(keras.Input((context.shape[1],)))
    model = keras.Model(inputs, flow(*inputs))
    model.compile(keras.optimizers.Adam(learning_rate), loss=lambda _, log_prob: -log_prob,
                  jit_compile=True)
    data = x if context is None else [x, context]
    model.fit(data, np.zeros(len(x), "float32"), batch_size=128, epochs=epochs, verbose=0)
    return model


# Every block in a jit-compiled `fit` (slow: training to a target; XLA takes
# ~25 s to compile a spline block on TensorFlow): the affine and spline families.
FITTED = {
    "affine": lambda: [BLOCKS["actnorm"](), BLOCKS["masked_autoregressive"](),
                       BLOCKS["permute"](), BLOCKS["affine_coupling"]()],
    "spline": lambda: [BLOCKS["spline_coupling"](), L.Permute(), BLOCKS["spline_autoregressive"]()],
}


def _gaussian_nll(x_train, x_test):
    """Held-out NLL of the Gaussian fitted to `x_train` by moments."""
    mean, cov = x_train.mean(0), np.cov(x_train, rowvar=False)
    d = x_test - mean
    return np.mean(0.5 * np.einsum("ni,ij,nj->n", d, np.linalg.inv(cov), d)
                   + 0.5 * np.log(np.linalg.det(2 * np.pi * cov)))


@pytest.mark.slow
@pytest.mark.parametrize("family", ["affine", "spline"])
def test_fit_lowers_the_held_out_nll_below_a_gaussians(family):
    flow = L.NormalizingFlow(FITTED[family]())
    # On JAX, ActNorm initialises from a call outside the compiled steps.
    before = _nll(flow, X_TEST)
    _fit(flow, X)
    after = _nll(flow, X_TEST)
    assert after < before - 0.1, (before, after)
    # The banana is not Gaussian: a flow beats the best Gaussian.
    gaussian = _gaussian_nll(X, X_TEST)
    assert after < gaussian - 0.2, (after, gaussian)


_BUILT = {}
# One batch size in the per-block checks: JAX compiles each eager op per shape.
N = 16


def _built(name):
    """`name`'s block as a flow (after an affine coupling when the block alone
    would be linear), called once on data, for the per-block checks."""
    if name not in _BUILT:
        blocks = [BLOCKS[name]()]
        if name in ("permute", "actnorm"):
            blocks.append(BLOCKS["affine_coupling"]())
        flow = L.NormalizingFlow(blocks)
        flow(X[:N])
        _BUILT[name] = flow
    return _BUILT[name]


@pytest.mark.parametrize("name", list(BLOCKS))
def test_inverse_undoes_forward(name):
    flow = _built(name)
    z = np.random.default_rng(3).normal(size=(N, 2)).astype("float32")
    np.testing.assert_allclose(flow.inverse(flow.forward(z)), z, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(flow.forward(flow.inverse(X_TEST[:N])), X_TEST[:N],
                               rtol=1e-4, atol=1e-4)


def _log_det_by_finite_differences(f, x, h=2e-3):
    """`log|det df/dx|` per row of `x`, by central differences (in float64
    of a float32 map: its rounding, ~1e-7 / h, stays below 1e-4)."""
    columns = []
    for j in range(x.shape[1]):
        step = np.zeros_like(x)
        step[:, j] = h
        up = np.asarray(ops.convert_to_numpy(f(x + step)), "float64")
        down = np.asarray(ops.convert_to_numpy(f(x - step)), "float64")
        columns.append((up - down) / (2 * h))
    return np.log(np.abs(np.linalg.det(np.stack(columns, -1))))


@pytest.mark.parametrize("name", list(BLOCKS))
def test_log_prob_is_the_base_log_prob_plus_the_log_det(name):
    flow = _built(name)
    x = X_TEST[:N]
    z = flow.inverse(x)
    expected = (ops.convert_to_numpy(flow.base_distribution().log_prob(z))
                + _log_det_by_finite_differences(flow.inverse, x))
    np.testing.assert_allclose(flow.log_prob(x), expected, rtol=1e-3, atol=2e-3)
    np.testing.assert_allclose(flow.log_det_jacobian(x), expected - ops.convert_to_numpy(
        flow.base_distribution().log_prob(z)), rtol=1e-3, atol=2e-3)


@pytest.mark.parametrize("name", list(BLOCKS))
def test_sample_is_reproducible_for_a_seed(name):
    flow = _built(name)
    first = ops.convert_to_numpy(flow.sample(N, seed=5))
    assert first.shape == (N, 2) and np.all(np.isfinite(first))
    np.testing.assert_array_equal(flow.sample(N, seed=5), first)
    assert not np.allclose(flow.sample(N, seed=6), first)
    # Without a seed, the layer's SeedGenerator steps: two draws differ.
    assert not np.allclose(flow.sample(N), flow.sample(N))


@pytest.mark.slow
def test_a_conditional_flow_with_a_layer_base_learns_its_context():
    rng = np.random.default_rng(4)
    context = rng.choice([-2.0, 2.0], size=(512, 1)).astype("float32")
    x = (context + 0.5 * rng.normal(size=(512, 2))).astype("float32")
    # The base, a layer, is called on the context: a trainable conditional Normal.
    base = keras.Sequential([keras.layers.Dense(4), L.IndependentNormal(2)])
    flow = L.NormalizingFlow([L.MaskedAutoregressive((8,)), L.Permute(), L.AffineCoupling((8,))],
                             base=base)
    before = _nll(flow, x, context)
    _fit(flow, x, context)
    right, wrong = _nll(flow, x, context), _nll(flow, x, -context)
    assert right < before - 1.0 and right < wrong - 5.0, (before, right, wrong)
    z, log_det = flow.inverse_and_log_det(x[:8], context[:8])
    base_log_prob = tfbsl.get_distribution(base(context[:8])).log_prob(z)
    np.testing.assert_allclose(flow.log_prob(x[:8], context[:8]), base_log_prob + log_det,
                               rtol=1e-5, atol=1e-5)
    # Draws given a context are likelier under that context than the other.
    high = ops.convert_to_numpy(flow.sample(200, context=np.array([2.0], "float32"), seed=1))
    assert high.shape == (200, 2)
    ones = np.ones((200, 1), "float32")
    assert _nll(flow, high, 2 * ones) < _nll(flow, high, -2 * ones) - 1.0
    np.testing.assert_array_equal(
        flow.sample(4, context=context[:4], seed=2), flow.sample(4, context=context[:4], seed=2))


def test_actnorm_initialises_from_its_first_call():
    flow = L.NormalizingFlow([L.ActNorm()])
    flow(X)
    actnorm = flow.blocks[0]
    np.testing.assert_allclose(actnorm.loc, X.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(actnorm.log_scale, 0.5 * np.log(X.var(0) + 1e-6), rtol=1e-5)
    np.testing.assert_allclose(np.std(ops.convert_to_numpy(flow.inverse(X)), 0), 1.0, rtol=1e-4)


@pytest.mark.skipif(BACKEND != "jax", reason="on TensorFlow the first fit step initialises")
def test_on_jax_fit_before_a_first_call_standardises_by_batch_and_warns():
    flow = L.NormalizingFlow([L.ActNorm(), L.AffineCoupling((4,))])
    with pytest.warns(UserWarning, match=r"ActNorm.*on JAX.*model\(x\[:1000\]\)"):
        model = _fit(flow, X, epochs=1)
    actnorm = flow.blocks[0]
    assert not bool(ops.convert_to_numpy(actnorm.initialized))
    np.testing.assert_array_equal(actnorm.loc, np.zeros(2))
    # Called on data, the block initialises; compiled steps then use it.
    flow(X)
    assert bool(ops.convert_to_numpy(actnorm.initialized))
    np.testing.assert_allclose(actnorm.loc, X.mean(0), rtol=1e-5, atol=1e-6)
    model.fit(X, np.zeros(len(X)), batch_size=128, epochs=1, verbose=0)
    assert not np.allclose(actnorm.loc, X.mean(0), rtol=1e-5, atol=1e-6)


def test_the_made_is_autoregressive():
    made = L.AutoregressiveNetwork(params=2, hidden_units=[8, 8], activation="relu",
                                   input_order="random")
    x = np.random.default_rng(5).normal(size=(4, 3)).astype("float32")
    out = ops.convert_to_numpy(made(x))
    assert out.shape == (4, 3, 2)
    # moves[j, i]: moving input j changes output i. Autoregressive in some
    # order: a graph without cycles (self-loops included), so moves^3 = 0.
    moves = np.array([np.any(ops.convert_to_numpy(made(x + np.eye(3, dtype="float32")[j]))
                             != out, axis=(0, 2)) for j in range(3)])
    assert moves.any()
    assert not np.linalg.matrix_power(moves.astype(int), 3).any()


def test_autoregressive_transform_gives_a_flow_distribution():
    made = L.AutoregressiveNetwork(params=2, hidden_units=[8], activation="tanh")
    model = keras.Sequential([
        keras.Input((0,)),
        L.DistributionLambda(lambda t: tfd.MultivariateNormalDiag(
            loc=ops.zeros((ops.shape(t)[0], 2)), scale_diag=[1.0, 1.0])),
        L.AutoregressiveTransform(made),
    ])
    output = model(np.zeros((16, 0), "float32"))  # a draw, as in TFP
    assert output.shape == (16, 2)
    distribution = tfbsl.get_distribution(output)
    # TFP's MAF: data -> base is x -> (x - shift) * exp(-log_scale), with
    # (shift, log_scale) = made(x).
    params = ops.convert_to_numpy(made(X[:16]))
    log_scale = params[..., 1]
    assert distribution.event_shape == (2,)
    z = (X[:16] - params[..., 0]) * np.exp(-log_scale)
    expected = -0.5 * np.sum(z ** 2, -1) - np.log(2 * np.pi) - np.sum(log_scale, -1)
    np.testing.assert_allclose(distribution.log_prob(X[:16]), expected, rtol=1e-4, atol=1e-4)


def test_a_keras_round_trip_keeps_log_probs_and_samples(tmp_path):
    blocks = [L.ActNorm(), L.MaskedAutoregressive((8,)), L.Permute("random", seed=1),
              L.AffineCoupling((8,)), L.Permute(), L.SplineCoupling((8,), bins=4),
              L.SplineAutoregressive((8,), bins=4)]
    base = keras.Sequential([L.VariableLayer(4), L.IndependentNormal(2)])
    x_in = keras.Input((2,))
    flow = L.NormalizingFlow(blocks, base=base, seed=3)
    model = keras.Model(x_in, flow(x_in))
    model(X)  # initialises ActNorm from data
    path = str(tmp_path / "flow.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded(X_TEST), model(X_TEST), rtol=1e-5, atol=1e-5)
    loaded_flow = loaded.layers[-1]
    np.testing.assert_allclose(loaded_flow.sample(4, seed=9), flow.sample(4, seed=9),
                               rtol=1e-5, atol=1e-5)
