"""Every public module of `tfbsl` (no part of its dotted name private) has an
`__all__` that lists names it has, and every public class or function it
defines (or, for a package, re-exports from its own subpackages) is in it."""

import importlib
import inspect
import pkgutil

import pytest

import tfbsl


def _public_modules():
    names = ["tfbsl"] + [info.name for info in
                         pkgutil.walk_packages(tfbsl.__path__, prefix="tfbsl.")]
    return sorted(n for n in names if not any(p.startswith("_") for p in n.split(".")))


def _defined_public_names(module):
    name = module.__name__
    prefix = "tfbsl" if name == "tfbsl" else name
    return {key for key, value in vars(module).items()
            if not key.startswith("_")
            and (inspect.isclass(value) or inspect.isfunction(value))
            and (value.__module__ == prefix or value.__module__.startswith(prefix + "."))}


@pytest.mark.parametrize("name", _public_modules())
def test_public_module_has_complete_all(name):
    module = importlib.import_module(name)
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    exported = list(module.__all__)
    assert len(exported) == len(set(exported)), f"{name}.__all__ repeats a name"
    assert all(not n.startswith("_") for n in exported), exported
    missing_attrs = [n for n in exported if not hasattr(module, n)]
    assert not missing_attrs, f"{name}.__all__ names what it lacks: {missing_attrs}"
    unlisted = sorted(_defined_public_names(module) - set(exported))
    assert not unlisted, f"{name} defines public names missing from __all__: {unlisted}"
