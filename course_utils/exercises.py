"""Checkers for the notebooks' exercises: each prints one line of feedback, starting ✓ (done),
✗ (not yet) or … (blank).

They never raise. A blank left as `...` (how the student notebooks hand an exercise out)
reads "not done yet", and a wrong answer says how far off it is, so a notebook runs top to
bottom whatever state its exercises are in.
"""

import numpy as np
from jax.experimental import enable_x64

DONE, NOT_YET, BLANK = "✓", "✗", "…"


def _is_blank(answer):
    if answer is Ellipsis:
        return True
    return isinstance(answer, (tuple, list)) and any(_is_blank(a) for a in answer)


def _report(mark, name, message):
    print(f"{mark} {name}: {message}")


def _as_array(answer):
    """The answer as a float64 array (tuples of scalars, JAX and PyTorch values too)."""
    if isinstance(answer, (tuple, list)):
        return np.array([_as_array(a) for a in answer])
    if hasattr(answer, "detach"):  # a torch tensor
        answer = answer.detach().numpy()
    return np.asarray(answer, dtype=np.float64)


def _numbers(name, answer):
    """The answer as an array, or None after saying why it is not one (yet)."""
    if _is_blank(answer):
        _report(BLANK, name, "not done yet (replace the `...` with your code)")
        return None
    try:
        return _as_array(answer)
    except (TypeError, ValueError) as err:
        _report(NOT_YET, name, f"expected numbers, got {type(answer).__name__} ({err})")
        return None


def check_close(name, answer, expected, *, rtol=1e-5, atol=0.0):
    """Is `answer` equal to `expected` within rtol (relative) or atol (absolute)?

    Args:
        name: what the answer is, as the feedback should call it.
        answer: a number or an array (or tuple of numbers); `...` means not done yet.
        expected: the reference, same shape.
    """
    answer = _numbers(name, answer)
    if answer is None:
        return
    expected = _as_array(expected)
    if answer.shape != expected.shape:
        return _report(NOT_YET, name, f"expected shape {expected.shape}, got {answer.shape}")
    if not np.all(np.isfinite(answer)):
        return _report(NOT_YET, name, "contains nan or inf")
    if np.allclose(answer, expected, rtol=rtol, atol=atol):
        tolerance = f"{rtol:g} (relative)" if atol == 0 else f"{atol:g}"
        return _report(DONE, name, f"correct, matches to {tolerance}")
    worst = np.max(np.abs(answer - expected))
    return _report(NOT_YET, name, f"not yet: off by up to {worst:.3g} (tolerance rtol={rtol:g}, "
                                  f"atol={atol:g})")


def finite_differences(f, *args, h=1e-5):
    """Central differences of f with respect to every entry of args, in float64 (JAX too).

    Returns:
        An array of shape f's output shape + (total number of entries in args,).
    """
    flat = np.concatenate([np.ravel(np.asarray(a, dtype=np.float64)) for a in args])
    sizes = np.cumsum([np.size(a) for a in args])[:-1]

    def call(vector):
        parts = np.split(vector, sizes)
        values = [p.reshape(np.shape(a)) for p, a in zip(parts, args)]
        return _as_array(f(*values))

    columns = []
    with enable_x64():
        for k in range(flat.size):
            step = h * max(1.0, abs(flat[k]))
            up, down = flat.copy(), flat.copy()
            up[k] += step
            down[k] -= step
            columns.append((call(up) - call(down)) / (2 * step))
    return np.stack(columns, axis=-1)


def check_derivative(name, derivative, f, *args, rtol=1e-3):
    """Does `derivative` match central finite differences of f at args?

    For a scalar f this checks a gradient (any layout: a tuple over args, or one array);
    for a vector f, its Jacobian (e.g. a Hessian, with f a gradient function). Entries must
    agree to rtol times the largest entry.
    """
    answer = _numbers(name, derivative)
    if answer is None:
        return
    expected = finite_differences(f, *args)
    if answer.size != expected.size:
        return _report(NOT_YET, name, f"expected {expected.size} numbers, got {answer.size}")
    answer = answer.reshape(expected.shape)
    if np.all(np.abs(answer - expected) <= rtol * max(np.abs(expected).max(), 1e-8)):
        return _report(DONE, name, f"correct, matches central finite differences to {rtol:g}")
    worst = np.max(np.abs(answer - expected))
    return _report(NOT_YET, name, f"not yet: differs from finite differences by up to {worst:.3g}")
