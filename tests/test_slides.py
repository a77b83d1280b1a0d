"""Notebooks present as slides: slide metadata the slide tool reads, and the tool installed.

The slide tool is jupyterlab-slideshow, slides inside JupyterLab itself (widgets stay live);
tests/test_browser.py presents every notebook in chromium.
"""

import pathlib
import subprocess
import sys

import nbformat
import pytest

from course_utils import student

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
# nbformat's slide types; a cell without one continues the slide above it.
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", None}


def slide_types(cells):
    return [c.metadata.get("slideshow", {}).get("slide_type") for c in cells]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_slide_metadata_is_what_the_slide_tool_reads(path):
    cells = nbformat.read(path, as_version=4).cells
    kinds = slide_types(cells)
    assert "-" not in kinds, (
        f"{path.name}: a cell has slide_type '-'. jupyterlab-slideshow never shows such a cell "
        "(it reads a missing slide_type as 'same slide'): delete the key instead.")
    assert set(kinds) <= SLIDE_TYPES
    assert kinds[0] == "slide" and kinds.count("slide") >= 5
    headings = [c for c in cells if c.cell_type == "markdown" and c.source.startswith("#")]
    assert all(c.metadata.slideshow.slide_type == "slide" for c in headings)


@pytest.mark.parametrize("name, widget, figure", [
    ("03_projectile_demo.ipynb", "widgets.projectile_demo(", "widgets.draw_projectile("),
    ("04_wave_solver.ipynb", "widgets.wave_explorer(", "widgets.draw_explorer(")])
def test_interactive_widget_has_a_static_figure_before_it(name, widget, figure):
    """Without a kernel (a projector, GitHub, the website) the stored figure stands in."""
    cells = nbformat.read(ROOT / "notebooks" / name, as_version=4).cells
    at = next(i for i, c in enumerate(cells) if widget in c.source)
    drawn = [c for c in cells[:at] if c.cell_type == "code" and figure in c.source]
    assert drawn and any("image/png" in o.get("data", {}) for o in drawn[-1].outputs)


def test_student_note_continues_the_first_slide():
    notebook = nbformat.read(NOTEBOOKS[0], as_version=4)
    kinds = slide_types(student.student_notebook(notebook, NOTEBOOKS[0].name).cells)
    assert kinds[:2] == ["slide", None] and "-" not in kinds


def test_jupyterlab_slideshow_is_installed_and_enabled():
    jupyter = pathlib.Path(sys.executable).parent / "jupyter"
    listing = subprocess.run([str(jupyter), "labextension", "list"], capture_output=True,
                             text=True, check=True)
    lines = (listing.stdout + listing.stderr).splitlines()
    line = next(l for l in lines if "jupyterlab-slideshow" in l)
    assert "enabled" in line and "OK" in line
    assert not any("jupyterlab-rise" in l for l in lines)  # one slide tool, not two
