import contextlib
import os
import socket
import subprocess
import sys

import jax
import pytest

# Silent broadcasting between (n,) and (n, 1) arrays is a classic bug: make it an error.
jax.config.update("jax_numpy_rank_promotion", "raise")


@pytest.fixture
def x64():
    """Run a test in float64, for checks tighter than float32 round-off allows."""
    with jax.enable_x64(True):
        yield


CHROMIUM = "/usr/bin/chromium"  # Debian's chromium: playwright's own download cannot work here


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on (for a server a test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def browser():
    """Headless chromium driven by playwright, without background traffic of its own."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"])
        yield browser
        browser.close()


# The portability run. The stored outputs come from one machine; a student's laptop, Binder
# or Colab runs the same cells on another CPU, where float32 sums are ordered differently. Two
# runs that `make test` already makes execute every notebook once more, each on a code path
# other than the default, so that every assert in a notebook (its lessons) is checked there:
# - the student versions: XLA:CPU capped at SSE4.2 (an older CPU's vector width);
# - the memory run: XLA:CPU capped at AVX on a busy machine (load changes how XLA's threads
#   split the work). `make test` runs two test files at a time, so the other worker's
#   notebooks load the machine; a process at the lowest priority (nice 19) takes any core
#   they leave idle, so it stays busy when they wait or are done, and gets next to no time
#   while they run (the scheduler's weight of nice 19 is 15, against 1024 at nice 0).
# (A third path, the student versions' kernel alone on one core, was dropped to keep
# `make test` within its time budget.)
CODE_PATHS = {
    "student": {"xla_flags": "--xla_cpu_max_isa=SSE4_2", "busy": False},
    "memory": {"xla_flags": "--xla_cpu_max_isa=AVX", "busy": True},
}


def kernel_env(xla_flags):
    """This process's environment with XLA_FLAGS extended by xla_flags, for a kernel."""
    env = dict(os.environ)
    env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} {xla_flags}".strip()
    return env


@contextlib.contextmanager
def code_path(client, name):
    """Start client's kernel on the code path CODE_PATHS[name]; yields while it runs."""
    settings = CODE_PATHS[name]
    busy = None
    try:
        if settings["busy"]:
            busy = subprocess.Popen([sys.executable, "-c",
                                     "import os\nos.nice(19)\nwhile True: pass"])
        with client.setup_kernel(env=kernel_env(settings["xla_flags"])):
            yield
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()
