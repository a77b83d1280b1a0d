"""The course's website (`make site`), read in a real browser: Debian's chromium via playwright.

Serves build/site/_build/html on 127.0.0.1 and opens every page with every request to another
host blocked (none is needed: MathJax and the theme are served by the site itself). Checks
that no page logs a console error, that every notebook's page shows as many images as the
notebook has stored figures, that every internal link and anchor resolves, that the maths is
typeset by MathJax, that search finds a word, and that each notebook page carries its launch
links. Screenshots go to build/screenshots/. The table of contents and the instructors' page
are checked without a browser.

`make test` builds the site first (`make site`); run by hand, this test rebuilds it when a
source is newer, with .venv-site. Skipped, loudly, when /usr/bin/chromium is missing (.ci/run
installs it) or when the site cannot be built here (no .venv-site: run `make site`).
"""

import functools
import html.parser
import http.server
import importlib.util
import json
import os
import pathlib
import re
import subprocess
import threading
from urllib.parse import unquote, urljoin, urlparse

import nbformat
import pytest

from conftest import CHROMIUM

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHOTS = ROOT / "build" / "screenshots"
HTML = ROOT / "build" / "site" / "_build" / "html"
SITE_PYTHON = ROOT / ".venv-site" / "bin" / "python"
BUILDER = ROOT / "docs" / "site" / "build_site.py"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
SOURCES = [ROOT / "README.md", ROOT / "docs" / "instructors.md", *NOTEBOOKS,
           *(ROOT / "docs" / "site").rglob("*.*")]
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")

browser_only = pytest.mark.skipif(
    not os.path.exists(CHROMIUM),
    reason=f"site browser test NOT RUN: {CHROMIUM} is missing (apt-get install chromium)")


def stale():
    index = HTML / "index.html"
    if not index.exists():
        return True
    built = index.stat().st_mtime
    return any(p.stat().st_mtime > built for p in SOURCES if p.is_file())


@pytest.fixture(scope="module")
def site():
    """The built site's folder, rebuilt first if a source changed since."""
    if stale():
        if not SITE_PYTHON.exists():
            pytest.skip("site test NOT RUN: build/site is missing or stale and .venv-site "
                        "does not exist; `make site` builds both (`make test` runs it)")
        subprocess.run([str(SITE_PYTHON), str(BUILDER)], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
    return HTML


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(site):
    """A static file server for the site on 127.0.0.1; yields its base URL."""
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


class Visit:
    """One page opened with other hosts blocked; keeps its console errors and blocked URLs."""

    def __init__(self, browser, url, width=1280, height=900):
        self.errors, self.blocked = [], []
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.page.route("**/*", self.only_localhost)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url, wait_until="load")

    def only_localhost(self, route):
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()


def pages(site):
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if "_static" not in p.parts and "_sources" not in p.parts)


def stored_images(path):
    """How many figures the notebook stores (outputs whose best format is an image)."""
    count = 0
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if any(m in data for m in IMAGE_MIMES) and "text/html" not in data:
                count += 1
    return count


class Anchors(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)


@functools.lru_cache(maxsize=None)
def anchors_of(path):
    parser = Anchors()
    parser.feed(path.read_text(errors="replace"))
    return frozenset(parser.ids)


def test_toc_has_every_notebook_as_a_chapter(site):
    """The table of contents is generated from notebooks/: a new notebook is a new chapter."""
    toc = (site.parent.parent / "src" / "_toc.yml").read_text()
    chapters = re.findall(r"file: notebooks/(\S+)", toc)
    assert chapters == [p.stem for p in NOTEBOOKS]
    index = (site / "README.html").read_text()  # index.html redirects to it
    for path in NOTEBOOKS:
        assert f'href="notebooks/{path.stem}.html"' in index, f"{path.stem} not in the sidebar"


def test_site_builds_without_warnings(site):
    """A broken link or image, or a bad cross-reference, is a Sphinx warning: none allowed."""
    warnings = (site.parent.parent / "warnings.txt").read_text()
    assert warnings == "", warnings


def instructors_script():
    spec = importlib.util.spec_from_file_location("instructors", ROOT / "docs/site/instructors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_instructors_page_is_generated_from_the_notebooks_and_measurements():
    """Objectives, run times and peaks on docs/instructors.md are what the script writes."""
    script = instructors_script()
    text = script.PAGE.read_text()
    assert text == script.page_text(text), (
        "docs/instructors.md is out of date: run `python docs/site/instructors.py` "
        "(with --update after tests/test_notebook_memory.py has measured)")
    for path in NOTEBOOKS:
        assert path.name in text, f"docs/instructors.md does not mention {path.name}"
        assert script.objectives(path), f"{path.name}'s first cell has no 'You will learn' list"


@browser_only
def test_every_page_loads_without_errors_and_links_resolve(site, server, browser):
    problems, links = [], set()
    for name in pages(site):
        visit = Visit(browser, server + name)
        visit.page.wait_for_load_state("networkidle")
        problems += [f"{name}: console: {e}" for e in visit.errors]
        problems += [f"{name}: requested another host: {u}" for u in visit.blocked]
        hrefs = visit.page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        links |= {(name, h) for h in hrefs if urlparse(h).hostname == "127.0.0.1"}
        visit.page.close()
    for name, href in sorted(links):
        url = urlparse(href)
        target = site / unquote(url.path.removeprefix("/"))
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            problems.append(f"{name}: broken link {href}")
        elif url.fragment and target.suffix == ".html" and url.fragment not in anchors_of(target):
            problems.append(f"{name}: no anchor #{url.fragment} in {target.name}")
    assert not problems, "\n".join(problems)


@browser_only
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_page_shows_figures_maths_and_launch_links(site, server, browser, path):
    visit = Visit(browser, server + f"notebooks/{path.stem}.html")
    page = visit.page
    images = page.locator("div.cell_output img")
    expected = stored_images(path)
    assert images.count() >= expected, f"{images.count()} images on the page, {expected} stored"
    for i in range(images.count()):  # every figure decoded, not a broken-image icon
        images.nth(i).scroll_into_view_if_needed()
        assert images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0"), i
    source = path.read_text()
    if "$" in source:  # the notebook's markdown has maths: MathJax typeset it
        page.wait_for_selector("mjx-container", state="attached", timeout=60_000)
        assert page.locator("mjx-container").count() > 0
        assert page.locator("mjx-merror").count() == 0, "MathJax reports a TeX error"
    box = page.locator(".course-launch")
    assert "student/" + path.name in box.inner_text()
    hrefs = box.locator("a").evaluate_all("els => els.map(e => e.href)")
    assert any(h.startswith("https://mybinder.org/v2/gh/") and h.endswith(
        "student/" + path.name) for h in hrefs), hrefs
    assert visit.errors == [] and visit.blocked == []
    if path.name.startswith(("01_", "04_")):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"site_{path.stem}.png"))
    page.close()


@browser_only
def test_animation_is_on_its_page(site, server, browser):
    """Matplotlib's animations are stored as HTML with their frames: the page plays them."""
    with_animation = [p for p in NOTEBOOKS if 'class=\\"animation\\"' in p.read_text()]
    assert with_animation, "no notebook stores an animation any more: drop this test"
    for path in with_animation:
        visit = Visit(browser, server + f"notebooks/{path.stem}.html")
        frame = visit.page.locator(".animation img").first
        frame.scroll_into_view_if_needed()
        assert frame.evaluate("img => img.complete && img.naturalWidth > 0")
        assert visit.errors == []
        visit.page.close()


@browser_only
def test_search_finds_a_word_of_the_course(site, server, browser):
    visit = Visit(browser, server + "search.html?q=leapfrog")
    results = visit.page.locator("#search-results li")
    results.first.wait_for(timeout=60_000)
    titles = " ".join(results.all_inner_texts())
    assert "wave" in titles.lower(), titles
    assert visit.errors == [] and visit.blocked == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    visit.page.screenshot(path=str(SHOTS / "site_search.png"))
    visit.page.close()
