"""Griffe extension: what a tfbsl module without `__all__` documents.

With `__all__`, griffe documents exactly the names it lists. Without it, a
module inspected at run time (`force_inspection`) would also document every
name it imports (`keras`, `tfbsl._outputs.get_distribution`, ...). For such a
module this extension keeps only the names defined in it or in its own
subpackages (`tfbsl.datasets.load_uci`, defined in `tfbsl.datasets.uci`),
(its submodules are not rendered: mkdocstrings' `show_submodules` is off).
"""

import griffe


class PublicNames(griffe.Extension):
    def on_package(self, *, pkg, **kwargs):
        for module in _modules(pkg):
            if module.exports is not None:
                continue
            for name, member in list(module.members.items()):
                if member.is_alias and not member.target_path.startswith(module.path + "."):
                    module.del_member(name)


def _modules(module):
    yield module
    for member in list(module.members.values()):
        if not member.is_alias and member.is_module:
            yield from _modules(member)
