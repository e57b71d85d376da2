# ruff: noqa: E402, E501, E731, I001
"""TFP's "Probabilistic Layers VAE" notebook ported to Keras 3 + `tfbsl.layers`.

Source: tensorflow/probability, tensorflow_probability/examples/jupyter_notebooks/
Probabilistic_Layers_VAE.ipynb (commit c847a41, Apache-2.0), its code cells in
order: `vae_tfp.py` with its imports changed (`tf_keras` -> `keras`,
`tfp.layers` -> `tfbsl.layers`) and the edits that `tests/ports` lists, each
with its reason.

Changed from the notebook, identically in `vae_tfp.py`:
- MNIST (`tensorflow_datasets`, a download) is replaced by scikit-learn's
  digits, 8x8, served as `tfds.load` serves MNIST (`_common.digits_as_tfds`:
  uint8 images in 0-255, the notebook's `_preprocess` and random binarisation
  unchanged); for 8x8 images the encoder's last convolution and the decoder's
  first transposed convolution have a 2x2 kernel instead of 7x7 (MNIST's
  28 / 4 = 7; 8 / 4 = 2), the only architecture change;
- the notebook's own bugs are fixed: `tfkl = tf_keras.layers` and
  `tf_keras.optimizers.Adam` name `tf_keras`, which it imports as `tfk`
  (a NameError), and are `tfk.layers` and `tfk.optimizers.Adam` here;
- the cells run inside `run(epochs, num_train)`: `epochs=15` becomes
  `epochs=epochs` and `_ = vae.fit(...)` becomes `history = vae.fit(...,
  verbose=0)`; the plotting (`display_imgs`, matplotlib) and the GPU check are
  left out, the arrays the notebook displays are still computed;
- the last lines measure the held-out negative ELBO (`_common`), which the
  notebook does not; `run` returns the figures.
"""

#@title Import { display-mode: "form" }


import numpy as np

import tensorflow as tf
import keras as tfk
import tensorflow_probability as tfp
import tfbsl.layers

from tests.ports import _common


tfkl = tfk.layers
tfpl = tfbsl.layers
tfd = tfp.distributions


def run(epochs=15, num_train=None):
  ### Load Dataset
  datasets, datasets_info = _common.digits_as_tfds(num_train)

  def _preprocess(sample):
    image = tf.cast(sample['image'], tf.float32) / 255.  # Scale to unit interval.
    image = image < tf.random.uniform(tf.shape(image))   # Randomly binarize.
    return image, image

  train_dataset = (datasets['train']
                   .map(_preprocess)
                   .batch(256)
                   .prefetch(tf.data.AUTOTUNE)
                   .shuffle(int(10e3)))
  eval_dataset = (datasets['test']
                  .map(_preprocess)
                  .batch(256)
                  .prefetch(tf.data.AUTOTUNE))

  ### VAE Code Golf
  #### Specify model.
  input_shape = datasets_info.features['image'].shape
  encoded_size = 16
  base_depth = 32

  prior = tfd.Independent(tfd.Normal(loc=tf.zeros(encoded_size), scale=1),
                          reinterpreted_batch_ndims=1)

  encoder = tfk.Sequential([
      tfkl.InputLayer(input_shape=input_shape),
      tfkl.Lambda(lambda x: tf.cast(x, tf.float32) - 0.5),
      tfkl.Conv2D(base_depth, 5, strides=1,
                  padding='same', activation=tf.nn.leaky_relu),
      tfkl.Conv2D(base_depth, 5, strides=2,
                  padding='same', activation=tf.nn.leaky_relu),
      tfkl.Conv2D(2 * base_depth, 5, strides=1,
                  padding='same', activation=tf.nn.leaky_relu),
      tfkl.Conv2D(2 * base_depth, 5, strides=2,
                  padding='same', activation=tf.nn.leaky_relu),
      tfkl.Conv2D(4 * encoded_size, 2, strides=1,
                  padding='valid', activation=tf.nn.leaky_relu),
      tfkl.Flatten(),
      tfkl.Dense(tfpl.MultivariateNormalTriL.params_size(encoded_size),
                 activation=None),
      tfpl.MultivariateNormalTriL(
          encoded_size,
          activity_regularizer=tfpl.KLDivergenceRegularizer(prior)),
  ])

  decoder = tfk.Sequential([
      tfkl.InputLayer(input_shape=[encoded_size]),
      tfkl.Reshape([1, 1, encoded_size]),
      tfkl.Conv2DTranspose(2 * base_depth, 2, strides=1,
                           padding='valid', activation=tf.nn.leaky_relu),
      tfkl.Conv2DTranspose(2 * base_depth, 5, strides=1,
                           padding='same', activation=tf.nn.leaky_relu),
      tfkl.Conv2DTranspose(2 * base_depth, 5, strides=2,
                           padding='same', activation=tf.nn.leaky_relu),
      tfkl.Conv2DTranspose(base_depth, 5, strides=1,
                           padding='same', activation=tf.nn.leaky_relu),
      tfkl.Conv2DTranspose(base_depth, 5, strides=2,
                           padding='same', activation=tf.nn.leaky_relu),
      tfkl.Conv2DTranspose(base_depth, 5, strides=1,
                           padding='same', activation=tf.nn.leaky_relu),
      tfkl.Conv2D(filters=1, kernel_size=5, strides=1,
                  padding='same', activation=None),
      tfkl.Flatten(),
      tfpl.IndependentBernoulli(input_shape, tfd.Bernoulli.logits),
  ])

  vae = tfk.Model(inputs=encoder.inputs,
                  outputs=decoder(encoder.outputs[0]))

  #### Do inference.
  negloglik = lambda x, rv_x: -rv_x.log_prob(x)

  vae.compile(optimizer=tfk.optimizers.Adam(learning_rate=1e-3),
              loss=negloglik)

  history = vae.fit(train_dataset,
                    epochs=epochs,
                    validation_data=eval_dataset,
                    verbose=0)

  ### Look Ma, No ~~Hands~~Tensors!
  # We'll just examine ten random digits.
  x = next(iter(eval_dataset))[0][:10]
  xhat = vae(x)
  assert isinstance(xhat.distribution, tfd.Distribution)

  # Originals, decoded random samples, modes, means (displayed in the notebook).
  shown = [np.array(x), np.array(xhat.sample()), np.array(xhat.mode()), np.array(xhat.mean())]

  # Now, let's generate ten never-before-seen digits.
  z = prior.sample(10)
  xtilde = decoder(z)
  assert isinstance(xtilde.distribution, tfd.Distribution)

  # Randomly generated samples, modes, means (displayed in the notebook).
  shown += [np.array(xtilde.sample()), np.array(xtilde.mode()), np.array(xtilde.mean())]

  heldout = _common.vae_heldout_nelbo(encoder, decoder, prior, eval_dataset)
  return dict(loss0=history.history['loss'][0], loss=history.history['loss'][-1],
              val_loss=history.history['val_loss'][-1],
              shown=[a.shape for a in shown], **heldout)
