"""What Binder will build, read from repo2docker's own Dockerfile (no Docker needed)."""

import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def lock_lines(path):
    """The lines that install something: pins (with their markers) and index options."""
    lines = (line.strip() for line in (ROOT / path).read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


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


def test_binder_installs_the_lock_itself():
    """The same lines, so Binder's torch is also the +cpu build from PyTorch's CPU index."""
    assert lock_lines("binder/requirements.txt") == lock_lines("requirements.txt")


def test_every_lock_line_is_an_exact_pin():
    marker = r"( ; [a-z_]+ [!=]= \"[a-z0-9_]+\"( (and|or) [a-z_]+ [!=]= \"[a-z0-9_]+\")*)?"
    lines = lock_lines("requirements.txt")
    assert lines[0] == "--extra-index-url https://download.pytorch.org/whl/cpu"
    bad = [l for l in lines[1:] if not re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][^ ;]*" + marker, l)]
    assert not bad, f"not an exact pin: {bad}"
    assert [l.split(" ;")[0] for l in lines if l.startswith("torch==")] == [
        "torch==2.13.0+cpu", "torch==2.13.0"]


def test_readme_badge_opens_the_student_version_of_notebook_01_in_jupyterlab():
    readme = (ROOT / "README.md").read_text()
    assert "urlpath=lab/tree/student/01_pytorch_autograd.ipynb" in readme.split("\n\n")[1]
