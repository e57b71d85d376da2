"""Build tfbsl's wheel and sdist, install the wheel outside the checkout and
smoke-test it: catches modules and package data (the wine CSVs, the UCI
tables, their attribution README) that the distributions leave out.

Building: `python -m build --wheel --sdist --no-isolation` (offline: it uses
the setuptools and wheel already installed instead of downloading them) runs
on a copy of the source tree in a temporary folder, the files git tracks or
would track (`git ls-files --cached --others --exclude-standard`), because
setuptools writes `build/` and `tfbsl.egg-info/` beside `setup.cfg`: the
repository is left untouched.

Installing: `pip install --no-deps --target SITE` unpacks the wheel into a
temporary folder; TensorFlow, Keras and TFP come from the running
environment, so no new virtualenv (minutes, ~1 GB) is needed.

Isolation from the checkout (tests/_wheel_smoke.py, run as a subprocess with
a temporary working directory): the development environment has tfbsl
installed in editable mode, which setuptools implements as a `.pth` file that
appends a finder to `sys.meta_path` mapping `tfbsl` to the checkout. Putting
SITE first on `PYTHONPATH` is not enough: the wheel's `tfbsl` wins, but a
submodule missing from the wheel is then looked up by that finder (it
resolves children of `tfbsl` in the checkout), so a module left out of the
wheel would be silently imported from the checkout. `python -S` drops the
`.pth` files but also the site-packages where TensorFlow lives, and a
`--system-site-packages` venv sees the base interpreter's site-packages, not
the project virtualenv's. So the script runs under `python -I` (no script
folder, working directory or `PYTHON*` variables on `sys.path`; site-packages
kept), and before anything imports tfbsl it removes the editable finders
from `sys.meta_path`/`sys.path_hooks` and every `sys.path` entry that holds a
`tfbsl` (a legacy editable install puts the checkout itself there), then
puts SITE first. It asserts that `tfbsl.__file__`, every `tfbsl.*` module
and the `tfbsl` distribution metadata come from SITE and that no module at
all was imported from the checkout (outside its `.venv`).
"""

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # see setup.cfg: the fast loop leaves it out

ROOT = Path(__file__).resolve().parents[1]
_SMOKE = Path(__file__).with_name("_wheel_smoke.py")
_BUILD_TIMEOUT_S = 300
_SMOKE_TIMEOUT_S = 600
# Left in the source tree by setuptools; must not appear in the repository.
_BUILD_LEFTOVERS = ("build", "dist", "tfbsl.egg-info")


def _source_files():
    """Paths (relative to ROOT) of the tree as the project sees it: tracked
    files plus new ones git does not ignore, as they are on disk."""
    if shutil.which("git") and (ROOT / ".git").exists():
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT, capture_output=True, check=True, timeout=60,
        ).stdout.decode().split("\0")
        return sorted(p for p in listed if p and (ROOT / p).is_file())
    ignored = {".git", ".venv", "__pycache__", *_BUILD_LEFTOVERS}
    return sorted(
        str(p.relative_to(ROOT)) for p in ROOT.rglob("*")
        if p.is_file() and not ignored & set(p.relative_to(ROOT).parts)
    )


def _leftovers():
    return {name: (ROOT / name).stat().st_mtime_ns
            for name in _BUILD_LEFTOVERS if (ROOT / name).exists()}


def _run(command, timeout, **kwargs):
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **kwargs)
    assert done.returncode == 0, (
        f"{command} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
    return done


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(source files, wheel path, sdist path, install folder)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src, dist, site = tmp / "src", tmp / "dist", tmp / "site"
    files = _source_files()
    for name in files:
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, src / name)
    before = _leftovers()
    _run([sys.executable, "-m", "build", "--wheel", "--sdist", "--no-isolation",
          "--outdir", str(dist), str(src)],
         _BUILD_TIMEOUT_S, cwd=tmp)
    assert _leftovers() == before, "the build wrote into the repository"
    [wheel] = dist.glob("tfbsl-*.whl")
    [sdist] = dist.glob("tfbsl-*.tar.gz")
    _run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
          "--no-compile", "--disable-pip-version-check", "--target", str(site), str(wheel)],
         _BUILD_TIMEOUT_S, cwd=tmp)
    return files, wheel, sdist, site


def test_wheel_ships_every_package_file_and_the_data(built):
    files, wheel, _, _ = built
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    package = {name for name in names if name.startswith("tfbsl/")}
    expected = {name for name in files if name.startswith("tfbsl/")}
    assert package == expected, (
        f"missing from the wheel: {sorted(expected - package)}; "
        f"unexpected: {sorted(package - expected)}")
    uci = ("concrete", "energy", "kin8nm", "naval-propulsion-plant", "power-plant",
           "protein-tertiary-structure", "wine-quality-red", "yacht")
    for data in ("tfbsl/datasets/README.md", "tfbsl/datasets/winequality-red.csv",
                 "tfbsl/datasets/winequality-white.csv",
                 *(f"tfbsl/datasets/uci-{name}.txt.gz" for name in uci)):
        assert data in names
    assert any(n.endswith(".dist-info/LICENSE") or "/licenses/LICENSE" in n for n in names)


def test_sdist_ships_the_project_files(built):
    files, _, sdist, _ = built
    with tarfile.open(sdist) as archive:
        names = {member.name.split("/", 1)[1] for member in archive.getmembers()
                 if member.isfile() and "/" in member.name}
    for name in ("LICENSE", "README.md", "CHANGELOG.md", "setup.cfg", "pyproject.toml"):
        assert name in names, f"{name} is missing from the sdist"
    # pip builds the wheel from the sdist: it needs the whole package, data included.
    missing = sorted(n for n in files if n.startswith("tfbsl/") and n not in names)
    assert not missing, f"missing from the sdist: {missing}"


def test_installed_wheel_imports_trains_and_round_trips(built, tmp_path):
    _, _, _, site = built
    done = _run([sys.executable, "-I", str(_SMOKE), str(site), str(ROOT)],
                _SMOKE_TIMEOUT_S, cwd=tmp_path,
                env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""})
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("OK "), done.stdout[-2000:]
    assert Path(last.split()[-1]).resolve().is_relative_to(site.resolve()), last
