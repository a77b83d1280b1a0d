import socket

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
