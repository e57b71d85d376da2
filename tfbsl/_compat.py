"""The one module of tfbsl that reaches into private Keras and TensorFlow APIs.

Each name is something tfbsl needs that neither library makes public, with the
reason beside it. A Keras or TensorFlow release that moves one breaks here, in
one place (`tests/test_compat.py` imports them all).
"""

# The output shapes Keras' own conv layers compute (padding, dilation and
# output_padding rules): the variational convs promise Keras' geometry.
from keras.src.backend.common.backend_utils import compute_conv_transpose_output_shape

# Is Keras tracing a stateless call (`compute_output_spec`, `stateless_call`)?
# Data-dependent initialisation must not assign variables there.
from keras.src.backend.common.stateless_scope import in_stateless_scope

# Is Keras tracing a function on symbolic stand-ins (its first trace of
# `compute_loss` on JAX)? A loss reading a head's distribution sees none there.
from keras.src.backend.common.symbolic_scope import in_symbolic_scope

# Functional models (their graph can be rebuilt layer by layer by
# `bayesianize`); Keras exports no class for them.
from keras.src.models.functional import Functional
from keras.src.ops.operation_utils import compute_conv_output_shape

# Whether `keras.saving.load_model` runs in safe mode (a lambda may load only
# outside it), as `keras.layers.Lambda` asks.
from keras.src.saving.serialization_lib import in_safe_mode

# Keras' normalisation of an int-or-tuple argument (`kernel_size=3`).
from keras.src.utils.argument_validation import standardize_tuple

# How `keras.layers.Lambda` saves a lambda as bytecode and loads it back.
from keras.src.utils.python_utils import func_dump, func_load


def graph_in_xla_context(graph):
    """Is `graph` compiled by XLA? (TensorFlow's own test; TensorFlow backend
    only, imported on demand so that tfbsl on JAX imports no TensorFlow.)"""
    from tensorflow.python.ops.control_flow_util import GraphOrParentsInXlaContext

    return GraphOrParentsInXlaContext(graph)


def tensorflow_trainer():
    """Keras' TensorFlow trainer module, which `tfbsl.distribute` patches
    (imported on demand: it exists on the TensorFlow backend only)."""
    from keras.src.backend.tensorflow import trainer

    return trainer


__all__ = [
    "Functional",
    "compute_conv_output_shape",
    "compute_conv_transpose_output_shape",
    "func_dump",
    "func_load",
    "graph_in_xla_context",
    "in_safe_mode",
    "in_stateless_scope",
    "in_symbolic_scope",
    "standardize_tuple",
    "tensorflow_trainer",
]
