import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

import tfbsl
from tfbsl.layers import IndependentBernoulli, Sampling

LATENT = 4


def _digits():
    images = load_digits().images
    x = (images >= 8).astype("float32")[..., None]  # binarised at 8/16
    rng = np.random.default_rng(0)
    order = rng.permutation(len(x))
    return x[order[:1400]], x[order[1400:]]


def _vae(kl_weight=1.0, seed=0):
    keras.utils.set_random_seed(seed)
    x_in = keras.Input((8, 8, 1))
    h = keras.layers.Dense(64, activation="relu")(keras.layers.Flatten()(x_in))
    encoder = keras.Model(
        x_in, [keras.layers.Dense(LATENT)(h), keras.layers.Dense(LATENT)(h)])
    z_in = keras.Input((LATENT,))
    h = keras.layers.Dense(64, activation="relu")(z_in)
    decoder = keras.Model(z_in, IndependentBernoulli((8, 8, 1))(keras.layers.Dense(64)(h)))
    z = Sampling(kl_weight=kl_weight, seed=seed)(encoder(x_in))
    vae = keras.Model(x_in, decoder(z))
    vae.compile(keras.optimizers.Adam(3e-3), loss=lambda x, d: -d.log_prob(x),
                jit_compile=True)
    return vae, encoder, decoder


@pytest.fixture(scope="module")
def trained():
    x_train, x_test = _digits()
    vae, encoder, decoder = _vae()
    before = tfbsl.vae.evaluate_elbo(encoder, decoder, x_test)
    history = vae.fit(x_train, x_train, epochs=8, batch_size=64, verbose=0)
    return vae, encoder, decoder, x_train, x_test, before, history


@pytest.mark.slow
def test_fit_improves_the_held_out_elbo(trained):
    vae, encoder, decoder, x_train, x_test, before, history = trained
    after = tfbsl.vae.evaluate_elbo(encoder, decoder, x_test)
    assert after["elbo"] > before["elbo"] + 15, (before, after)
    np.testing.assert_allclose(after["elbo"], after["reconstruction"] - after["kl"], rtol=1e-6)
    assert after["kl"] > 0
    # Keras' loss is the negative ELBO: NLL summed over pixels plus the KL.
    loss = vae.evaluate(x_test, x_test, verbose=0, batch_size=len(x_test))
    assert abs(-loss - after["elbo"]) < 1.0, (loss, after)

    no_kl, enc0, dec0 = _vae(kl_weight=0.0)
    no_kl.fit(x_train, x_train, epochs=8, batch_size=64, verbose=0)
    ablated = tfbsl.vae.evaluate_elbo(enc0, dec0, x_test)
    assert after["elbo"] > ablated["elbo"] + 5, (after, ablated)


@pytest.mark.slow
def test_importance_weighted_bound_is_above_the_elbo_and_grows_with_k(trained):
    _, encoder, decoder, _, x_test, _, _ = trained
    elbo = tfbsl.vae.evaluate_elbo(encoder, decoder, x_test, num_samples=20)["elbo"]
    iw = {k: tfbsl.vae.importance_weighted_log_likelihood(
        encoder, decoder, x_test, num_samples=k, seed=1) for k in (1, 5, 50)}
    assert abs(iw[1] - elbo) < 0.5, (iw, elbo)
    assert elbo < iw[5] < iw[50], (iw, elbo)


@pytest.mark.slow
def test_evaluation_takes_a_distribution_head_encoder(trained):
    _, encoder, decoder, _, x_test, _, _ = trained
    head = tfbsl.layers.IndependentNormal(LATENT)

    def distribution_encoder(x):
        z_mean, z_log_var = encoder(x)
        # IndependentNormal's scale is softplus(raw): invert exp(log_var / 2).
        raw = np.log(np.expm1(np.exp(np.asarray(z_log_var) / 2)))
        return head(np.concatenate([z_mean, raw], -1))

    a = tfbsl.vae.evaluate_elbo(encoder, decoder, x_test[:50])
    b = tfbsl.vae.evaluate_elbo(distribution_encoder, decoder, x_test[:50])
    np.testing.assert_allclose(a["kl"], b["kl"], rtol=1e-3)


def test_bad_arguments():
    _, x_test = _digits()
    with pytest.raises(ValueError, match="num_samples"):
        tfbsl.vae.importance_weighted_log_likelihood(None, None, x_test, num_samples=0)
    with pytest.raises(ValueError, match="decoder"):
        tfbsl.vae.evaluate_elbo(
            lambda x: [np.zeros((len(x), 2), "float32")] * 2,
            lambda z: z, x_test[:4])
