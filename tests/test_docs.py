"""The documentation site builds with `mkdocs build --strict` (scripts/docs.sh):
every link, anchor and API reference resolves and no warning is raised. Then
the built site is read as a user would: every public name has an API entry,
the pages for `DenseVariational`, `NormalizingFlow` and the porting guide
show what they should, and the tutorials carry their stored outputs.

One build, about a minute on 2 CPU cores (TensorFlow is imported to read the
docstrings; the notebooks are converted, not executed): marked slow."""

import html
import importlib
import os
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_BUILD_TIMEOUT_S = 900

# Modules with an API page, as `mkdocs.yml` lists them; every public name of
# each (its `__all__`, else the names defined in it or its subpackages) must
# be documented under that module's path.
API_MODULES = (
    "tfbsl.layers", "tfbsl.priors", "tfbsl.posteriors", "tfbsl.flows.transforms",
    "tfbsl.losses", "tfbsl.callbacks", "tfbsl.uncertainty", "tfbsl.vae", "tfbsl.convert",
    "tfbsl.distribute", "tfbsl.baselines", "tfbsl.datasets",
)

pytestmark = pytest.mark.slow


def test_docs_build_strict_and_read_as_a_user(tmp_path):
    """One test, so that pytest-xdist builds the site once (about a minute)."""
    site = _build(tmp_path / "site")
    _every_public_name_has_an_api_entry(site)
    _dense_variational_page_shows_signature_args_and_example(site)
    _normalizing_flow_page_shows_signature_args_and_methods(site)
    _porting_guide_has_its_tables(site)
    _tutorials_render_their_stored_outputs(site)
    _benchmark_pages_date_their_runs(site)


def _build(out):
    env = {**os.environ, "TFBSL_PYTHON": sys.executable, "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(["bash", str(ROOT / "scripts" / "docs.sh"), str(out)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=_BUILD_TIMEOUT_S)
    log = done.stdout[-4000:] + done.stderr[-8000:]
    assert done.returncode == 0, log
    warnings = [line for line in done.stderr.splitlines() if line.startswith("WARNING -")]
    assert not warnings, log
    return out


def _text(page):
    """A page's visible text, tags stripped, whitespace collapsed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def _squashed(text):
    """Without whitespace (a rendered signature has spaces between its tokens)."""
    return re.sub(r"\s+", "", text)


def _section(page, anchor, next_anchor=None):
    start = page.index(f'id="{anchor}"')
    end = page.index(f'id="{next_anchor}"', start) if next_anchor else len(page)
    return _text(page[start:end])


def _inventory(site):
    data = (site / "objects.inv").read_bytes()
    start = 0
    for _ in range(4):  # Sphinx inventory v2: four header lines, then zlib
        start = data.index(b"\n", start) + 1
    lines = zlib.decompress(data[start:]).decode().splitlines()
    return {line.split(" ", 1)[0] for line in lines}


def _public_names(module_name):
    module = importlib.import_module(module_name)
    if hasattr(module, "__all__"):
        return sorted(module.__all__)
    return sorted(name for name, value in vars(module).items()
                  if not name.startswith("_")
                  and _defined_under(getattr(value, "__module__", None), module_name)
                  and not isinstance(value, type(module)))


def _defined_under(defining_module, module_name):
    return isinstance(defining_module, str) and (
        defining_module == module_name or defining_module.startswith(module_name + "."))


def _every_public_name_has_an_api_entry(site):
    documented = _inventory(site)
    missing = [f"{m}.{name}" for m in API_MODULES for name in _public_names(m)
               if f"{m}.{name}" not in documented]
    assert not missing, f"public names without an API entry: {missing}"
    assert "tfbsl.get_distribution" in documented


def _dense_variational_page_shows_signature_args_and_example(site):
    page = (site / "api" / "layers-variational" / "index.html").read_text(encoding="utf-8")
    text = _section(page, "tfbsl.layers.DenseVariational", "tfbsl.layers.Conv1DVariational")
    signature = ("DenseVariational(units,make_posterior_fn=None,make_prior_fn=None,kl_weight=None,"
                 "kl_use_exact=None,activation=None,use_bias=True,activity_regularizer=None,*,"
                 'estimator="reparameterization",prior=None,seed=None,')
    assert signature in _squashed(text), text[:800]
    assert "Parameters:" in text
    for arg in ("units", "make_posterior_fn", "kl_weight", "kl_use_exact", "estimator", "prior",
                "seed"):
        assert f" {arg} " in text, arg
    assert "Example:" in text and "tfbsl.predict_mc(model,x_test" in _squashed(text)
    # Keras' own hooks and private bases are not part of the page.
    assert "compute_output_shape" not in text and "_Variational" not in text


def _normalizing_flow_page_shows_signature_args_and_methods(site):
    page = (site / "api" / "layers-flows" / "index.html").read_text(encoding="utf-8")
    text = _section(page, "tfbsl.layers.NormalizingFlow", "tfbsl.layers.MaskedAutoregressive")
    assert "NormalizingFlow(blocks,base=None,seed=None,**kwargs)" in _squashed(text), text[:500]
    assert "Parameters:" in text and " blocks " in text and " base " in text
    for method in ("log_prob", "sample", "forward", "inverse"):
        assert f'id="tfbsl.layers.NormalizingFlow.{method}"' in page, method


def _porting_guide_has_its_tables(site):
    page = (site / "porting" / "index.html").read_text(encoding="utf-8")
    tables = re.findall(r"<table>(.*?)</table>", page, flags=re.S)
    headers = [_text(" ".join(re.findall(r"<th[^>]*>.*?</th>", t, flags=re.S))) for t in tables]
    names = next(t for t, h in zip(tables, headers, strict=True) if "tfp.layers (TFP 0.25)" in h)
    differences = next(t for t, h in zip(tables, headers, strict=True)
                       if h.split() == ["where", "TFP", "tfbsl", "why"])
    assert names.count("<tr>") >= 12
    assert differences.count("<tr>") >= 14
    assert "kl_use_exact" in _text(differences)


def _tutorials_render_their_stored_outputs(site):
    for name in ("bayesian_neural_networks_wine", "bayesian_cnn_digits", "var_mod", "flows"):
        page = (site / "tutorials" / name / "index.html").read_text(encoding="utf-8")
        assert "data:image/png;base64," in page, name  # the stored plots


def _benchmark_pages_date_their_runs(site):
    for name in ("speed", "uci", "classification", "flows", "vae"):
        text = _text((site / "benchmarks" / name / "index.html").read_text(encoding="utf-8"))
        assert "Recorded" in text and re.search(r"2026-\d\d-\d\d", text), name
