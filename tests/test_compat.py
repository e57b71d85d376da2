"""Private Keras and TensorFlow APIs are reached from `tfbsl._compat` only."""

import ast
import pathlib

import pytest

import tfbsl
from tfbsl import _compat

_PRIVATE = ("keras.src", "tensorflow.python", "tf_keras")
_PACKAGE = pathlib.Path(tfbsl.__file__).parent


def _imports(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
        elif isinstance(node, ast.Attribute) and ast.unparse(node).startswith("keras.src"):
            yield ast.unparse(node)


@pytest.mark.parametrize("path", sorted(p for p in _PACKAGE.rglob("*.py")
                                        if p.name != "_compat.py"),
                         ids=lambda p: str(p.relative_to(_PACKAGE)))
def test_no_private_api_outside_compat(path):
    found = [name for name in _imports(path) if name.startswith(_PRIVATE)]
    assert not found, f"{path.name} imports {found}: go through tfbsl._compat"


def test_compat_names_resolve():
    missing = [name for name in _compat.__all__ if getattr(_compat, name) is None]
    assert not missing
    assert _compat.tensorflow_trainer().TensorFlowTrainer
