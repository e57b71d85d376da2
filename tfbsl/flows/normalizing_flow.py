"""`NormalizingFlow`: flow blocks stacked over a base distribution."""

import keras
from keras import ops

from tfbsl import _checks
from tfbsl._backend import tfp
from tfbsl._outputs import (
    distribution_dtype,
    get_distribution,
    shape_stand_in,
    traced_output_spec,
)
from tfbsl._random import int_seed, tfp_seed
from tfbsl.flows._block import (
    _FlowBlock,
    as_compute_dtype,
    build_shapes,
    check_context,
    check_inputs_shape,
)

__all__ = ["NormalizingFlow"]

tfd = tfp.distributions
tfb = tfp.bijectors


@keras.saving.register_keras_serializable(package="tfbsl")
class NormalizingFlow(keras.Layer):
    """A normalizing flow: flow blocks over a base distribution; called on
    data `x` (and an optional context), it returns `log p(x)` per example.

    `blocks` are listed in the order data passes through them on the way to
    the base distribution: `inverse(x)` (the course's `f`, data -> base) applies
    `blocks[0]` first, and `forward(z)` (base -> data, TFP's direction, what
    `sample` uses) applies them in reverse. Then
    `log p(x) = log p_base(f(x)) + log|det df/dx|`.

    Data `x` is a batch of event vectors, shape `(batch, event_size)` (a
    single feature is `x.reshape(-1, 1)`), integer or float (cast to the
    compute dtype); a context, if the flow was built with one, is
    `(batch, context_size)` and must then be given to every call.

    Train it with `Model.fit` on the returned log-density (this is the route
    tfbsl documents and tests, jit-compiled or not):
    `model.compile(optimizer, loss=lambda _, log_prob: -log_prob)` and
    `model.fit(x, np.zeros(len(x)))` (the targets are ignored). To save the
    compiled model without `safe_mode=False`, register the loss function with
    `keras.saving.register_keras_serializable`.

    Args:
        blocks: list of tfbsl flow blocks (`MaskedAutoregressive`,
            `AffineCoupling`, `SplineCoupling`, `SplineAutoregressive`,
            `Permute`, `ActNorm`), data side first.
        base: `None` for a standard Normal of the event size, or a Keras layer
            whose output carries a `tfd.Distribution` over the event (a tfbsl
            distribution layer, or a `Sequential` ending in one), so that it
            saves with the model. It is called on the context, or on an empty
            `[1, 0]` tensor for an unconditional flow: e.g.
            `Sequential([VariableLayer(2 * d), IndependentNormal(d)])` is a
            trainable diagonal Normal.
        seed: optional int (any int64), seeds `sample` when it is given no seed.

    Input shape:
        `(batch, event_size)`, and the context `(batch, context_size)` if the
        flow has one.

    Output shape:
        `(batch,)`: `log p(x)` per example.

    Example:
    ```pycon
    >>> x = np.random.default_rng(0).normal(size=(256, 2)).astype("float32")
    >>> flow = tfbsl.layers.NormalizingFlow([
    ...     tfbsl.layers.MaskedAutoregressive((16, 16)), tfbsl.layers.Permute(),
    ...     tfbsl.layers.MaskedAutoregressive((16, 16)),
    ... ])
    >>> x_in = keras.Input((2,))
    >>> model = keras.Model(x_in, flow(x_in))
    >>> model.compile(keras.optimizers.Adam(1e-3), loss=lambda _, log_prob: -log_prob)
    >>> history = model.fit(x, np.zeros(len(x)), epochs=1, verbose=0)
    >>> tuple(flow.log_prob(x[:5]).shape), tuple(flow.sample(100).shape)
    ((5,), (100, 2))

    ```
    """

    def __init__(self, blocks, base=None, seed=None, **kwargs):
        blocks = _check_blocks(blocks)
        if base is not None and not isinstance(base, keras.Layer):
            raise ValueError(
                "`base` must be None (standard Normal) or a Keras layer whose "
                "output carries a tfd.Distribution (e.g. a tfbsl distribution "
                "layer), so that it serialises. Received: "
                f"base={type(base).__name__}"
            )
        seed = _checks.check_seed("seed", seed)
        # Log-densities in float32 under a mixed policy, as the blocks.
        super().__init__(**distribution_dtype(kwargs))
        self.blocks = blocks
        self.base = base
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, inputs_shape, context_shape=None):
        self.event_size, self.context_size = build_shapes(self, inputs_shape, context_shape)
        for block in self.blocks:
            if not block.built:
                block.build(inputs_shape, context_shape)
        if self.base is not None and not self.base.built:
            self.base.build((1, self.context_size or 0))

    def call(self, inputs, context=None):
        stand_in = shape_stand_in(self, inputs, context=context)
        if stand_in is not None:
            return stand_in
        return self.log_prob(inputs, context)

    def compute_output_spec(self, inputs, context=None):
        return traced_output_spec(super().compute_output_spec, inputs, context=context)

    def log_prob(self, x, context=None):
        """`log p(x | context)` per example."""
        z, log_det = self.inverse_and_log_det(x, context)
        return self.base_distribution(context).log_prob(z) + log_det

    def inverse_and_log_det(self, x, context=None):
        """Data -> base: `(f(x), log|det df/dx|)`, the log-det per example (float32)."""
        x, context = self._prepare(x, context)
        log_det = ops.zeros(ops.shape(x)[:-1], "float32")
        for block in self.blocks:
            x, block_log_det = block._inverse_and_log_det(x, context)
            log_det = log_det + block_log_det
        return x, log_det

    def inverse(self, x, context=None):
        """Data -> base (the course's `f`)."""
        return self.inverse_and_log_det(x, context)[0]

    def log_det_jacobian(self, x, context=None):
        """`log|det df/dx|` of the data -> base map `f`, per example."""
        return self.inverse_and_log_det(x, context)[1]

    def forward(self, z, context=None):
        """Base -> data (TFP's direction; what `sample` uses)."""
        z, context = self._prepare(z, context)
        return self.bijector(context).forward(z)

    def bijector(self, context=None):
        """The flow as one `tfb.Chain` (`forward`: base -> data)."""
        return tfb.Chain([block.bijector(context) for block in self.blocks])

    def base_distribution(self, context=None):
        """The base distribution (given the context, for a layer base)."""
        if self.base is None:
            return tfd.MultivariateNormalDiag(loc=ops.zeros((self.event_size,), "float32"))
        return get_distribution(
            self.base(ops.zeros((1, 0)) if context is None else context), "base")

    def sample(self, n, context=None, seed=None):
        """`n` draws from the flow, shape `[n, event_size]`.

        Args:
            n: number of draws, an int >= 0.
            context: one context vector `[context_size]` (broadcast to all
                draws) or one per draw, `[n, context_size]`.
            seed: optional int (any int64); `None` draws from the layer's
                `SeedGenerator`.
        """
        n = _checks.check_int("n", n, minimum=0)
        seed = _checks.check_seed("seed", seed)
        if not self.built:
            raise ValueError(
                "NormalizingFlow must be built before `sample`, which needs the "
                "event size: call it on data (or on a `keras.Input`) first."
            )
        context = check_context(self, context, self.context_size)
        if context is not None:
            if tuple(context.shape[:-1]) not in ((), (1,), (n,)):
                raise ValueError(
                    f"`context` must be one context vector ({self.context_size},) or "
                    f"one per draw ({n}, {self.context_size}). Received: "
                    f"context.shape={tuple(context.shape)}"
                )
            context = ops.broadcast_to(context, (n, self.context_size))
        seed = tfp_seed(self.seed_generator) if seed is None else int_seed(seed)
        base = self.base_distribution(context)
        if base.batch_shape.num_elements() == 1:
            z = ops.reshape(base.sample(n, seed=seed), (n, self.event_size))
        else:  # one draw per context row
            z = base.sample(seed=seed)
        return self.forward(z, context)

    def _prepare(self, x, context):
        """`(x, context)` checked against the build (built here if need be) and cast."""
        x = as_compute_dtype(self, x)
        if context is not None:
            context = as_compute_dtype(self, context)
        if not self.built:
            self.build(tuple(x.shape), None if context is None else tuple(context.shape))
        check_inputs_shape(self, x.shape, self.event_size)
        return x, check_context(self, context, self.context_size)

    def get_config(self):
        config = super().get_config()
        config.update({
            "blocks": [keras.saving.serialize_keras_object(b) for b in self.blocks],
            "base": None if self.base is None else keras.saving.serialize_keras_object(self.base),
            "seed": self.seed,
        })
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["blocks"] = [keras.saving.deserialize_keras_object(b) for b in config["blocks"]]
        if config.get("base") is not None:
            config["base"] = keras.saving.deserialize_keras_object(config["base"])
        return cls(**config)


def _check_blocks(blocks):
    """`blocks` as a non-empty list of tfbsl flow blocks."""
    try:
        checked = list(blocks)
    except TypeError:  # not iterable, e.g. one block not in a list
        checked = []
    if not checked or not all(isinstance(b, _FlowBlock) for b in checked):
        raise ValueError(
            "`blocks` must be a non-empty list of tfbsl flow blocks "
            "(MaskedAutoregressive, AffineCoupling, SplineCoupling, "
            "SplineAutoregressive, Permute, ActNorm). Received: "
            f"blocks={blocks!r}"
        )
    return checked
