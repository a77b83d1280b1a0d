"""Exercises: the checkers' feedback, and every notebook's checkers tried both ways in one
kernel per notebook: the student version's blank, typical wrong answers, the solution."""

import pathlib
import re

import jax.numpy as jnp
import nbclient
import nbformat
import numpy as np
import pytest
import torch

from conftest import code_path
from course_utils import exercises, student

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
CHECK = re.compile(r"exercises\.check_\w+\(")
BLANK = "… {}: not done yet (replace the `...` with your code)"


def feedback(capsys, check, *args, **kwargs):
    assert check(*args, **kwargs) is None  # prints, so a notebook cell shows one clean line
    return capsys.readouterr().out.strip()


# The checkers

def test_check_close_correct_wrong_blank_and_misshapen(capsys):
    assert feedback(capsys, exercises.check_close, "x", [1.0, 2.0], np.array([1.0, 2.0])) == (
        "✓ x: correct, matches to 1e-05 (relative)")
    assert feedback(capsys, exercises.check_close, "x", [1.0, 2.5], [1.0, 2.0]) == (
        "✗ x: not yet: off by up to 0.5 at entry 1 (tolerance rtol=1e-05, atol=0)")
    assert feedback(capsys, exercises.check_close, "x", ..., [1.0]) == BLANK.format("x")
    assert feedback(capsys, exercises.check_close, "x", (..., ...), [1.0, 2.0]) == BLANK.format("x")
    assert "✗ x: expected shape (2,), got (3,)" == feedback(capsys, exercises.check_close, "x",
                                                            np.ones(3), np.ones(2))
    assert feedback(capsys, exercises.check_close, "x", np.nan, 1.0) == "✗ x: contains nan or inf"


def test_check_close_with_an_absolute_tolerance(capsys):
    assert feedback(capsys, exercises.check_close, "e", 3e-5, 0.0, atol=1e-4) == (
        "✓ e: correct, matches to 0.0001")
    assert feedback(capsys, exercises.check_close, "e", 3e-3, 0.0, atol=1e-4).startswith("✗")


def test_check_close_accepts_jax_and_torch_values(capsys):
    assert feedback(capsys, exercises.check_close, "jax", jnp.array([1.0, 2.0]),
                    [1.0, 2.0]).startswith("✓")
    assert feedback(capsys, exercises.check_close, "torch", (torch.tensor(1.0), torch.tensor(2.0)),
                    [1.0, 2.0]).startswith("✓")
    assert feedback(capsys, exercises.check_close, "int", 2, 2.0).startswith("✓")


# Each of these passed (or was misreported) before: a string as a number, True for 1, a
# complex value with its imaginary part dropped, None as "nan or inf", a reshaped layout.
@pytest.mark.parametrize("answer, expected, message", [
    ("1.0", 1.0, "expected real numbers, got a string, '1.0' (text, not a number: compute the "
                 "value)"),
    (["1.0", "2.0"], [1.0, 2.0], "expected real numbers, got a string, '1.0'"),
    (True, 1.0, "expected real numbers, got a boolean, True (True/False is not a number here)"),
    (np.array([True, False]), [1.0, 0.0], "expected real numbers, got booleans (True/False)"),
    (torch.tensor([True]), [1.0], "expected real numbers, got booleans (True/False)"),
    (1 + 0j, 1.0, "expected real numbers, got complex numbers, (1+0j) (the answer is real"),
    (np.array([1 + 1e-9j, 2]), [1.0, 2.0], "expected real numbers, got complex numbers"),
    (jnp.array([1.0 + 0j]), [1.0], "expected real numbers, got complex numbers"),
    (None, 1.0, "expected real numbers, got None (nothing computed: a function without "
                "`return`, or a print instead?)"),
    ([1.0, None], [1.0, 1.0], "expected real numbers, got None"),
    ([1.0, [1.0, 2.0]], [1.0, 2.0], "expected real numbers, got a list whose entries differ"),
    ({"a": 1.0}, 1.0, "expected real numbers, got dict"),
    (np.ones((3, 2)), np.ones((2, 3)), "expected shape (2, 3), got (3, 2) (transposed?)"),
    (np.ones(6), np.ones((2, 3)), "expected shape (2, 3), got (6,)"),
    ([[1.0, 2.0]], [1.0, 2.0], "expected shape (2,), got (1, 2)"),
])
def test_check_close_names_what_is_not_an_answer_and_never_passes_it(capsys, answer, expected,
                                                                      message):
    assert feedback(capsys, exercises.check_close, "x", answer, expected).startswith(
        f"✗ x: {message}")


def test_check_close_judges_every_entry_against_its_own_size(capsys):
    expected = np.array([1000.0, 1e-3])
    assert feedback(capsys, exercises.check_close, "x", [1000.0, -1e-3], expected, rtol=1e-3) == (
        "✗ x: not yet: off by up to 0.002 at entry 1 (tolerance rtol=0.001, atol=0)")


def test_finite_differences_of_a_vector_function_give_its_jacobian():
    f = lambda x, y: jnp.array([x**2 * y, jnp.sin(y)])  # noqa: E731
    jacobian = exercises.finite_differences(f, 1.5, 0.5)
    np.testing.assert_allclose(jacobian, [[2 * 1.5 * 0.5, 1.5**2], [0.0, np.cos(0.5)]],
                               rtol=1e-8, atol=1e-10)


def test_finite_differences_keep_the_shape_of_a_single_argument():
    assert exercises.finite_differences(lambda w: jnp.sum(w**2), np.ones((2, 3))).shape == (2, 3)
    assert exercises.finite_differences(lambda x: x**2, 3.0).shape == ()


def test_check_derivative_of_gradients_and_hessians(capsys):
    loss = lambda a, b: (a * b - 1) ** 2  # noqa: E731
    assert feedback(capsys, exercises.check_derivative, "g", (-0.5, -1.0), loss, 1.0, 0.5) == (
        "✓ g: correct, matches central finite differences to 0.001")
    assert feedback(capsys, exercises.check_derivative, "g", (-0.5, 1.0), loss, 1.0, 0.5) == (
        "✗ g: not yet: differs from finite differences by up to 2 at entry 1")
    rosen_grad = lambda x: np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2),  # noqa: E731
                                     200 * (x[1] - x[0] ** 2)])
    start = np.array([-1.2, -1.0])
    hessian = [[1200 * 1.44 + 400 + 2, 480.0], [480.0, 200.0]]
    assert feedback(capsys, exercises.check_derivative, "H", hessian, rosen_grad,
                    start).startswith("✓")
    assert feedback(capsys, exercises.check_derivative, "H", np.ones(3), rosen_grad, start) == (
        "✗ H: expected shape (2, 2), got (3,)")
    assert feedback(capsys, exercises.check_derivative, "H", ..., rosen_grad, start) == (
        BLANK.format("H"))
    flat = lambda x: 3.0  # noqa: E731
    assert feedback(capsys, exercises.check_derivative, "0", 0.0, flat, 1.0).startswith("✓")
    assert feedback(capsys, exercises.check_derivative, "0", 0.1, flat, 1.0).startswith("✗")


# A 2 x 3 Jacobian with entries from 1e-3 to 5: under the old "rtol * largest entry" rule a
# small entry could be anything and a flattened or transposed answer was reshaped to fit.
JACOBIAN = np.array([[5.0, 2e-3, -1.0], [3e-3, 4.0, -1e-3]])


def linear(x):
    return JACOBIAN @ x


@pytest.mark.parametrize("answer, message", [
    (JACOBIAN * np.where(np.abs(JACOBIAN) < 0.01, -1, 1),
     "not yet: differs from finite differences by up to 0.006 at entry (1, 0)"),
    (np.where(np.abs(JACOBIAN) < 0.01, 0.0, JACOBIAN),
     "not yet: differs from finite differences by up to 0.003 at entry (1, 0)"),
    (JACOBIAN.ravel(), "expected shape (2, 3), got (6,)"),
    (JACOBIAN.T, "expected shape (2, 3), got (3, 2) (transposed?)"),
    (JACOBIAN.T.reshape(2, 3), "not yet: differs from finite differences by up to 5 at entry (1, 1)"),
])
def test_check_derivative_fails_a_wrong_small_entry_or_layout(capsys, answer, message):
    assert feedback(capsys, exercises.check_derivative, "J", JACOBIAN, linear,
                    np.ones(3)).startswith("✓")
    assert feedback(capsys, exercises.check_derivative, "J", answer, linear,
                    np.ones(3)).startswith(f"✗ J: {message}")


def test_check_derivative_of_a_square_jacobian_fails_its_transpose(capsys):
    square = np.array([[2.0, 1.0], [-1.0, 3.0]])
    assert feedback(capsys, exercises.check_derivative, "J", square.T, lambda x: square @ x,
                    np.ones(2)).startswith("✗ J: not yet")


def test_check_derivative_of_a_function_is_checked_at_three_points(capsys):
    """A typed-in number passes at one point; the student's function has to be right at all."""
    loss = lambda a, b: (a * b - 1) ** 2  # noqa: E731
    gradient = lambda a, b: (2 * (a * b - 1) * b, 2 * (a * b - 1) * a)  # noqa: E731
    assert feedback(capsys, exercises.check_derivative, "g", gradient, loss, 1.0, 0.5) == (
        "✓ g: correct, matches central finite differences to 0.001 at 3 points")
    assert feedback(capsys, exercises.check_derivative, "g", lambda a, b: (-0.5, -1.0), loss,
                    1.0, 0.5) == ("✗ g: not yet: differs from finite differences at (1.1, 0.55) "
                                  "by up to 0.131 at entry 1")
    assert feedback(capsys, exercises.check_derivative, "g", lambda a, b: ..., loss, 1.0,
                    0.5) == BLANK.format("g")
    assert feedback(capsys, exercises.check_derivative, "g", lambda a: 0.0, loss, 1.0,
                    0.5).startswith("✗ g: calling it raised TypeError: ")
    assert feedback(capsys, exercises.check_derivative, "g", lambda a, b: None, loss, 1.0,
                    0.5).startswith("✗ g: expected real numbers, got None")


def test_check_function_checks_every_input(capsys):
    square = lambda x: x**2  # noqa: E731
    inputs = [(1.0,), (2.0,), (-3.0,)]
    assert feedback(capsys, exercises.check_function, "x^2", lambda x: x * x, square, inputs) == (
        "✓ x^2: correct, matches to 1e-05 (relative) at 3 inputs")
    assert feedback(capsys, exercises.check_function, "x^2", lambda x: 1.0, square, inputs) == (
        "✗ x^2: not yet: at input (2) off by up to 3 (tolerance rtol=1e-05, atol=0)")
    assert feedback(capsys, exercises.check_function, "x^2", lambda x: abs(x) * x, square,
                    inputs).startswith("✗ x^2: not yet: at input (-3) off by up to 18")
    assert feedback(capsys, exercises.check_function, "x^2", ..., square, inputs) == (
        BLANK.format("x^2"))
    assert feedback(capsys, exercises.check_function, "x^2", 4.0, square, inputs) == (
        "✗ x^2: expected a function, got 4.0")
    assert feedback(capsys, exercises.check_function, "x^2", lambda x: str(x * x), square,
                    inputs).startswith("✗ x^2: expected real numbers, got a string, '1.0'")


# The course's notebooks: every checker tried both ways

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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_exercise_cell_lists_typical_wrong_answers(path):
    """metadata "wrong_answers": code strings, each replacing the cell's solution block (a list
    of strings, one per block, for a cell with several blocks). Cells without a checker (open
    exercises, e.g. a timing) need none."""
    notebook = nbformat.read(path, as_version=4)
    missing = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or not student.solution_blocks(cell.source):
            continue
        if not CHECK.search(cell.source):  # an open exercise (its text says why no checker)
            continue
        wrong = cell.metadata.get("wrong_answers")
        if not wrong or not isinstance(wrong, list):
            missing.append(f"cell {index}: {cell.source.splitlines()[0]}")
            continue
        blocks = len(student.solution_blocks(cell.source))
        for answer in wrong:
            answers = [answer] if isinstance(answer, str) else answer
            assert len(answers) == blocks and all(isinstance(a, str) for a in answers), (
                index, answer)
    assert not missing, f"exercise cells without wrong_answers metadata: {missing}"


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


def run(client, cell, index, source=None):
    """Execute (a copy of) cell with source in the running kernel; its printed text."""
    cell = nbformat.from_dict(cell)
    cell.source = cell.source if source is None else source
    cell.outputs = []
    return text_of(client.execute_cell(cell, index))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_student_version_runs_and_every_checker_works_both_ways(path, student_dir):
    """The student version's cells in order, in one kernel. At each exercise: the blank reads
    "not done yet"; each wrong answer (the cell's "wrong_answers" metadata in place of its
    solution block) is not praised; then the solution passes every check, and the notebook
    continues from the solved state. This run is also half of the portability run: it uses
    another CPU code path than the stored outputs' (conftest.CODE_PATHS["student"]), so every
    lesson a notebook asserts must hold there too."""
    course = {c.id: c for c in nbformat.read(path, as_version=4).cells}
    notebook = nbformat.read(student_dir / path.name, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT / "notebooks")}})
    problems = []
    with code_path(client, "student"):
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            source = course[cell.id].source
            if not student.solution_blocks(source):
                client.execute_cell(cell, index)
                continue
            checks, name = len(CHECK.findall(source)), source.splitlines()[0]
            blank = run(client, cell, index).splitlines()
            if len([line for line in blank if line.startswith("… ")]) != checks or any(
                    line.startswith(("✓", "✗")) for line in blank):
                problems.append(f"{name}: the blank printed {blank}")
            for wrong in course[cell.id].metadata.get("wrong_answers", []) if checks else []:
                answers = [wrong] if isinstance(wrong, str) else wrong
                out = run(client, cell, index, student.fill_solutions(source, answers))
                if "✓" in out or "✗" not in out:
                    problems.append(f"{name}: wrong answer {answers} printed {out!r}")
            solved = run(client, cell, index, source)
            if solved.count("✓") != checks:
                problems.append(f"{name}: the solution printed {solved!r}")
    assert not problems, "\n".join(problems)
