"""Runs in a subprocess started by tests/test_distribute.py, because logical
CPU devices and `TF_CONFIG` must be set before TensorFlow starts.

`python -m tests._distribute_script mirrored OUT.json` checks, on two logical
CPU devices, that one `Model.fit` step under `MirroredStrategy` gives the loss
and gradients of one step on one device with the global batch, for one model
of every tfbsl family; that per-example noise differs across replicas; and
what a layer built outside the strategy scope does.

`python -m tests._distribute_script worker OUT.json` is one worker of a
two-worker `MultiWorkerMirroredStrategy` (`TF_CONFIG` set by the test).
"""

import json
import os
import sys

import numpy as np

# The step compared under a strategy and on one device: SGD with learning
# rate 1, so the change of each weight is minus its gradient.
_GLOBAL_BATCH = 8
# Posterior scales small enough that the noise (which differs between one
# device and several replicas, by design) does not show at float32 tolerance.
_TINY_SCALE = 1e-7


def _nll(_, log_prob):
    return -log_prob


def _families():
    """name -> (build() -> uncompiled model, loss, x, y); inputs of 6 features."""
    import keras

    import tfbsl
    from tfbsl import layers

    rng = np.random.default_rng(0)
    x = rng.normal(size=(_GLOBAL_BATCH, 6)).astype("float32")
    y = rng.normal(size=(_GLOBAL_BATCH, 1)).astype("float32")
    images = rng.normal(size=(_GLOBAL_BATCH, 5, 5, 1)).astype("float32")
    posterior = tfbsl.posteriors.MeanFieldNormal(init_scale=_TINY_SCALE)

    def dense(estimator):
        def build():
            return keras.Sequential([
                keras.Input((6,)),
                layers.DenseVariational(4, posterior, activation="tanh", kl_weight=0.01,
                                        estimator=estimator, seed=1),
                layers.DenseVariational(1, posterior, kl_weight=0.01, estimator=estimator, seed=2),
            ])
        return build, "mse", x, y

    def conv():
        return keras.Sequential([
            keras.Input((5, 5, 1)),
            layers.Conv2DVariational(2, 3, make_posterior_fn=posterior, kl_weight=0.01,
                                     estimator="flipout", seed=3),
            keras.layers.Flatten(),
            keras.layers.Dense(1, kernel_initializer=keras.initializers.GlorotUniform(4)),
        ])

    def vae():
        inputs = keras.Input((6,))
        z_mean = keras.layers.Dense(
            2, kernel_initializer=keras.initializers.GlorotUniform(5))(inputs)
        # exp(-30 / 2): the eps of Sampling barely moves z.
        z_log_var = keras.layers.Dense(
            2, kernel_initializer="zeros",
            bias_initializer=keras.initializers.Constant(-30.0))(inputs)
        z = layers.Sampling(kl_weight=0.5, seed=6)([z_mean, z_log_var])
        outputs = keras.layers.Dense(6, kernel_initializer=keras.initializers.GlorotUniform(7))(z)
        return keras.Model(inputs, outputs)

    def head():
        return keras.Sequential([
            keras.Input((6,)),
            keras.layers.Dense(2, kernel_initializer=keras.initializers.GlorotUniform(8)),
            layers.IndependentNormal(1, convert_to_tensor_fn="mean"),
        ])

    def flow():
        inputs = keras.Input((2,))
        flow_layer = layers.NormalizingFlow([
            layers.MaskedAutoregressive((8,)), layers.Permute(), layers.ActNorm(),
        ])
        return keras.Model(inputs, flow_layer(inputs))

    return {
        "dense_reparameterization": dense("reparameterization"),
        "dense_flipout": dense("flipout"),
        "dense_local_reparameterization": dense("local_reparameterization"),
        "conv_flipout": (conv, "mse", images, y),
        "sampling_vae": (vae, "mse", x, x),
        "head_independent_normal": (head, tfbsl.losses.NegativeLogLikelihood(), x, y),
        "flow_maf": (flow, _nll, x[:, :2], np.zeros(_GLOBAL_BATCH, "float32")),
    }


def _one_step(strategy, build, loss, x, y, initial_weights=None):
    """(weights before, loss, gradients) of one `Model.fit` step on the global batch."""
    import keras

    with strategy.scope():
        keras.utils.set_random_seed(0)
        model = build()
        model.compile(keras.optimizers.SGD(1.0), loss=loss)
    if initial_weights is not None:
        model.set_weights(initial_weights)
    weights = model.get_weights()
    before = [np.array(v) for v in model.trainable_weights]
    history = model.fit(x, y, batch_size=_GLOBAL_BATCH, epochs=1, shuffle=False, verbose=0)
    gradients = [b - np.array(v) for b, v in zip(before, model.trainable_weights, strict=True)]
    return weights, history.history["loss"][0], gradients


def _compare(strategy, families):
    """Per family: loss on one device and under `strategy`, and the largest
    gradient difference relative to the largest gradient."""
    import tensorflow as tf

    results = {}
    for name, (build, loss, x, y) in families.items():
        weights, loss_one, grads_one = _one_step(tf.distribute.get_strategy(), build, loss, x, y)
        _, loss_many, grads_many = _one_step(strategy, build, loss, x, y, weights)
        scale = max(float(np.max(np.abs(g))) for g in grads_one)
        diff = max(float(np.max(np.abs(a - b))) for a, b in zip(grads_one, grads_many, strict=True))
        results[name] = {"loss_one_device": float(loss_one), "loss_replicas": float(loss_many),
                         "grad_max": scale, "grad_max_diff": diff}
    return results


def _replica_noise(strategy):
    """Per-example draws on each replica, from one layer fed the same inputs."""
    import keras
    import tensorflow as tf

    import tfbsl
    from tfbsl import _random, layers

    with strategy.scope():
        generator = keras.random.SeedGenerator(0)
        flipout = layers.DenseVariational(
            3, seed=0, make_posterior_fn=tfbsl.posteriors.MeanFieldNormal(init_scale=0.5),
            estimator="flipout")
        sampling = layers.Sampling(seed=0)
        x = tf.ones((2, 4))
        flipout.build(x.shape)
        sampling.build([(2, 3), (2, 3)])

    @tf.function
    def draws():
        return {
            "per_example": _random.normal((2, 3), generator, per_example=True),
            "shared": _random.normal((2, 3), generator),
            "flipout": flipout(x),
            "sampling": sampling([tf.zeros((2, 3)), tf.zeros((2, 3))]),
        }

    per_replica = strategy.run(draws)
    out = {}
    for key, value in per_replica.items():
        a, b = (np.array(v) for v in strategy.experimental_local_results(value))
        out[key] = bool(np.allclose(a, b))
    return out


def _outside_scope(strategy):
    """What Keras does with a model built outside the scope and fitted inside."""
    import keras

    from tfbsl import layers

    model = keras.Sequential([keras.Input((6,)), layers.DenseVariational(1, seed=0)])
    with strategy.scope():
        model.compile(keras.optimizers.SGD(0.1), loss="mse")
    x = np.ones((_GLOBAL_BATCH, 6), "float32")
    try:
        model.fit(x, np.ones((_GLOBAL_BATCH, 1), "float32"), batch_size=_GLOBAL_BATCH, verbose=0)
    except Exception as error:  # the test reads what was raised
        return {"raised": type(error).__name__, "message": str(error)[:500]}
    return {"raised": None}


def _mirrored(out_path):
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    result = {
        "num_replicas": strategy.num_replicas_in_sync,
        "families": _compare(strategy, _families()),
        "noise_equal_across_replicas": _replica_noise(strategy),
        "outside_scope": _outside_scope(strategy),
    }
    with open(out_path, "w") as f:
        json.dump(result, f)


def _worker_model():
    """Flipout and reparameterization dense layers and a Normal head."""
    import keras

    import tfbsl
    from tfbsl import layers

    posterior = tfbsl.posteriors.MeanFieldNormal(init_scale=_TINY_SCALE)
    return keras.Sequential([
        keras.Input((6,)),
        layers.DenseVariational(4, posterior, activation="tanh", kl_weight=0.01,
                                estimator="flipout", seed=1),
        layers.DenseVariational(2, posterior, kl_weight=0.01, seed=2),
        layers.IndependentNormal(1, convert_to_tensor_fn="mean"),
    ])


def _worker(out_path):
    """One worker of two: a reference step on one device, the same step by a
    custom loop with `strategy.run`, then plain `fit`, which Keras 3 breaks
    under this strategy (keras-team/keras#20585; with the model built before
    `fit` by other means, `reduce_per_replica` then fails on scalar logs)."""
    import keras
    import tensorflow as tf

    import tfbsl

    # Must come first: it sets up the collective ops of the cluster.
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2 * _GLOBAL_BATCH, 6)).astype("float32")
    y = (x[:, :1] + 0.1 * rng.normal(size=(2 * _GLOBAL_BATCH, 1))).astype("float32")
    loss = tfbsl.losses.NegativeLogLikelihood()

    keras.utils.set_random_seed(0)
    reference = _worker_model()
    reference.compile(keras.optimizers.SGD(1.0), loss=loss)
    weights = reference.get_weights()
    before = [np.array(v) for v in reference.trainable_weights]
    loss_ref = reference.fit(x, y, batch_size=len(x), shuffle=False, verbose=0).history["loss"][0]
    grads_ref = [b - np.array(v) for b, v in zip(before, reference.trainable_weights, strict=True)]
    result = {"task": json.loads(os.environ["TF_CONFIG"])["task"]["index"]}

    def record(name, loss_value, grads):
        result[name] = {
            "loss": float(loss_value), "loss_reference": float(loss_ref),
            "grad_max_diff": max(float(np.max(np.abs(a - b)))
                                 for a, b in zip(grads, grads_ref, strict=True)),
        }

    # The workaround (README, "Several workers"): a custom step under
    # `strategy.run`; the layer losses (KL terms) are added once per replica
    # and scaled like the data loss. SGD(1): weight change = -gradient.
    with strategy.scope():
        model = _worker_model()
        model.set_weights(weights)
        optimizer = keras.optimizers.SGD(1.0)
        optimizer.build(model.trainable_variables)
    dataset = strategy.experimental_distribute_dataset(
        tf.data.Dataset.from_tensor_slices((x, y)).batch(len(x)))

    def step(features, targets):
        with tf.GradientTape() as tape:
            per_example = -model(features, training=True).distribution.log_prob(targets)
            total = (tf.nn.compute_average_loss(per_example, global_batch_size=len(x))
                     + tf.nn.scale_regularization_loss(tf.add_n(model.losses)))
        grads = tape.gradient(total, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return total

    train_step = tf.function(lambda features, targets: strategy.run(step, args=(features, targets)))
    before = [np.array(v) for v in model.trainable_weights]
    total = strategy.reduce("SUM", train_step(*next(iter(dataset))), axis=None)
    record("custom_loop", total,
           [b - np.array(v) for b, v in zip(before, model.trainable_weights, strict=True)])

    # The bug itself: a model created in the scope, then `fit`.
    with strategy.scope():
        model = _worker_model()
        model.compile(keras.optimizers.SGD(1.0), loss=loss)
    try:
        model.fit(x, y, batch_size=len(x), epochs=1, verbose=0)
        result["plain_fit"] = None
    except Exception as error:  # the test reads what was raised
        result["plain_fit"] = f"{type(error).__name__}: {str(error)[:200]}"

    # The fix: with `tfbsl.distribute.enable_multi_worker_fit()`, plain `fit`
    # (then `evaluate` and `predict`) on the model of the reference step.
    result["patched_first_call"] = tfbsl.distribute.enable_multi_worker_fit()
    with strategy.scope():
        model = _worker_model()
        model.set_weights(weights)
        model.compile(keras.optimizers.SGD(1.0), loss=loss)
    before = [np.array(v) for v in model.trainable_weights]
    # The loss of the step's own logs (what the patched reduce returns), not
    # the epoch's (read from the metric variables).
    batch_logs = []
    model.fit(x, y, batch_size=len(x), shuffle=False, epochs=1, verbose=0,
              callbacks=[keras.callbacks.LambdaCallback(
                  on_train_batch_end=lambda _, logs: batch_logs.append(float(logs["loss"])))])
    record("patched_fit", batch_logs[0],
           [b - np.array(v) for b, v in zip(before, model.trainable_weights, strict=True)])
    result["patched_evaluate"] = float(model.evaluate(x, y, batch_size=len(x), verbose=0))
    result["reference_evaluate"] = float(reference.evaluate(x, y, batch_size=len(x), verbose=0))
    predicted = model.predict(x, batch_size=4, verbose=0)
    result["patched_predict_shape"] = list(predicted.shape)
    result["predict_max_diff"] = float(np.max(np.abs(
        predicted - reference.predict(x, batch_size=4, verbose=0))))
    result["patched_second_call"] = tfbsl.distribute.enable_multi_worker_fit()
    result["families"] = _compare(strategy, _families())
    with open(out_path, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    from tests import _grappler

    if not _grappler.wanted():  # as in tests/conftest.py
        _grappler.set_grappler(False)
    {"mirrored": _mirrored, "worker": _worker}[sys.argv[1]](sys.argv[2])
