"""Three public programs written for `tfp.layers`, each held twice: as written
(`<program>_tfp.py`: `tf_keras` + `tfp.layers`) and ported to Keras 3 by
changing its imports (`<program>_tfbsl.py`: `keras` + `tfbsl.layers`).

- `regression`: TFP's "Probabilistic Layers Regression" notebook, all five
  cases (`Dense` + `DistributionLambda`; aleatoric; `DenseVariational` with the
  notebook's `posterior_mean_field` / `prior_trainable`; both; and
  `VariationalGaussianProcess` with its `RBFKernelFn` layer);
- `vae`: TFP's "Probabilistic Layers VAE" notebook (`MultivariateNormalTriL`
  with a `KLDivergenceRegularizer`, `IndependentBernoulli`, loss `negloglik`);
- `bnn`: TFP's `examples/bayesian_neural_network.py` (LeNet-5 of
  `Convolution2DFlipout` + `DenseFlipout`, the KL scaled by 1 / N).

Each `_tfp.py` file is TFP's program with its data replaced by small local data
(nothing is downloaded), its epochs a parameter, its plots left out and its
figures returned; its docstring lists those changes, which its port shares.
What a port may change beyond that is fixed here: `port_diff` drops the module
docstring and the import section (imports and module aliases such as
`tfpl = tfp.layers`) of both files, renames the modules in the original's
remaining lines (`tf_keras` -> `keras`, `tfp.layers` -> `tfbsl.layers`) and
diffs the two; `PORT_EDITS` lists every remaining difference, with the reason
(`tests/test_ports.py` checks that the diff is exactly that list).

`run(program, lib, seed, **settings)` runs one copy with its random state
seeded, returns its figures and restores the global state it changes.
"""

import ast
import collections
import contextlib
import difflib
import importlib
import io
import pathlib
import re
import tempfile

PROGRAMS = ("regression", "vae", "bnn")
LIBS = ("tfp", "tfbsl")
HERE = pathlib.Path(__file__).resolve().parent

# The module renames that come with the imports.
RENAMES = ((r"\btf_keras\b", "keras"), (r"\btfp\.layers\.", "tfbsl.layers."))

# Every difference between a program and its port beyond the imports and the
# renames: (original lines, port lines, how many times, why), the lines
# stripped of their indentation.
_TENSOR_OUTPUT = (
    "Keras 3 layers return tensors, never a distribution: a tfbsl layer's output "
    "carries its distribution as `.distribution` (and forwards `mean`, `log_prob`, "
    "`sample`, ...), which is what the assertion checks")
PORT_EDITS = {
    "regression": [
        (["assert isinstance(yhat, tfd.Distribution)"],
         ["assert isinstance(yhat.distribution, tfd.Distribution)"], 5, _TENSOR_OUTPUT),
        (["self._amplitude = self.add_variable("], ["self._amplitude = self.add_weight("], 1,
         "Keras 3's `Layer.add_variable(shape, initializer, ...)` requires `shape`; "
         "`add_weight` takes tf_keras' keywords (shape defaults to a scalar)"),
        (["self._length_scale = self.add_variable("], ["self._length_scale = self.add_weight("],
         1, "the same Keras 3 signature, for the kernel's second weight"),
        ([], ["keras.config.set_dtype_policy('float64')"], 1,
         "Keras 3 fixes the global dtype policy when the first layer is made "
         "(cases 1-4), so `set_floatx('float64')` alone leaves case 5's layers "
         "float32, and the float64 loss then receives a cast copy of the output "
         "without `variational_loss`; tf_keras' layers follow `floatx`"),
    ],
    "vae": [
        (["assert isinstance(xhat, tfd.Distribution)"],
         ["assert isinstance(xhat.distribution, tfd.Distribution)"], 1, _TENSOR_OUTPUT),
        (["assert isinstance(xtilde, tfd.Distribution)"],
         ["assert isinstance(xtilde.distribution, tfd.Distribution)"], 1, _TENSOR_OUTPUT),
    ],
    "bnn": [
        (["optimizer = keras.optimizers.Adam(lr=FLAGS.learning_rate)"],
         ["optimizer = keras.optimizers.Adam(learning_rate=FLAGS.learning_rate)"], 1,
         "Keras 3 optimizers refuse the `lr` alias"),
        (["metrics=['accuracy'], experimental_run_tf_function=False)"],
         ["metrics=['accuracy'])"], 1,
         "Keras 3's `compile` has no `experimental_run_tf_function` (a TF 2.0-2.1 "
         "workaround, ignored by tf_keras)"),
        (["padding='SAME'),"], ["padding='same'),"], 2,
         "Keras 3's `MaxPooling2D` takes 'valid' or 'same' only (tf_keras lowercases); "
         "the Flipout layers keep TFP's 'SAME'"),
    ],
}


def path(program, lib):
    return HERE / f"{program}_{lib}.py"


def _program_lines(program, lib):
    """The file's lines but its module docstring and import section (imports,
    and top-level aliases of a module attribute such as `tfpl = tfp.layers`)."""
    source = path(program, lib).read_text()
    dropped = set()
    for node in ast.parse(source).body:
        docstring = (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                     and isinstance(node.value.value, str))
        alias = (isinstance(node, ast.Assign) and isinstance(node.value, ast.Attribute)
                 and isinstance(node.value.value, ast.Name))
        if docstring or alias or isinstance(node, (ast.Import, ast.ImportFrom)):
            dropped.update(range(node.lineno, node.end_lineno + 1))
    return [line for number, line in enumerate(source.splitlines(), 1)
            if number not in dropped]


def _rename(line):
    for pattern, replacement in RENAMES:
        line = re.sub(pattern, replacement, line)
    return line


def port_diff(program):
    """The differences between the program and its port beyond the import
    sections and the renames: a list of `(original lines, port lines)`, the
    lines stripped; and the unified diff, for a failure message."""
    original = [_rename(line) for line in _program_lines(program, "tfp")]
    port = _program_lines(program, "tfbsl")
    matcher = difflib.SequenceMatcher(None, original, port, autojunk=False)
    hunks = [(tuple(line.strip() for line in original[i1:i2]),
              tuple(line.strip() for line in port[j1:j2]))
             for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]
    text = "\n".join(difflib.unified_diff(
        original, port, f"{program}_tfp.py (renamed)", f"{program}_tfbsl.py", lineterm="", n=1))
    return hunks, text


def declared_edits(program):
    """`PORT_EDITS[program]` as a multiset of `(original lines, port lines)`."""
    return collections.Counter({(tuple(a), tuple(b)): count
                                for a, b, count, _ in PORT_EDITS[program]})


def run(program, lib, seed=0, quiet=True, **settings):
    """Runs `<program>_<lib>.run(**settings)` seeded with `seed` (Python, NumPy,
    TensorFlow and the library's Keras), its printing swallowed if `quiet`;
    returns its figures. The float type and dtype policy it may set (the
    regression's case 5) are restored, and the BNN script's `model_dir` (which
    it deletes and remakes) is a fresh temporary directory."""
    import keras

    try:
        import tf_keras
    except ImportError:  # the ports run without it; the originals need it
        if lib == "tfp":
            raise
        tf_keras = None
    module = importlib.import_module(f"tests.ports.{program}_{lib}")
    if lib == "tfp":
        tf_keras.backend.clear_session()
        tf_keras.utils.set_random_seed(seed)
    else:
        keras.utils.clear_session()
        keras.utils.set_random_seed(seed)
    saved = keras.backend.floatx(), keras.config.dtype_policy()
    saved_tf_keras = tf_keras and tf_keras.backend.floatx()
    with contextlib.ExitStack() as stack:
        if program == "bnn" and "model_dir" not in settings:
            settings["model_dir"] = stack.enter_context(tempfile.TemporaryDirectory())
        if quiet:
            stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
        try:
            return module.run(**settings)
        finally:
            keras.backend.set_floatx(saved[0])
            keras.config.set_dtype_policy(saved[1])
            if tf_keras is not None:
                tf_keras.backend.set_floatx(saved_tf_keras)
