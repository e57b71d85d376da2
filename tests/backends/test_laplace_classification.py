"""tfbsl.baselines.LastLayerLaplaceClassifier on every backend: its GGN is
the cross-entropy's Hessian (finite differences), its evidence is the Laplace
formula and its prior precision that evidence's maximum, its predictives
reduce to the MAP softmax without covariance and soften it with one (MC
against the binary case's quadrature and against the probit), and on a small
overfitted problem it lowers the held-out NLL and flags an unseen class."""

import warnings

import keras
import numpy as np
import pytest

import tfbsl

B = tfbsl.baselines


def _model(units=3, activation=None, width=4, inputs=3, seed=0):
    """A tanh MLP with a non-zero last bias (as a trained one has)."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((inputs,)), keras.layers.Dense(width, activation="tanh"),
                              keras.layers.Dense(units, activation=activation)])
    model.layers[-1].bias.assign(np.linspace(-0.5, 0.5, units).astype("float32"))
    return model


def _data(n=40, inputs=3, classes=3, seed=0):
    """Labels from a noisy linear rule: learnable, not separable."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, inputs)).astype("float32")
    scores = x @ rng.normal(size=(inputs, classes)) + rng.gumbel(size=(n, classes))
    return x, scores.argmax(1)


def _features(model, x):
    phi = keras.ops.convert_to_numpy(model.layers[0](x)).astype(np.float64)
    return np.concatenate([phi, np.ones((len(phi), 1))], axis=1)


def _log_softmax(f):
    f = f - f.max(-1, keepdims=True)
    return f - np.log(np.exp(f).sum(-1, keepdims=True))


def _softmax(f):
    return np.exp(_log_softmax(f))


def _cross_entropy(phi, y, w):
    """Summed softmax cross-entropy of the flattened (features, classes) weights."""
    return -np.sum(_log_softmax(phi @ w.reshape(phi.shape[1], -1))[np.arange(len(y)), y])


def _kronecker_ggn(phi, probs):
    """sum_n (phi_n phi_n^T) kron (diag(p_n) - p_n p_n^T), example by example."""
    return sum(np.kron(np.outer(f, f), np.diag(q) - np.outer(q, q))
               for f, q in zip(phi, probs, strict=True))


def _finite_difference_hessian(fn, w, h=1e-3):
    steps = h * np.eye(len(w))
    return np.array([[(fn(w + a + b) - fn(w + a - b) - fn(w - a + b) + fn(w - a - b)) / (4 * h * h)
                      for b in steps] for a in steps])


# The GGN ----------------------------------------------------------------------

@pytest.mark.parametrize("structure, activation", [("full", None), ("diag", "softmax")])
def test_ggn_is_the_hessian_of_the_cross_entropy(structure, activation):
    model, (x, y) = _model(activation=activation), _data()
    phi, tau = _features(model, x), 0.5
    la = B.LastLayerLaplaceClassifier(model, tau, structure).fit(x, y)
    w = la.posterior_mean
    kernel, bias = model.layers[-1].get_weights()
    np.testing.assert_allclose(w, np.concatenate([kernel, bias[None]]))  # the trained weights
    logits = la.predict_logits(x)[0]  # the pre-activation, also under a softmax
    out = keras.ops.convert_to_numpy(model(x))
    np.testing.assert_allclose(_softmax(logits) if activation else logits, out, atol=1e-5)
    hessian = _finite_difference_hessian(lambda v: _cross_entropy(phi, y, v), w.ravel())
    if structure == "full":
        assert la.posterior_precision.shape == (w.size, w.size)
        np.testing.assert_allclose(la.posterior_precision - tau * np.eye(w.size), hessian,
                                   atol=1e-5)
        np.testing.assert_allclose(la.posterior_covariance @ la.posterior_precision,
                                   np.eye(w.size), atol=1e-8)
    else:
        assert la.posterior_precision.shape == w.shape
        np.testing.assert_allclose(la.posterior_precision - tau, np.diag(hessian).reshape(w.shape),
                                   atol=1e-5)
        np.testing.assert_allclose(la.posterior_covariance, 1 / la.posterior_precision)


def _ggn_of(la):
    """The posterior precision less the prior's."""
    tau = la.prior_precision
    return la.posterior_precision - (tau * np.eye(la.posterior_mean.size)
                                     if la.hessian_structure == "full" else tau)


# The evidence and the prior precision --------------------------------------------

def _direct_evidence(phi, y, w, tau, structure):
    """log p(y|w) + log N(w; 0, I/tau) + P/2 log 2 pi - 1/2 log det(H + tau I),
    with H built example by example from Kronecker products."""
    hessian = _kronecker_ggn(phi, _softmax(phi @ w))
    precision = hessian + tau * np.eye(w.size)
    if structure == "diag":
        precision = np.diag(np.diag(precision))
    log_prior = -0.5 * w.size * np.log(2 * np.pi / tau) - 0.5 * tau * np.sum(w * w)
    return (-_cross_entropy(phi, y, w.ravel()) + log_prior + 0.5 * w.size * np.log(2 * np.pi)
            - 0.5 * np.linalg.slogdet(precision)[1])


@pytest.mark.parametrize("structure", ["full", "diag"])
def test_evidence_is_the_laplace_formula_and_the_prior_precision_its_maximum(structure):
    model, (x, y) = _model(), _data()
    phi = _features(model, x)
    la = B.LastLayerLaplaceClassifier(model, 2.0, structure).fit(x, y)
    for tau in (0.01, 2.0, 300.0):
        assert la.log_marginal_likelihood(tau) == pytest.approx(
            _direct_evidence(phi, y, la.posterior_mean, tau, structure), rel=1e-9)
    assert la.log_marginal_likelihood() == la.log_marginal_likelihood(2.0)
    tau = la.optimize_prior_precision()
    log_grid = np.linspace(np.log(1e-4), np.log(1e4), 4001)
    values = [la.log_marginal_likelihood(np.exp(t)) for t in log_grid]
    assert abs(np.log(tau) - log_grid[np.argmax(values)]) < 2 * (log_grid[1] - log_grid[0])
    assert la.log_marginal_likelihood() >= max(values) - 1e-9
    assert la.prior_precision == tau
    before = B.LastLayerLaplaceClassifier(model, 2.0, structure).fit(x, y)
    np.testing.assert_allclose(_ggn_of(la), _ggn_of(before), atol=1e-10)  # the mode stays


def test_refit_mean_is_the_regularised_map_at_the_evidence_maximum():
    model, (x, y) = _model(), _data()
    phi, onehot = _features(model, x), np.eye(3)[y]
    la = B.LastLayerLaplaceClassifier(model, 0.5, refit_mean=True).fit(x, y)

    def gradient(w, tau):  # of the cross-entropy plus tau/2 |w|^2
        return phi.T @ (_softmax(phi @ w) - onehot) + tau * w

    assert np.abs(gradient(la.posterior_mean, 0.5)).max() < 1e-8
    kernel, bias = model.layers[-1].get_weights()
    assert np.abs(gradient(np.concatenate([kernel, bias[None]]), 0.5)).max() > 1e-2  # it moved
    tau = la.optimize_prior_precision()
    assert np.abs(gradient(la.posterior_mean, tau)).max() < 1e-8
    log_grid = np.linspace(np.log(tau) - 1, np.log(tau) + 1, 201)
    values = [la.log_marginal_likelihood(np.exp(t)) for t in log_grid]
    assert abs(np.log(tau) - log_grid[np.argmax(values)]) < 2e-3  # MacKay's fixed point
    hessian = _kronecker_ggn(phi, _softmax(phi @ la.posterior_mean))
    np.testing.assert_allclose(la.posterior_precision, hessian + tau * np.eye(15), atol=1e-10)


# The predictives ---------------------------------------------------------------

@pytest.mark.parametrize("structure", ["full", "diag"])
def test_predictives_are_the_map_softmax_without_covariance(structure):
    model, (x, y) = _model(), _data()
    la = B.LastLayerLaplaceClassifier(model, 1e12, structure).fit(x, y)
    expected = _softmax(keras.ops.convert_to_numpy(model(x)).astype(np.float64))
    np.testing.assert_allclose(la.predict(x), expected, atol=1e-5)
    np.testing.assert_allclose(la.predict(x, "mc", num_samples=5, seed=0), expected, atol=1e-5)
    samples = la.predict_samples(x, num_samples=4, seed=1)
    assert samples.shape == (4, 40, 3)
    np.testing.assert_allclose(samples, np.broadcast_to(expected, samples.shape), atol=1e-5)
    np.testing.assert_allclose(tfbsl.mutual_information(samples), 0.0, atol=1e-6)


@pytest.mark.parametrize("structure", ["full", "diag"])
def test_two_class_predictives_soften_the_map_and_agree(structure):
    # A binary problem: E softmax(f) is E sigmoid(f1 - f2), a 1-D Gaussian
    # integral, by Gauss-Hermite quadrature.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 2)).astype("float32")
    y = (x[:, 0] + 0.5 * rng.normal(size=30) > 0).astype(int)
    model = _model(units=2, width=8, inputs=2, seed=1)
    la = B.LastLayerLaplaceClassifier(model, hessian_structure=structure).fit(x, y)
    la.optimize_prior_precision()
    x_test = 2 * rng.normal(size=(200, 2)).astype("float32")
    f_mean, f_cov = la.predict_logits(x_test)
    mean = f_mean[:, 0] - f_mean[:, 1]
    variance = f_cov[:, 0, 0] + f_cov[:, 1, 1] - 2 * f_cov[:, 0, 1]
    z, weights = np.polynomial.hermite_e.hermegauss(80)
    exact = np.sum(weights / np.sqrt(2 * np.pi)
                   / (1 + np.exp(-(mean[:, None] + np.sqrt(variance)[:, None] * z))), axis=1)
    mc = la.predict(x_test, "mc", num_samples=20_000, seed=0)
    probit = la.predict(x_test, "probit")
    # 20 000 draws: a standard error <= 0.0036; 0.015 is 4 of them.
    np.testing.assert_allclose(mc[:, 0], exact, atol=0.015)
    # MacKay's per-logit approximation, measured 0.041 (max) and 0.023
    # (mean) from the MC predictive here.
    assert np.abs(probit - mc).max() < 0.06 and np.abs(probit - mc).mean() < 0.03
    map_confidence = _softmax(f_mean).max(1)
    for probs in (mc, probit):
        assert probs.max(1).mean() < map_confidence.mean() - 0.01
        assert np.mean(probs.max(1) <= map_confidence + 1e-12) > 0.95


# A small overfitted problem ----------------------------------------------------

_CENTERS = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 1.7]])


def _blobs(rng, n, centers):
    y = rng.integers(0, len(centers), n)
    return (centers[y] + 0.8 * rng.normal(size=(n, 2))).astype("float32"), y


@pytest.fixture(scope="module")
def overfitted():
    """A ReLU MLP overfitted (weight decay 1e-4, 300 L-BFGS steps in
    scikit-learn, for speed) to 200 points of three overlapping classes, its
    weights copied into a Keras model: a MAP over-confident on held-out data
    (NLL 2.35 against 0.85 for the full Laplace)."""
    neural_network = pytest.importorskip("sklearn.neural_network")
    rng = np.random.default_rng(0)
    x, y = _blobs(rng, 200, _CENTERS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # L-BFGS stops at max_iter, overfitted
        clf = neural_network.MLPClassifier((32,), alpha=1e-4, solver="lbfgs", max_iter=300,
                                           random_state=0).fit(x, y)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(3)])
    for layer, kernel, bias in zip(model.layers, clf.coefs_, clf.intercepts_, strict=True):
        layer.set_weights([kernel.astype("float32"), bias.astype("float32")])
    return model, x, y, rng


@pytest.mark.parametrize("structure", ["full", "diag"])
def test_laplace_lowers_held_out_nll_and_flags_an_unseen_class(overfitted, structure):
    model, x, y, _ = overfitted
    rng = np.random.default_rng(1)
    x_test, y_test = _blobs(rng, 1000, _CENTERS)
    x_unseen, _ = _blobs(rng, 300, np.array([[1.0, -1.7]]))  # a fourth class
    la = B.LastLayerLaplaceClassifier(model, hessian_structure=structure).fit(x, y)
    la.optimize_prior_precision()
    map_probs = _softmax(keras.ops.convert_to_numpy(model(x_test)).astype(np.float64))
    map_nll = tfbsl.classification_nll(map_probs, y_test)
    samples = la.predict_samples(x_test, num_samples=200, seed=0)
    assert samples.shape == (200, 1000, 3)
    for probs in (la.predict(x_test), samples):
        assert tfbsl.classification_nll(probs, y_test) < map_nll
    unseen = la.predict_samples(x_unseen, num_samples=200, seed=1)
    mi_in, mi_out = tfbsl.mutual_information(samples), tfbsl.mutual_information(unseen)
    assert tfbsl.auroc(mi_in, mi_out) > 0.75
    assert np.all(tfbsl.predictive_entropy(samples) >= tfbsl.expected_entropy(samples) - 1e-12)


# Bad input ---------------------------------------------------------------------

LA = B.LastLayerLaplaceClassifier
X6, Y6 = _data(n=6)

# (id, error, message pattern, call(model, fitted)); the pattern names the
# argument and the value received.
BAD_INPUTS = [
    ("hessian_structure", ValueError, "hessian_structure='kron'",
     lambda m, f: LA(m, hessian_structure="kron")),
    ("prior_precision", ValueError, "prior_precision=0", lambda m, f: LA(m, prior_precision=0)),
    ("prior_precision_evidence", ValueError, "prior_precision=-1",
     lambda m, f: f.log_marginal_likelihood(-1)),
    ("refit_mean", TypeError, "refit_mean='yes'", lambda m, f: LA(m, refit_mean="yes")),
    ("y_out_of_range", ValueError, r"\[0, 3\).*y\[1\]=3",
     lambda m, f: LA(m).fit(X6, np.array([0, 3, 1, 2, 0, 1]))),
    ("y_negative", ValueError, r"y\[0\]=-1", lambda m, f: LA(m).fit(X6, -np.ones(6))),
    ("y_fractional", ValueError, r"y\[0\]=0.5", lambda m, f: LA(m).fit(X6, np.full(6, 0.5))),
    ("y_length", ValueError, r"y.shape=\(5,\)", lambda m, f: LA(m).fit(X6, Y6[:5])),
    ("y_not_one_hot", ValueError, "one-hot", lambda m, f: LA(m).fit(X6, np.ones((6, 3)))),
    ("y_not_numeric", TypeError, "y=", lambda m, f: LA(m).fit(X6, ["a"] * 6)),
    ("predict_before_fit", ValueError, r"fit\(x, y\)", lambda m, f: LA(m).predict(X6)),
    ("samples_before_fit", ValueError, r"fit\(x, y\)", lambda m, f: LA(m).predict_samples(X6)),
    ("optimize_before_fit", ValueError, r"fit\(x, y\)",
     lambda m, f: LA(m).optimize_prior_precision()),
    ("link_approx", ValueError, "link_approx='bridge'", lambda m, f: f.predict(X6, "bridge")),
    ("num_samples", ValueError, "num_samples=0", lambda m, f: f.predict(X6, "mc", 0)),
    ("seed", ValueError, "seed=-2", lambda m, f: f.predict_samples(X6, seed=-2)),
    ("last_layer_not_dense", TypeError, r"Dense.*model.layers\[-1\]=<Activation",
     lambda m, f: LA(keras.Sequential([keras.Input((3,)), keras.layers.Activation("relu")]))),
    ("sigmoid_activation", ValueError, "linear or softmax.*activation='sigmoid'",
     lambda m, f: LA(_model(activation="sigmoid"))),
    ("one_unit", ValueError, "units=1", lambda m, f: LA(_model(units=1))),
    ("model", TypeError, "model='net'", lambda m, f: LA("net")),
]


@pytest.fixture(scope="module")
def small_model():
    model = _model()
    return model, LA(model).fit(X6, Y6)


@pytest.mark.parametrize("error, match, call", [row[1:] for row in BAD_INPUTS],
                         ids=[row[0] for row in BAD_INPUTS])
def test_rejects_bad_input(small_model, error, match, call):
    with pytest.raises(error, match=match):
        call(*small_model)
