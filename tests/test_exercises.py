"""Exercises: the checkers' feedback, the student versions generated from the tagged
notebooks, and both versions executed (the solutions by nbval, the student versions here)."""

import pathlib
import re

import jax.numpy as jnp
import nbclient
import nbformat
import numpy as np
import pytest
import torch

from course_utils import exercises, student

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
CHECK = re.compile(r"exercises\.check_\w+\(")


def feedback(capsys, check, *args, **kwargs):
    assert check(*args, **kwargs) is None  # prints, so a notebook cell shows one clean line
    return capsys.readouterr().out.strip()


# The checkers

def test_check_close_correct_wrong_blank_and_misshapen(capsys):
    assert feedback(capsys, exercises.check_close, "x", [1.0, 2.0], np.array([1.0, 2.0])) == (
        "✓ x: correct, matches to 1e-05 (relative)")
    assert feedback(capsys, exercises.check_close, "x", [1.0, 2.5], [1.0, 2.0]) == (
        "✗ x: not yet: off by up to 0.5 (tolerance rtol=1e-05, atol=0)")
    assert feedback(capsys, exercises.check_close, "x", ..., [1.0]) == (
        "… x: not done yet (replace the `...` with your code)")
    assert feedback(capsys, exercises.check_close, "x", (..., ...), [1.0, 2.0]).startswith("…")
    assert "✗ x: expected shape (2,), got (3,)" == feedback(capsys, exercises.check_close, "x",
                                                            np.ones(3), np.ones(2))
    assert "expected numbers, got str" in feedback(capsys, exercises.check_close, "x", "one", 1.0)
    assert "nan or inf" in feedback(capsys, exercises.check_close, "x", np.nan, 1.0)


def test_check_close_with_an_absolute_tolerance(capsys):
    assert feedback(capsys, exercises.check_close, "e", 3e-5, 0.0, atol=1e-4) == (
        "✓ e: correct, matches to 0.0001")
    assert feedback(capsys, exercises.check_close, "e", 3e-3, 0.0, atol=1e-4).startswith("✗")


def test_check_close_accepts_jax_and_torch_values(capsys):
    assert feedback(capsys, exercises.check_close, "jax", jnp.array([1.0, 2.0]),
                    [1.0, 2.0]).startswith("✓")
    assert feedback(capsys, exercises.check_close, "torch", (torch.tensor(1.0), torch.tensor(2.0)),
                    [1.0, 2.0]).startswith("✓")


def test_finite_differences_of_a_vector_function_give_its_jacobian():
    f = lambda x, y: jnp.array([x**2 * y, jnp.sin(y)])  # noqa: E731
    jacobian = exercises.finite_differences(f, 1.5, 0.5)
    np.testing.assert_allclose(jacobian, [[2 * 1.5 * 0.5, 1.5**2], [0.0, np.cos(0.5)]],
                               rtol=1e-8, atol=1e-10)


def test_check_derivative_of_gradients_and_hessians(capsys):
    loss = lambda a, b: (a * b - 1) ** 2  # noqa: E731
    assert feedback(capsys, exercises.check_derivative, "g", (-0.5, -1.0), loss, 1.0, 0.5) == (
        "✓ g: correct, matches central finite differences to 0.001")
    assert feedback(capsys, exercises.check_derivative, "g", (-0.5, 1.0), loss, 1.0, 0.5) == (
        "✗ g: not yet: differs from finite differences by up to 2")
    rosen_grad = lambda x: np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2),  # noqa: E731
                                     200 * (x[1] - x[0] ** 2)])
    start = np.array([-1.2, -1.0])
    hessian = [[1200 * 1.44 + 400 + 2, 480.0], [480.0, 200.0]]
    assert feedback(capsys, exercises.check_derivative, "H", hessian, rosen_grad,
                    start).startswith("✓")
    assert feedback(capsys, exercises.check_derivative, "H", np.ones(3), rosen_grad, start) == (
        "✗ H: expected 4 numbers, got 3")
    assert feedback(capsys, exercises.check_derivative, "H", ..., rosen_grad, start) == (
        "… H: not done yet (replace the `...` with your code)")
    flat = lambda x: 3.0  # noqa: E731
    assert feedback(capsys, exercises.check_derivative, "0", 0.0, flat, 1.0).startswith("✓")
    assert feedback(capsys, exercises.check_derivative, "0", 0.1, flat, 1.0).startswith("✗")


# The course's notebooks

def check_cells(notebook):
    return [c for c in notebook.cells if c.cell_type == "code" and CHECK.search(c.source)]


def text_of(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_has_checked_exercises_and_tagged_solutions(path):
    notebook = nbformat.read(path, as_version=4)
    assert any(c.source.startswith("## Exercises") for c in notebook.cells)
    assert any("solution" in c.metadata.get("tags", []) for c in notebook.cells)
    cells = check_cells(notebook)
    assert cells and all("# BEGIN SOLUTION: " in c.source for c in cells)
    for cell in cells:  # the stored outputs (which nbval re-checks) show solved exercises
        assert text_of(cell).count("✓") == len(CHECK.findall(cell.source)), cell.source


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory):
    target = tmp_path_factory.mktemp("student")
    student.write_student_versions(ROOT / "notebooks", target)
    return target


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_student_version_has_no_solutions(path, student_dir):
    notebook = nbformat.read(student_dir / path.name, as_version=4)
    text = "\n".join(c.source for c in notebook.cells)
    assert "SOLUTION" not in text and "<details>" not in text
    assert text.count("# YOUR CODE HERE") >= len(check_cells(notebook)) > 0
    assert all(c.outputs == [] for c in notebook.cells if c.cell_type == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_student_version_runs_with_its_blanks(path, student_dir):
    """Top to bottom without an error, and every checker reports its blank as not done."""
    target = student_dir / path.name
    notebook = nbformat.read(target, as_version=4)
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    for cell in check_cells(notebook):
        lines = text_of(cell).splitlines()
        assert len([l for l in lines if l.startswith("… ")]) == len(CHECK.findall(cell.source))
        assert not any(l.startswith(("✓", "✗")) for l in lines), cell.source
