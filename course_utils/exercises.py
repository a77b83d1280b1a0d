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
a typed-in number could otherwise pass: `check_derivative` then evaluates it at several
points, `check_function` at the inputs it is given.
"""

import numpy as np

DONE, NOT_YET, BLANK = "✓", "✗", "…"
# check_derivative's default atol, as a fraction of rtol * (largest entry): float32 autodiff
# is good to about 1e-7 of the largest entry (more after long chains), so 1e-2 * rtol = 1e-5
# of it leaves room for round-off, while an entry a thousandth of the largest, sign-flipped,
# is off by 2e-3 of it and fails.
DERIVATIVE_ATOL_FRACTION = 1e-2
# Where check_derivative evaluates a derivative *function* besides args: args times these.
NEARBY = (1.0, 1.1, 0.8)


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
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


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
    index = tuple(int(i) for i in np.unravel_index(np.argmax(error), error.shape))
    where = "" if error.ndim == 0 else f" at entry {index if len(index) > 1 else index[0]}"
    return bool(np.all(ok)), float(np.max(error, initial=0.0)), where


def check_close(name, answer, expected, *, rtol=1e-5, atol=0.0):
    """Is every entry of `answer` within atol + rtol * |expected entry| of `expected`?

    Args:
        name: what the answer is, as the feedback should call it.
        answer: a number or an array (or tuple of numbers); `...` means not done yet.
        expected: the reference, same shape (nothing is reshaped).
        rtol: relative tolerance, per entry.
        atol: absolute tolerance, per entry; needed where expected entries are zero.
    """
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
    """Arguments for a message: numbers as %g, arrays by shape."""
    parts = [f"{float(a):g}" if np.ndim(a) == 0 else f"array of shape {np.shape(a)}" for a in args]
    return "(" + ", ".join(parts) + ")"


def _call(name, function, args):
    """function(*args), or None after reporting a blank, an error or a non-number."""
    try:
        value = function(*args)
    except Exception as err:  # noqa: BLE001 - a checker never raises
        _report(NOT_YET, name, f"calling it raised {type(err).__name__}: {err}")
        return None
    return _numbers(name, value)


def check_function(name, function, reference, inputs, *, rtol=1e-5, atol=0.0):
    """Does the student's `function` agree with `reference` at every input?

    Use it where a typed-in number would pass check_close: the function is the student's own
    computation, checked at inputs whose answers differ.

    Args:
        name: what the function computes, as the feedback should call it.
        function: the student's function; `...`, or one returning `...`, is not done yet.
        reference: a function with the right answers.
        inputs: a list of argument tuples, e.g. [(1.0,), (2.0,)].
        rtol, atol: per-entry tolerances, as in check_close.
    """
    if _is_blank(function):
        return _report(BLANK, name, "not done yet (replace the `...` with your code)")
    if not callable(function):
        return _report(NOT_YET, name, f"expected a function, got {_short(function)}")
    for args in inputs:
        answer = _call(name, function, args)
        if answer is None:
            return
        expected = _as_array(reference(*args))
        if not _shape_and_finite(name, answer, expected):
            return
        ok, worst, where = _worst(answer, expected, rtol, atol)
        if not ok:
            return _report(NOT_YET, name, f"not yet: at input {_args_text(args)} off by up to "
                                          f"{worst:.3g}{where} (tolerance rtol={rtol:g}, "
                                          f"atol={atol:g})")
    tolerance = f"{rtol:g} (relative)" if atol == 0 else f"{atol:g}"
    return _report(DONE, name, f"correct, matches to {tolerance} at {len(inputs)} inputs")


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
            up, down = flat.copy(), flat.copy()
            up[k] += step
            down[k] -= step
            columns.append((call(up) - call(down)) / (2 * step))
    jacobian = np.stack(columns, axis=-1)
    if len(args) == 1:
        return jacobian.reshape(jacobian.shape[:-1] + np.shape(args[0]))
    return jacobian


def _derivative_at(name, derivative, f, args, rtol, atol):
    """Checks one point; returns None if it passed (else the report was printed)."""
    answer = _call(name, derivative, args) if callable(derivative) else _numbers(name, derivative)
    if answer is None:
        return False
    expected = finite_differences(f, *args)
    if not _shape_and_finite(name, answer, expected):
        return False
    if atol is None:
        atol = DERIVATIVE_ATOL_FRACTION * rtol * max(np.max(np.abs(expected), initial=0.0), 1e-8)
    ok, worst, where = _worst(answer, expected, rtol, atol)
    if not ok:
        at = f" at {_args_text(args)}" if callable(derivative) else ""
        _report(NOT_YET, name, f"not yet: differs from finite differences{at} by up to "
                               f"{worst:.3g}{where}")
    return ok


def check_derivative(name, derivative, f, *args, rtol=1e-3, atol=None):
    """Does `derivative` match central finite differences of f at args, entry by entry?

    For a scalar f this checks a gradient (a tuple over scalar args, or an array shaped like
    the one array arg); for a vector f, its Jacobian J[i, j] = d f_i / d x_j (e.g. a Hessian,
    with f a gradient function). Nothing is reshaped. Each entry must be within
    atol + rtol * |its finite difference|; atol defaults to 1e-2 * rtol * (largest entry), a
    floor for round-off (see DERIVATIVE_ATOL_FRACTION).

    Args:
        derivative: the answer, or the student's function of the same args returning it.
            A function is checked at args and at args scaled by 1.1 and 0.8, so that a
            typed-in number cannot pass.
    """
    if callable(derivative):
        points = [args] + [tuple(float(a) * s if np.ndim(a) == 0 else np.asarray(a) * s
                                 for a in args) for s in NEARBY[1:]]
    else:
        points = [args]
    if not all(_derivative_at(name, derivative, f, p, rtol, atol) for p in points):
        return
    at = f" at {len(points)} points" if callable(derivative) else ""
    return _report(DONE, name, f"correct, matches central finite differences to {rtol:g}{at}")


def check_adjoint(name, forward, adjoint, input_shape, *, trials=3, rtol=1e-6, seed=0):
    """Is `adjoint` the transpose of the linear map `forward`: <forward(v), w> = <v, adjoint(w)>?

    The dot-product test, run in float64 on `trials` random pairs (v, w): a typed-in array or
    the forward map itself cannot pass, and zeros fail as soon as <forward(v), w> is not zero.

    Args:
        name: what the adjoint is, as the feedback should call it.
        forward: the linear map (the notebook's, known to be right), taking shape `input_shape`.
        adjoint: the student's function of an array shaped like forward's output; `...`, or
            one returning `...`, is not done yet.
        input_shape: the shape of forward's input, which adjoint must return.
        rtol: largest accepted |<Fv, w> - <v, F^T w>| / max(|<Fv, w>|, |<v, F^T w>|).
    """
    if _is_blank(adjoint):
        return _report(BLANK, name, "not done yet (replace the `...` with your code)")
    if not callable(adjoint):
        return _report(NOT_YET, name, f"expected a function, got {_short(adjoint)}")
    rng = np.random.default_rng(seed)
    worst = 0.0
    with _float64():
        for _ in range(trials):
            v = rng.normal(size=input_shape)
            forward_v = _as_array(forward(v))
            w = rng.normal(size=forward_v.shape)
            answer = _call(name, adjoint, (w,))
            if answer is None or not _shape_and_finite(name, answer, v):
                return
            left, right = float(np.vdot(forward_v, w)), float(np.vdot(v, answer))
            worst = max(worst, abs(left - right) / max(abs(left), abs(right), 1e-300))
            if worst > rtol:
                return _report(NOT_YET, name, f"not yet: the dot-product test fails, "
                                              f"<F v, w> = {left:.6g} but <v, adjoint(w)> = "
                                              f"{right:.6g} (relative error {worst:.2g})")
    return _report(DONE, name, f"correct, passes the dot-product test on {trials} random pairs "
                               f"(relative error below {rtol:g})")
