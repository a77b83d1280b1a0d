"""Every relative link in the README and the notebooks' text points at a file that exists."""

import pathlib
import re

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
LINK = re.compile(r"\]\(([^)\s]+)\)")


def relative_links(markdown):
    for target in LINK.findall(markdown):
        if not re.match(r"[a-z]+:", target) and not target.startswith("#"):
            yield target.split("#")[0]


def markdown_of(path):
    if path.suffix == ".md":
        return path.read_text()
    notebook = nbformat.read(path, as_version=4)
    return "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")


@pytest.mark.parametrize("path", [ROOT / "README.md", *NOTEBOOKS], ids=lambda p: p.name)
def test_relative_links_resolve(path):
    targets = list(relative_links(markdown_of(path)))
    assert targets, f"{path.name} links nowhere"
    missing = [t for t in targets if not (path.parent / t).exists()]
    assert not missing, f"{path.name}: broken links {missing}"


def test_notebooks_link_previous_and_next():
    names = [p.name for p in NOTEBOOKS]
    for i, path in enumerate(NOTEBOOKS):
        links = set(relative_links(markdown_of(path)))
        expected = set(names[max(i - 1, 0):i] + names[i + 1:i + 2])
        assert expected <= links, f"{path.name} misses links to {expected - links}"
