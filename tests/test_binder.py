"""What Binder will build, read from repo2docker's own Dockerfile (no Docker needed)."""

import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def pins(path):
    lines = (line.strip() for line in (ROOT / path).read_text().splitlines())
    return dict(line.split("==") for line in lines if line and not line.startswith(("#", "-")))


@pytest.fixture(scope="module")
def dockerfile():
    repo2docker = shutil.which("jupyter-repo2docker", path=str(pathlib.Path(sys.executable).parent))
    result = subprocess.run([repo2docker, "--no-build", "--debug", str(ROOT)],
                            capture_output=True, text=True, timeout=300, check=True)
    return result.stdout + result.stderr


def test_binder_builds_python_3_11(dockerfile):
    assert "Building conda environment for python=3.11" in dockerfile
    assert (ROOT / "binder/runtime.txt").read_text().strip() == "python-3.11"


def test_binder_installs_the_pins_before_copying_the_repo(dockerfile):
    """Installed from binder/requirements.txt alone, so Docker caches that layer."""
    install = dockerfile.index('pip install --no-cache-dir -r "binder/requirements.txt"')
    assert install < dockerfile.index("COPY --chown=0:0 src/ ${REPO_DIR}/")


def test_binder_runs_postbuild_which_installs_course_utils(dockerfile):
    assert "RUN ./binder/postBuild" in dockerfile
    post_build = (ROOT / "binder/postBuild").read_text()
    assert "pip install --no-deps -e ." in post_build
    assert "python -m course_utils.student notebooks student" in post_build  # as `make student`


def test_binder_pins_equal_the_lock_except_torch_cpu_build():
    lock, binder = pins("requirements.txt"), pins("binder/requirements.txt")
    assert binder.pop("torch") == lock.pop("torch") + "+cpu"
    assert binder == lock
    text = (ROOT / "binder/requirements.txt").read_text()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in text


def test_every_lock_line_is_an_exact_pin():
    lines = [l for l in (ROOT / "requirements.txt").read_text().splitlines()
             if l.strip() and not l.startswith("#")]
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][^ ]*", l) for l in lines)
    assert "torch" in pins("requirements.txt") and pins("requirements.txt")["torch"] == "2.13.0"


def test_readme_badge_opens_notebook_01_in_jupyterlab():
    readme = (ROOT / "README.md").read_text()
    assert "urlpath=lab/tree/notebooks/01_pytorch_autograd.ipynb" in readme
