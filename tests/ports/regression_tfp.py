# ruff: noqa: B007, B018, E402, E501, E703, E731, E741, F841, I001, UP008
"""TFP's "Probabilistic Layers Regression" notebook, on `tf_keras` + `tfp.layers`.

Source: tensorflow/probability, tensorflow_probability/examples/jupyter_notebooks/
Probabilistic_Layers_Regression.ipynb (commit c847a41, Apache-2.0), its code
cells in order, all five cases. `regression_tfbsl.py` is its port; `tests/ports`
says how the two may differ.

Changed from the notebook, identically in the port (the program's meaning kept):
- the plotting (matplotlib, seaborn, `%matplotlib inline`, the Figure cells'
  `plt.` lines) and the GPU check are left out; the Figure cells' computations
  (`model(x_tst)` 100 times, the means and standard deviations) are kept;
- the cells run inside `run(epochs, draws, nll_draws)`: `epochs=1000` becomes
  `epochs=epochs`; the Figure 3/4 cells' `range(100)` becomes `range(draws)`;
- `model.fit(...)` is kept as `history = model.fit(...)`, and after each case a
  `figures[...] = ...` line measures it on a held-out set (`_common`) that the
  notebook does not have (cases 3 and 4 averaging `nll_draws` weight draws);
  `run` returns the figures.
"""

#@title Import { display-mode: "form" }

import numpy as np

import tensorflow as tf
import tf_keras

import tensorflow_probability as tfp

from tests.ports import _common

tfd = tfp.distributions

negloglik = lambda y, rv_y: -rv_y.log_prob(y)

#@title Synthesize dataset.
w0 = 0.125
b0 = 5.
x_range = [-20, 60]

def load_dataset(n=150, n_tst=150):
  np.random.seed(43)
  def s(x):
    g = (x - x_range[0]) / (x_range[1] - x_range[0])
    return 3 * (0.25 + g**2.)
  x = (x_range[1] - x_range[0]) * np.random.rand(n) + x_range[0]
  eps = np.random.randn(n) * s(x)
  y = (w0 * x * (1. + np.sin(x)) + b0) + eps
  x = x[..., np.newaxis]
  x_tst = np.linspace(*x_range, num=n_tst).astype(np.float32)
  x_tst = x_tst[..., np.newaxis]
  return y, x, x_tst

# Specify the surrogate posterior over `keras.layers.Dense` `kernel` and `bias`.
def posterior_mean_field(kernel_size, bias_size=0, dtype=None):
  n = kernel_size + bias_size
  c = np.log(np.expm1(1.))
  return tf_keras.Sequential([
      tfp.layers.VariableLayer(2 * n, dtype=dtype),
      tfp.layers.DistributionLambda(lambda t: tfd.Independent(
          tfd.Normal(loc=t[..., :n],
                     scale=1e-5 + tf.nn.softplus(c + t[..., n:])),
          reinterpreted_batch_ndims=1)),
  ])

# Specify the prior over `keras.layers.Dense` `kernel` and `bias`.
def prior_trainable(kernel_size, bias_size=0, dtype=None):
  n = kernel_size + bias_size
  return tf_keras.Sequential([
      tfp.layers.VariableLayer(n, dtype=dtype),
      tfp.layers.DistributionLambda(lambda t: tfd.Independent(
          tfd.Normal(loc=t, scale=1),
          reinterpreted_batch_ndims=1)),
  ])

#@title Custom PSD Kernel
class RBFKernelFn(tf_keras.layers.Layer):
  def __init__(self, **kwargs):
    super(RBFKernelFn, self).__init__(**kwargs)
    dtype = kwargs.get('dtype', None)

    self._amplitude = self.add_variable(
            initializer=tf.constant_initializer(0),
            dtype=dtype,
            name='amplitude')

    self._length_scale = self.add_variable(
            initializer=tf.constant_initializer(0),
            dtype=dtype,
            name='length_scale')

  def call(self, x):
    # Never called -- this is just a layer so it can hold variables
    # in a way Keras understands.
    return x

  @property
  def kernel(self):
    return tfp.math.psd_kernels.ExponentiatedQuadratic(
      amplitude=tf.nn.softplus(0.1 * self._amplitude),
      length_scale=tf.nn.softplus(5. * self._length_scale)
    )


def run(epochs=1000, draws=100, nll_draws=1000):
  figures = {}
  y, x, x_tst = load_dataset()
  y_hld, x_hld = _common.regression_heldout()

  ### Case 1: No Uncertainty
  # Build model.
  model = tf_keras.Sequential([
    tf_keras.layers.Dense(1),
    tfp.layers.DistributionLambda(lambda t: tfd.Normal(loc=t, scale=1)),
  ])

  # Do inference.
  model.compile(optimizer=tf_keras.optimizers.Adam(learning_rate=0.01), loss=negloglik)
  history = model.fit(x, y, epochs=epochs, verbose=False);

  # Profit.
  [print(np.squeeze(w.numpy())) for w in model.weights];
  yhat = model(x_tst)
  assert isinstance(yhat, tfd.Distribution)

  #@title Figure 1: No uncertainty.
  w = np.squeeze(model.layers[-2].kernel.numpy())
  b = np.squeeze(model.layers[-2].bias.numpy())
  yhat.mean()
  figures['case1'] = dict(loss0=history.history['loss'][0], loss=history.history['loss'][-1], nll=_common.heldout_nll(model, x_hld, y_hld))

  ### Case 2: Aleatoric Uncertainty
  # Build model.
  model = tf_keras.Sequential([
    tf_keras.layers.Dense(1 + 1),
    tfp.layers.DistributionLambda(
        lambda t: tfd.Normal(loc=t[..., :1],
                             scale=1e-3 + tf.math.softplus(0.05 * t[...,1:]))),
  ])

  # Do inference.
  model.compile(optimizer=tf_keras.optimizers.Adam(learning_rate=0.01), loss=negloglik)
  history = model.fit(x, y, epochs=epochs, verbose=False);

  # Profit.
  [print(np.squeeze(w.numpy())) for w in model.weights];
  yhat = model(x_tst)
  assert isinstance(yhat, tfd.Distribution)

  #@title Figure 2: Aleatoric Uncertainty
  m = yhat.mean()
  s = yhat.stddev()
  figures['case2'] = dict(loss0=history.history['loss'][0], loss=history.history['loss'][-1], nll=_common.heldout_nll(model, x_hld, y_hld))

  ### Case 3: Epistemic Uncertainty
  # Build model.
  model = tf_keras.Sequential([
    tfp.layers.DenseVariational(1, posterior_mean_field, prior_trainable, kl_weight=1/x.shape[0]),
    tfp.layers.DistributionLambda(lambda t: tfd.Normal(loc=t, scale=1)),
  ])

  # Do inference.
  model.compile(optimizer=tf_keras.optimizers.Adam(learning_rate=0.01), loss=negloglik)
  history = model.fit(x, y, epochs=epochs, verbose=False);

  # Profit.
  [print(np.squeeze(w.numpy())) for w in model.weights];
  yhat = model(x_tst)
  assert isinstance(yhat, tfd.Distribution)

  #@title Figure 3: Epistemic Uncertainty
  yhats = [model(x_tst) for _ in range(draws)]
  avgm = np.zeros_like(x_tst[..., 0])
  for i, yhat in enumerate(yhats):
    m = np.squeeze(yhat.mean())
    s = np.squeeze(yhat.stddev())
    avgm += m
  figures['case3'] = dict(loss0=history.history['loss'][0], loss=history.history['loss'][-1], nll=_common.heldout_nll(model, x_hld, y_hld, nll_draws))

  ### Case 4: Aleatoric & Epistemic Uncertainty
  # Build model.
  model = tf_keras.Sequential([
    tfp.layers.DenseVariational(1 + 1, posterior_mean_field, prior_trainable, kl_weight=1/x.shape[0]),
    tfp.layers.DistributionLambda(
        lambda t: tfd.Normal(loc=t[..., :1],
                             scale=1e-3 + tf.math.softplus(0.01 * t[...,1:]))),
  ])

  # Do inference.
  model.compile(optimizer=tf_keras.optimizers.Adam(learning_rate=0.01), loss=negloglik)
  history = model.fit(x, y, epochs=epochs, verbose=False);

  # Profit.
  [print(np.squeeze(w.numpy())) for w in model.weights];
  yhat = model(x_tst)
  assert isinstance(yhat, tfd.Distribution)

  #@title Figure 4: Both Aleatoric & Epistemic Uncertainty
  yhats = [model(x_tst) for _ in range(draws)]
  avgm = np.zeros_like(x_tst[..., 0])
  for i, yhat in enumerate(yhats):
    m = np.squeeze(yhat.mean())
    s = np.squeeze(yhat.stddev())
    avgm += m
  figures['case4'] = dict(loss0=history.history['loss'][0], loss=history.history['loss'][-1], nll=_common.heldout_nll(model, x_hld, y_hld, nll_draws))

  ### Case 5: Functional Uncertainty
  # For numeric stability, set the default floating-point dtype to float64
  tf_keras.backend.set_floatx('float64')

  # Build model.
  num_inducing_points = 40
  model = tf_keras.Sequential([
      tf_keras.layers.InputLayer(input_shape=[1]),
      tf_keras.layers.Dense(1, kernel_initializer='ones', use_bias=False),
      tfp.layers.VariationalGaussianProcess(
          num_inducing_points=num_inducing_points,
          kernel_provider=RBFKernelFn(),
          event_shape=[1],
          inducing_index_points_initializer=tf.constant_initializer(
              np.linspace(*x_range, num=num_inducing_points,
                          dtype=x.dtype)[..., np.newaxis]),
          unconstrained_observation_noise_variance_initializer=(
              tf.constant_initializer(np.array(0.54).astype(x.dtype))),
      ),
  ])

  # Do inference.
  batch_size = 32
  loss = lambda y, rv_y: rv_y.variational_loss(
      y, kl_weight=np.array(batch_size, x.dtype) / x.shape[0])
  model.compile(optimizer=tf_keras.optimizers.Adam(learning_rate=0.01), loss=loss)
  history = model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=False)

  # Profit.
  yhat = model(x_tst)
  assert isinstance(yhat, tfd.Distribution)

  #@title Figure 5: Functional Uncertainty
  y, x, _ = load_dataset()

  num_samples = 7
  for i in range(num_samples):
    sample_ = yhat.sample().numpy()
  figures['case5'] = dict(loss0=history.history['loss'][0], loss=history.history['loss'][-1], nll=_common.gp_heldout_nll(model, x_hld, y_hld))
  return figures
