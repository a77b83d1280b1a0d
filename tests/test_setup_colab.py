"""The Colab route: the set-up cell installs course_utils and the lock's pins it needs on
Colab only, and nothing on a local or Binder kernel. Colab is simulated: its marker set, pip
replaced by a recorder, nothing installed."""

import os
import pathlib
import re
import subprocess
import sys
import types

import nbformat
import pytest

from course_utils import colab

ROOT = pathlib.Path(__file__).resolve().parents[1]
LOCK = (ROOT / "requirements.txt").read_text()
REPO = re.search(r"https://mybinder\.org/v2/gh/([\w.-]+/[\w.-]+)/", (ROOT / "README.md").read_text())[1]
PREFIX = f"https://raw.githubusercontent.com/{REPO}/main/"


def run_cell(monkeypatch, *, env=None, modules=()):
    """Execute the cell as a kernel would; returns the commands it ran."""
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda command, **kw: calls.append((command, kw)))
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    for name in modules:
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    exec(compile(colab.cell(REPO), "<colab cell>", "exec"), {})
    return calls


def installed_by(command):
    """The requirement lines `pip install -r URL` would install, read from this repository."""
    assert command[:4] == [sys.executable, "-m", "pip", "install"] and command[-2] == "-r"
    url = command[-1]
    assert url.startswith(PREFIX), url
    lines = (ROOT / url[len(PREFIX):]).read_text().splitlines()
    return [l for l in lines if l and not l.startswith("#")]


def test_cell_does_nothing_on_a_local_or_binder_kernel(monkeypatch):
    assert run_cell(monkeypatch) == []


@pytest.mark.parametrize("marker", [{"env": {"COLAB_RELEASE_TAG": "release-colab_20261201"}},
                                    {"modules": ["google.colab"]}], ids=["env", "module"])
def test_cell_on_colab_installs_course_utils_and_exactly_the_pins_it_needs(monkeypatch, marker):
    calls = run_cell(monkeypatch, **marker)
    assert len(calls) == 1 and calls[0][1] == {"check": True}
    lines = installed_by(calls[0][0])
    assert lines[0] == f"course_utils @ git+https://github.com/{REPO}@main"
    lock_pins = colab.lock_pins(LOCK)
    needed = colab.needed()
    assert sorted(lines[1:]) == sorted(lock_pins[name] for name in needed)
    # course_utils' own requirements are among them, and none of Colab's kernel packages.
    assert {"jax", "jaxlib", "optax", "tfp-nightly", "numpy", "matplotlib"} <= needed
    assert not needed & {"ipython", "ipywidgets", "ipykernel", "torch", "jupyterlab"}


def test_colab_requirements_file_is_generated_from_the_lock():
    text = (ROOT / colab.REQUIREMENTS).read_text()
    assert text == colab.requirements_text(REPO, LOCK), (
        f"{colab.REQUIREMENTS} is stale: python -m course_utils.colab {REPO} > {colab.REQUIREMENTS}")


def test_a_pin_missing_from_the_lock_is_named():
    lock = "\n".join(l for l in LOCK.splitlines() if not l.startswith("optax=="))
    with pytest.raises(ValueError, match=r"The lock has no pin for \['optax'\]"):
        colab.requirements_text(REPO, lock)


def test_cell_is_ascii_and_uses_no_shell_magics():
    assert colab.cell(REPO).isascii() and "!pip" not in colab.cell(REPO) and "%pip" not in colab.cell(REPO)


def test_every_notebook_starts_with_the_colab_cell():
    for path in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        first = next(c for c in notebook.cells if c.cell_type == "code")
        assert first.source == colab.cell(REPO), path.name
