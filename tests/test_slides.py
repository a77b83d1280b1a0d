"""Notebooks open as slides: every cell has slide metadata, and the RISE extension is there."""

import pathlib
import subprocess
import sys

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_cell_has_slide_metadata(path):
    cells = nbformat.read(path, as_version=4).cells
    kinds = [c.metadata.get("slideshow", {}).get("slide_type") for c in cells]
    assert None not in kinds
    assert kinds[0] == "slide" and kinds.count("slide") >= 5
    headings = [c for c in cells if c.cell_type == "markdown" and c.source.startswith("#")]
    assert all(c.metadata.slideshow.slide_type == "slide" for c in headings)


def test_jupyterlab_rise_is_installed_and_enabled():
    jupyter = pathlib.Path(sys.executable).parent / "jupyter"
    listing = subprocess.run([str(jupyter), "labextension", "list"], capture_output=True,
                             text=True, check=True)
    line = next(l for l in (listing.stdout + listing.stderr).splitlines() if "jupyterlab-rise" in l)
    assert "enabled" in line and "OK" in line
