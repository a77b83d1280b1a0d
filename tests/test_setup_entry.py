"""Where students come in: the README's badge and table, Colab, one repository setting, and
the Jupyter server that `make lab` and Binder start."""

import importlib.util
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from jupyter_core.paths import jupyter_runtime_dir

from conftest import free_port

ROOT = pathlib.Path(__file__).resolve().parents[1]
# `make` run here must not inherit the settings of a `make test` that may be running this.
MAKE_ENV = {k: v for k, v in os.environ.items()
            if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}


def script(name):
    """A script of binder/ as a module (binder/ is no package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "binder" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


configure_jupyter, set_repo = script("configure_jupyter"), script("set_repo")

NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9]*.ipynb"))
README = (ROOT / "README.md").read_text()
REPO = set_repo.current_repo(README)
BINDER = f"https://mybinder.org/v2/gh/{REPO}/HEAD?urlpath=lab/tree/"
COLAB = f"https://colab.research.google.com/github/{REPO}/blob/"


def test_every_notebook_has_a_readme_row_student_first():
    rows = [l for l in README.splitlines() if l.startswith("| 0") or l.startswith("| 1")]
    for name in NOTEBOOKS:
        row = next((r for r in rows if f"notebooks/{name})" in r), None)
        assert row, f"README's table has no row for {name}"
        links = re.findall(r"\]\(([^)]+)\)", row)
        assert links[:2] == [BINDER + "student/" + name, COLAB + "student/student/" + name], \
            f"{name}: the first links must open the student version"
        assert links[2:] == [f"notebooks/{name}", COLAB + "main/notebooks/" + name]


def test_every_repository_url_names_one_repository():
    names = set(re.findall(r"(?:mybinder\.org/v2/gh|colab\.research\.google\.com/github|"
                           r"github\.com|raw\.githubusercontent\.com)/([\w.-]+/[\w.-]+?)[/@]",
                           "".join(path.read_text() for path in set_repo.files(ROOT))))
    assert names == {REPO}


def test_set_repo_rewrites_every_url_and_nothing_else(tmp_path):
    for path in set_repo.files(ROOT):
        target = tmp_path / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    changed = set_repo.set_repo("me/diffsim-course", root=tmp_path)
    assert set(changed) == set(set_repo.files(tmp_path))
    for path in set_repo.files(tmp_path):
        text, before = path.read_text(), (ROOT / path.relative_to(tmp_path)).read_text()
        for prefix in set_repo.PREFIXES:
            assert prefix + REPO + "/" not in text and prefix + REPO + "@" not in text
        assert text.replace("me/diffsim-course", REPO) == before
    assert set_repo.current_repo((tmp_path / "README.md").read_text()) == "me/diffsim-course"


def test_set_repo_names_the_rule_for_a_bad_name():
    with pytest.raises(ValueError, match=r"REPO must look like owner/name .*got 'course'"):
        set_repo.set_repo("course")


def test_make_student_branch_commits_student_versions_and_leaves_the_tree_alone(tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    shutil.copy(ROOT / "Makefile", clone / "Makefile")  # this tree's, committed or not
    (clone / ".venv").mkdir()
    (clone / ".venv/.ready").touch()  # set up already (by this Python)
    before = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True,
                            text=True, check=True).stdout
    who = {f"GIT_{role}_{key}": value for role in ("AUTHOR", "COMMITTER")
           for key, value in (("NAME", "Test"), ("EMAIL", "test@example.invalid"))}
    result = subprocess.run(["make", "student-branch", f"PY={sys.executable}"], cwd=clone,
                            capture_output=True, text=True, timeout=300, env={**MAKE_ENV, **who})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "git push origin student" in result.stdout

    def git(*args):
        return subprocess.run(["git", *args], cwd=clone, capture_output=True, text=True,
                              check=True).stdout

    assert git("status", "--porcelain") == before and not (clone / "student").exists()
    assert git("rev-parse", "student~1") == git("rev-parse", "HEAD")
    files = git("ls-tree", "--name-only", "student", "student/").split()
    assert files == [f"student/{name}" for name in NOTEBOOKS]
    for name in NOTEBOOKS:
        text = git("show", f"student:student/{name}")
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text, name


def test_every_file_in_docs_is_shown_in_the_readme():
    for path in (ROOT / "docs").iterdir():
        assert f"docs/{path.name}" in README, f"docs/{path.name} is referenced nowhere"


def test_readme_names_its_licences_and_how_to_get_help():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert "CC-BY-4.0" in (ROOT / "LICENSES/CC-BY-4.0.md").read_text()
    for heading in ("## Troubleshooting", "## Getting help, reporting an error", "## Licence"):
        assert heading in README
    assert f"https://github.com/{REPO}/issues" in README


# --- Jupyter settings (binder/configure_jupyter.py, run by `make setup` and Binder) ---------

def test_configure_jupyter_merges_and_is_idempotent(tmp_path):
    server = tmp_path / "etc/jupyter/jupyter_server_config.json"
    server.parent.mkdir(parents=True)
    server.write_text('{"MappingKernelManager": {"other": true}, "x": 1}')
    configure_jupyter.configure(tmp_path)
    first = [p.read_text() for p in sorted(tmp_path.rglob("*.json"))]
    configure_jupyter.configure(tmp_path)
    assert [p.read_text() for p in sorted(tmp_path.rglob("*.json"))] == first
    assert json.loads(server.read_text()) == {
        "MappingKernelManager": {"other": True, "transport_encryption": "auto"}, "x": 1}


def test_this_environment_is_configured():
    """What `make setup` wrote into .venv (or postBuild into Binder's environment)."""
    etc = pathlib.Path(sys.prefix) / "etc/jupyter"
    server = json.loads((etc / "jupyter_server_config.json").read_text())
    assert server["MappingKernelManager"]["transport_encryption"] == "auto"


def test_postbuild_configures_jupyter_like_make_setup():
    assert "python binder/configure_jupyter.py" in (ROOT / "binder/postBuild").read_text()


def fetch(request, timeout=60):
    """The body of a response, its connection closed."""
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab started as `make lab` starts it (its options read from `make -n lab`)."""
    recipe = subprocess.run(["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, env=MAKE_ENV).stdout.splitlines()
    options = next(l for l in recipe if "jupyter lab" in l).split("jupyter lab", 1)[1].split()
    port, token = free_port(), "course-test"
    log = tmp_path_factory.mktemp("lab") / "lab.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [str(pathlib.Path(sys.executable).parent / "jupyter"), "lab", *options, "--no-browser",
             f"--port={port}", "--ip=127.0.0.1", f"--IdentityProvider.token={token}",
             f"--ServerApp.root_dir={ROOT}", "--allow-root"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                fetch(f"{url}/api/status?token={token}", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        yield url, token, log
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


def test_make_lab_lands_on_the_student_version_of_notebook_01(lab):
    url, token, _ = lab
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(f"{url}/?token={token}", timeout=30)
    location = redirect.value.headers["Location"].split("?")[0]
    redirect.value.close()
    assert location.endswith("/lab/tree/student/01_pytorch_autograd.ipynb"), location


def test_kernel_starts_without_the_plain_tcp_warning(lab):
    """ipykernel 7.4 warns on plain TCP; the server now gives kernels CurveZMQ keys."""
    url, token, log = lab
    request = urllib.request.Request(f"{url}/api/kernels", data=b'{"name": "python3"}',
                                     headers={"Authorization": f"token {token}"}, method="POST")
    kernel = json.loads(fetch(request))
    for _ in range(120):
        if f"Kernel started: {kernel['id']}" in log.read_text():
            break
        time.sleep(0.5)
    time.sleep(5)  # the kernel's own start-up log follows the server's line
    connection = json.loads(pathlib.Path(jupyter_runtime_dir(), f"kernel-{kernel['id']}.json")
                            .read_text())
    assert "curve_secretkey" in connection  # the keys the warning asks for
    delete = urllib.request.Request(f"{url}/api/kernels/{kernel['id']}",
                                    headers={"Authorization": f"token {token}"}, method="DELETE")
    fetch(delete)
    text = log.read_text()
    assert f"Kernel started: {kernel['id']}" in text
    assert "without encryption" not in text, text[-1500:]


def test_lab_page_loads_no_incompatible_extension(lab):
    """Every extension the lab page loads is enabled and built for this JupyterLab (RISE
    pulled in a JupyterLab 3 MathJax extension; jupyterlab-slideshow needs none)."""
    url, token, _ = lab
    page = fetch(f"{url}/lab?token={token}").decode()
    config = json.loads(re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', page, re.S)[1])
    assert not config["disabledExtensions"]
    loaded = {e["name"] for e in config["federated_extensions"]}
    assert {"jupyterlab-slideshow", "@jupyter-widgets/jupyterlab-manager"} <= loaded
    assert "@jupyterlab/mathjax3-extension" not in loaded
    # JupyterLab 4's own MathJax 3 typesetter renders the maths.
    assert "@jupyterlab/mathjax-extension" not in config["disabledExtensions"]


def test_no_stored_notebook_output_loads_anything_from_the_web():
    for name in NOTEBOOKS:
        text = (ROOT / "notebooks" / name).read_text()
        loads = re.findall(r'(?:href|src)=\\?"(https?://[^"\\]+)', text)
        assert not loads, f"{name} loads {loads}"
