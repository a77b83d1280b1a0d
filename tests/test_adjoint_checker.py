"""exercises.check_adjoint: the dot-product test praises only a true transpose."""

import jax.numpy as jnp
import numpy as np
import pytest

from course_utils import exercises

INDEX = np.array([3, 7, 7, 12])  # two receivers on one grid point: .set would lose one
SCALE = 0.25


def sample(u):
    return u[INDEX]


def inject(f):
    return SCALE * f[:, None] * (np.arange(20) == 5)


def feedback(capsys, *args, **kwargs):
    assert exercises.check_adjoint(*args, **kwargs) is None
    return capsys.readouterr().out.strip()


@pytest.mark.parametrize("forward, adjoint, shape", [
    (sample, lambda r: np.zeros(20) + np.bincount(INDEX, weights=r, minlength=20), (20,)),
    (sample, lambda r: jnp.zeros(20).at[INDEX].add(r), (20,)),
    (inject, lambda g: SCALE * g[:, 5], (30,)),
])
def test_a_true_adjoint_passes(capsys, forward, adjoint, shape):
    assert feedback(capsys, "adjoint", forward, adjoint, shape) == (
        "✓ adjoint: correct, passes the dot-product test on 3 random pairs (relative error "
        "below 1e-06)")


@pytest.mark.parametrize("forward, adjoint, shape, message", [
    (sample, lambda r: np.zeros(20), (20,), "✗ adjoint: not yet: the dot-product test fails"),
    (sample, lambda r: jnp.zeros(20).at[INDEX].set(r), (20,), "✗ adjoint: not yet: the dot"),
    (sample, sample, (20,), "✗ adjoint: calling it raised IndexError"),
    (sample, lambda r: jnp.asarray(r)[INDEX], (20,), "✗ adjoint: expected shape (20,), got (4,)"),
    (inject, lambda g: g[:, 5], (30,), "✗ adjoint: not yet: the dot-product test fails"),
    (inject, lambda g: -SCALE * g[:, 5], (30,), "✗ adjoint: not yet: the dot-product test fails"),
    (inject, inject, (30,), "✗ adjoint: expected shape (30,), got (30, 1, 20)"),
    (inject, lambda g: np.full(30, np.nan), (30,), "✗ adjoint: contains nan or inf"),
    (inject, lambda g: 1 / 0, (30,), "✗ adjoint: calling it raised ZeroDivisionError"),
    (inject, lambda g: None, (30,), "✗ adjoint: expected real numbers, got None"),
    (inject, np.ones(30), (30,), "✗ adjoint: expected a function (your code, which the check runs on random "
     "arrays of its own), got a value typed in: array("),
])
def test_wrong_adjoints_never_pass(capsys, forward, adjoint, shape, message):
    assert feedback(capsys, "adjoint", forward, adjoint, shape).startswith(message)


def test_blank_reads_not_done_yet(capsys):
    blank = "… adjoint: not done yet (replace the `...` with your code)"
    assert feedback(capsys, "adjoint", sample, ..., (20,)) == blank
    assert feedback(capsys, "adjoint", sample, lambda r: ..., (20,)) == blank


def test_runs_in_float64_and_reports_the_error(capsys):
    rounded = lambda r: np.float32(1 + 1e-5) * jnp.zeros(20).at[INDEX].add(r)
    assert "(relative error 1e-05)" in feedback(capsys, "adjoint", sample, rounded, (20,))


# Second round (issue 24): these passed before.

def test_an_adjoint_that_zeroes_its_input_in_place_fails(capsys):
    """<F v, w> was computed after the adjoint ran, on the w it had zeroed."""
    def zeroing(w):
        w[...] = 0
        return np.zeros(20)
    assert feedback(capsys, "adjoint", sample, zeroing, (20,)).startswith(
        "✗ adjoint: not yet: the dot-product test fails")


def test_the_random_pairs_cannot_be_regenerated(capsys):
    """With the fixed seed 0, v could be regenerated and scaled to pass without any adjoint."""
    def replaying(w):
        v = np.random.default_rng(0).normal(size=20)
        return v * np.vdot(sample(v), w) / np.vdot(v, v)
    assert feedback(capsys, "adjoint", sample, replaying, (20,)).startswith("✗ adjoint: not yet")
    seen = []
    for _ in range(2):
        feedback(capsys, "adjoint", sample, lambda r: seen.append(np.array(r)) or np.bincount(
            INDEX, weights=r, minlength=20), (20,))
    assert not np.allclose(seen[0], seen[3])  # each call draws its own pairs
