"""Every public name of `tfp.layers` (read from the installed TFP) has a twin
in `tfbsl.layers`, so a program ports by changing its imports."""

import inspect
import types

import tensorflow_probability as tfp

from tfbsl import layers as L


def _tfp_public_names():
    names = {n for n in dir(tfp.layers) if not n.startswith("_")
             and not isinstance(getattr(tfp.layers, n), types.ModuleType)}
    # Public in TFP's submodules, used by its tutorials: the weight-norm wrapper
    # and the MADE network of `tfb.MaskedAutoregressiveFlow`.
    return names | {"WeightNorm", "AutoregressiveNetwork"}


def test_every_tfp_layers_name_has_a_twin():
    missing = sorted(n for n in _tfp_public_names() if not hasattr(L, n))
    assert not missing, f"tfp.layers names without a tfbsl twin: {missing}"


def test_the_twins_are_public():
    assert _tfp_public_names() <= set(L.__all__)


def test_twins_take_tfps_arguments_in_tfps_order():
    """A positional or keyword call written for TFP binds the same parameters."""
    originals = {n: getattr(tfp.layers, n, None) for n in _tfp_public_names()}
    originals["WeightNorm"] = tfp.layers.weight_norm.WeightNorm
    originals["AutoregressiveNetwork"] = tfp.bijectors.AutoregressiveNetwork
    for name, original in sorted(originals.items()):
        ours = getattr(L, name)
        if inspect.isclass(original):
            original, ours = original.__init__, ours.__init__
        theirs = [p for p, v in inspect.signature(original).parameters.items()
                  if v.kind not in (v.VAR_KEYWORD, v.VAR_POSITIONAL)]
        mine = list(inspect.signature(ours).parameters)
        assert mine[:len(theirs)] == theirs, name
