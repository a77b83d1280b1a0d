"""The Makefile's set-up: an unsupported Python is refused at once, before any .venv exists,
and `make lab` opens the student version of notebook 01."""

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
START = "student/01_pytorch_autograd.ipynb"
WORKS = "CPython 3.11.5 or newer 3.11, 3.12 or 3.13"


@pytest.fixture
def project(tmp_path):
    """A copy of what `make setup` reads, without a .venv."""
    for name in ("Makefile", "requirements.txt", "pyproject.toml", "binder/configure_jupyter.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def fake_python(folder, version):
    """A `python3` that only says it is `version`, whatever it is asked."""
    path = folder / f"python{version}"
    path.write_text(f"#!/bin/sh\necho 'Python {version}'\n")
    path.chmod(0o755)
    return path


def make(project, *args):
    """`make` in `project`, without the settings of a `make test` that may be running this."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(["make", "--no-print-directory", "-C", str(project), *args],
                          capture_output=True, text=True, timeout=60, env=env)


@pytest.mark.parametrize("version", ["3.10.12", "3.11.0", "3.11.2", "3.11.4", "3.14.0", "2.7.18"])
def test_make_refuses_an_unsupported_python_before_creating_the_venv(project, version):
    result = make(project, "setup", f"PYTHON={fake_python(project, version)}")
    assert result.returncode != 0
    assert f"is 'Python {version}'; this course's lock installs on {WORKS}." in result.stderr
    assert "make lab PYTHON=python3.12" in result.stderr
    assert not (project / ".venv").exists()


def test_make_refuses_a_missing_python(project):
    result = make(project, "setup", "PYTHON=no-such-python3")
    assert result.returncode != 0 and WORKS in result.stderr
    assert not (project / ".venv").exists()


@pytest.mark.parametrize("version", ["3.11.5", "3.11.9", "3.12.0", "3.13.7"])
def test_make_accepts_the_supported_pythons(project, version):
    result = make(project, "check-python", f"PYTHON={fake_python(project, version)}")
    assert result.returncode == 0, result.stderr


def test_make_accepts_this_python():
    result = make(ROOT, "check-python", f"PYTHON={sys.executable}")
    assert result.returncode == 0, result.stderr


def test_make_setup_checks_python_first_then_installs_torch_alone_then_pypi(project):
    recipe = make(project, "-n", "setup").stdout.splitlines()
    assert "--version" in recipe[0] and "-m venv" in recipe[1]
    assert recipe[1].startswith("rm -rf .venv &&")  # a package the lock dropped goes too
    torch = recipe.index(next(l for l in recipe if "requirements-torch.txt" in l and "install" in l))
    pypi = recipe.index(next(l for l in recipe if "requirements-pypi.txt" in l and "install" in l))
    assert "--no-deps" in recipe[torch] and torch < pypi
    assert any("binder/configure_jupyter.py" in l for l in recipe[pypi:])


def test_make_lab_opens_the_student_version_of_notebook_01(project):
    (project / ".venv").mkdir()
    (project / ".venv/.ready").touch()  # newer than the lock: no set-up in the dry run
    recipe = make(project, "-n", "lab").stdout
    assert "-m course_utils.student notebooks student" in recipe
    assert f"jupyter lab --LabApp.default_url=/lab/tree/{START}" in recipe
    assert (ROOT / "notebooks" / pathlib.Path(START).name).exists()
