"""Deep ensembles: M independently trained members and their mixture."""

import keras
import numpy as np

from tfbsl import _checks
from tfbsl._backend import tfd
from tfbsl._outputs import get_distribution

__all__ = ["DeepEnsemble"]


def _distribution_or_none(out):
    try:
        return get_distribution(out, "outputs")
    except ValueError:
        return None


@keras.saving.register_keras_serializable(package="tfbsl")
class DeepEnsemble(keras.Model):
    """An ensemble of independently trained Keras models, predicting their mixture.

    Each member is trained on the same data from its own random seed
    (`fit` loops over the members). For classification members that output
    class probabilities, the predictive is the mean of their probabilities
    (`predict_proba`); for regression members ending in a tfbsl Normal head
    (e.g. `tfbsl.layers.IndependentNormal`), it is the equal-weight
    `tfd.MixtureSameFamily` of their Normals (`predictive_distribution`).
    Calling the ensemble returns the mean of the members' outputs (for a
    distribution head, of their distributions' means): the mixture's mean.
    The ensemble saves and loads as one `.keras` file.

    Args:
        members: a list of Keras models (at least one), or None with
            `build_fn`.
        build_fn: a callable `() -> keras.Model` building one member, called
            `num_members` times, each after `keras.utils.set_random_seed`
            with its own seed (`seed + i`), so members start apart.
        num_members: how many members `build_fn` builds, an integer >= 1.
        seed: the first member's seed with `build_fn`, and the seeds
            `fit` sets before training each member (`seed + i`); an integer
            (default 0).
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Raises:
        ValueError: if neither or both of `members` and `build_fn` are
            given, `members` is empty, or `num_members` is not >= 1.
        TypeError: if a member is not a Keras model, `build_fn` is not
            callable or `seed` is not an integer.

    References:
        Lakshminarayanan, Pritzel & Blundell (2017), "Simple and Scalable
        Predictive Uncertainty Estimation using Deep Ensembles",
        https://arxiv.org/abs/1612.01474

    Example:
    ```pycon
    >>> def build():
    ...     return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2),
    ...                              tfbsl.layers.IndependentNormal(1)])
    >>> ensemble = tfbsl.baselines.DeepEnsemble(build_fn=build, num_members=2)
    >>> ensemble.compile("adam", loss=tfbsl.losses.NegativeLogLikelihood())
    >>> x, y = np.ones((16, 3), "float32"), np.zeros((16, 1), "float32")
    >>> histories = ensemble.fit(x, y, epochs=1, verbose=0)
    >>> mixture = ensemble.predictive_distribution(x[:4])
    >>> ensemble.num_members, type(mixture).__name__, tuple(mixture.mean().shape)
    (2, 'MixtureSameFamily', (4, 1))

    ```
    """

    def __init__(self, members=None, build_fn=None, num_members=None, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.seed = _checks.check_seed("seed", 0 if seed is None else seed)
        if (members is None) == (build_fn is None):
            raise ValueError(
                "Pass exactly one of `members` (a list of Keras models) and "
                f"`build_fn`. Received: members={_checks.short_repr(members)}, "
                f"build_fn={build_fn!r}")
        if build_fn is not None:
            _checks.check_callable("build_fn", build_fn, "() -> keras.Model", 0)
            num_members = _checks.check_positive_int("num_members", num_members)
            members = []
            for i in range(num_members):
                keras.utils.set_random_seed(self.seed + i)
                members.append(build_fn())
        elif num_members is not None:
            raise ValueError(
                "`num_members` goes with `build_fn`; with `members` it is their "
                f"number. Received: num_members={num_members!r}")
        if not isinstance(members, (list, tuple)) or not members:
            raise ValueError(
                "`members` must be a non-empty list of Keras models. Received: "
                f"members={_checks.short_repr(members)}")
        for i, member in enumerate(members):
            if not isinstance(member, keras.Model):
                raise TypeError(
                    f"`members` must hold Keras models. Received: members[{i}]="
                    f"{_checks.short_repr(member)} (of type {type(member).__name__})")
        self.members = list(members)

    @property
    def num_members(self):
        return len(self.members)

    def call(self, inputs, training=None):
        outputs = []
        for member in self.members:
            out = member(inputs, training=training)
            distribution = _distribution_or_none(out)
            outputs.append(out if distribution is None else distribution.mean())
        return keras.ops.mean(keras.ops.stack(outputs, axis=0), axis=0)

    def compile(self, *args, **kwargs):
        """Compile every member with these `keras.Model.compile` arguments.

        An optimizer instance is copied (from its config) for each member, so
        that members do not share optimizer state.
        """
        optimizer = kwargs.pop("optimizer", args[0] if args else "rmsprop")
        args = args[1:]
        for member in self.members:
            opt = optimizer
            if isinstance(optimizer, keras.optimizers.Optimizer):
                opt = optimizer.__class__.from_config(optimizer.get_config())
            member.compile(opt, *args, **kwargs)

    def fit(self, x=None, y=None, **kwargs):
        """Train each member in turn on the same data, member i after
        `keras.utils.set_random_seed(seed + i)` (its own shuffling and
        dropout). Members must be compiled (`DeepEnsemble.compile` does it).

        Args:
            x: inputs, as `keras.Model.fit` takes, for every member.
            y: targets, as `keras.Model.fit` takes.
            **kwargs: other `keras.Model.fit` arguments (`epochs`, ...).

        Returns:
            A list of the members' `History` objects.
        """
        histories = []
        for i, member in enumerate(self.members):
            keras.utils.set_random_seed(self.seed + i)
            histories.append(member.fit(x, y, **kwargs))
        return histories

    def predict_proba(self, x, batch_size=None):
        """The mean of the members' predicted class probabilities.

        Args:
            x: inputs, as `keras.Model.predict` takes.
            batch_size: as `keras.Model.predict`.

        Returns:
            A NumPy array: the average of `member.predict(x)` over members.
        """
        return np.mean([np.asarray(m.predict(x, batch_size=batch_size, verbose=0))
                        for m in self.members], axis=0)

    def predictive_distribution(self, x):
        """The equal-weight mixture of the members' Normal predictives.

        Args:
            x: inputs, an array or tensor (one batch).

        Returns:
            A `tfd.MixtureSameFamily` whose components are Normals with each
            member's mean and standard deviation (wrapped in `tfd.Independent`
            like the members' own distributions when their event is not
            scalar).

        Raises:
            ValueError: if a member's output carries no distribution.
        """
        means, stddevs, event_ndims = [], [], None
        for i, member in enumerate(self.members):
            distribution = get_distribution(member(x), f"members[{i}](x)")
            event_ndims = len(distribution.event_shape)
            means.append(distribution.mean())
            stddevs.append(distribution.stddev())
        axis = -1 - event_ndims  # the component axis, after the batch axes
        loc = keras.ops.stack(means, axis=axis)
        scale = keras.ops.stack(stddevs, axis=axis)
        components = tfd.Normal(loc=loc, scale=scale)
        if event_ndims:
            components = tfd.Independent(components, reinterpreted_batch_ndims=event_ndims)
        batch_shape = tuple(components.batch_shape)[:-1]
        logits = keras.ops.zeros(batch_shape + (self.num_members,), dtype=loc.dtype)
        return tfd.MixtureSameFamily(
            mixture_distribution=tfd.Categorical(logits=logits),
            components_distribution=components)

    def get_config(self):
        config = super().get_config()
        config.update(
            members=[keras.saving.serialize_keras_object(m) for m in self.members],
            seed=self.seed)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["members"] = [keras.saving.deserialize_keras_object(m, custom_objects)
                             for m in config["members"]]
        return cls(**config)
