"""A real browser: JupyterLab from this environment, driven by Debian's chromium via playwright.

Opens each notebook that has widgets, runs all its cells from the Run menu, and checks that
every widget renders (no "Error displaying widget", no "model not found"), that no cell
fails, and that the wave explorer redraws when a slider moves. Screenshots go to
build/screenshots/. Skipped, loudly, when /usr/bin/chromium is missing (.ci/run installs it).
"""

import json
import os
import pathlib
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from urllib.parse import urlparse

import nbformat
import pytest

from conftest import CHROMIUM, free_port

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHOTS = ROOT / "build" / "screenshots"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
NOTEBOOKS = [p for p in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
             if WIDGET_MIME in p.read_text()]

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM),
    reason=f"browser test NOT RUN: {CHROMIUM} is missing (apt-get install chromium)")

CURRENT = "window.jupyterapp.shell.currentWidget"


def guarded(body):
    """A page predicate that is false, not an error, while the app is still loading."""
    return f"() => {{ try {{ const w = {CURRENT}; {body} }} catch (e) {{ return false; }} }}"


KERNEL_IDLE = guarded("return w.sessionContext.session.kernel.status === 'idle';")
ALL_RUN = guarded("const cells = w.content.widgets.filter(c => c.model.type === 'code' && "
                  "c.model.sharedModel.getSource().trim()); "
                  "return cells.every(c => c.model.executionCount !== null) && "
                  "w.sessionContext.session.kernel.status === 'idle';")
ERRORS = (f"() => {CURRENT}.content.widgets.flatMap(c => c.model.type === 'code' ? "
          "c.model.outputs.toJSON() : []).filter(o => o.output_type === 'error')"
          ".map(o => o.ename + ': ' + o.evalue)")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on 127.0.0.1 with its own config, runtime and a copy of the notebooks."""
    tmp = tmp_path_factory.mktemp("lab")
    work = tmp / "notebooks"
    shutil.copytree(ROOT / "notebooks", work)  # the UI autosaves: never touch the repo's
    env = dict(os.environ)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR",
                 "JUPYTERLAB_WORKSPACES_DIR"):
        env[name] = str(tmp / name.lower())
    token, port = secrets.token_hex(16), free_port()
    jupyter = pathlib.Path(sys.executable).parent / "jupyter"
    command = [str(jupyter), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
               "--LabApp.expose_app_in_browser=True",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:  # CI machines run as root; Jupyter refuses without this
        command.append("--allow-root")
    base = f"http://127.0.0.1:{port}"
    with open(tmp / "server.log", "w") as log:
        server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.5)
        else:
            server.terminate()
        if server.poll() is not None:
            pytest.fail("JupyterLab did not start: " + (tmp / "server.log").read_text()[-2000:])
        yield base, token
        server.terminate()
        server.wait(timeout=30)


def only_localhost(route):
    if urlparse(route.request.url).hostname == "127.0.0.1":
        route.continue_()
    else:
        route.abort()


def run_all(page, base, token, name):
    page.route("**/*", only_localhost)
    workspace = name.split(".")[0]  # a fresh workspace each: no tabs restored from before
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{name}?reset&token={token}")
    page.wait_for_function(KERNEL_IDLE, timeout=120_000)
    page.evaluate("window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    page.wait_for_function(ALL_RUN, timeout=300_000, polling=500)


def close(page):
    """Shut the page's kernels down (each holds a few hundred MB), then the page."""
    page.evaluate("() => window.jupyterapp.serviceManager.sessions.shutdownAll()")
    page.close()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_and_widgets_render(lab, browser, path):
    base, token = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    run_all(page, base, token, path.name)
    assert page.evaluate(ERRORS) == []
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    text = panel.inner_text()
    assert "Error displaying widget" not in text and "model not found" not in text
    expected = sum(WIDGET_MIME in json.dumps(c.get("outputs", []))
                   for c in nbformat.read(path, as_version=4).cells)
    assert panel.locator(".jp-OutputArea-output .jupyter-widgets").count() >= expected > 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{path.stem}.png"))
    close(page)


@pytest.mark.skipif(not any(p.name.startswith("03_") for p in NOTEBOOKS),
                    reason="notebook 04 has no widget")
def test_wave_explorer_slider_redraws_the_figure(lab, browser):
    base, token = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    run_all(page, base, token, "04_wave_solver.ipynb")
    image = page.locator(".jupyter-widgets img").first
    image.scroll_into_view_if_needed()
    before = image.get_attribute("src")
    handle = page.locator(".widget-slider .noUi-handle").nth(1)  # "c right"
    handle.click()
    for _ in range(4):
        handle.press("ArrowLeft")
    page.wait_for_function("src => document.querySelector('.jupyter-widgets img').src !== src",
                           arg=before, timeout=60_000)
    readout = page.locator(".widget-slider .widget-readout").nth(1).inner_text()
    assert float(readout) < 1.5  # started at 1.5 m/s
    page.wait_for_function(KERNEL_IDLE, timeout=60_000)  # the last key press redrawn too
    SHOTS.mkdir(parents=True, exist_ok=True)
    image.locator("xpath=..").screenshot(path=str(SHOTS / "03_wave_explorer.png"))  # sliders too
    close(page)


def test_notebook_renders_as_slides(lab, browser):
    """jupyterlab-rise turns a notebook's slide metadata into a Reveal.js slideshow."""
    base, token = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.route("**/*", only_localhost)
    page.goto(f"{base}/lab/workspaces/slides/tree/01_pytorch_autograd.ipynb?reset&token={token}")
    page.wait_for_function(KERNEL_IDLE, timeout=120_000)
    page.evaluate("window.jupyterapp.commands.execute('RISE:preview')")
    slides = page.frame_locator("iframe").locator(".reveal .slides section")
    slides.first.wait_for(timeout=120_000)
    assert slides.count() >= 5
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "01_slides.png"))
    close(page)


def test_projectile_button_aims(lab, browser):
    base, token = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    run_all(page, base, token, "03_projectile_demo.ipynb")
    button = page.locator(".jupyter-widgets button", has_text="Aim with gradient descent")
    button.scroll_into_view_if_needed()
    status = page.locator(".jupyter-widgets .widget-label", has_text="miss:").last
    assert float(status.text_content().split()[1]) > 1  # textContent: set even off screen
    before = page.locator(".jupyter-widgets img").last.get_attribute("src")
    button.click()
    page.wait_for_function("src => [...document.querySelectorAll('.jupyter-widgets img')]"
                           ".pop().src !== src", arg=before, timeout=60_000)
    page.wait_for_function("() => [...document.querySelectorAll('.widget-label')].some("
                           "e => e.textContent.startsWith('miss: 0.0'))", timeout=60_000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(".jupyter-widgets img").last.screenshot(path=str(SHOTS / "08_projectile.png"))
    close(page)
