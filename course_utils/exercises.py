"""Checkers for the notebooks' exercises: each prints one line of feedback, starting ✓ (done),
✗ (not yet) or … (blank).

They never raise. A blank left as `...` (how the student notebooks hand an exercise out)
reads "not done yet", and a wrong answer says how far off it is, so a notebook runs top to
bottom whatever state its exercises are in.

They are strict, so that praise means something:
- an answer must be real numbers: a string ("1.0"), a boolean, None or a complex value is
  named and never passes (no silent conversion);
- its shape must be the expected one: nothing is reshaped, so a transposed or flattened
  layout fails with both shapes named;
- every entry must be within its own tolerance, |answer - expected| <= atol + rtol*|expected|,
  so a small entry cannot hide behind a large one.

An exercise that asks for a computation should pass a *function* (the student's code) where
a typed-in number could otherwise pass: `check_derivative` then evaluates it at the given
point and at two points it draws afresh at every call, `check_function` at the inputs it is
given (an input may be a function that draws one afresh), `check_adjoint` on random pairs
drawn afresh. `check_derivative(..., function_required=True)` names a value typed in where a
function is asked for and never passes it.

What the student's code does to its inputs cannot change the verdict: every reference is
computed before the student's code runs, and the student's code gets copies (so the caller's
arrays are never changed either). Tolerances are checked (finite, >= 0, rtol < 1), and a
checker that cannot run (a broken call in the exercise cell) says so in one line.
"""

import copy
import functools
import math
import numbers

import numpy as np

DONE, NOT_YET, BLANK = "✓", "✗", "…"
# check_derivative's default atol, as a fraction of rtol * (largest entry): float32 autodiff
# is good to about 1e-7 of the largest entry (more after long chains), so 1e-2 * rtol = 1e-5
# of it leaves room for round-off, while an entry a thousandth of the largest, sign-flipped,
# is off by 2e-3 of it and fails.
DERIVATIVE_ATOL_FRACTION = 1e-2
# Where check_derivative evaluates a derivative *function* besides args: each entry of args
# times a factor drawn afresh from each of these ranges (within 0.8 to 1.1 of args, where the
# course's exercises are known to be well defined: e.g. below a stability limit).
NEARBY = ((1.02, 1.1), (0.8, 0.95))
# The finite-difference reference is trusted to within this many times its own error
# estimate, |D(h) - D(2h)| (truncation and round-off; e.g. h^2 at a stationary point).
FD_ERROR_SAFETY = 2.0


def _float64():
    """JAX in float64 inside a `with` block; jax is imported only when a checker needs it."""
    import jax

    return jax.enable_x64(True)


def _is_blank(answer):
    if answer is Ellipsis:
        return True
    return isinstance(answer, (tuple, list)) and any(_is_blank(a) for a in answer)


def _report(mark, name, message):
    print(f"{mark} {name}: {message}")


def _short(value):
    try:
        text = " ".join(repr(value).split())  # one line, whatever the object
    except Exception:  # noqa: BLE001 - a repr may raise too
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 40 else text[:37] + "..."


def _copy(value):
    """A deep copy of value, so the student's code cannot change what the checker holds."""
    try:
        return copy.deepcopy(value)
    except Exception:  # noqa: BLE001 - an object that cannot be copied is passed as it is
        return value


def _never_raises(check):
    """A checker that prints one line whatever it is given, never an exception."""
    @functools.wraps(check)
    def checked(name, *args, **kwargs):
        try:
            return check(name, *args, **kwargs)
        except Exception as err:  # noqa: BLE001 - a checker never raises
            message = (str(err).strip().splitlines() or [""])[0]
            return _report(NOT_YET, name, f"the check could not run ({type(err).__name__}: "
                                          f"{message[:200]}); check the exercise cell's call")
    return checked


def _bad_tolerance(rtol, atol, atol_none=False):
    """Why rtol/atol are not valid tolerances (a phrase), or None if they are."""
    def real(value):
        return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    if not (real(rtol) and math.isfinite(rtol) and 0 <= rtol < 1):
        return (f"rtol={rtol!r} is not a valid tolerance: rtol must be a finite number with "
                f"0 <= rtol < 1 (a relative error of 1 or more accepts anything)")
    if atol is None and atol_none:
        return None
    if not (real(atol) and math.isfinite(atol) and atol >= 0):
        return f"atol={atol!r} is not a valid tolerance: atol must be a finite number >= 0"
    return None


def _not_numbers(answer):
    """Why `answer` is not real numbers (a phrase for the feedback), or None if it is."""
    if answer is None:
        return "None (nothing computed: a function without `return`, or a print instead?)"
    if isinstance(answer, (str, bytes)):
        return f"a string, {_short(answer)} (text, not a number: compute the value)"
    if isinstance(answer, (bool, np.bool_)):
        return f"a boolean, {answer} (True/False is not a number here)"
    if isinstance(answer, (tuple, list)):
        return next((r for r in map(_not_numbers, answer) if r is not None), None)
    if hasattr(answer, "detach"):  # a torch tensor
        answer = answer.detach().cpu().numpy()
    try:
        kind = np.asarray(answer).dtype.kind
    except Exception as err:  # noqa: BLE001 - any object; never raise
        return f"{type(answer).__name__} ({err})"
    if kind == "c":
        return (f"complex numbers, {_short(answer)} (the answer is real: an imaginary part "
                f"means something went wrong)")
    if kind == "b":
        return "booleans (True/False), not numbers"
    if kind not in "iuf":
        return f"{type(answer).__name__}, {_short(answer)}"
    return None


def _as_array(answer):
    """The answer as a float64 array (tuples of scalars, JAX and PyTorch values too)."""
    if isinstance(answer, (tuple, list)):
        return np.array([_as_array(a) for a in answer])
    if hasattr(answer, "detach"):  # a torch tensor
        answer = answer.detach().cpu().numpy()
    return np.asarray(answer, dtype=np.float64)


def _numbers(name, answer):
    """The answer as a float64 array, or None after saying why it is not one (yet)."""
    if _is_blank(answer):
        _report(BLANK, name, "not done yet (replace the `...` with your code)")
        return None
    reason = _not_numbers(answer)
    if reason is None:
        try:
            return _as_array(answer)
        except (TypeError, ValueError) as err:  # e.g. a ragged tuple
            reason = f"a {type(answer).__name__} whose entries differ in shape ({_short(answer)})"
    _report(NOT_YET, name, f"expected real numbers, got {reason}")
    return None


def _shape_and_finite(name, answer, expected):
    """True if answer has expected's shape and is finite; otherwise says what is wrong."""
    if expected.size == 0:
        _report(NOT_YET, name, f"nothing to compare: the expected value is empty (shape "
                               f"{expected.shape}); check the exercise cell's call")
        return False
    if answer.shape != expected.shape:
        hint = " (transposed?)" if answer.shape == expected.shape[::-1] else ""
        _report(NOT_YET, name, f"expected shape {expected.shape}, got {answer.shape}{hint}")
        return False
    if not np.all(np.isfinite(answer)):
        _report(NOT_YET, name, "contains nan or inf")
        return False
    return True


def _worst(answer, expected, rtol, atol):
    """(whether every entry is within atol + rtol*|expected|, largest error, where it is)."""
    error = np.abs(answer - expected)
    ok = error <= atol + rtol * np.abs(expected)
    if error.size == 0:
        return False, 0.0, ""
    index = tuple(int(i) for i in np.unravel_index(np.argmax(error), error.shape))
    where = "" if error.ndim == 0 else f" at entry {index if len(index) > 1 else index[0]}"
    return bool(np.all(ok)), float(np.max(error, initial=0.0)), where


@_never_raises
def check_close(name, answer, expected, *, rtol=1e-5, atol=0.0):
    """Is every entry of `answer` within atol + rtol * |expected entry| of `expected`?

    Args:
        name: what the answer is, as the feedback should call it.
        answer: a number or an array (or tuple of numbers); `...` means not done yet.
        expected: the reference, same shape (nothing is reshaped).
        rtol: relative tolerance, per entry.
        atol: absolute tolerance, per entry; needed where expected entries are zero.
    """
    bad = _bad_tolerance(rtol, atol)
    if bad:
        return _report(NOT_YET, name, bad)
    answer = _numbers(name, answer)
    if answer is None:
        return
    expected = _as_array(expected)
    if not _shape_and_finite(name, answer, expected):
        return
    ok, worst, where = _worst(answer, expected, rtol, atol)
    if ok:
        tolerance = f"{rtol:g} (relative)" if atol == 0 else f"{atol:g}"
        return _report(DONE, name, f"correct, matches to {tolerance}")
    return _report(NOT_YET, name, f"not yet: off by up to {worst:.3g}{where} (tolerance "
                                  f"rtol={rtol:g}, atol={atol:g})")


def _args_text(args):
    """Arguments for a message: numbers as %g, arrays by shape, anything else by repr."""
    def text(a):
        if _not_numbers(a) is None and not isinstance(a, (tuple, list)):
            try:
                return f"{float(a):g}" if np.ndim(a) == 0 else f"array of shape {np.shape(a)}"
            except Exception:  # noqa: BLE001 - any object; never raise
                pass
        return _short(a)
    return "(" + ", ".join(text(a) for a in args) + ")"


def _not_a_function(name, function, purpose):
    """Report a blank, or a value where a function is asked for; True if reported."""
    if _is_blank(function):
        _report(BLANK, name, "not done yet (replace the `...` with your code)")
        return True
    if not callable(function):
        _report(NOT_YET, name, f"expected a function (your code, which the check runs "
                               f"{purpose}), got a value typed in: {_short(function)}")
        return True
    return False


def _draw_inputs(inputs):
    """The argument tuples of `inputs`, a function entry called with a fresh random generator;
    or a phrase saying why inputs is not a list of argument tuples."""
    rule = "inputs must be a list of argument tuples, e.g. [(1.0,), (2.0,)]"
    if not isinstance(inputs, (list, tuple)) or not inputs:
        return f"{rule}; got {_short(inputs)}"
    rng, drawn = np.random.default_rng(), []
    for entry in inputs:
        args = entry(rng) if callable(entry) else entry
        if not isinstance(args, (tuple, list)):
            return f"{rule}; got the entry {_short(args)}"
        drawn.append(tuple(args))
    return drawn


def _call(name, function, args):
    """function(*args), or None after reporting a blank, an error or a non-number."""
    try:
        value = function(*args)
    except Exception as err:  # noqa: BLE001 - a checker never raises
        _report(NOT_YET, name, f"calling it raised {type(err).__name__}: {err}")
        return None
    return _numbers(name, value)


@_never_raises
def check_function(name, function, reference, inputs, *, rtol=1e-5, atol=0.0):
    """Does the student's `function` agree with `reference` at every input?

    Use it where a typed-in number would pass check_close: the function is the student's own
    computation, checked at inputs whose answers differ. Every reference value is computed
    first; the student's function then gets copies of the inputs, so changing them in place
    changes nothing.

    Args:
        name: what the function computes, as the feedback should call it.
        function: the student's function; `...`, or one returning `...`, is not done yet.
        reference: a function with the right answers.
        inputs: a list of argument tuples, e.g. [(1.0,), (2.0,)]; an entry may also be a
            function of a numpy random Generator returning one, drawn afresh at every call
            (e.g. `lambda rng: (rng.uniform(1, 2),)`), so that no answer can be looked up.
        rtol, atol: per-entry tolerances, as in check_close.
    """
    bad = _bad_tolerance(rtol, atol)
    if bad:
        return _report(NOT_YET, name, bad)
    if _not_a_function(name, function, "on inputs of its own"):
        return
    drawn = _draw_inputs(inputs)
    if isinstance(drawn, str):
        return _report(NOT_YET, name, f"the check could not run: {drawn}")
    expected = []
    for args in drawn:
        try:
            expected.append(np.array(_as_array(reference(*_copy(args))), dtype=np.float64))
        except Exception as err:  # noqa: BLE001 - a checker never raises
            return _report(NOT_YET, name, f"the check could not run: its reference failed at "
                                          f"input {_args_text(args)} ({type(err).__name__}: "
                                          f"{err}); check the exercise cell's call")
    for args, right in zip(drawn, expected):
        answer = _call(name, function, _copy(args))
        if answer is None or not _shape_and_finite(name, answer, right):
            return
        ok, worst, where = _worst(answer, right, rtol, atol)
        if not ok:
            return _report(NOT_YET, name, f"not yet: at input {_args_text(args)} off by up to "
                                          f"{worst:.3g}{where} (tolerance rtol={rtol:g}, "
                                          f"atol={atol:g})")
    tolerance = f"{rtol:g} (relative)" if atol == 0 else f"{atol:g}"
    return _report(DONE, name, f"correct, matches to {tolerance} at {len(drawn)} inputs")


def finite_differences(f, *args, h=1e-5):
    """Central differences of f with respect to every entry of args, in float64 (JAX too).

    Returns:
        The Jacobian J[i..., j...] = d f_i / d x_j: shape f's output shape + the shape of
        the one argument, or + (total number of entries in args,) for several arguments.
    """
    flat = np.concatenate([np.ravel(np.asarray(a, dtype=np.float64)) for a in args])
    sizes = np.cumsum([np.size(a) for a in args])[:-1]

    def call(vector):
        parts = np.split(vector, sizes)
        values = [p.reshape(np.shape(a)) for p, a in zip(parts, args)]
        return _as_array(f(*values))

    columns = []
    with _float64():
        for k in range(flat.size):
            step = h * max(1.0, abs(flat[k]))
            if not math.isfinite(step):
                raise ValueError(f"finite differences need finite arguments, got {flat[k]}")
            up, down = flat.copy(), flat.copy()
            up[k] += step
            down[k] -= step
            columns.append((call(up) - call(down)) / (2 * step))
    jacobian = np.stack(columns, axis=-1)
    if len(args) == 1:
        return jacobian.reshape(jacobian.shape[:-1] + np.shape(args[0]))
    return jacobian


def _reference_derivative(f, args):
    """(central finite differences of f at args, an estimate of their error per entry)."""
    fine = finite_differences(f, *_copy(args))
    coarse = finite_differences(f, *_copy(args), h=2e-5)
    return fine, np.abs(fine - coarse)


def _nearby(args, low, high, rng):
    """args with every entry times its own factor drawn from [low, high]."""
    def scaled(a):
        if np.ndim(a) == 0:
            return float(a) * rng.uniform(low, high)
        return np.asarray(a, dtype=np.float64) * rng.uniform(low, high, size=np.shape(a))
    return tuple(scaled(a) for a in args)


def _bad_arguments(args):
    """Why the point args is not real numbers (a phrase), or None."""
    if not args:
        return "no point to check at: give the arguments of f after it"
    for k, a in enumerate(args, start=1):
        reason = _not_numbers(a)
        if reason is None and isinstance(a, (tuple, list)):
            reason = f"a {type(a).__name__} (give an array)"
        if reason is None and not np.all(np.isfinite(_as_array(a))):
            reason = f"{_short(a)} (not finite)"
        if reason is not None:
            return f"argument {k} of the point to check at must be real numbers, got {reason}"
    return None


@_never_raises
def check_derivative(name, derivative, f, *args, rtol=1e-3, atol=None, function_required=False):
    """Does `derivative` match central finite differences of f at args, entry by entry?

    For a scalar f this checks a gradient (a tuple over scalar args, or an array shaped like
    the one array arg); for a vector f, its Jacobian J[i, j] = d f_i / d x_j (e.g. a Hessian,
    with f a gradient function). Nothing is reshaped. Each entry must be within
    atol + rtol * |its finite difference|; atol defaults to 1e-2 * rtol * (largest entry), a
    floor for round-off (see DERIVATIVE_ATOL_FRACTION), and is never below twice the finite
    differences' own error estimate (so a right answer at a stationary point passes).

    Args:
        derivative: the student's function of the same args returning the answer, or, unless
            function_required, the answer itself. A function is checked at args and at two
            points drawn afresh at every call (each entry of args times a factor from 1.02 to
            1.1, and from 0.8 to 0.95), so that a typed-in number cannot pass; it gets copies
            of them, and every reference is computed before it runs.
        function_required: True where the exercise asks for a function: a value typed in is
            named as such and never passes.
    """
    bad = _bad_tolerance(rtol, atol, atol_none=True)
    if bad:
        return _report(NOT_YET, name, bad)
    if function_required and _not_a_function(name, derivative, "at points it picks"):
        return
    if _is_blank(derivative):
        return _report(BLANK, name, "not done yet (replace the `...` with your code)")
    bad = _bad_arguments(args)
    if bad:
        return _report(NOT_YET, name, f"the check could not run: {bad}; check the exercise "
                                      f"cell's call")
    points = [_copy(args)]
    if callable(derivative):
        rng = np.random.default_rng()
        points += [_nearby(args, low, high, rng) for low, high in NEARBY]
    references = [_reference_derivative(f, point) for point in points]  # before the student's
    largest = max(np.max(np.abs(fine), initial=0.0) for fine, _ in references)
    floor = DERIVATIVE_ATOL_FRACTION * rtol * max(largest, 1e-8) if atol is None else atol
    for point, (expected, fd_error) in zip(points, references):
        if callable(derivative):
            answer = _call(name, derivative, _copy(point))
        else:
            answer = _numbers(name, derivative)
        if answer is None or not _shape_and_finite(name, answer, expected):
            return
        ok, worst, where = _worst(answer, expected, rtol,
                                  np.maximum(floor, FD_ERROR_SAFETY * fd_error))
        if not ok:
            at = f" at {_args_text(point)}" if callable(derivative) else ""
            return _report(NOT_YET, name, f"not yet: differs from finite differences{at} by up "
                                          f"to {worst:.3g}{where}")
    at = f" at {len(points)} points" if callable(derivative) else ""
    return _report(DONE, name, f"correct, matches central finite differences to {rtol:g}{at}")


@_never_raises
def check_adjoint(name, forward, adjoint, input_shape, *, trials=3, rtol=1e-6, seed=None):
    """Is `adjoint` the transpose of the linear map `forward`: <forward(v), w> = <v, adjoint(w)>?

    The dot-product test, run in float64 on `trials` random pairs (v, w), drawn afresh at
    every call: a typed-in array or the forward map itself cannot pass, zeros fail as soon as
    <forward(v), w> is not zero, and no pair can be regenerated. <forward(v), w> is computed
    before the adjoint runs, on a copy of w, so changing w in place changes nothing.

    Args:
        name: what the adjoint is, as the feedback should call it.
        forward: the linear map (the notebook's, known to be right), taking shape `input_shape`.
        adjoint: the student's function of an array shaped like forward's output; `...`, or
            one returning `...`, is not done yet.
        input_shape: the shape of forward's input, which adjoint must return.
        rtol: largest accepted |<Fv, w> - <v, F^T w>| / max(|<Fv, w>|, |<v, F^T w>|).
        seed: None (fresh pairs, as exercises should be checked), or a seed for a test.
    """
    bad = _bad_tolerance(rtol, 0.0)
    if bad:
        return _report(NOT_YET, name, bad)
    if not (isinstance(trials, numbers.Integral) and not isinstance(trials, bool) and trials > 0):
        return _report(NOT_YET, name, f"the check could not run: trials must be a positive "
                                      f"integer, got {trials!r}")
    if _not_a_function(name, adjoint, "on random arrays of its own"):
        return
    rng = np.random.default_rng(seed)
    worst = 0.0
    with _float64():
        for _ in range(trials):
            v = rng.normal(size=input_shape)
            forward_v = np.array(_as_array(forward(v.copy())), dtype=np.float64)
            w = rng.normal(size=forward_v.shape)
            left = float(np.vdot(forward_v, w))  # before the adjoint sees w
            answer = _call(name, adjoint, (w.copy(),))
            if answer is None or not _shape_and_finite(name, answer, v):
                return
            right = float(np.vdot(v, answer))
            worst = max(worst, abs(left - right) / max(abs(left), abs(right), 1e-300))
            if worst > rtol:
                return _report(NOT_YET, name, f"not yet: the dot-product test fails, "
                                              f"<F v, w> = {left:.6g} but <v, adjoint(w)> = "
                                              f"{right:.6g} (relative error {worst:.2g})")
    return _report(DONE, name, f"correct, passes the dot-product test on {trials} random pairs "
                               f"(relative error below {rtol:g})")
