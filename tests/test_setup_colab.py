"""The Colab route: the set-up cell installs course_utils and the lock's pins it needs on
Colab only, and nothing on a local or Binder kernel. Colab is simulated: its marker set, pip
replaced by a recorder, nothing installed."""

import io
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import types

import nbformat
import pytest

from course_utils import colab

ROOT = pathlib.Path(__file__).resolve().parents[1]
LOCK = (ROOT / "requirements.txt").read_text()
REPO = re.search(r"https://mybinder\.org/v2/gh/([\w.-]+/[\w.-]+)/", (ROOT / "README.md").read_text())[1]
PREFIX = f"https://raw.githubusercontent.com/{REPO}/main/"


COLAB = ROOT / "binder" / "colab"  # Google's published lists, verbatim (binder/colab/README.md)
FREEZE = {"cpu": COLAB / "pip-freeze.txt", "gpu": COLAB / "pip-freeze.gpu.txt"}


def colab_image(kind):
    """{canonical name: version} of Colab's published image `kind` ("cpu" or "gpu").

    `pip freeze` writes `name==version`, or `name @ url` for a direct install, whose version is
    read from the wheel's file name where it is one (`torch-2.11.0%2Bcpu-cp313-...whl`)."""
    versions = {}
    for line in FREEZE[kind].read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if "==" in line:
            name, version = line.split("==")
        else:
            name, url = (part.strip() for part in line.split(" @ "))
            wheel = re.search(r"/([^/]+)-([^-/]+)-[^/]*\.whl", url.replace("%2B", "+"))
            if not wheel:
                continue  # a source tree or a git checkout: no version the course can compare
            version = wheel.group(2)
        versions[colab.canonical(name)] = version.strip()
    return versions


def run_cell(monkeypatch, *, env=None, modules=()):
    """Execute the cell as a kernel would; returns the commands it ran and set_up's URL."""
    calls, urls = [], []
    monkeypatch.setattr(subprocess, "run", lambda command, **kw: calls.append((command, kw)))
    monkeypatch.setattr(colab, "set_up", urls.append)
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    for name in modules:
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    exec(compile(colab.cell(REPO), "<colab cell>", "exec"), {})
    return calls, urls


def test_cell_does_nothing_on_a_local_or_binder_kernel(monkeypatch):
    assert run_cell(monkeypatch) == ([], [])


@pytest.mark.parametrize("marker", [{"env": {"COLAB_RELEASE_TAG": "release-colab_20261201"}},
                                    {"modules": ["google.colab"]}], ids=["env", "module"])
def test_cell_on_colab_installs_course_utils_alone_then_sets_up(monkeypatch, marker):
    calls, urls = run_cell(monkeypatch, **marker)
    assert calls == [([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                       f"course_utils @ git+https://github.com/{REPO}@main"], {"check": True})]
    assert urls == [PREFIX + colab.REQUIREMENTS] and (ROOT / colab.REQUIREMENTS).exists()
    needed = colab.needed()  # what the requirements file pins: course_utils' requirements
    assert {"jax", "jaxlib", "optax", "tfp-nightly", "numpy", "matplotlib"} <= needed
    assert not needed & {"ipython", "ipywidgets", "ipykernel", "torch", "jupyterlab"}


def test_importing_course_utils_loads_nothing_else():
    """The cell imports course_utils.colab before the pinned jax is installed."""
    code = "import sys; from course_utils import colab; print(sorted({'jax', 'numpy', " \
           "'matplotlib', 'optax'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


class Runtime:
    """A Colab runtime as published: its image's versions, pip and the restart recorded."""

    def __init__(self, kind, modules):
        self.versions, self.modules = colab_image(kind), modules
        self.commands, self.restarts = [], 0

    def version(self, name):
        return self.versions.get(colab.canonical(name))

    def run(self, command, **kwargs):
        self.commands.append(command)
        if command[3:4] == ["install"]:  # pip install: the pins are there afterwards
            for requirement in command[6:]:
                name, version = requirement.split("==")
                self.versions[colab.canonical(name)] = version
        if command[3:4] == ["uninstall"]:
            for name in command[6:]:
                self.versions.pop(colab.canonical(name))
        return subprocess.CompletedProcess(command, 0, stdout="GPU [CudaDevice(id=0)]\n")

    def restart(self):
        self.restarts += 1
        self.modules = {}

    def set_up(self, monkeypatch):
        text = (ROOT / colab.REQUIREMENTS).read_bytes()
        monkeypatch.setattr("urllib.request.urlopen", lambda url, timeout: io.BytesIO(text))
        return colab.set_up(PREFIX + colab.REQUIREMENTS, run=self.run, restart=self.restart,
                            version=self.version, modules=self.modules)


@pytest.mark.parametrize("kind", ["cpu", "gpu"])
def test_set_up_on_colabs_image_restarts_once_when_a_loaded_package_changes(kind, monkeypatch,
                                                                             capsys):
    """A kernel that has imported numpy (Colab's 2.1.3, the lock's differs): the cell installs
    exactly the pins that differ from the image, replaces tensorflow-probability, keeps the GPU,
    restarts once, and the second run finds everything in place."""
    runtime = Runtime(kind, {"numpy": None, "IPython": None})
    pins = colab.pins_for_this_runtime(LOCK_PINS_TEXT, runtime.version)
    differ = sorted(f"{n}=={v}" for n, v in pins.items() if colab_image(kind).get(n) != v)
    assert "numpy==" + pins["numpy"] in differ and "jax==" + pins["jax"] in differ
    assert runtime.set_up(monkeypatch) == "restarting" and runtime.restarts == 1
    uninstall, install = runtime.commands
    assert uninstall[3:] == ["uninstall", "--quiet", "--yes", "tensorflow-probability"]
    assert install[3:6] == ["install", "--quiet", "--no-deps"] and sorted(install[6:]) == differ
    if kind == "gpu":  # the CUDA plugin follows jax, so JAX keeps the GPU
        assert {"jax-cuda12-plugin==" + pins["jax"], "jax-cuda12-pjrt==" + pins["jax"]} <= set(differ)
    else:
        assert not [r for r in differ if r.startswith("jax-cuda")]
    assert "restarting it once" in capsys.readouterr().out
    runtime.commands.clear()
    assert runtime.set_up(monkeypatch) == "ready" and runtime.restarts == 1
    assert [c[1:3] for c in runtime.commands] == [["-c", runtime.commands[0][2]]]  # device only
    assert "JAX runs on: GPU" in capsys.readouterr().out


def test_set_up_installs_without_restart_when_nothing_changed_was_loaded(monkeypatch, capsys):
    runtime = Runtime("cpu", {"IPython": None, "ipykernel": None})
    assert runtime.set_up(monkeypatch) == "installed" and runtime.restarts == 0
    assert "JAX runs on" in capsys.readouterr().out


LOCK_PINS_TEXT = (ROOT / colab.REQUIREMENTS).read_text()
UV = pathlib.Path(sys.executable).parent / "uv"


def uv_compile(requirements, constraints=""):
    """uv's resolution for Colab's Python (3.13) on Linux x86_64, wheels only; (code, text)."""
    with tempfile.TemporaryDirectory() as folder:
        source, limits = pathlib.Path(folder, "in.txt"), pathlib.Path(folder, "limits.txt")
        source.write_text("\n".join(requirements) + "\n")
        limits.write_text(constraints)
        command = [str(UV), "pip", "compile", "--no-config", "--no-python-downloads", "--quiet",
                   "--no-header", "--no-annotate", "--index-url", "https://pypi.org/simple",
                   "--only-binary", ":all:", "--python-platform", "x86_64-manylinux_2_28",
                   "--python-version", colab_python(), "-c", str(limits), str(source)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
        result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    return result.returncode, result.stdout + result.stderr


def colab_python():
    """Colab's Python version, from its published os-info.txt (the CPU and GPU images agree)."""
    versions = {re.search(r"^Python (\S+)$", (COLAB / name).read_text(), re.M)[1]
                for name in ("os-info.txt", "os-info-gpu.txt")}
    assert len(versions) == 1, f"Colab's CPU and GPU images name different Pythons: {versions}"
    return versions.pop()


@pytest.mark.parametrize("kind", ["cpu", "gpu"])
def test_the_pins_resolve_on_colabs_python_and_need_nothing_else(kind):
    """What set_up installs with --no-deps is complete for Colab's Python: uv resolves the pins
    (and on the GPU image the CUDA plugin with its CUDA libraries held at the image's versions)
    to exactly themselves, plus the image's own CUDA libraries. Needs PyPI."""
    pins = colab.pins_for_this_runtime(LOCK_PINS_TEXT, colab_image(kind).get)
    requirements = [f"{n}=={v}" for n, v in sorted(pins.items())]
    if kind == "gpu":
        requirements = [r.replace("jax-cuda12-plugin==", "jax-cuda12-plugin[with-cuda]==")
                        for r in requirements]
    cuda = {n: v for n, v in colab_image(kind).items() if n.startswith("nvidia-")}
    code, text = uv_compile(requirements, "".join(f"{n}=={v}\n" for n, v in cuda.items()))
    assert code == 0, f"the Colab pins do not resolve for CPython {colab_python()}:\n{text[-2000:]}"
    got = {colab.canonical(l.split("==")[0]): l.split("==")[1].strip()
           for l in text.splitlines() if "==" in l}
    assert {n: v for n, v in got.items() if not n.startswith("nvidia-")} == pins
    assert all(cuda[n] == v for n, v in got.items() if n.startswith("nvidia-"))


def test_the_widgets_work_with_colabs_ipywidgets(tmp_path):
    """The course's widget tests, run against Colab's kernel packages (ipywidgets 7, IPython 7,
    ipykernel 6 at the image's versions) put ahead of the lock's. Needs PyPI."""
    image = colab_image("cpu")
    kernel = ["ipywidgets", "widgetsnbextension", "ipython-genutils", "ipykernel", "ipython",
              "traitlets", "jupyter-client", "backcall", "pickleshare", "decorator", "nest-asyncio"]
    target = tmp_path / "colab-kernel"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
                    str(target), *(f"{n}=={image[n]}" for n in kernel)], check=True)
    env = {**os.environ, "PYTHONPATH": str(target)}
    version = subprocess.run([sys.executable, "-c", "import ipywidgets; print(ipywidgets.__version__)"],
                             env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert version == image["ipywidgets"]
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "tests/test_widgets.py", "tests/test_projectile.py",
                             "tests/test_progress.py"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:]


def test_colab_requirements_file_is_generated_from_the_lock():
    text = (ROOT / colab.REQUIREMENTS).read_text()
    assert text == colab.requirements_text(LOCK), (
        f"{colab.REQUIREMENTS} is stale: python -m course_utils.colab > {colab.REQUIREMENTS}")


def test_a_pin_missing_from_the_lock_is_named():
    lock = "\n".join(l for l in LOCK.splitlines() if not l.startswith("optax=="))
    with pytest.raises(ValueError, match=r"The lock has no pin for \['optax'\]"):
        colab.requirements_text(lock)


def test_cell_is_ascii_and_uses_no_shell_magics():
    assert colab.cell(REPO).isascii() and "!pip" not in colab.cell(REPO) and "%pip" not in colab.cell(REPO)


def test_every_notebook_starts_with_the_colab_cell():
    for path in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        first = next(c for c in notebook.cells if c.cell_type == "code")
        assert first.source == colab.cell(REPO), path.name
