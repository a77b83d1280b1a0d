"""Notebook sources a student reads: no control characters (a stray `\\a` in markdown turns
`\\approx` into a BEL and renders as "B pprox"), and no stored error outputs."""

import pathlib

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))


def control_characters(text):
    """(line, character) for every control character other than newline and tab."""
    return [(text.count("\n", 0, i) + 1, repr(ch)) for i, ch in enumerate(text)
            if ord(ch) < 32 and ch not in "\n\t"]


def test_control_characters_are_found():
    assert control_characters("ok\tfine\n") == []
    assert control_characters("B \approx A\nnext \b") == [(1, repr("\a")), (2, repr("\b"))]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_control_characters_in_sources(path):
    notebook = nbformat.read(path, as_version=4)
    bad = {i: control_characters(cell.source) for i, cell in enumerate(notebook.cells)}
    bad = {i: found for i, found in bad.items() if found}
    assert not bad, f"{path.name}: control characters (cell: [(line, char)]) {bad}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_stored_errors(path):
    notebook = nbformat.read(path, as_version=4)
    errors = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"
              for out in cell.get("outputs", []) if out.output_type == "error"]
    assert not errors, f"{path.name}: stored error outputs in cells {errors}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_jax_notebooks_refuse_rank_promotion(path):
    """An observed array of shape (n, 1) against a model of shape (n,) must raise, not
    broadcast to (n, n): every notebook that uses JAX says so in its import cell."""
    notebook = nbformat.read(path, as_version=4)
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    first = next((i for i, src in enumerate(code) if "import jax" in src), None)
    if first is None:
        pytest.skip(f"{path.name} does not use JAX")
    assert 'jax.config.update("jax_numpy_rank_promotion", "raise")' in code[first], (
        f"{path.name}: the cell that imports jax must set "
        'jax.config.update("jax_numpy_rank_promotion", "raise")')
