"""Smoke test of an installed tfbsl wheel; runs in a subprocess started by
tests/test_wheel.py as

    python -I tests/_wheel_smoke.py SITE CHECKOUT

SITE is the folder the wheel was installed into (`pip install --no-deps
--target SITE`); CHECKOUT is the repository root, whose `tfbsl` must not be
imported. The working directory is a temporary folder. `-I` keeps the script's
folder, the working directory and every `PYTHON*` variable off `sys.path`;
`isolate` then removes what the editable install of the checkout adds (see
tests/test_wheel.py) and puts SITE first. Prints `OK` last on success.

Only the standard library is imported before `isolate` runs, and nothing from
tests/: the script must not depend on the checkout.
"""

import importlib
import os
import sys


def _is_editable_hook(obj):
    # setuptools' editable installs (PEP 660) name their finder module
    # `__editable___<dist>_<version>_finder`; `_EditableFinder` is a class
    # on `sys.meta_path`, the namespace hook a function on `sys.path_hooks`.
    module = getattr(obj, "__module__", None) or type(obj).__module__ or ""
    return "__editable__" in module


def _provides_tfbsl(entry):
    folder = entry or os.getcwd()
    return (os.path.isdir(os.path.join(folder, "tfbsl"))
            or os.path.isfile(os.path.join(folder, "tfbsl.py")))


def isolate(site):
    """Make `import tfbsl` (and all its submodules) resolve under `site` only."""
    assert "tfbsl" not in sys.modules, "tfbsl was imported before isolation"
    sys.meta_path[:] = [f for f in sys.meta_path if not _is_editable_hook(f)]
    sys.path_hooks[:] = [h for h in sys.path_hooks if not _is_editable_hook(h)]
    # Path entries that hold a `tfbsl` (the checkout itself, put there by a
    # legacy `.pth`/`.egg-link` editable install or a stray working
    # directory) and the PEP 660 namespace placeholder go; SITE comes first.
    sys.path[:] = [site] + [
        p for p in sys.path
        if "__editable__" not in p and not _provides_tfbsl(p)
    ]
    sys.path_importer_cache.clear()
    importlib.invalidate_caches()


def _under(path, folder):
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return os.path.commonpath([path, folder]) == folder


def _reset_seeds(model, value=1234):
    """Put every `SeedGenerator` in `model` into the same state (as
    tests/conformance.py's `reset_seeds`, which this script must not import)."""
    import numpy as np

    for layer in model._flatten_layers(include_self=True):
        for generator in getattr(layer, "_seed_generators", []) or []:
            dtype = generator.state.dtype
            generator.state.assign(np.array([0, value], getattr(dtype, "name", dtype)))


def main(site, checkout):
    isolate(site)

    import importlib.metadata
    import importlib.resources
    import pkgutil

    import tfbsl

    assert _under(tfbsl.__file__, site), f"tfbsl imported from {tfbsl.__file__}, not {site}"
    # The wheel's metadata, not the editable install's stale dist-info.
    dist = importlib.metadata.distribution("tfbsl")
    assert _under(str(dist.locate_file("tfbsl")), site), dist.locate_file("tfbsl")
    assert dist.version == tfbsl.__version__, (dist.version, tfbsl.__version__)

    # Every module of the package, public and private, from the wheel.
    names = [m.name for m in pkgutil.walk_packages(tfbsl.__path__, "tfbsl.")]
    for name in names:
        importlib.import_module(name)
    for public in ("layers", "layers.util", "flows", "heads", "variational", "posteriors",
                   "priors", "uncertainty", "datasets", "losses", "callbacks", "distribute",
                   "vae", "convert", "demo"):
        assert f"tfbsl.{public}" in names, f"tfbsl.{public} is missing from the wheel"
    from_checkout = sorted(
        name for name, module in list(sys.modules.items())
        if getattr(module, "__file__", None) and _under(module.__file__, checkout)
        and not _under(module.__file__, os.path.join(checkout, ".venv"))
        and os.path.realpath(module.__file__) != os.path.realpath(__file__)  # this script
    )
    assert not from_checkout, f"modules imported from the checkout: {from_checkout}"
    stray = [name for name, module in list(sys.modules.items())
             if name.split(".")[0] == "tfbsl" and getattr(module, "__file__", None)
             and not _under(module.__file__, site)]
    assert not stray, f"tfbsl modules from outside {site}: {stray}"

    # Package data: both CSVs and a UCI table load, the attribution ships beside them.
    import keras
    import numpy as np

    data = importlib.resources.files("tfbsl.datasets")
    readme = (data / "README.md").read_text(encoding="utf-8")
    assert "Cortez" in readme and "CC BY 4.0" in readme, readme[:200]
    x, y, feature_names = tfbsl.datasets.load_wine_quality("red")
    assert x.shape == (1599, 11) and y.shape == (1599,), (x.shape, y.shape)
    assert len(feature_names) == 11
    assert tfbsl.datasets.load_wine_quality("white").features.shape == (4898, 11)
    assert tfbsl.datasets.load_uci("protein", split=4).x_train.shape == (41157, 9)

    # A tiny Bayesian regression: one epoch, then a `.keras` round trip with
    # no custom_objects (the layers and the loss register themselves).
    keras.utils.set_random_seed(0)
    x = (x - x.mean(0)) / x.std(0)
    model = keras.Sequential([
        keras.Input((11,)),
        tfbsl.layers.DenseFlipout(4, activation="relu"),
        keras.layers.Dense(2),
        tfbsl.layers.IndependentNormal(1),
    ])
    model.compile(keras.optimizers.Adam(1e-2), loss=tfbsl.losses.NegativeLogLikelihood(),
                  jit_compile=False)
    history = model.fit(x, y, epochs=1, batch_size=128, verbose=0)
    assert np.all(np.isfinite(history.history["loss"])), history.history

    path = os.path.join(os.getcwd(), "wine.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.layers[0]) is tfbsl.layers.DenseFlipout, type(loaded.layers[0])
    assert type(loaded.layers[-1]) is tfbsl.layers.IndependentNormal, type(loaded.layers[-1])
    assert isinstance(loaded.loss, tfbsl.losses.NegativeLogLikelihood), loaded.loss
    for a, b in zip(model.weights, loaded.weights, strict=True):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
    batch = x[:32]
    _reset_seeds(model)
    _reset_seeds(loaded)
    expected = keras.ops.convert_to_numpy(model(batch, training=False))
    got = keras.ops.convert_to_numpy(loaded(batch, training=False))
    assert expected.shape == (32, 1), expected.shape
    assert np.all(np.isfinite(expected))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    print("OK", tfbsl.__version__, tfbsl.__file__)


if __name__ == "__main__":
    main(*sys.argv[1:3])
