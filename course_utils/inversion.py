"""Misfits, optimiser runners that return a `History`, and gradient checks.

Every runner counts *evaluations*: one call of the loss (forward simulation, plus its
gradient when the optimiser asks for one). That is the fair unit for comparing Adam with
L-BFGS, whose line search may evaluate the loss several times per iteration.
"""

import contextlib
import dataclasses
import functools
import time
import warnings

import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np

from course_utils import _checks, progress, wave


def misfit(c, observed, config=wave.WaveConfig()):
    """L2 norm ||simulate(c) - observed|| of the final-snapshot residual; a scalar.

    Raises:
        ValueError: observed is not of shape (nx,) (no silent broadcasting).
    """
    if np.shape(observed) != (config.nx,):
        raise ValueError(f"observed must have shape ({config.nx},) to match config.nx; got "
                         f"{np.shape(observed)}.")
    return jnp.linalg.norm(wave.simulate(c, config) - observed)


@dataclasses.dataclass(frozen=True)
class History:
    """What an optimiser run did, one row per loss evaluation.

    Attributes:
        loss: loss at each evaluation, shape (evaluations,).
        grad_norm: norm of the gradient computed with that evaluation (nan where the
            optimiser asked only for the loss), shape (evaluations,).
        params: parameters at each evaluation, shape (evaluations, *params.shape).
        seconds: wall time [s] from the first evaluation to each one, shape (evaluations,);
            compilation happens before the first evaluation and is not included.
        solution: the parameters the optimiser returned.
        is_iterate: True where the evaluation was at one of the optimiser's iterates (the
            start and each point an iteration moved to), False at a line-search trial
            point it did not accept; shape (evaluations,). Default: every evaluation.
        status: how the run ended: "completed" (Adam's steps done), "converged",
            "max_iterations" (ran out), "failed" (the line search found no decrease) or
            "diverged" (a non-finite loss or gradient; the History stops before it).
    """

    loss: np.ndarray
    grad_norm: np.ndarray
    params: np.ndarray
    seconds: np.ndarray
    solution: np.ndarray
    is_iterate: np.ndarray = None
    status: str = "completed"

    def __post_init__(self):
        if self.is_iterate is None:  # a runner without line search: every evaluation
            object.__setattr__(self, "is_iterate", np.ones(len(self.loss), dtype=bool))

    @property
    def evaluations(self):
        """1, 2, ..., number of evaluations; shape (evaluations,)."""
        return np.arange(1, len(self.loss) + 1)

    @property
    def best_loss(self):
        """Lowest finite loss seen after each evaluation, shape (evaluations,)."""
        return np.fmin.accumulate(self.loss)  # fmin: a failed (nan) trial step is skipped

    @property
    def iterates(self):
        """Indices of the evaluations at the optimiser's iterates, shape (iterates,).

        Plot `evaluations[iterates]` against `loss[iterates]` or `params[iterates]` to see
        the path the optimiser took, without its line-search trial points.
        """
        return np.flatnonzero(self.is_iterate)


class _Recorder:
    """Host-side log of every evaluation, fed by `jax.debug.callback` from compiled code."""

    def __init__(self, name, total, show, line_search=False, start=None):
        self.rows, self.times, self.start, self.instabilities = [], [], start, []
        self.line_search, self.iterates = line_search, [0]  # both start by evaluating params
        self.progress = progress.Progress(name, total, enabled=show)

    def _record(self, loss, params):
        self.times.append(time.perf_counter())
        self.rows.append([float(loss), np.nan, np.asarray(params)])
        self.progress.update()

    def _record_gradient(self, grad_norm):
        self.rows[-1][1] = float(grad_norm)  # the gradient of the latest evaluation

    def _record_iterate(self, params):
        """Mark the evaluation at `params`, where an iteration moved to (its accepted
        line-search point); none when it stayed put, e.g. after a failed line search."""
        params = np.asarray(params)
        for k in range(len(self.rows) - 1, self.iterates[-1], -1):
            if np.array_equal(np.ravel(self.rows[k][2]), np.ravel(params)):
                self.iterates.append(k)
                return

    def wrap(self, loss_fn):
        """`loss_fn` that also reports each evaluation, and its gradient's norm, here."""
        import optax  # here, not at the top: importing inversion stays light (and below)

        @jax.custom_vjp
        def recorded(params):
            loss = loss_fn(params)
            jax.debug.callback(self._record, loss, params, ordered=True)
            return loss

        def forward(params):
            loss, pullback = jax.vjp(loss_fn, params)
            jax.debug.callback(self._record, loss, params, ordered=True)
            return loss, pullback

        def backward(pullback, cotangent):
            grad = pullback(cotangent)
            jax.debug.callback(self._record_gradient, optax.tree_utils.tree_norm(grad),
                               ordered=True)
            return grad

        recorded.defvjp(forward, backward)
        return recorded

    @contextlib.contextmanager
    def watching(self):
        """Run the compiled loop; the solver's instability warnings are kept for `history`."""
        seen = len(_checks.INSTABILITIES)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", _checks.UnstableVelocityWarning)
            yield
            jax.effects_barrier()  # every callback has run
        self.instabilities = _checks.INSTABILITIES[seen:]

    def history(self, solution, status="completed", hint=""):
        """The `History`, stopped before the first non-finite evaluation (said in a warning)."""
        loss, grad_norm, params = (np.array(v) for v in zip(*self.rows))
        seconds = np.asarray(self.times) - self.times[0]
        is_iterate = None
        if self.line_search:
            is_iterate = np.zeros(len(loss), dtype=bool)
            is_iterate[self.iterates] = True
        bad = np.flatnonzero(~np.isfinite(loss) | np.isinf(grad_norm)
                             | (np.isnan(grad_norm) & ~self.line_search))
        diverged = bad.size and (not self.line_search or not np.all(np.isfinite(solution)))
        if diverged:
            first = int(bad[0])
            loss, grad_norm, params, seconds = (v[:first] for v in (loss, grad_norm, params,
                                                                    seconds))
            is_iterate = None if is_iterate is None else is_iterate[:first]
            solution, status = (params[-1] if first else self.start), "diverged"
            self._warn(first, hint)
        self.progress.close(None if status == "completed" else OUTCOMES[status])
        return History(loss, grad_norm, params, seconds, np.asarray(solution), is_iterate,
                       status)

    def _warn(self, first, hint):
        loss, grad_norm = self.rows[first][:2]
        what = (f"loss became {loss}" if not np.isfinite(loss)
                else f"gradient became {grad_norm} while the loss is {loss:.4g}")
        if self.instabilities:
            cause = f"the scheme became unstable: {self.instabilities[0]} {hint}"
        elif np.isfinite(loss):
            cause = ("the loss has no gradient there (for example the norm ||r|| where "
                     "the residual r is exactly zero).")
        else:
            cause = f"the step was too large. {hint}"
        warnings.warn(f"{self.progress.description} diverged at evaluation {first + 1} of "
                      f"{len(self.rows)}: the {what}. Likely cause: {cause} The History "
                      f"keeps the {first} evaluation{'s' * (first != 1)} before it.", DivergenceWarning,
                      stacklevel=3)


class DivergenceWarning(RuntimeWarning):
    """An optimiser met a non-finite loss or gradient; its History stops before it."""


OUTCOMES = {"converged": "converged", "max_iterations": "stopped at max_iterations",
            "failed": "stopped: the line search found no decrease",
            "diverged": "diverged (see the warning)"}


def run_adam(loss_fn, params, *, learning_rate, num_steps, progress=True):
    """Adam (optax), the whole loop compiled in one `lax.scan`: one evaluation per step.

    Args:
        loss_fn: scalar function of `params`, differentiable with `jax.grad`.
        params: starting point, an array.
        learning_rate: Adam's step size, > 0, or an optax schedule (step -> step size).
        num_steps: number of steps (= evaluations), >= 1.
        progress: show a progress bar.

    Returns:
        History; `solution` is the parameters after the last update.
    """
    if not callable(learning_rate):
        _checks.positive_number("learning_rate", learning_rate)
    _checks.positive_int("num_steps", num_steps)
    recorder = _Recorder("Adam", num_steps, progress, start=params)
    value_and_grad = jax.value_and_grad(recorder.wrap(loss_fn))
    import optax

    optimizer = optax.adam(learning_rate)

    def one_step(carry, _):
        params, state = carry
        _, grad = value_and_grad(params)
        updates, state = optimizer.update(grad, state)
        return (optax.apply_updates(params, updates), state), None

    @jax.jit
    def run(params):
        carry = (params, optimizer.init(params))
        return jax.lax.scan(one_step, carry, length=num_steps)[0][0]

    with recorder.watching():
        solution = run(params)
    rate = "the schedule" if callable(learning_rate) else f"learning_rate={learning_rate:g}"
    return recorder.history(solution, hint=f"Lower the learning rate ({rate}) or bound the "
                                           f"velocity.")


def _check_lbfgs(max_iterations, tolerance):
    _checks.positive_int("max_iterations", max_iterations)
    _checks.positive_number("tolerance", tolerance)


def run_lbfgs_tfp(loss_fn, params, *, max_iterations, tolerance=1e-8, memory=10,
                  progress=True):
    """L-BFGS from tensorflow-probability's JAX substrate (`lbfgs_minimize`).

    Args:
        loss_fn: scalar function of `params`, differentiable with `jax.grad`.
        params: starting point, an array.
        max_iterations: most L-BFGS iterations (each may take several evaluations).
        tolerance: stop when the largest gradient component is below this.
        memory: number of correction pairs kept (m).
        progress: show a progress bar.

    Returns:
        History; `solution` is TFP's final position.
    """
    _check_lbfgs(max_iterations, tolerance)
    _checks.positive_int("memory", memory)
    from tensorflow_probability.substrates import jax as tfp  # slow import: only here

    recorder = _Recorder("L-BFGS (TFP)", None, progress, line_search=True, start=params)
    flat, unflatten = jax.flatten_util.ravel_pytree(jnp.asarray(params))  # TFP wants 1-D
    value_and_grad = jax.value_and_grad(lambda p: recorder.wrap(loss_fn)(unflatten(p)))
    lbfgs = functools.partial(tfp.optimizer.lbfgs_minimize, tolerance=tolerance,
                              num_correction_pairs=memory)

    def keep_going(state):  # TFP's own loop condition, with its default stopping rule
        return (state.num_iterations < max_iterations) & ~jnp.all(state.converged | state.failed)

    def one_iteration(state):  # TFP resumes from its state, so we see each iterate
        state = lbfgs(value_and_grad, None, previous_optimizer_results=state,
                      max_iterations=state.num_iterations + 1)
        jax.debug.callback(recorder._record_iterate, state.position, ordered=True)
        return state

    @jax.jit
    def run(flat):
        # TFP's start state around our own first evaluation, so its loop is traced once
        start = value_and_grad(flat)
        state = lbfgs(lambda _: start, flat, max_iterations=0)
        state = jax.lax.while_loop(keep_going, one_iteration, state)
        return state.position, state.converged, state.failed

    with recorder.watching():
        position, converged, failed = run(flat)
    status = ("converged" if converged else "failed" if failed else "max_iterations")
    return recorder.history(unflatten(position), status, _LBFGS_HINT)


def run_lbfgs_optax(loss_fn, params, *, max_iterations, tolerance=1e-8, memory=10,
                    progress=True):
    """L-BFGS from optax (zoom line search), looped in one `lax.while_loop`.

    Args and returns as `run_lbfgs_tfp`; stops when the gradient's norm is below tolerance.
    """
    _check_lbfgs(max_iterations, tolerance)
    _checks.positive_int("memory", memory)
    recorder = _Recorder("L-BFGS (optax)", None, progress, line_search=True, start=params)
    loss_fn = recorder.wrap(loss_fn)
    import optax

    optimizer = optax.lbfgs(memory_size=memory)
    value_and_grad = optax.value_and_grad_from_state(loss_fn)

    def keep_going(carry):
        _, state = carry
        count = optax.tree_utils.tree_get(state, "count")
        grad = optax.tree_utils.tree_get(state, "grad")
        small = optax.tree_utils.tree_norm(grad) < tolerance
        return (count == 0) | ((count < max_iterations) & ~small)

    def one_step(carry):
        params, state = carry
        value, grad = value_and_grad(params, state=state)
        updates, state = optimizer.update(
            grad, state, params, value=value, grad=grad, value_fn=loss_fn
        )
        params = optax.apply_updates(params, updates)
        jax.debug.callback(recorder._record_iterate, params, ordered=True)
        return params, state

    @jax.jit
    def run(params):
        carry = (params, optimizer.init(params))
        params, state = jax.lax.while_loop(keep_going, one_step, carry)
        grad = optax.tree_utils.tree_get(state, "grad")
        return params, optax.tree_utils.tree_norm(grad) < tolerance

    with recorder.watching():
        solution, converged = run(params)
    return recorder.history(solution, "converged" if converged else "max_iterations",
                            _LBFGS_HINT)


_LBFGS_HINT = "Bound the velocity (a sigmoid parametrisation) or start closer."


@dataclasses.dataclass(frozen=True)
class TaylorTest:
    """Residuals of f(x + h v) against its Taylor expansions, for a list of steps h.

    With a correct gradient, `zeroth` = |f(x+hv) - f(x)| falls like h (slope 1) and
    `first` = |f(x+hv) - f(x) - h grad.v| like h^2 (slope 2) on a log-log plot.
    """

    steps: np.ndarray
    zeroth: np.ndarray
    first: np.ndarray

    @property
    def slopes(self):
        """Fitted log-log slopes (zeroth, first)."""
        fit = lambda r: np.polyfit(np.log(self.steps), np.log(r), 1)[0]
        return fit(self.zeroth), fit(self.first)


def taylor_test(loss_fn, params, direction, steps=(1e-1, 5e-2, 2.5e-2, 1.25e-2)):
    """Check `jax.grad(loss_fn)` at `params` along `direction` (same shape)."""
    loss, grad = jax.value_and_grad(loss_fn)(params)
    slope = float(jnp.vdot(grad, direction))
    steps = np.asarray(steps)
    moved = np.array([float(loss_fn(params + h * direction)) for h in steps])
    return TaylorTest(steps, np.abs(moved - loss), np.abs(moved - loss - steps * slope))


def directional_derivatives(loss_fn, params, direction, h=1e-3):
    """(autodiff, central finite difference) derivatives of `loss_fn` along `direction`."""
    autodiff = jnp.vdot(jax.grad(loss_fn)(params), direction)
    plus, minus = loss_fn(params + h * direction), loss_fn(params - h * direction)
    return float(autodiff), float((plus - minus) / (2 * h))
