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
    assert re.fullmatch(r"✗ g: not yet: differs from finite differences at \(1\.0\d*, 0\.5\d*\) "
                        r"by up to 0\.\d+ at entry 1",
                        feedback(capsys, exercises.check_derivative, "g", lambda a, b: (-0.5, -1.0),
                                 loss, 1.0, 0.5))
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
        "✗ x^2: expected a function (your code, which the check runs on inputs of its own), got "
        "a value typed in: 4.0")
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


# Second round (issue 24): each of these praised what was not computed, or raised, before.

def test_check_function_computes_the_reference_first_and_passes_copies(capsys):
    """Zeroing `v` in place made the reference, computed afterwards, agree with zeros."""
    matrix = np.arange(12.0).reshape(4, 3) - 5
    def zeroing(c, v):
        v[...] = 0
        return np.zeros(3)
    v = np.array([1.0, -2.0, 0.5])
    inputs = [(1.0, v)]
    assert feedback(capsys, exercises.check_function, "JtJv", zeroing,
                    lambda c, v: matrix.T @ (matrix @ v), inputs).startswith(
        "✗ JtJv: not yet: at input (1, array of shape (3,)) off by up to")
    np.testing.assert_array_equal(v, [1.0, -2.0, 0.5])  # the caller's array is untouched


def test_check_derivative_computes_the_reference_first_and_passes_copies(capsys):
    """Setting x[...] = 1 made the finite differences, computed afterwards, those at (1, 1),
    and changed the caller's x_newton."""
    rosen_grad = lambda x: np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2),  # noqa: E731
                                     200 * (x[1] - x[0] ** 2)])
    at_one = np.array([[802.0, -400.0], [-400.0, 200.0]])
    def moving(x):
        x[...] = 1
        return at_one
    x_newton = np.array([-1.2, -1.0])
    assert feedback(capsys, exercises.check_derivative, "H", moving, rosen_grad,
                    x_newton).startswith("✗ H: not yet: differs from finite differences at (array")
    np.testing.assert_array_equal(x_newton, [-1.2, -1.0])


def test_a_value_where_a_function_is_required_is_named_and_never_passes(capsys):
    grad4 = lambda a, b: np.array([8 * (2 * a + b - 5) ** 3, 4 * (2 * a + b - 5) ** 3])  # noqa: E731
    typed_in = np.array([[300.0, 150.0], [150.0, 75.0]])
    assert feedback(capsys, exercises.check_derivative, "H", typed_in, grad4, 1.0, 0.5,
                    function_required=True) == (
        "✗ H: expected a function (your code, which the check runs at points it picks), got a "
        "value typed in: array([[300., 150.], [150., 75.]])")
    assert feedback(capsys, exercises.check_derivative, "H", ..., grad4, 1.0, 0.5,
                    function_required=True) == BLANK.format("H")
    def hessian(a, b):
        return 12 * (2 * a + b - 5) ** 2 * np.array([[4.0, 2.0], [2.0, 1.0]])
    assert feedback(capsys, exercises.check_derivative, "H", hessian, grad4, 1.0, 0.5,
                    function_required=True) == (
        "✓ H: correct, matches central finite differences to 0.001 at 3 points")
    # Where the exercise allows a value (the default), the value is still checked as before.
    assert feedback(capsys, exercises.check_derivative, "H", typed_in, grad4, 1.0, 0.5) == (
        "✓ H: correct, matches central finite differences to 0.001")


@pytest.mark.parametrize("tolerance, message", [
    ({"rtol": 1e5}, "rtol=100000.0 is not a valid tolerance: rtol must be a finite number with "
                    "0 <= rtol < 1"),
    ({"rtol": np.inf}, "rtol=inf is not a valid tolerance"),
    ({"rtol": float("nan")}, "rtol=nan is not a valid tolerance"),
    ({"rtol": -1e-5}, "rtol=-1e-05 is not a valid tolerance"),
    ({"rtol": 1.0}, "rtol=1.0 is not a valid tolerance"),
    ({"rtol": "1e-5"}, "rtol='1e-5' is not a valid tolerance"),
    ({"atol": np.inf}, "atol=inf is not a valid tolerance: atol must be a finite number >= 0"),
    ({"atol": -1.0}, "atol=-1.0 is not a valid tolerance"),
])
def test_tolerances_are_checked_and_a_bad_one_never_passes(capsys, tolerance, message):
    """rtol=1e5 (a typo for 1e-5) passed 1e4 against 1; rtol=inf passed anything."""
    square = lambda x: x**2  # noqa: E731
    for check, args in [(exercises.check_close, (1e4, 1.0)),
                        (exercises.check_function, (lambda x: 1e4, square, [(1.0,)])),
                        (exercises.check_derivative, (lambda x: 1e4, square, 1.0))]:
        assert feedback(capsys, check, "x", *args, **tolerance).startswith(f"✗ x: {message}")


def test_check_derivative_passes_a_right_answer_at_a_stationary_point(capsys):
    """sum(x**3) at 0: the finite differences are h^2 = 1e-10 off, which the old floor (1e-13)
    refused; the floor now follows the finite differences' own error estimate."""
    cubic = lambda x: jnp.sum(x**3)  # noqa: E731
    assert feedback(capsys, exercises.check_derivative, "g", np.zeros(3), cubic,
                    np.zeros(3)).startswith("✓")
    assert feedback(capsys, exercises.check_derivative, "g", lambda x: 3 * x**2, cubic,
                    np.zeros(3)).startswith("✓")
    assert feedback(capsys, exercises.check_derivative, "g", np.full(3, 1e-3), cubic,
                    np.zeros(3)).startswith("✗")


@pytest.mark.parametrize("check, args, message", [
    (exercises.check_close, ([], []), "✗ x: nothing to compare: the expected value is empty"),
    (exercises.check_close, (np.ones((0, 2)), np.ones((0, 2))), "✗ x: nothing to compare"),
    (exercises.check_function, (lambda x: x, np.sqrt, None),
     "✗ x: the check could not run: inputs must be a list of argument tuples"),
    (exercises.check_function, (lambda x: x, np.sqrt, "ab"),
     "✗ x: the check could not run: inputs must be a list of argument tuples"),
    (exercises.check_function, (lambda x: x, np.sqrt, [1.0, 2.0]),
     "✗ x: the check could not run: inputs must be a list of argument tuples, e.g. [(1.0,), "
     "(2.0,)]; got the entry 1.0"),
    (exercises.check_function, (lambda x: x, np.sqrt, [("abc",)]),
     "✗ x: the check could not run: its reference failed at input ('abc')"),
    (exercises.check_derivative, (lambda x: x, np.sin, "abc"),
     "✗ x: the check could not run: argument 1 of the point to check at must be real numbers, "
     "got a string"),
    (exercises.check_derivative, (lambda x: x, np.sin, None), "✗ x: the check could not run"),
    (exercises.check_derivative, (lambda x: x, np.sin), "✗ x: the check could not run: no point"),
    (exercises.check_derivative, (0.0, lambda x: 1 / 0, 1.0),
     "✗ x: the check could not run (ZeroDivisionError: division by zero)"),
    (exercises.check_adjoint, (lambda v: v[:5], lambda w: w, "shape"),
     "✗ x: the check could not run ("),
    (exercises.check_adjoint, (lambda v: v, lambda w: w, (3,)), "✓ x: correct"),
])
def test_checkers_never_raise_and_say_what_is_wrong_in_one_line(capsys, check, args, message):
    out = feedback(capsys, check, "x", *args)
    assert out.startswith(message) and "\n" not in out


def test_check_function_draws_an_input_afresh_at_every_call(capsys):
    seen = []
    def recording(x):
        seen.append(x)
        return x**2
    inputs = [(2.0,), lambda rng: (rng.uniform(1, 2),)]
    for _ in range(2):
        assert feedback(capsys, exercises.check_function, "x^2", recording, lambda x: x**2,
                        inputs) == "✓ x^2: correct, matches to 1e-05 (relative) at 2 inputs"
    assert seen[0] == seen[2] == 2.0 and seen[1] != seen[3]
    known = dict(zip(seen, [s**2 for s in seen]))  # a lookup of the inputs seen so far
    assert feedback(capsys, exercises.check_function, "x^2", lambda x: known.get(x, 0.0),
                    lambda x: x**2, inputs).startswith("✗")


def test_check_derivative_draws_its_other_points_afresh_at_every_call(capsys):
    seen = []
    def recording(a, b):
        seen.append((a, b))
        return 2 * (a * b - 1) * b, 2 * (a * b - 1) * a
    loss = lambda a, b: (a * b - 1) ** 2  # noqa: E731
    for _ in range(2):
        feedback(capsys, exercises.check_derivative, "g", recording, loss, 1.0, 0.5)
    assert seen[0] == seen[3] == (1.0, 0.5) and seen[1] != seen[4] and seen[2] != seen[5]
    assert 1.02 <= seen[1][0] <= 1.1 and 0.8 <= seen[2][1] / 0.5 <= 0.95
    known = {(a, b): (2 * (a * b - 1) * b, 2 * (a * b - 1) * a) for a, b in seen}
    assert feedback(capsys, exercises.check_derivative, "g", lambda a, b: known[a, b], loss, 1.0,
                    0.5).startswith("✗ g: calling it raised KeyError")
