"""Griffe extensions for tfbsl's API pages.

`PublicNames`: what a tfbsl module without `__all__` documents. With
`__all__`, griffe documents exactly the names it lists. Without it, a module
inspected at run time (`force_inspection`) would also document every name it
imports (`keras`, `tfbsl._outputs.get_distribution`, ...). For such a module
this keeps only the names defined in it or in its own subpackages
(`tfbsl.datasets.load_uci`, defined in `tfbsl.datasets.uci`); its submodules
are not rendered (mkdocstrings' `show_submodules` is off).

`ReadableDefaults`: a default value that is an object without a readable
`repr` (`<tfbsl.variational.util.default_mean_field_normal_fn object at
0x7f...>`, TFP's default posterior factories) is shown as its class called,
`default_mean_field_normal_fn(...)`, instead of a memory address that changes
at every build. An attribute whose docstring is only its value's type's
(`rank = 2` documented as `int`'s docstring) is shown without one.
"""

import inspect
import re

import griffe

_OBJECT_REPR = re.compile(r"<(?:[\w.]+\.)?(\w+) object at 0x[0-9a-fA-F]+>")


class PublicNames(griffe.Extension):
    def on_package(self, *, pkg, **kwargs):
        for module in _modules(pkg):
            if module.exports is not None:
                continue
            for name, member in list(module.members.items()):
                if member.is_alias and not member.target_path.startswith(module.path + "."):
                    module.del_member(name)


class ReadableDefaults(griffe.Extension):
    def on_package(self, *, pkg, **kwargs):
        for obj in _objects(pkg):
            if obj.is_function:
                for parameter in obj.parameters:
                    if isinstance(parameter.default, str):
                        parameter.default = _OBJECT_REPR.sub(r"\1(...)", parameter.default)


    def on_attribute_instance(self, *, node, attr, agent, **kwargs):
        value = getattr(node, "obj", None)
        if attr.docstring is None or value is None or isinstance(value, type):
            return
        inherited = _doc(type(value))
        if inherited and attr.docstring.value.strip() == inherited:
            attr.docstring = None


def _doc(obj):
    doc = getattr(obj, "__doc__", None)
    return inspect.cleandoc(doc) if isinstance(doc, str) else None


def _modules(module):
    yield module
    for member in list(module.members.values()):
        if not member.is_alias and member.is_module:
            yield from _modules(member)


def _objects(obj):
    yield obj
    for member in list(obj.members.values()):
        if not member.is_alias and (member.is_module or member.is_class or member.is_function):
            yield from _objects(member)
