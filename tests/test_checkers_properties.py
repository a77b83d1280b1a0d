"""Property-based tests of the checkers (hypothesis): random right answers within tolerance
always pass, random wrong answers never do."""

import pathlib

import hypothesis
import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_utils import exercises

# No example database on disk, no deadline (the first JAX call compiles), CI-sized runs.
PROPERTIES = settings(max_examples=60, deadline=None, database=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])

shapes = hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=4)
values = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False)
tolerances = st.tuples(st.sampled_from([1e-6, 1e-5, 1e-3, 1e-2]),
                       st.sampled_from([0.0, 1e-8, 1e-4, 1e-1]))


def verdict(capsys, check, *args, **kwargs):
    check(*args, **kwargs)
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out
    return out[0]


@st.composite
def expected_and_noise(draw):
    shape = draw(shapes)
    expected = draw(hnp.arrays(np.float64, shape, elements=values))
    noise = draw(hnp.arrays(np.float64, shape, elements=st.floats(-1, 1)))
    return expected, noise


@PROPERTIES
@given(case=expected_and_noise(), tolerance=tolerances)
def test_check_close_passes_every_answer_within_tolerance(capsys, case, tolerance):
    (expected, noise), (rtol, atol) = case, tolerance
    answer = expected + 0.9 * noise * (atol + rtol * np.abs(expected))
    assert verdict(capsys, exercises.check_close, "x", answer, expected, rtol=rtol,
                   atol=atol) == "✓"


@PROPERTIES
@given(case=expected_and_noise(), tolerance=tolerances, data=st.data())
def test_check_close_fails_every_answer_with_one_entry_off(capsys, case, tolerance, data):
    (expected, noise), (rtol, atol) = case, tolerance
    answer = np.array(expected + 0.5 * noise * (atol + rtol * np.abs(expected)))
    index = data.draw(st.tuples(*[st.integers(0, n - 1) for n in expected.shape]))
    factor = data.draw(st.floats(2.0, 1e6)) * data.draw(st.sampled_from([-1.0, 1.0]))
    tolerance_here = atol + rtol * abs(expected[index])
    answer[index] = expected[index] + factor * (tolerance_here if tolerance_here > 0 else 1e-6)
    assert verdict(capsys, exercises.check_close, "x", answer, expected, rtol=rtol,
                   atol=atol) == "✗"


@PROPERTIES
@given(case=expected_and_noise(), tolerance=tolerances, data=st.data())
def test_check_close_fails_a_sign_flip_of_any_entry_above_atol(capsys, case, tolerance, data):
    (expected, _), (rtol, atol) = case, tolerance
    index = data.draw(st.tuples(*[st.integers(0, n - 1) for n in expected.shape]))
    assume(abs(expected[index]) > atol)
    answer = expected.copy()
    answer[index] = -answer[index]
    assert verdict(capsys, exercises.check_close, "x", answer, expected, rtol=rtol,
                   atol=atol) == "✗"


@PROPERTIES
@given(expected=hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1,
                                                        max_side=4), elements=values))
def test_check_close_fails_a_transposed_or_flattened_layout(capsys, expected):
    assume(expected.shape[0] != expected.shape[1]
           or not np.allclose(expected, expected.T, rtol=1e-5, atol=0))
    for answer in (expected.T, expected.ravel()):
        assert verdict(capsys, exercises.check_close, "x", answer, expected) == "✗"


# (something that is not real numbers, the number it would be if silently converted)
not_numbers = st.one_of(
    values.map(lambda v: (str(v), v)),
    values.map(lambda v: ([str(v)], [v])),
    st.booleans().map(lambda b: (b, float(b))),
    st.lists(st.booleans(), min_size=1, max_size=3).map(lambda b: (np.array(b), np.array(b, float))),
    values.map(lambda v: (None, v)),
    st.tuples(values, values).map(lambda z: (complex(*z), z[0])),
    values.map(lambda v: (np.array([v], dtype=complex), [v])),
    st.lists(values, min_size=1, max_size=3).map(lambda v: ([*v, None], [*v, 0.0])),
)


@PROPERTIES
@given(case=not_numbers)
def test_check_close_never_passes_what_is_not_real_numbers(capsys, case):
    """Not even when the string, boolean or complex value, converted, would equal the target."""
    answer, as_number = case
    assert verdict(capsys, exercises.check_close, "x", answer, as_number) == "✗"


@st.composite
def jacobians(draw):
    """Entries over four decades (1e-4 to 1 of the largest), random signs, any overall scale."""
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=4))
    exponents = draw(hnp.arrays(np.float64, shape, elements=st.floats(-4, 0)))
    signs = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([-1.0, 1.0])))
    scale = 10.0 ** draw(st.floats(-3, 3))
    return signs * 10.0**exponents * scale


@PROPERTIES
@given(jacobian=jacobians(), data=st.data())
def test_check_derivative_passes_right_answers_and_fails_any_one_sign_flip(capsys, jacobian,
                                                                          data):
    x = data.draw(hnp.arrays(np.float64, jacobian.shape[1], elements=st.floats(-2, 2)))
    noise = data.draw(hnp.arrays(np.float64, jacobian.shape, elements=st.floats(-1, 1)))
    f = lambda v: jacobian @ v  # noqa: E731
    close = jacobian * (1 + 0.5e-3 * noise)  # within the default rtol=1e-3, entry by entry
    assert verdict(capsys, exercises.check_derivative, "J", close, f, x) == "✓"
    index = data.draw(st.tuples(st.integers(0, jacobian.shape[0] - 1),
                                st.integers(0, jacobian.shape[1] - 1)))
    flipped = jacobian.copy()
    flipped[index] = -flipped[index]
    assert verdict(capsys, exercises.check_derivative, "J", flipped, f, x) == "✗"
    off = jacobian.copy()
    change = data.draw(st.sampled_from([-1.0, 1.0])) * data.draw(st.floats(3e-3, 10))
    off[index] *= 1 + change
    # off by more than twice the entry's tolerance (the default atol is 1e-5 of the largest)
    assume(abs(change * jacobian[index]) > 2 * (1e-5 * np.abs(jacobian).max()
                                                + 1e-3 * abs(jacobian[index])))
    assert verdict(capsys, exercises.check_derivative, "J", off, f, x) == "✗"


@PROPERTIES
@given(jacobian=jacobians())
def test_check_derivative_fails_a_transposed_or_flattened_jacobian(capsys, jacobian):
    assume(jacobian.size > 1)
    assume(jacobian.shape[0] != jacobian.shape[1]
           or not np.allclose(jacobian, jacobian.T, rtol=1e-2, atol=0))
    f = lambda v: jacobian @ v  # noqa: E731
    for answer in (jacobian.T, jacobian.ravel()):
        assert verdict(capsys, exercises.check_derivative, "J", answer, f,
                       np.ones(jacobian.shape[1])) == "✗"


@PROPERTIES
@given(a=st.floats(0.2, 3), b=st.floats(0.2, 3), constant=st.tuples(values, values))
def test_check_derivative_of_a_constant_function_never_passes(capsys, a, b, constant):
    """A student's function that returns fixed numbers is caught at one of the three points."""
    loss = lambda a, b: (a * b - 1) ** 2  # noqa: E731
    assert verdict(capsys, exercises.check_derivative, "g", lambda a, b: constant, loss, a,
                   b) == "✗"
    right = lambda a, b: (2 * (a * b - 1) * b, 2 * (a * b - 1) * a)  # noqa: E731
    assert verdict(capsys, exercises.check_derivative, "g", right, loss, a, b) == "✓"


def test_hypothesis_is_the_locked_version():
    lock = (pathlib.Path(__file__).resolve().parents[1] / "requirements.txt").read_text()
    assert f"hypothesis=={hypothesis.__version__}\n" in lock


# The second round's rules (issue 24)

bad_rtols = st.one_of(st.floats(1.0, 1e300), st.floats(-1e300, -1e-300),
                      st.sampled_from([np.inf, -np.inf, np.nan]))
bad_atols = st.one_of(st.floats(-1e300, -1e-300), st.sampled_from([np.inf, -np.inf, np.nan]))


@PROPERTIES
@given(case=expected_and_noise(), rtol=bad_rtols, atol=bad_atols, which=st.integers(0, 1))
def test_an_invalid_tolerance_never_passes(capsys, case, rtol, atol, which):
    expected, noise = case
    tolerance = {"rtol": rtol} if which == 0 else {"atol": atol}
    assert verdict(capsys, exercises.check_close, "x", expected + noise, expected,
                   **tolerance) == "✗"
    assert verdict(capsys, exercises.check_function, "f", lambda: expected, lambda: expected,
                   [()], **tolerance) == "✗"


anything = st.recursive(
    st.one_of(st.none(), st.booleans(), st.text(max_size=5), st.floats(), st.integers(),
              st.just(...), hnp.arrays(st.sampled_from([np.float64, np.int8, np.bool_, complex]),
                                       hnp.array_shapes(min_dims=0, max_dims=2, min_side=0,
                                                        max_side=3))),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.tuples(inner),
                            st.dictionaries(st.text(max_size=2), inner, max_size=2)),
    max_leaves=4)


@PROPERTIES
@given(a=anything, b=anything, c=anything)
def test_checkers_never_raise_whatever_they_are_given(capsys, a, b, c):
    """One line of feedback, never an exception, and never praise for a non-number."""
    verdicts = [verdict(capsys, exercises.check_close, "x", a, b),
                verdict(capsys, exercises.check_function, "x", lambda *args: a, lambda *args: b, c),
                verdict(capsys, exercises.check_derivative, "x", a, lambda *args: 0.0, b),
                verdict(capsys, exercises.check_derivative, "x", lambda *args: a, np.sum, b),
                verdict(capsys, exercises.check_adjoint, "x", lambda v: v, lambda w: a, c)]
    assert set(verdicts) <= {"✓", "✗", "…"}


@PROPERTIES
@given(matrix=hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 4)),
                         elements=st.floats(-10, 10)), data=st.data())
def test_changing_the_inputs_in_place_never_passes(capsys, matrix, data):
    """The references are computed first and the student's code gets copies."""
    v = data.draw(hnp.arrays(np.float64, matrix.shape[1], elements=st.floats(0.5, 2)))
    assume(np.linalg.norm(matrix @ v) > 1e-3 * np.linalg.norm(matrix) * np.linalg.norm(v))
    def zeroing(x):
        x[...] = 0
        return matrix @ x
    before = v.copy()
    assert verdict(capsys, exercises.check_function, "Av", zeroing, lambda x: matrix @ x,
                   [(v,)]) == "✗"
    def adjoint_zeroing(w):
        w[...] = 0
        return np.zeros(matrix.shape[1])
    assert verdict(capsys, exercises.check_adjoint, "At", lambda x: matrix @ x, adjoint_zeroing,
                   (matrix.shape[1],)) == "✗"
    cube = lambda x: np.sum(matrix @ x**3)  # noqa: E731
    def moving(x):  # moves x to ones, where its answer is right
        x[...] = 1
        return 3 * (matrix.sum(axis=0)) * x**2
    assume(not np.allclose(3 * matrix.sum(axis=0) * v**2, 3 * matrix.sum(axis=0), rtol=1e-2))
    assert verdict(capsys, exercises.check_derivative, "g", moving, cube, v) == "✗"
    np.testing.assert_array_equal(v, before)  # the caller's array is untouched


@PROPERTIES
@given(scale=st.floats(1e-3, 1e3), x0=hnp.arrays(np.float64, 3, elements=st.floats(-5, 5)),
       power=st.sampled_from([2, 3, 4]))
def test_a_right_derivative_at_a_stationary_point_passes(capsys, scale, x0, power):
    """f = scale * sum((x - x0)**power) at x0: the gradient is zero there."""
    f = lambda x: scale * np.sum((x - x0) ** power)  # noqa: E731
    assert verdict(capsys, exercises.check_derivative, "g", np.zeros(3), f, x0.copy()) == "✓"
    assert verdict(capsys, exercises.check_derivative, "g",
                   lambda x: scale * power * (x - x0) ** (power - 1), f, x0.copy()) == "✓"


@PROPERTIES
@given(value=st.one_of(values, hnp.arrays(np.float64, shapes, elements=values)))
def test_a_value_where_a_function_is_required_never_passes(capsys, value):
    f = lambda x: np.sum(x**2) / 2  # noqa: E731
    x = np.asarray(value, dtype=np.float64)
    assert verdict(capsys, exercises.check_derivative, "g", x, f, x,
                   function_required=True) == "✗"
