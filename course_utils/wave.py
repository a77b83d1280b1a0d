"""The 1D acoustic wave equation u_tt = c(x)^2 u_xx, solved by leapfrog finite differences.

Grid: `nx` points from 0 to `length`, spacing dx = length / (nx - 1); u is taken as zero one
point outside both ends (a fixed, reflecting wall there). Time: u^0 and u^1 come from a
Gaussian pulse moving right; each leapfrog step makes the next level,

    u^{n+1}_i = 2 u^n_i - u^{n-1}_i + (c_i dt / dx)^2 (u^n_{i+1} - 2 u^n_i + u^n_{i-1}),

and `simulate` returns u^{nt+1}, at time t_final = (nt + 1) dt.

With `WaveConfig(accuracy=4)` the second difference is replaced by the fourth-order one,
(-u_{i+2} + 16 u_{i+1} - 30 u_i + 16 u_{i-1} - u_{i-2}) / 12: a smaller space error, so
fewer points per wavelength at small Courant numbers (at larger ones, above about 0.7 in 1D,
it removes the space error that partly cancels leapfrog's time error and needs more), more
work per step, stable for Courant numbers up to sqrt(3)/2 instead of 1 (the numerics
notebook measures both).

Two gradients of `simulate` are offered (`gradient=`):
- "autodiff": `jax.grad` through the time loop; it stores every time level (memory ~ nt).
- "reversible" (default): the scheme runs backwards exactly, u^{n-1} = 2u^n - u^{n+1} +
  (c dt/dx)^2 lap(u^n), so the backward pass rebuilds each level instead of storing it
  (memory ~ nx, independent of nt). In float32 the rebuilt levels differ from the stored
  ones by about 1e-4 at the seed size, and the two gradients agree to about 1e-4.
"""

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np

from course_utils import _checks


class Grid:
    """`nx` points on [0, length] and `nt` steps of `dt`, stable up to `c_max`: shared by configs."""

    def check_grid(self):
        """Raise for a bad grid value, or when c_max * dt / dx > 1 (unstable).

        Values given as 0-d arrays are stored as Python numbers (the config stays hashable).
        """
        self._set("nx", _checks.positive_int("nx", self.nx, minimum=3))
        self._set("nt", _checks.positive_int("nt", self.nt))
        for name in ("length", "dt", "c_max"):
            self._set(name, _checks.positive_number(name, getattr(self, name)))
        _checks.stable_courant(self.c_max, self.dt, self.dx, **self._courant_rule())

    def _courant_rule(self):
        """The CFL limit of this grid's stencil, as keywords for `_checks.stable_courant`."""
        if getattr(self, "accuracy", 2) == 2:
            return {}  # the second-order stencil: limit 1, the default message
        return {"limit": self.courant_limit, "stencil": f"accuracy={self.accuracy}"}

    @property
    def courant_limit(self):
        """Largest stable Courant number c*dt/dx of the stencil: 1, or sqrt(3)/2 for accuracy=4."""
        return COURANT_LIMITS[getattr(self, "accuracy", 2)]

    def _set(self, name, value):
        object.__setattr__(self, name, value)  # frozen dataclass: only while checking

    @property
    def dx(self):
        """Grid spacing [m]."""
        return self.length / (self.nx - 1)

    @property
    def x(self):
        """Grid points [m], NumPy array of shape (nx,)."""
        return np.linspace(0.0, self.length, self.nx)


@dataclasses.dataclass(frozen=True)
class WaveConfig(Grid):
    """Grid, time stepping and initial pulse: static set-up, hashable (a `jit` static arg).

    Attributes:
        nx: number of grid points.
        length: domain length [m]; the grid runs from 0 to `length`.
        dt: time step [s].
        nt: number of leapfrog steps.
        c_max: largest velocity [m/s] this config must be stable for; checked against
            the CFL condition here, so traced velocities up to it are safe.
        pulse_center: centre of the initial Gaussian pulse [m].
        pulse_width: width w of the pulse exp(-((x - center) / w)^2) [m].
        accuracy: order of the spatial stencil, 2 (the default) or 4.

    Raises:
        ValueError: for a bad value, or when c_max * dt / dx exceeds the stencil's limit
            (1 for accuracy=2, sqrt(3)/2 for accuracy=4).
    """

    nx: int = 1000
    length: float = 1.0
    dt: float = 5e-4
    nt: int = 5000
    c_max: float = 2.0
    pulse_center: float = 0.5
    pulse_width: float = 0.2
    accuracy: int = 2

    def __post_init__(self):
        self._set("pulse_width", _checks.positive_number("pulse_width", self.pulse_width))
        accuracy = _checks.scalar("accuracy", self.accuracy)
        if isinstance(accuracy, bool) or accuracy not in COURANT_LIMITS:
            raise ValueError(f"accuracy must be one of {tuple(COURANT_LIMITS)} (the order of "
                             f"the spatial stencil), got {accuracy!r}.")
        self._set("accuracy", int(accuracy))
        self.check_grid()
        center = _checks.finite_number("pulse_center", self.pulse_center)
        if not 0 <= center <= self.length:
            raise ValueError(f"pulse_center must lie in the domain [0, {self.length:g}] m, "
                             f"got {center!r}.")
        self._set("pulse_center", center)

    @property
    def t_final(self):
        """Time [s] of the field `simulate` returns, (nt + 1) * dt."""
        return (self.nt + 1) * self.dt


GRADIENTS = ("reversible", "autodiff")
# Largest stable Courant number of leapfrog with each spatial stencil: the stencil's symbol
# at the grid's shortest wave (k dx = pi) is -4 (second order) or -16/3 (fourth order), and
# leapfrog needs (c dt / dx)^2 * |symbol| <= 4.
COURANT_LIMITS = {2: 1.0, 4: 3**0.5 / 2}
# Time steps per compiled loop iteration, measured on jax 0.10.2 (best of 30 runs at 1000 x 5000,
# of 5 at 16000 x 20000; two runs each). The forward: 1.10-1.17 ms with 2, 1.71-3.01 with 4,
# 1.53-2.20 with 8; 80-86 ms with 2, 95-103 with 4. The reversible gradient's backward sweep
# (the forward at 2): 358-360 ms with 8, 358-381 with 4, 404-420 with 2 at 16000 x 20000;
# 4.9-5.0, 5.3 and 4.4-4.8 ms at 1000 x 5000.
UNROLL = 2
BACKWARD_UNROLL = 8


def gaussian_pulse(x, config):
    """exp(-((x - center) / width)^2), same shape as `x`."""
    return jnp.exp(-(((x - config.pulse_center) / config.pulse_width) ** 2))


def initial_conditions(c, config):
    """u^0 and u^1 = the pulse at t=0 and t=dt, moving right at speed c; shapes (nx,)."""
    x = jnp.asarray(config.x, dtype=jnp.result_type(c))
    return gaussian_pulse(x, config), gaussian_pulse(x - c * config.dt, config)


def courant_squared(c, config):
    """(c dt / dx)^2, the factor in front of the second difference; same shape as c."""
    return (c * config.dt / config.dx) ** 2


def second_difference(u):
    """u[i+1] - 2u[i] + u[i-1] with u = 0 just outside both ends; shape (..., nx), along x."""
    padded = jnp.pad(u, [(0, 0)] * (u.ndim - 1) + [(1, 1)])
    return padded[..., 2:] - 2 * u + padded[..., :-2]


def fourth_order_difference(u):
    """(-u[i+2] + 16u[i+1] - 30u[i] + 16u[i-1] - u[i-2]) / 12, the same walls; shape (..., nx).

    As for `second_difference`, u = 0 one point outside each end; one point further the
    field is odd about that wall (u[-2] = -u[0]), its mirror image, so the sine modes that
    fit between the walls stay exact eigenvectors and the matrix stays symmetric.
    """
    walls = [(0, 0)] * (u.ndim - 1) + [(1, 1)]
    padded = jnp.concatenate([-u[..., :1], jnp.pad(u, walls), -u[..., -1:]], axis=-1)
    return (-padded[..., 4:] + 16 * padded[..., 3:-1] - 30 * u + 16 * padded[..., 1:-3]
            - padded[..., :-4]) / 12


def difference_of(config):
    """The spatial stencil of `config`: `second_difference` or `fourth_order_difference`."""
    return fourth_order_difference if config.accuracy == 4 else second_difference


def step(u_prev, u, r2, difference=second_difference):
    """One leapfrog step: u^{n+1} from u^{n-1}, u^n and r2 = (c dt / dx)^2.

    `difference` is the spatial stencil: `second_difference`, or `fourth_order_difference`.
    """
    return 2 * u - u_prev + r2 * difference(u)


def _advance(state, r2, num_steps, difference=second_difference):
    """Apply `num_steps` leapfrog steps to state = (u^{n-1}, u^n)."""

    def body(_, state):
        u_prev, u = state
        return u, step(u_prev, u, r2, difference)

    return jax.lax.fori_loop(0, num_steps, body, state, unroll=UNROLL)


def _final_state(c, config):
    """(u^nt, u^{nt+1}) for velocity c."""
    c = _checks.report_unstable(c, config)
    state = initial_conditions(c, config)
    return _advance(state, courant_squared(c, config), config.nt, difference_of(config))


def evolve(c, u_prev, u, config=WaveConfig()):
    """`config.nt` leapfrog steps from any two levels (u^0, u^1), each of shape (nx,).

    Returns:
        (u^nt, u^{nt+1}); `simulate` is this from the Gaussian pulse's two levels.
    """
    _check_call(c, config, "evolve(c, u_prev, u, config)")
    c = _checks.as_velocity(c, config)
    for name, level in (("u_prev", u_prev), ("u", u)):
        if np.shape(level) != (config.nx,):
            raise ValueError(f"{name} must have shape ({config.nx},) to match config.nx; "
                             f"got {np.shape(level)}.")
    _checks.run_time(config)
    return _evolve(c, jnp.asarray(u_prev), jnp.asarray(u), config)


@functools.partial(jax.jit, static_argnums=3)
def _evolve(c, u_prev, u, config):
    c = _checks.report_unstable(c, config)
    return _advance((u_prev, u), courant_squared(c, config), config.nt, difference_of(config))


def _simulate_autodiff(c, config):
    return _final_state(c, config)[1]


@functools.partial(jax.custom_vjp, nondiff_argnums=(1,))
def _simulate_reversible(c, config):
    return _final_state(c, config)[1]


def _reversible_fwd(c, config):
    u_prev, u = _final_state(c, config)
    return u, (c, u_prev, u)


def _reversible_bwd(config, residuals, u_bar):
    """Walk the steps backwards, rebuilding each earlier level from the two after it.

    One step maps (p, q) = (u^{n-1}, u^n) to (q, 2q - p + r2 * D(q)), with D the second
    difference (a symmetric matrix). Its transpose maps cotangents (a, b) of the outputs to
    p_bar = -b, q_bar = a + 2b + D(r2 * b), and adds b * D(q) to r2_bar. Since each a is
    minus the b of the step after, the sweep carries the cotangents as two levels of the
    adjoint field, lam^{n+2} and lam^{n+1}, stepped by the same leapfrog scheme with r2
    moved inside D (notebook 08): lam^n = 2 lam^{n+1} - lam^{n+2} + D(r2 * lam^{n+1}).
    Scaled by r2, the adjoint field obeys the forward scheme itself: w = r2 * lam steps as
    w^n = 2 w^{n+1} - w^{n+2} + r2 * D(w^{n+1}), as the rebuilt u does. So u and w are
    stepped together, stacked in one array of shape (2, nx): one stencil per step, which
    XLA:CPU compiles to fewer kernels than two (benchmarks/RESULTS.md). The sweep sums
    w * D(u), and divides by r2 at the end for r2_bar and lam: where c dt/dx is 0, or so
    small that r2 rounds to 0, the gradient is nan (`_checks.report_unstable` warns of such c).
    (The fourth-order difference is symmetric too, so the same lines serve accuracy=4.)
    """
    c, u_prev, u = residuals
    r2 = courant_squared(c, config)
    r2_rows = jnp.broadcast_to(r2, u.shape)[None]  # shape (1, nx), for both rows
    difference = difference_of(config)

    def body(_, carry):
        now, later, w_du = carry  # now = (u^n, w^{n+1}), later = (u^{n+1}, w^{n+2})
        d_now = difference(now)
        return 2 * now - later + r2_rows * d_now, now, w_du + now[1] * d_now[0]

    carry = (jnp.stack([u_prev, r2 * u_bar]), jnp.stack([u, jnp.zeros_like(u)]),
             jnp.zeros_like(u))
    now, later, w_du = jax.lax.fori_loop(0, config.nt, body, carry, unroll=BACKWARD_UNROLL)
    lam_2, lam_1, r2_bar = later[1] / r2, now[1] / r2, w_du / r2
    if jnp.ndim(c) == 0:
        r2_bar = jnp.sum(r2_bar)
    _, pullback = jax.vjp(
        lambda c: (initial_conditions(c, config), courant_squared(c, config)), c
    )
    return pullback(((-lam_2, lam_1), r2_bar))  # the cotangents of u^0, u^1 and r2


_simulate_reversible.defvjp(_reversible_fwd, _reversible_bwd)

_SIMULATORS = {
    "reversible": jax.jit(_simulate_reversible, static_argnums=1),
    "autodiff": jax.jit(_simulate_autodiff, static_argnums=1),
}


def simulate(c, config=WaveConfig(), *, gradient="reversible"):
    """Final wavefield u^{nt+1} for velocity c; differentiable with respect to c.

    Args:
        c: velocity [m/s], a scalar or shape (nx,).
        config: grid and time stepping.
        gradient: how `jax.grad` differentiates it, "reversible" (memory independent of
            nt) or "autodiff" (through the stored time loop).

    Returns:
        u at time config.t_final, shape (nx,).

    Raises:
        ValueError: wrong shape, non-positive or non-finite c, or an unstable time step.
        TypeError: config is not a WaveConfig (arguments swapped?).
        ValueError: also for gradient="autodiff" under tracing whose stored tape cannot fit.

    Warns:
        LongRunWarning: before a run that takes minutes.
        UnstableVelocityWarning: at run time, when a traced c leaves the stable range.
    """
    _check_call(c, config, "simulate(c, config)")
    if gradient not in GRADIENTS:
        raise ValueError(f"gradient must be one of {GRADIENTS}, got {gradient!r}.")
    c = _checks.as_velocity(c, config)
    if gradient == "autodiff" and _checks.is_traced(c):
        _checks.tape_fits(config, c.dtype.itemsize, "gradient='reversible'")
    _checks.run_time(config)
    return _SIMULATORS[gradient](c, config)


def _check_call(c, config, call):
    """TypeError for swapped or wrong arguments, before anything else looks at them."""
    if isinstance(c, Grid):
        raise TypeError(f"c must be a velocity (a number or an array), got a "
                        f"{type(c).__name__}. Arguments in order: {call}.")
    _checks.instance("config", config, WaveConfig, call)


@functools.partial(jax.jit, static_argnums=(1, 2))
def _history(c, config, every):
    c = _checks.report_unstable(c, config)
    state = initial_conditions(c, config)
    r2 = courant_squared(c, config)

    def chunk(state, _):
        state = _advance(state, r2, every, difference_of(config))
        return state, state[0]

    _, frames = jax.lax.scan(chunk, state, length=config.nt // every)
    return jnp.concatenate([state[0][None], frames])


def simulate_history(c, config=WaveConfig(), *, every=10):
    """Wavefield every `every` steps, for images and animations.

    Args:
        c: velocity [m/s], a scalar or shape (nx,).
        config: grid and time stepping.
        every: steps between stored frames.

    Returns:
        u^{k * every} for k = 0 .. nt // every, shape (nt // every + 1, nx); frame k is at
        time k * every * dt (see `history_times`).
    """
    _check_call(c, config, "simulate_history(c, config, every=...)")
    every = _check_every(every, config)
    c = _checks.as_velocity(c, config)
    _checks.run_time(config)
    return _history(c, config, every)


def _check_every(every, config):
    every = _checks.positive_int("every", every)
    if every > config.nt:
        raise ValueError(f"every must be at most config.nt={config.nt}, got {every}.")
    return every


def history_times(config, every=10):
    """Times [s] of the frames of `simulate_history`, shape (nt // every + 1,)."""
    _checks.instance("config", config, Grid, "history_times(config, every=...)")
    every = _check_every(every, config)
    return np.arange(config.nt // every + 1) * every * config.dt
