"""The project's conformance helper, used beside `run_layer_test` for every layer.

`run_layer_test` round-trips an unbuilt layer's config and trains with
`jit_compile="auto"` (off on CPU). `check_model_conformance` covers the rest:
fit with `jit_compile=True`, save to `.keras`, reload with no `custom_objects`,
then compare every weight and the outputs of both models under reset seeds.
"""

import os

import keras
import numpy as np


def reset_seeds(model, value=1234):
    """Put every `SeedGenerator` in `model` into the same state."""
    for layer in model._flatten_layers(include_self=True):
        for generator in getattr(layer, "_seed_generators", []) or []:
            state = generator.state
            generator.state.assign(
                np.array([0, value],
                         dtype=state.dtype.name if hasattr(state.dtype, "name") else state.dtype)
            )


def _outputs(model, x):
    out = model(x, training=False)
    flat = out if isinstance(out, (list, tuple)) else [out]
    return [np.asarray(keras.ops.convert_to_numpy(o)) for o in flat]


def check_model_conformance(model, x, y, loss="mse", tmp_path=None, epochs=2,
                            batch_size=16, safe_mode=True, rtol=1e-5, atol=1e-5):
    """Fit `model` jit-compiled, save/load `.keras`, compare weights and seeded outputs.

    Returns the reloaded model.
    """
    import tempfile

    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss, jit_compile=True)
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0)
    losses = history.history["loss"]
    assert all(np.isfinite(losses)), f"non-finite training loss: {losses}"

    directory = tmp_path or tempfile.mkdtemp()
    path = os.path.join(str(directory), "conformance.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=safe_mode)

    assert len(model.weights) == len(loaded.weights)
    for a, b in zip(model.weights, loaded.weights, strict=True):
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b),
            err_msg=f"weight {a.path} changed through .keras save/load",
        )
    reset_seeds(model)
    reset_seeds(loaded)
    for a, b in zip(_outputs(model, x), _outputs(loaded, x), strict=True):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    # A reloaded model keeps training, jit-compiled.
    loaded.compile(optimizer="adam", loss=loss, jit_compile=True)
    loaded.fit(x, y, epochs=1, batch_size=batch_size, verbose=0)
    return loaded


def check_layer_conformance(layer, x, y=None, loss="mse", **kwargs):
    """`check_model_conformance` on `Input -> layer`; `y` defaults to noise
    shaped like the output."""
    inputs = keras.Input(x.shape[1:])
    model = keras.Model(inputs, layer(inputs))
    if y is None:
        shape = (len(x),) + tuple(model.output.shape[1:])
        y = np.random.default_rng(0).normal(size=shape).astype("float32")
    return check_model_conformance(model, x, y, loss=loss, **kwargs)
