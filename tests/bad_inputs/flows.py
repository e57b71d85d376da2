"""Bad inputs to the normalizing-flow family: constructor arguments of every
block, of the MADE and of `NormalizingFlow`; call-time shapes, ranks and
contexts; `sample`'s `n`, `seed` and context."""

import keras
import numpy as np
import tensorflow_probability as tfp

from tests.bad_inputs import rows
from tfbsl.layers import (
    ActNorm,
    AffineCoupling,
    AutoregressiveNetwork,
    MaskedAutoregressive,
    NormalizingFlow,
    Permute,
    SplineAutoregressive,
    SplineCoupling,
)

X = np.zeros((4, 2), "float32")   # a batch of 4 two-feature examples
C = np.zeros((4, 3), "float32")   # their 3-wide contexts


def _flow(*blocks, context=None):
    """A NormalizingFlow of `blocks` (default: one small MAF), built on X."""
    flow = NormalizingFlow(list(blocks) or [MaskedAutoregressive((4,))])
    flow(X, context=context)
    return flow


def _block(block, context=None):
    block(X, context=context)
    return block


def _made(conditional=False):
    made = AutoregressiveNetwork(params=2, hidden_units=(4,), **(
        {"event_shape": 2, "conditional": True, "conditional_event_shape": 3}
        if conditional else {}))
    made(X, conditional_input=C if conditional else None)
    return made


def _model():
    x_in = keras.Input((2,))
    return keras.Model(x_in, NormalizingFlow([Permute()])(x_in))


ROWS = rows(
    # ActNorm: constructor, and a first batch it cannot initialise from (eager).
    ("flows/ActNorm epsilon=0", lambda: ActNorm(epsilon=0), ValueError, "epsilon", "0"),
    ("flows/ActNorm epsilon<0", lambda: ActNorm(epsilon=-1e-3), ValueError, "epsilon", "-0.001"),
    ("flows/ActNorm epsilon=nan", lambda: ActNorm(epsilon=float("nan")), ValueError, "epsilon", "nan"),
    ("flows/ActNorm epsilon=str", lambda: ActNorm(epsilon="a"), ValueError, "epsilon", "'a'"),
    ("flows/ActNorm epsilon=None", lambda: ActNorm(epsilon=None), ValueError, "epsilon", "None"),
    ("flows/ActNorm empty first batch", lambda: ActNorm()(np.zeros((0, 2), "float32")),
     ValueError, "ActNorm", "finite", "inputs.shape=(0, 2)"),
    ("flows/ActNorm all-NaN first batch", lambda: ActNorm()(np.full((4, 2), np.nan, "float32")),
     ValueError, "ActNorm", "no row finite", "inputs.shape=(4, 2)"),
    ("flows/ActNorm all-inf first batch in a flow",
     lambda: NormalizingFlow([ActNorm()])(np.full((4, 2), np.inf, "float32")),
     ValueError, "ActNorm", "no row finite"),

    # MaskedAutoregressive.
    ("flows/MaskedAutoregressive hidden_units=(0,)", lambda: MaskedAutoregressive((0,)),
     ValueError, "hidden_units", "(0,)"),
    ("flows/MaskedAutoregressive hidden_units=str", lambda: MaskedAutoregressive("a"),
     ValueError, "hidden_units", "'a'"),
    ("flows/MaskedAutoregressive hidden_units negative", lambda: MaskedAutoregressive((8, -3)),
     ValueError, "hidden_units", "(8, -3)"),
    ("flows/MaskedAutoregressive hidden_units=float", lambda: MaskedAutoregressive(1.5),
     ValueError, "hidden_units", "1.5"),
    ("flows/MaskedAutoregressive hidden_units float item", lambda: MaskedAutoregressive((8, 2.0)),
     ValueError, "hidden_units", "(8, 2.0)"),
    ("flows/MaskedAutoregressive hidden_units=True", lambda: MaskedAutoregressive(True),
     ValueError, "hidden_units", "True"),
    ("flows/MaskedAutoregressive activation=unknown", lambda: MaskedAutoregressive(activation="nope"),
     ValueError, "activation", "'nope'"),
    ("flows/MaskedAutoregressive activation=int", lambda: MaskedAutoregressive(activation=5),
     ValueError, "activation", "5"),

    # AffineCoupling.
    ("flows/AffineCoupling hidden_units=0", lambda: AffineCoupling(0), ValueError, "hidden_units", "0"),
    ("flows/AffineCoupling hidden_units=None", lambda: AffineCoupling(None),
     ValueError, "hidden_units", "None"),
    ("flows/AffineCoupling activation=unknown", lambda: AffineCoupling(activation="nope"),
     ValueError, "activation", "'nope'"),
    ("flows/AffineCoupling event size 1", lambda: AffineCoupling()(np.zeros((4, 1), "float32")),
     ValueError, "event size >= 2", "inputs.shape=(4, 1)"),

    # SplineCoupling.
    ("flows/SplineCoupling bins=0", lambda: SplineCoupling(bins=0), ValueError, "bins", "0"),
    ("flows/SplineCoupling bins=float", lambda: SplineCoupling(bins=2.5), ValueError, "bins", "2.5"),
    ("flows/SplineCoupling bins=str", lambda: SplineCoupling(bins="8"), ValueError, "bins", "'8'"),
    ("flows/SplineCoupling bins=True", lambda: SplineCoupling(bins=True), ValueError, "bins", "True"),
    ("flows/SplineCoupling bound=0", lambda: SplineCoupling(bound=0), ValueError, "bound", "0"),
    ("flows/SplineCoupling bound<0", lambda: SplineCoupling(bound=-1.0), ValueError, "bound", "-1.0"),
    ("flows/SplineCoupling bound=inf", lambda: SplineCoupling(bound=float("inf")),
     ValueError, "bound", "inf"),
    ("flows/SplineCoupling bound=str", lambda: SplineCoupling(bound="wide"), ValueError, "bound", "'wide'"),
    ("flows/SplineCoupling hidden_units=(0,)", lambda: SplineCoupling((0,)),
     ValueError, "hidden_units", "(0,)"),
    ("flows/SplineCoupling event size 1 in a flow",
     lambda: NormalizingFlow([SplineCoupling()])(np.zeros((4, 1), "float32")),
     ValueError, "SplineCoupling", "event size >= 2", "inputs.shape=(4, 1)"),

    # SplineAutoregressive.
    ("flows/SplineAutoregressive bins<0", lambda: SplineAutoregressive(bins=-1),
     ValueError, "bins", "-1"),
    ("flows/SplineAutoregressive bound=nan", lambda: SplineAutoregressive(bound=float("nan")),
     ValueError, "bound", "nan"),
    ("flows/SplineAutoregressive activation=dict", lambda: SplineAutoregressive(activation={"a": 1}),
     ValueError, "activation", "{'a': 1}"),
    ("flows/SplineAutoregressive hidden_units=[4, 0]", lambda: SplineAutoregressive([4, 0]),
     ValueError, "hidden_units", "[4, 0]"),

    # Permute: constructor, and what only the build can tell (the event size).
    ("flows/Permute permutation=unknown str", lambda: Permute("backwards"),
     ValueError, "permutation", "'backwards'"),
    ("flows/Permute permutation repeated", lambda: Permute([0, 0]), ValueError, "permutation", "[0, 0]"),
    ("flows/Permute permutation float", lambda: Permute([0.5, 1]), ValueError, "permutation", "[0.5, 1]"),
    ("flows/Permute permutation empty", lambda: Permute([]), ValueError, "permutation", "[]"),
    ("flows/Permute permutation=int", lambda: Permute(3), ValueError, "permutation", "3"),
    ("flows/Permute permutation negative", lambda: Permute([-1, 0]),
     ValueError, "permutation", "[-1, 0]"),
    ("flows/Permute permutation bools", lambda: Permute([True, False]),
     ValueError, "permutation", "[True, False]"),
    ("flows/Permute permutation too long at build", lambda: Permute([0, 1, 2])(X),
     ValueError, "permutation", "range(2)", "[0, 1, 2]"),
    ("flows/Permute permutation not of range at build", lambda: Permute([0, 2])(X),
     ValueError, "permutation", "range(2)", "[0, 2]"),
    ("flows/Permute seed=str", lambda: Permute("random", seed="a"), TypeError, "seed", "'a'"),
    ("flows/Permute seed=float", lambda: Permute("random", seed=1.5), TypeError, "seed", "1.5"),
    ("flows/Permute seed beyond int64", lambda: Permute("random", seed=2**64),
     ValueError, "seed", "18446744073709551616"),

    # AutoregressiveNetwork (MADE).
    ("flows/AutoregressiveNetwork params=0", lambda: AutoregressiveNetwork(0),
     ValueError, "params", "0"),
    ("flows/AutoregressiveNetwork params=float", lambda: AutoregressiveNetwork(1.5),
     ValueError, "params", "1.5"),
    ("flows/AutoregressiveNetwork params=str", lambda: AutoregressiveNetwork("2"),
     ValueError, "params", "'2'"),
    ("flows/AutoregressiveNetwork hidden_units=(0,)",
     lambda: AutoregressiveNetwork(2, hidden_units=(0,)), ValueError, "hidden_units", "(0,)"),
    ("flows/AutoregressiveNetwork input_order", lambda: AutoregressiveNetwork(2, input_order="up"),
     ValueError, "input_order", "'up'"),
    ("flows/AutoregressiveNetwork activation", lambda: AutoregressiveNetwork(2, activation="nope"),
     ValueError, "activation", "'nope'"),
    ("flows/AutoregressiveNetwork kernel_initializer",
     lambda: AutoregressiveNetwork(2, kernel_initializer="nope"),
     ValueError, "kernel_initializer", "'nope'"),
    ("flows/AutoregressiveNetwork bias_initializer", lambda: AutoregressiveNetwork(2, bias_initializer=5),
     ValueError, "bias_initializer", "5"),
    ("flows/AutoregressiveNetwork other width", lambda: _made()(C),
     ValueError, "AutoregressiveNetwork", "2 features", "x.shape=(4, 3)"),
    ("flows/AutoregressiveNetwork unexpected context", lambda: _made()(X, conditional_input=C),
     ValueError, "AutoregressiveNetwork", "without a context", "conditional_input.shape=(4, 3)"),
    ("flows/AutoregressiveNetwork missing context", lambda: _made(conditional=True)(X),
     ValueError, "AutoregressiveNetwork", "last axis of 3", "conditional_input=None"),

    # NormalizingFlow: constructor.
    ("flows/NormalizingFlow blocks=[]", lambda: NormalizingFlow([]), ValueError, "blocks", "[]"),
    ("flows/NormalizingFlow blocks with a Dense", lambda: NormalizingFlow([keras.layers.Dense(2)]),
     ValueError, "blocks", "Dense"),
    ("flows/NormalizingFlow blocks=one block", lambda: NormalizingFlow(MaskedAutoregressive()),
     ValueError, "blocks", "MaskedAutoregressive"),
    ("flows/NormalizingFlow blocks=None", lambda: NormalizingFlow(None), ValueError, "blocks", "None"),
    ("flows/NormalizingFlow blocks=str", lambda: NormalizingFlow("maf"), ValueError, "blocks", "'maf'"),
    ("flows/NormalizingFlow base=distribution",
     lambda: NormalizingFlow([Permute()], base=tfp.distributions.Normal(0.0, 1.0)),
     ValueError, "base", "Normal"),
    ("flows/NormalizingFlow base=str", lambda: NormalizingFlow([Permute()], base="normal"),
     ValueError, "base", "str"),
    ("flows/NormalizingFlow seed=str", lambda: NormalizingFlow([Permute()], seed="a"),
     TypeError, "seed", "'a'"),
    ("flows/NormalizingFlow seed=float", lambda: NormalizingFlow([Permute()], seed=1.5),
     TypeError, "seed", "1.5"),
    ("flows/NormalizingFlow seed below int64", lambda: NormalizingFlow([Permute()], seed=-2**63 - 1),
     ValueError, "seed", "-9223372036854775809"),

    # NormalizingFlow: shapes at call time.
    ("flows/NormalizingFlow 1-D data", lambda: NormalizingFlow([Permute()])(np.zeros(100, "float32")),
     ValueError, "NormalizingFlow", "(batch, features)", "inputs.shape=(100,)", "reshape(-1, 1)"),
    ("flows/NormalizingFlow 1-D data after build", lambda: _flow()(np.zeros(100, "float32")),
     ValueError, "(batch, 2)", "inputs.shape=(100,)"),
    ("flows/NormalizingFlow 3-D data", lambda: _flow()(np.zeros((4, 3, 2), "float32")),
     ValueError, "(batch, 2)", "inputs.shape=(4, 3, 2)"),
    ("flows/NormalizingFlow scalar data", lambda: NormalizingFlow([Permute()]).log_prob(1.0),
     ValueError, "(batch, features)", "inputs.shape=()"),
    ("flows/NormalizingFlow other width", lambda: _flow()(C),
     ValueError, "NormalizingFlow", "2 features", "inputs.shape=(4, 3)"),
    ("flows/NormalizingFlow other width via Model", lambda: _model()(C), ValueError, "(4, 3)"),
    ("flows/NormalizingFlow unknown width", lambda: NormalizingFlow([Permute()])(keras.Input((None,))),
     ValueError, "inputs", "(None, None)"),
    ("flows/NormalizingFlow forward other width", lambda: _flow().forward(C),
     ValueError, "2 features", "inputs.shape=(4, 3)"),
    ("flows/NormalizingFlow inverse 1-D", lambda: _flow().inverse(np.zeros(2, "float32")),
     ValueError, "(batch, 2)", "inputs.shape=(2,)"),

    # NormalizingFlow: contexts.
    ("flows/NormalizingFlow unexpected context", lambda: _flow()(X, context=C),
     ValueError, "built without a context", "context.shape=(4, 3)"),
    ("flows/NormalizingFlow missing context", lambda: _flow(context=C)(X),
     ValueError, "last axis of 3", "context=None"),
    ("flows/NormalizingFlow other context width", lambda: _flow(context=C)(X, context=C[:, :1]),
     ValueError, "last axis of 3", "context.shape=(4, 1)"),
    ("flows/NormalizingFlow log_prob missing context", lambda: _flow(context=C).log_prob(X),
     ValueError, "last axis of 3", "context=None"),
    ("flows/NormalizingFlow log_prob unexpected context", lambda: _flow().log_prob(X, C),
     ValueError, "built without a context", "context.shape=(4, 3)"),

    # NormalizingFlow.sample.
    ("flows/NormalizingFlow sample unexpected context", lambda: _flow().sample(3, context=C[0]),
     ValueError, "built without a context", "context.shape=(3,)"),
    ("flows/NormalizingFlow sample missing context", lambda: _flow(context=C).sample(3),
     ValueError, "last axis of 3", "context=None"),
    ("flows/NormalizingFlow sample context rows", lambda: _flow(context=C).sample(3, context=C),
     ValueError, "`context`", "(3, 3)", "context.shape=(4, 3)"),
    ("flows/NormalizingFlow sample before build", lambda: NormalizingFlow([Permute()]).sample(3),
     ValueError, "NormalizingFlow", "built before `sample`"),
    ("flows/NormalizingFlow sample n<0", lambda: _flow().sample(-1), ValueError, "n", "-1"),
    ("flows/NormalizingFlow sample n=float", lambda: _flow().sample(1.5), TypeError, "n", "1.5"),
    ("flows/NormalizingFlow sample n=str", lambda: _flow().sample("3"), TypeError, "n", "'3'"),
    ("flows/NormalizingFlow sample n=None", lambda: _flow().sample(None), TypeError, "n", "None"),
    ("flows/NormalizingFlow sample n=True", lambda: _flow().sample(True), TypeError, "n", "True"),
    ("flows/NormalizingFlow sample seed=str", lambda: _flow().sample(3, seed="a"),
     TypeError, "seed", "'a'"),
    ("flows/NormalizingFlow sample seed=float", lambda: _flow().sample(3, seed=1.5),
     TypeError, "seed", "1.5"),
    ("flows/NormalizingFlow sample seed beyond int64", lambda: _flow().sample(3, seed=2**64),
     ValueError, "seed", "18446744073709551616"),

    # Blocks called on their own.
    ("flows/MaskedAutoregressive 1-D data", lambda: MaskedAutoregressive((4,))(np.zeros(5, "float32")),
     ValueError, "MaskedAutoregressive", "(batch, features)", "inputs.shape=(5,)"),
    ("flows/MaskedAutoregressive unexpected context", lambda: _block(MaskedAutoregressive((4,)))(X, context=C),
     ValueError, "MaskedAutoregressive", "built without a context", "context.shape=(4, 3)"),
    ("flows/ActNorm unexpected context", lambda: _block(ActNorm())(X, context=C),
     ValueError, "ActNorm", "built without a context", "context.shape=(4, 3)"),
    ("flows/Permute missing context", lambda: _block(Permute(), C)(X),
     ValueError, "Permute", "last axis of 3", "context=None"),
    ("flows/AffineCoupling other width", lambda: _block(AffineCoupling((4,)))(C),
     ValueError, "AffineCoupling was built for inputs with 2 features", "inputs.shape=(4, 3)"),
    ("flows/SplineCoupling 3-D data", lambda: _block(SplineCoupling((4,)))(np.zeros((4, 1, 2), "float32")),
     ValueError, "SplineCoupling", "(batch, 2)", "inputs.shape=(4, 1, 2)"),
    ("flows/SplineAutoregressive bijector with unexpected context",
     lambda: _block(SplineAutoregressive((4,))).bijector(C),
     ValueError, "SplineAutoregressive", "built without a context", "context.shape=(4, 3)"),
)
