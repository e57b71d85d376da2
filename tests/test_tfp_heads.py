"""The `tfp.layers` heads for counts, logistic noise and mixtures, and the KL
penalties, against `tfp.layers` on `tf_keras` (the baseline): same
distributions from the same parameters, same `params_size`, same signature,
same losses and gradients; then training (`jit_compile=True`) and `.keras`
round trips without `custom_objects`. The argument checks are rows of
`tests/bad_inputs/tfp_twins.py`.
"""

import inspect

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp
import tf_keras

import tfbsl
from tfbsl._outputs import get_distribution
from tfbsl.heads.distribution_layers import IndependentNormal, VariableLayer
from tfbsl.heads.kl_divergence import KLDivergenceAddLoss, KLDivergenceRegularizer
from tfbsl.heads.mixture_layers import (
    CategoricalMixtureOfOneHotCategorical,
    IndependentLogistic,
    IndependentPoisson,
    MixtureLogistic,
    MixtureNormal,
    MixtureSameFamily,
)

tfd, tfpl = tfp.distributions, tfp.layers
RNG = np.random.default_rng(0)
B = 5  # examples


@keras.saving.register_keras_serializable(package="tfbsl_tests")
def unit_normal_at(t):
    """A trainable prior's distribution from a `VariableLayer`'s output."""
    return tfd.Independent(tfd.Normal(t, 1.0), 1)


def _counts(shape):
    return RNG.poisson(2.0, size=shape).astype("float32")


def _normal(shape):
    return RNG.normal(size=shape).astype("float32")


def _one_hot(shape):
    return np.eye(shape[-1], dtype="float32")[RNG.integers(0, shape[-1], shape[:-1])]


def normal_components(t):
    """A plain callable as `component_layer`: Normals with event shape (1,)."""
    return tfd.Independent(tfd.Normal(t[..., :1], tf.nn.softplus(t[..., 1:])), 1)


# name: (ours, TFP's, params per example, target maker)
CASES = {
    "IndependentPoisson()": (lambda: IndependentPoisson(), lambda: tfpl.IndependentPoisson(),
                             1, _counts),
    "IndependentPoisson((1,2))": (lambda: IndependentPoisson((1, 2)),
                                  lambda: tfpl.IndependentPoisson((1, 2)), 2, _counts),
    "IndependentLogistic()": (lambda: IndependentLogistic(),
                              lambda: tfpl.IndependentLogistic(), 2, _normal),
    "IndependentLogistic([3])": (lambda: IndependentLogistic([3]),
                                 lambda: tfpl.IndependentLogistic([3]), 6, _normal),
    "MixtureNormal(3)": (lambda: MixtureNormal(3), lambda: tfpl.MixtureNormal(3), 9, _normal),
    "MixtureNormal(2,[1,2])": (lambda: MixtureNormal(2, [1, 2]),
                               lambda: tfpl.MixtureNormal(2, [1, 2]), 10, _normal),
    "MixtureLogistic(3,[2])": (lambda: MixtureLogistic(3, [2]),
                               lambda: tfpl.MixtureLogistic(3, [2]), 15, _normal),
    "MixtureSameFamily(3,IndependentNormal(2))": (
        lambda: MixtureSameFamily(3, IndependentNormal(2)),
        lambda: tfpl.MixtureSameFamily(3, tfpl.IndependentNormal(2)), 15, _normal),
    "MixtureSameFamily(2,IndependentPoisson())": (
        lambda: MixtureSameFamily(2, IndependentPoisson()),
        lambda: tfpl.MixtureSameFamily(2, tfpl.IndependentPoisson()), 4, _counts),
    "MixtureSameFamily(2,callable)": (
        lambda: MixtureSameFamily(2, normal_components),
        lambda: tfpl.MixtureSameFamily(2, normal_components), 6, _normal),
    "CategoricalMixtureOfOneHotCategorical(4,3)": (
        lambda: CategoricalMixtureOfOneHotCategorical(4, 3),
        lambda: tfpl.CategoricalMixtureOfOneHotCategorical(4, 3), 15, _one_hot),
}


@pytest.mark.parametrize("name", list(CASES))
def test_distribution_matches_tfp(name):
    ours, theirs, n, target = CASES[name]
    params = _normal((B, n))
    out, reference = ours()(params), theirs()(params)
    d = get_distribution(out)
    assert d.batch_shape == reference.batch_shape
    assert d.event_shape == reference.event_shape
    # TFP's default tensor is a sample: same shape and dtype.
    assert out.shape == tf.convert_to_tensor(reference).shape
    assert out.dtype == reference.dtype
    y = target(tuple(reference.batch_shape + reference.event_shape))
    np.testing.assert_allclose(d.log_prob(y), reference.log_prob(y), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(d.mean(), reference.mean(), rtol=1e-6, atol=1e-6)
    # Samples follow the same law: the mean of many draws is TFP's mean.
    draws = d.sample(4000, seed=(1, 2))
    spread = np.sqrt(reference.variance()) if not name.startswith("Categorical") else 0.5
    np.testing.assert_allclose(np.mean(draws, 0), reference.mean(), atol=float(np.max(spread)) / 10)


def test_categorical_mixture_log_mean_matches_tfp():
    params = _normal((B, 15))
    ours = get_distribution(CategoricalMixtureOfOneHotCategorical(4, 3)(params))
    theirs = tfpl.CategoricalMixtureOfOneHotCategorical(4, 3)(params)
    np.testing.assert_allclose(ours.log_mean(), theirs.log_mean(), rtol=1e-6, atol=1e-6)
    log_mean = CategoricalMixtureOfOneHotCategorical(4, 3, lambda d: d.log_mean())(params)
    np.testing.assert_allclose(log_mean, theirs.log_mean(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("call", [
    "IndependentPoisson.params_size()", "IndependentPoisson.params_size((2, 3))",
    "IndependentLogistic.params_size()", "IndependentLogistic.params_size([4])",
    "IndependentLogistic.params_size(np.array([2, 2]))",
    "MixtureSameFamily.params_size(3, 4)", "MixtureSameFamily.params_size(np.int32(3), 4)",
    "MixtureSameFamily.params_size(3, component_params_size=tf.constant(4))",
    "MixtureNormal.params_size(5)", "MixtureNormal.params_size(5, [1])",
    "MixtureNormal.params_size(2, event_shape=(2, 3))",
    "MixtureLogistic.params_size(5)", "MixtureLogistic.params_size(4, [3])",
    "CategoricalMixtureOfOneHotCategorical.params_size(4, 3)",
    "CategoricalMixtureOfOneHotCategorical.params_size(event_size=2, num_components=5)",
])
def test_params_size_matches_tfp(call):
    ours = eval(call, globals())
    theirs = eval("tfpl." + call, globals())
    assert isinstance(ours, int) and ours == int(theirs)


@pytest.mark.parametrize("name", [
    "IndependentPoisson", "IndependentLogistic", "MixtureSameFamily", "MixtureNormal",
    "MixtureLogistic", "CategoricalMixtureOfOneHotCategorical", "KLDivergenceRegularizer",
    "KLDivergenceAddLoss",
])
def test_signature_is_tfps(name):
    """TFP's arguments come first, in TFP's order, with TFP's defaults; `seed`
    (ours) only after them; `params_size` takes TFP's arguments."""
    ours, theirs = globals()[name], getattr(tfpl, name)
    params = [p for p in inspect.signature(theirs.__init__).parameters.values()
              if p.kind is p.POSITIONAL_OR_KEYWORD and p.name != "self"]
    mine = [p for p in inspect.signature(ours.__init__).parameters.values()
            if p.name != "self"][:len(params)]
    assert [p.name for p in mine] == [p.name for p in params]
    for a, b in zip(mine, params, strict=True):
        assert a.default is b.default or a.default == b.default, (a, b)
    if hasattr(theirs, "params_size"):
        assert (list(inspect.signature(ours.params_size).parameters)
                == list(inspect.signature(theirs.params_size).parameters))


def test_sample_dtype():
    layer = CategoricalMixtureOfOneHotCategorical(3, 2, sample_dtype="int32")
    out = layer(_normal((B, 8)))
    assert out.dtype == tf.int32
    assert np.all(np.sum(out, -1) == 1)
    assert np.all(np.isfinite(out.log_prob(np.eye(3, dtype="int32")[[0, 1, 2, 0, 1]])))


def test_scale_floor_keeps_log_prob_finite():
    """softplus(-200) underflows to 0; the floor keeps log_prob finite."""
    for layer, params in ((IndependentLogistic(), [[0.0, -200.0]]),
                          (MixtureNormal(1), [[0.0, 0.0, -200.0]])):
        out = layer(np.array(params, "float32"))
        assert np.isfinite(float(out.log_prob(np.zeros(1, "float32"))[0]))


def test_mixed_precision_computes_in_float32():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(9), MixtureNormal(3)])
        out = model(_normal((B, 2)))
        assert out.dtype == tf.float32
        assert np.all(np.isfinite(out.log_prob(_normal((B,)))))
    finally:
        keras.mixed_precision.set_global_policy("float32")


# --- training ---------------------------------------------------------------


def _bimodal(n):
    """y given x: two branches, +-1.5 + 0.3 x, with noise 0.1."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (n, 1)).astype("float32")
    branch = rng.integers(0, 2, (n, 1)) * 2 - 1
    return x, (branch * 1.5 + 0.3 * x + 0.1 * rng.normal(size=(n, 1))).astype("float32")


@pytest.mark.slow
def test_mixture_density_network_beats_every_single_normal():
    """A mixture density network fit jit-compiled on two branches has a
    held-out NLL far below that of the best single Normal (the maximum
    likelihood one, N(a + b x, s^2): E[y | x] is linear, the noise even)."""
    x, y = _bimodal(1200)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(16, activation="tanh"),
                              keras.layers.Dense(MixtureNormal.params_size(2, [1])),
                              MixtureNormal(2, [1], convert_to_tensor_fn="mean")])
    model.compile(keras.optimizers.Adam(0.03), tfbsl.losses.NegativeLogLikelihood(),
                  jit_compile=True)
    model.fit(x[:1000], y[:1000], batch_size=100, epochs=15, verbose=0)
    mixture = -float(np.mean(model(x[1000:]).log_prob(y[1000:])))
    b, a = np.polyfit(x[:1000, 0], y[:1000, 0], 1)
    sigma = np.std(y[:1000, 0] - (a + b * x[:1000, 0]))
    single = -float(np.mean(tfd.Normal(a + b * x[1000:, 0], sigma).log_prob(y[1000:, 0])))
    assert mixture < single - 1.0, (mixture, single)


def _heads():
    """One head of each class, with its parameter count and targets. The
    mixtures return their mean: XLA compiles their sampling slowly (several
    seconds each), and the training step does not need it."""
    return [
        (IndependentPoisson(1), 1, _counts((64, 1))),
        (IndependentLogistic(2), 4, _normal((64, 2))),
        (MixtureSameFamily(2, IndependentLogistic([2]), "mean"), 10, _normal((64, 2))),
        (MixtureLogistic(2, convert_to_tensor_fn="mean"), 6, _normal((64,))),
        (CategoricalMixtureOfOneHotCategorical(3, 2, "mean"), 8, _one_hot((64, 3))),
    ]


@pytest.mark.slow
def test_every_head_trains_jit_compiled_and_round_trips(tmp_path):
    """One model with a head of each class (one XLA compile): every NLL falls
    under `fit(jit_compile=True)`; the `.keras` round trip without
    `custom_objects` gives the same log-probabilities."""
    heads = _heads()
    inputs = keras.Input((3,))
    outputs = [head(keras.layers.Dense(n)(inputs)) for head, n, _ in heads]
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(0.05),
                  [tfbsl.losses.NegativeLogLikelihood() for _ in heads], jit_compile=True)
    x, ys = _normal((64, 3)), [y for *_, y in heads]
    history = model.fit(x, ys, batch_size=32, epochs=8, verbose=0).history
    for i in range(len(heads)):
        losses = history[f"{model.output_names[i]}_loss"]
        assert losses[-1] < losses[0], (heads[i][0].name, losses)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    for ours, theirs, y in zip(model(x), loaded(x), ys, strict=True):
        np.testing.assert_allclose(theirs.log_prob(y), ours.log_prob(y), rtol=1e-6)


@pytest.mark.parametrize("make", [
    lambda: MixtureNormal(3, [2], convert_to_tensor_fn="mean", seed=3),
    lambda: MixtureSameFamily(2, IndependentNormal((2,)), validate_args=True),
    lambda: CategoricalMixtureOfOneHotCategorical(2, 3, sample_dtype="int32"),
], ids=["MixtureNormal", "MixtureSameFamily", "CategoricalMixture"])
def test_config_round_trip(make):
    layer = make()
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == {**layer.get_config(), "name": clone.name}
    params = _normal((B, type(layer).params_size(*_size_args(layer))))
    np.testing.assert_allclose(get_distribution(clone(params)).mean(),
                               get_distribution(layer(params)).mean(), rtol=1e-6)


def _size_args(layer):
    if isinstance(layer, CategoricalMixtureOfOneHotCategorical):
        return layer.event_size, layer.num_components
    if isinstance(layer, MixtureSameFamily):
        return layer.num_components, 4
    return layer.num_components, layer.event_shape


# --- KL penalties against TFP -----------------------------------------------

PRIOR = tfd.Independent(tfd.Normal(tf.zeros(2), 1.0), 1)


def _losses(model, x):
    model(x)
    return float(sum(model.losses))


def _tfp_and_ours(kl_kwargs, add_loss, mean=True):
    """The same encoder head with TFP's and our KL penalty; returns both models."""
    theirs_fn = tfd.Distribution.mean if mean else tfd.Distribution.sample
    ours_fn = "mean" if mean else "sample"
    if add_loss:
        theirs = [tfpl.IndependentNormal(2, theirs_fn),
                  tfpl.KLDivergenceAddLoss(PRIOR, **kl_kwargs)]
        ours = [IndependentNormal(2, ours_fn), KLDivergenceAddLoss(PRIOR, **kl_kwargs)]
    else:
        theirs = [tfpl.IndependentNormal(
            2, theirs_fn, activity_regularizer=tfpl.KLDivergenceRegularizer(PRIOR, **kl_kwargs))]
        ours = [IndependentNormal(
            2, ours_fn, activity_regularizer=KLDivergenceRegularizer(PRIOR, **kl_kwargs))]
    return (tf_keras.Sequential([tf_keras.Input((4,))] + theirs),
            keras.Sequential([keras.Input((4,))] + ours))


def _two_points(t):
    """Deterministic test points: the mean and the mean + 1, on a new axis 0."""
    return tf.stack([t.mean(), t.mean() + 1.0])


@pytest.mark.parametrize("add_loss", [False, True], ids=["regularizer", "add_loss"])
@pytest.mark.parametrize("kl_kwargs", [
    {"use_exact_kl": True, "weight": 3.0},
    {},
    {"test_points_fn": _two_points, "test_points_reduce_axis": 0, "weight": 0.5},
    {"test_points_fn": _two_points, "test_points_reduce_axis": None},
], ids=["exact", "monte_carlo", "reduce_axis_0", "reduce_all"])
def test_kl_losses_match_tfp(kl_kwargs, add_loss):
    """`model.losses` are TFP's (on `tf_keras`) for the same inputs: for the
    regularizer `2 * weight * sum(KL) / batch` (TFP counts it twice)."""
    theirs, ours = _tfp_and_ours(kl_kwargs, add_loss)
    x = _normal((B, 4))
    np.testing.assert_allclose(_losses(ours, x), _losses(theirs, x), rtol=1e-6)
    if not add_loss:
        reg = ours.layers[-1].activity_regularizer
        kl = tfd.kl_divergence(get_distribution(ours(x)), PRIOR)
        if kl_kwargs.get("use_exact_kl"):
            np.testing.assert_allclose(_losses(ours, x), 2 * 3.0 * np.sum(kl) / B, rtol=1e-6)
        np.testing.assert_allclose(float(reg(ours(x))), B * _losses(ours, x), rtol=1e-6)


def test_trainable_prior_gets_tfps_gradients():
    """From equal weights, the gradients of the training loss (NLL + the
    model's losses) for the prior's variable and the encoder are TFP's."""
    x, y = _normal((B, 3)), _normal((B, 2))
    kernel, bias = _normal((3, 4)), _normal((4,))
    grads = []
    for k, head, regularizer in (
            (tf_keras, lambda r: tfpl.IndependentNormal(2, tfd.Distribution.mean,
                                                        activity_regularizer=r),
             tfpl.KLDivergenceRegularizer),
            (keras, lambda r: IndependentNormal(2, "mean", activity_regularizer=r),
             KLDivergenceRegularizer)):
        loc = tf.Variable([0.5, -0.5])
        prior = tfd.Independent(tfd.Normal(loc, 1.0), 1)
        model = k.Sequential([k.Input((3,)), k.layers.Dense(4),
                              head(regularizer(prior, use_exact_kl=True))])
        model.layers[0].set_weights([kernel, bias])
        trainable = model.trainable_variables
        assert any(v is loc or getattr(v, "value", None) is loc for v in trainable)
        with tf.GradientTape() as tape:
            out = model(x)
            loss = -tf.reduce_mean(out.log_prob(y)) + tf.add_n(model.losses)
        grads.append(tape.gradient(loss, [loc, *model.layers[0].trainable_variables]))
    for a, b in zip(*grads, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def _layer_prior():
    return keras.Sequential([VariableLayer(2), tfbsl.layers.DistributionLambda(unit_normal_at)])


def _variable_prior():
    return tfd.Independent(tfd.Normal(tf.Variable([0.0, 0.0]), 1.0), 1)


def _prior_values(priors):
    return [(p.distribution.loc if isinstance(p, tfd.Distribution) else p.weights[0]).numpy()
            for p in priors]


@pytest.mark.slow
def test_trainable_priors_train_jit_compiled():
    """A `tf.Variable` prior in the regularizer and a Keras-layer prior in
    `KLDivergenceAddLoss` are trainable variables of the model and move
    under `fit(jit_compile=True)`."""
    priors = [_variable_prior(), _layer_prior()]
    model = keras.Sequential([
        keras.Input((3,)), keras.layers.Dense(4),
        IndependentNormal(2, "sample", activity_regularizer=KLDivergenceRegularizer(
            priors[0], use_exact_kl=True)),
        KLDivergenceAddLoss(priors[1], use_exact_kl=True)])
    assert len(model.trainable_variables) == 2 + 2
    model.compile(keras.optimizers.Adam(0.05), tfbsl.losses.NegativeLogLikelihood(),
                  jit_compile=True)
    model.fit(_normal((64, 3)), _normal((64, 2)) + 3.0, batch_size=32, epochs=3, verbose=0)
    assert all(np.max(np.abs(v)) > 0.05 for v in _prior_values(priors))


def test_side_variable_trains_jit_compiled():
    """A `tf.Variable` closed over by a `DistributionLambda`'s function (TFP's
    "side variable": here a learned scale) is a trainable variable of the
    model and moves under `fit(jit_compile=True)` toward the data's scale."""
    scale = tfp.util.TransformedVariable(1.0, tfp.bijectors.Softplus())
    model = keras.Sequential([
        keras.Input((3,)), keras.layers.Dense(1),
        tfbsl.layers.DistributionLambda(lambda t: tfd.Normal(t, scale))])
    assert len(model.trainable_variables) == 3
    model.compile(keras.optimizers.Adam(0.05), tfbsl.losses.NegativeLogLikelihood(),
                  jit_compile=True)
    x = _normal((256, 3))
    model.fit(x, 3.0 * _normal((256, 1)), batch_size=64, epochs=20, verbose=0)
    assert float(tf.convert_to_tensor(scale)) > 2.0


def test_side_variable_of_two_heads_takes_one_step():
    """A `tf.Variable` two heads close over is one trainable variable of the
    model: one SGD step moves it by `-lr * gradient`, not twice that."""
    scale = tf.Variable(1.0)
    inputs = keras.Input((3,))
    hidden = keras.layers.Dense(1)(inputs)
    heads = [tfbsl.layers.DistributionLambda(lambda t: tfd.Normal(t, scale))(hidden)
             for _ in range(2)]
    model = keras.Model(inputs, heads)
    assert len(model.trainable_variables) == 3
    x, y = _normal((32, 3)), 5.0 + _normal((32, 1))
    with tf.GradientTape() as tape:
        loss = sum(tf.reduce_mean(-d.log_prob(y)) for d in model(x))
    expected = 1.0 - 0.1 * float(tape.gradient(loss, scale))
    model.compile(keras.optimizers.SGD(0.1), [lambda y, d: -d.log_prob(y)] * 2)
    model.fit(x, [y, y], batch_size=32, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(float(scale.numpy()), expected, rtol=1e-5)


@pytest.fixture
def float64_floatx_after_a_layer():
    """A session whose global policy was fixed at float32 by a first layer,
    before the program sets `floatx` to float64 (a notebook, a test suite)."""
    keras.layers.Dense(1)
    saved = keras.config.floatx()
    keras.config.set_floatx("float64")
    yield
    keras.config.set_floatx(saved)


@pytest.mark.parametrize("make", [
    lambda: tfbsl.layers.IndependentNormal(1),
    lambda: tfbsl.layers.DistributionLambda(lambda t: tfd.Normal(t[..., :1], 1.0)),
], ids=["IndependentNormal", "DistributionLambda"])
def test_tfp_loss_runs_when_floatx_is_float64(make, float64_floatx_after_a_layer):
    """Keras casts the output to the float64 loss dtype; the head computes in
    floatx, so the output is not cast and keeps its distribution."""
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), make()])
    model.compile("adam", lambda y, rv_y: -rv_y.log_prob(y), jit_compile=True)
    history = model.fit(_normal((32, 3)), _normal((32, 1)), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert model(_normal((2, 3))).distribution.dtype == tf.float64


@pytest.mark.slow
def test_trainable_priors_round_trip(tmp_path):
    """Both kinds of prior, in both penalties, come back from `.keras` (no
    `custom_objects`) with their values, and still get gradients."""
    priors = [_variable_prior(), _layer_prior(), _layer_prior(), _variable_prior()]
    inputs = keras.Input((3,))
    outputs = []
    for regularized, added in (priors[:2], priors[2:]):
        head = IndependentNormal(2, activity_regularizer=KLDivergenceRegularizer(
            regularized, use_exact_kl=True))
        outputs.append(KLDivergenceAddLoss(added, use_exact_kl=True)(
            head(keras.layers.Dense(4)(inputs))))
    model = keras.Model(inputs, outputs)
    assert len(model.trainable_variables) == 4 + 4
    for i, p in enumerate(priors):
        variable = p.distribution.loc if isinstance(p, tfd.Distribution) else p.weights[0]
        variable.assign([i + 1.0, -i - 1.0])
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    x = _normal((B, 3))
    model(x), loaded(x)
    np.testing.assert_allclose(float(sum(loaded.losses)), float(sum(model.losses)), rtol=1e-6)
    restored = sorted(v.numpy().tolist() for v in loaded.trainable_variables if v.shape == (2,))
    np.testing.assert_allclose(restored, sorted(v.tolist() for v in _prior_values(priors)))
    with tf.GradientTape() as tape:
        loaded(x)
        loss = tf.add_n(loaded.losses)
    variables = [v for v in loaded.trainable_variables if v.shape == (2,)]
    assert all(g is not None and np.any(g != 0) for g in tape.gradient(loss, variables))


def test_weight_variable_is_tracked_and_read_at_each_call():
    weight = tf.Variable(1.0, trainable=False)
    model = keras.Sequential([keras.Input((4,)), IndependentNormal(2), KLDivergenceAddLoss(
        PRIOR, use_exact_kl=True, weight=weight)])
    assert any(getattr(v, "value", None) is weight for v in model.non_trainable_variables)
    x = _normal((B, 4))
    first = _losses(model, x)
    weight.assign(0.25)
    np.testing.assert_allclose(_losses(model, x), first / 4, rtol=1e-5)


def test_add_loss_returns_its_input():
    head = IndependentNormal(2, "mean")
    out = head(_normal((B, 4)))
    passed = KLDivergenceAddLoss(PRIOR)(out)
    assert passed is out


def test_transformed_variable_prior_is_tracked_not_saved():
    scale = tfp.util.TransformedVariable(1.0, tfp.bijectors.Softplus())
    reg = KLDivergenceRegularizer(tfd.Normal(tf.Variable(0.0), scale))
    assert len(reg.trainable_variables) == 2
    with pytest.raises(ValueError, match="distribution_b.scale"):
        reg.get_config()
