"""Keras 3 twin of `tfp.layers.VariationalGaussianProcess`."""

import keras
import numpy as np
from keras import ops

from tfbsl import _checks
from tfbsl._backend import is_tensorflow, tfp
from tfbsl._outputs import align_value
from tfbsl._serialization import deserialize_fn, serialize_fn
from tfbsl.heads.distribution_layers import DistributionLambda

__all__ = ["VariationalGaussianProcess"]

tfd = tfp.distributions
tfb = tfp.bijectors

# TFP's default `unconstrained_observation_noise_variance_initializer`.
_NOISE_INITIALIZER = keras.initializers.Constant(-10.0)
# The initializer arguments, in TFP's order; `None` has a meaning in each.
_INITIALIZERS = (
    "inducing_index_points_initializer",
    "unconstrained_observation_noise_variance_initializer",
    "variational_inducing_observations_scale_initializer",
)


@keras.saving.register_keras_serializable(package="tfbsl")
class VariationalGaussianProcess(DistributionLambda):
    """A sparse variational Gaussian process over the layer's inputs.

    The twin of `tfp.layers.VariationalGaussianProcess`: the inputs are the
    index points of a `tfd.VariationalGaussianProcess` (Hensman et al. 2013)
    with trainable inducing index points, variational inducing observations
    (loc and scale), observation noise and, without `mean_fn`, a constant
    mean. As in TFP, the distribution is the VGP made `Independent` over
    `event_shape` and transposed, so its event shape is
    `(batch, event_shape[0])`, and it carries `variational_loss(y,
    kl_weight=1.)` (the negative ELBO of Hensman et al.) and
    `surrogate_posterior_kl_divergence_prior()`.

    Keras 3 layers return tensors, so the layer returns the tensor
    `convert_to_tensor_fn` makes of the distribution (a sample by default,
    as in TFP) carrying it, like `DistributionLambda`: on TensorFlow
    `t.distribution`, `t.variational_loss`, `t.mean()`, `t.log_prob(y)`, ...,
    so that the loss of TFP's regression tutorial runs unchanged:
    `loss=lambda y, rv_y: rv_y.variational_loss(y, kl_weight=batch_size / n)`.
    On JAX the output is a plain array: `tfbsl.get_distribution(t)` gives
    the distribution, with `variational_loss` and
    `surrogate_posterior_kl_divergence_prior`, and the kernel provider builds
    its kernel with `keras.ops`. There `fit` first traces the loss on a
    stand-in for the output, which carries no distribution, so the loss
    returns a placeholder value for it:

    ```python
    def loss(y, t):
        try:
            distribution = tfbsl.get_distribution(t)
        except ValueError:  # Keras' trace of the loss's shape
            return keras.ops.zeros(())
        return distribution.variational_loss(y, kl_weight=batch_size / n)
    ```
    As in TFP, `t.log_prob(y)` is the joint log-density of the batch (a
    scalar) and `t.mean()`, `t.stddev()` the per-example marginals (noise
    included). In a float64 model, a plain-function loss needs
    `keras.config.set_floatx("float64")`: Keras casts `y_pred` to the loss
    dtype, and a cast tensor carries no distribution.

    Args:
        num_inducing_points: positive int, the number of inducing points.
        kernel_provider: a `keras.layers.Layer` with a `kernel` property
            returning a `tfp.math.psd_kernels.PositiveSemidefiniteKernel` made
            from its variables (read at every call). Its variables are tracked
            and trained with the layer's; it is built with the layer's input
            shape if it is not yet. Register its class with
            `keras.saving.register_keras_serializable` to save the model.
        event_shape: int or tuple of one int `e`: the layer models `e`
            independent functions (outputs per example). Default `(1,)`.
        inducing_index_points_initializer: Keras initializer of the inducing
            index points, shape `event_shape + (num_inducing_points,) +
            feature_shape` (default `"glorot_uniform"`, as Keras' and TFP's
            default). Training is sensitive to it: spread them over the data.
            TFP's tutorial's `tf.constant_initializer(array)` works, and saves
            as a `keras.initializers.Constant`.
        unconstrained_observation_noise_variance_initializer: Keras
            initializer of the noise variance before `softplus` (default
            `Constant(-10.)`, as in TFP); `None` means no noise variable and
            a noise variance of 0, as in TFP (whose `variational_loss` is
            then NaN: it divides by the noise variance).
        variational_inducing_observations_scale_initializer: Keras
            initializer of the scale, shape `event_shape + (m, m)`; default
            `1e-5` times the identity, as in TFP.
        mean_fn: callable mapping the inputs to the prior mean; default a
            trainable constant (the weight `mean`, initially 0). Register it
            to save the model.
        jitter: float >= 0 added to the diagonals of kernel matrices.
        convert_to_tensor_fn: the tensor returned: `"sample"` (default, as
            TFP's `tfd.Distribution.sample`), `"mean"`, `"mode"`,
            `tfd.Distribution.mean` etc., or a registered callable.
        name: the layer's name.
        seed: optional int seeding the `"sample"` draws (a tfbsl argument,
            after TFP's).
        **kwargs: Keras layer arguments (`dtype` defaults to the kernel
            provider's, as in TFP).

    Input shape:
        `(batch,) + feature_shape`, with `kernel.feature_ndims` feature axes,
        known when the layer is built.

    Output shape:
        `(batch, event_shape[0])`.

    Raises:
        ValueError: at construction for a wrong argument value; at build if
            the feature shape is unknown.
        TypeError: at construction for an argument of the wrong type (a
            `kernel_provider` that is no Keras layer, ...); at build if
            `kernel_provider.kernel` is not a PSD kernel.

    References:
        Hensman, Fusi, Lawrence (2013). "Gaussian Processes for Big Data".
        UAI 2013. https://arxiv.org/abs/1309.6835

        TensorFlow Probability, "Probabilistic Layers Regression" (case 5):
        https://www.tensorflow.org/probability/examples/Probabilistic_Layers_Regression

    Example:
    ```pycon
    >>> class RBFKernelFn(keras.layers.Layer):  # register it to save the model
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self._amplitude = self.add_weight(initializer="zeros", name="amplitude")
    ...         self._length_scale = self.add_weight(initializer="zeros", name="length_scale")
    ...
    ...     @property
    ...     def kernel(self):
    ...         return tfp.math.psd_kernels.ExponentiatedQuadratic(
    ...             amplitude=keras.ops.softplus(0.1 * self._amplitude),
    ...             length_scale=keras.ops.softplus(5.0 * self._length_scale))
    >>> model = keras.Sequential([
    ...     keras.Input((1,)),
    ...     tfbsl.layers.VariationalGaussianProcess(
    ...         8, RBFKernelFn(), event_shape=[1],
    ...         inducing_index_points_initializer=keras.initializers.Constant(
    ...             np.linspace(-2, 2, 8)[:, None])),
    ... ])
    >>> output = model(np.linspace(-1, 1, 5, dtype="float32")[:, None])
    >>> tuple(output.shape), tuple(tfbsl.get_distribution(output).event_shape)
    ((5, 1), (5, 1))

    ```

    With TFP's loss (TensorFlow), `n` training examples in batches of
    `batch_size`: `model.compile("adam", loss=lambda y, rv_y:
    rv_y.variational_loss(y, kl_weight=np.float32(batch_size) / n))`.
    """

    def __init__(self, num_inducing_points, kernel_provider, event_shape=(1,),
                 inducing_index_points_initializer=None,
                 unconstrained_observation_noise_variance_initializer=_NOISE_INITIALIZER,
                 variational_inducing_observations_scale_initializer=None,
                 mean_fn=None, jitter=1e-6, convert_to_tensor_fn=tfd.Distribution.sample,
                 name=None, seed=None, **kwargs):
        num_inducing_points = _checks.check_positive_int(
            "num_inducing_points", num_inducing_points)
        if not isinstance(kernel_provider, keras.Layer):
            raise TypeError(
                "`kernel_provider` must be a Keras 3 `keras.layers.Layer` with a "
                "`kernel` property returning a `tfp.math.psd_kernels` kernel. "
                f"Received: kernel_provider={kernel_provider!r}"
            )
        event_shape = _checks.check_shape("event_shape", event_shape)
        if len(event_shape) != 1:
            raise ValueError(
                "`event_shape` must be a positive integer or a tuple of one "
                f"positive integer. Received: event_shape={event_shape!r}"
            )
        initializers = {
            key: None if value is None else _checks.check_initializer(key, value)
            for key, value in zip(_INITIALIZERS, (
                inducing_index_points_initializer,
                unconstrained_observation_noise_variance_initializer,
                variational_inducing_observations_scale_initializer), strict=True)
        }
        if mean_fn is not None:
            _checks.check_callable("mean_fn", mean_fn, "(inputs) -> mean", num_args=1)
        jitter = _checks.check_nonnegative_finite("jitter", jitter)
        kwargs.setdefault("dtype", kernel_provider.dtype_policy)
        super().__init__(self._distribution, convert_to_tensor_fn, seed, name=name, **kwargs)
        self.num_inducing_points = num_inducing_points
        self.kernel_provider = kernel_provider
        self.event_shape = event_shape
        for key, initializer in initializers.items():
            setattr(self, key, initializer)
        self.mean_fn = mean_fn
        self.jitter = jitter

    def build(self, input_shape):
        if not self.kernel_provider.built:
            self.kernel_provider.build(input_shape)
        kernel = self.kernel_provider.kernel
        if not isinstance(kernel, tfp.math.psd_kernels.PositiveSemidefiniteKernel):
            raise TypeError(
                "`kernel_provider.kernel` must be a "
                "`tfp.math.psd_kernels.PositiveSemidefiniteKernel`. Received: "
                f"{kernel!r} from kernel_provider={self.kernel_provider.name!r}"
            )
        features = tuple(input_shape[len(input_shape) - kernel.feature_ndims:])
        if len(features) != kernel.feature_ndims or None in features:
            raise ValueError(
                f"The last {kernel.feature_ndims} dimension(s) of the inputs (the "
                "kernel's `feature_ndims`) must be known when the layer is built. "
                f"Received: inputs.shape={tuple(input_shape)}"
            )
        m, events = self.num_inducing_points, self.event_shape
        if self.mean_fn is None:
            self.mean = self.add_weight(name="mean", shape=(), initializer="zeros")
        self.unconstrained_observation_noise_variance = None
        if self.unconstrained_observation_noise_variance_initializer is not None:
            self.unconstrained_observation_noise_variance = self.add_weight(
                name="observation_noise_variance", shape=(),
                initializer=self.unconstrained_observation_noise_variance_initializer)
        self.inducing_index_points = self.add_weight(
            name="inducing_index_points", shape=events + (m,) + features,
            initializer=self.inducing_index_points_initializer)
        self.variational_inducing_observations_loc = self.add_weight(
            name="variational_inducing_observations_loc", shape=events + (m,),
            initializer="zeros")
        self.variational_inducing_observations_scale = self.add_weight(
            name="variational_inducing_observations_scale", shape=events + (m, m),
            initializer=keras.initializers.Constant(1e-5 * np.eye(m))
            if self.variational_inducing_observations_scale_initializer is None
            else self.variational_inducing_observations_scale_initializer)

    def _distribution(self, inputs):
        if self.unconstrained_observation_noise_variance is None:
            noise_variance = 0.0
        else:
            noise_variance = ops.softplus(self.unconstrained_observation_noise_variance)
        vgp = tfd.VariationalGaussianProcess(
            kernel=self.kernel_provider.kernel,
            index_points=ops.cast(inputs, self.compute_dtype),
            inducing_index_points=ops.convert_to_tensor(self.inducing_index_points),
            variational_inducing_observations_loc=ops.convert_to_tensor(
                self.variational_inducing_observations_loc),
            variational_inducing_observations_scale=ops.convert_to_tensor(
                self.variational_inducing_observations_scale),
            mean_fn=(lambda _: ops.convert_to_tensor(self.mean)) if self.mean_fn is None
            else self.mean_fn,
            observation_noise_variance=noise_variance,
            jitter=self.jitter,
        )
        transpose = tfb.Transpose(rightmost_transposed_ndims=2)
        distribution = tfd.TransformedDistribution(
            tfd.Independent(vgp, reinterpreted_batch_ndims=1), bijector=transpose)

        def variational_loss(y, kl_weight=1.0):
            """TFP's: the VGP's negative ELBO at `y` (shape `(batch, e)`)."""
            y = align_value(y, distribution, "y")
            return vgp.variational_loss(transpose.forward(y), kl_weight=kl_weight)

        distribution.variational_loss = variational_loss
        distribution.surrogate_posterior_kl_divergence_prior = (
            vgp.surrogate_posterior_kl_divergence_prior)
        return distribution

    def call(self, inputs):
        outputs = super().call(inputs)
        # As TFP's `rv_y.variational_loss(...)`; a JAX array takes no
        # attributes (there, the distribution has them).
        if is_tensorflow():
            outputs.variational_loss = outputs.distribution.variational_loss
            outputs.surrogate_posterior_kl_divergence_prior = (
                outputs.distribution.surrogate_posterior_kl_divergence_prior)
        return outputs

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self.event_shape

    def get_config(self):
        config = super().get_config()
        del config["make_distribution_fn"]
        config.update({
            "num_inducing_points": self.num_inducing_points,
            "kernel_provider": keras.saving.serialize_keras_object(self.kernel_provider),
            "event_shape": list(self.event_shape),
            **{key: None if getattr(self, key) is None
               else keras.initializers.serialize(getattr(self, key))
               for key in _INITIALIZERS},
            "mean_fn": serialize_fn(self.mean_fn),
            "jitter": self.jitter,
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        config = dict(config)
        config["kernel_provider"] = keras.saving.deserialize_keras_object(
            config["kernel_provider"], custom_objects=custom_objects)
        config["mean_fn"] = deserialize_fn(config.get("mean_fn"), custom_objects, safe_mode)
        return super().from_config(config, custom_objects, safe_mode)
