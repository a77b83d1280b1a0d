"""JupyterLab opens on the course without a pop-up, as `make lab` and Binder start it.

A fresh user (empty settings folder) gets JupyterLab 4's "Would you like to get notified
about official Jupyter news?" toast unless the environment says otherwise;
binder/configure_jupyter.py does (run by `make setup` and binder/postBuild). Checked in
Debian's chromium via playwright: no toast, no dialog, no request to another host. Skipped,
loudly, when /usr/bin/chromium is missing (.ci/run installs it).
"""

import json
import os
import pathlib
import secrets
import subprocess
import sys
import time
import urllib.request
from urllib.parse import urlparse

import pytest

from conftest import CHROMIUM, free_port

ROOT = pathlib.Path(__file__).resolve().parents[1]
OVERRIDES = pathlib.Path(sys.prefix) / "share/jupyter/lab/settings/overrides.json"


def test_this_environment_never_asks_for_news():
    settings = json.loads(OVERRIDES.read_text())["@jupyterlab/apputils-extension:notification"]
    assert settings == {"fetchNews": "false", "checkForUpdates": False}


@pytest.mark.skipif(not os.path.exists(CHROMIUM),
                    reason=f"pop-up browser test NOT RUN: {CHROMIUM} is missing "
                           "(apt-get install chromium)")
def test_lab_opens_without_news_or_dialogs(tmp_path):
    from playwright.sync_api import sync_playwright

    env = dict(os.environ)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR",
                 "JUPYTERLAB_WORKSPACES_DIR"):
        env[name] = str(tmp_path / name.lower())  # a first-time user: no settings of their own
    port = free_port()
    token, base = secrets.token_hex(16), f"http://127.0.0.1:{port}"
    work = tmp_path / "work"
    work.mkdir()
    (work / "empty.ipynb").write_text(json.dumps({
        "cells": [], "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                    "language": "python"}}}))
    jupyter = pathlib.Path(sys.executable).parent / "jupyter"
    command = [str(jupyter), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
               "--LabApp.expose_app_in_browser=True"]  # no update-check flag: as `make lab`
    if os.geteuid() == 0:
        command.append("--allow-root")
    other_hosts = []

    def only_localhost(route):
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            other_hosts.append(route.request.url)
            route.abort()

    with open(tmp_path / "server.log", "w") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        try:
            for _ in range(120):
                try:
                    urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
                    break
                except OSError:
                    assert server.poll() is None, (tmp_path / "server.log").read_text()[-2000:]
                    time.sleep(0.5)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.route("**/*", only_localhost)
                page.goto(f"{base}/lab/tree/empty.ipynb?reset&token={token}")
                page.wait_for_selector(".jp-NotebookPanel", timeout=120_000)
                # The news question came about 2 s after the notebook showed: wait well past it.
                page.wait_for_timeout(10_000)
                toasts = page.locator(".Toastify__toast").all_inner_texts()
                dialogs = page.locator(".jp-Dialog").all_inner_texts()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert toasts == [] and dialogs == [], (toasts, dialogs)
    assert other_hosts == []
