"""What real FWI measures, in 1D: a source wavelet, receivers, and absorbing layers.

The wave equation with a point source and a damping term that is non-zero only in a
"sponge" layer at each end,

    u_tt + sigma(x) u_t = c(x)^2 u_xx + f(t) delta(x - x_s),

stepped with leapfrog (the damping term with a centred difference):

    (1 + s) u^{n+1} = 2u^n - (1 - s) u^{n-1} + (c dt/dx)^2 D(u^n) + dt^2 f^n e_s / dx,

where s = sigma dt / 2, D is `wave.second_difference` and e_s is 1 at the source's grid
point. The field starts at rest. Receivers record u at their grid points every step.
"""

import dataclasses
import functools
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from course_utils import _checks, wave


@dataclasses.dataclass(frozen=True)
class SeismicConfig(wave.Grid):
    """Grid, time stepping, source wavelet and sponge layers; hashable (a `jit` static arg).

    Attributes:
        nx: grid points on [0, length].
        length: domain length [m].
        dt: time step [s].
        nt: number of time steps; traces have nt samples, at times n * dt.
        c_max: largest velocity [m/s] the config must be stable for.
        peak_frequency: the Ricker wavelet's peak frequency [Hz].
        sponge_width: width of the absorbing layer at each end [m].
        sponge_damping: damping sigma [1/s] at the outer edge of the layers.
    """

    nx: int = 301
    length: float = 3.0
    dt: float = 4e-3
    nt: int = 1000
    c_max: float = 2.0
    peak_frequency: float = 4.0
    sponge_width: float = 0.4
    sponge_damping: float = 30.0

    def __post_init__(self):
        self.check_grid()
        for name in ("peak_frequency", "sponge_width"):
            _checks.positive_number(name, getattr(self, name))
        if not 0 <= self.sponge_damping < float("inf"):
            raise ValueError(f"sponge_damping must be >= 0, got {self.sponge_damping!r}.")
        if self.sponge_width >= self.length / 2:
            raise ValueError(f"sponge_width must be less than half the length "
                             f"({self.length / 2:g} m), got {self.sponge_width!r}.")

    @property
    def t(self):
        """Sample times [s] of the traces, shape (nt,)."""
        return np.arange(self.nt) * self.dt

    @property
    def interior(self):
        """Mask of the grid points outside the sponge layers, shape (nx,)."""
        return (self.x >= self.sponge_width) & (self.x <= self.length - self.sponge_width)


def ricker(t, peak_frequency, delay=None):
    """Ricker wavelet (1 - 2a) exp(-a), a = (pi f (t - delay))^2; delay 1.2 / f by default.

    Warns (RuntimeWarning) when the delay cuts the wavelet: it must start from rest.
    """
    peak_frequency = _checks.positive_number("peak_frequency", peak_frequency)
    delay = 1.2 / peak_frequency if delay is None else _checks.finite_number("delay", delay)
    a = (np.pi * peak_frequency * (np.asarray(t) - delay)) ** 2
    wavelet = (1 - 2 * a) * np.exp(-a)
    if np.size(t) and abs(wavelet.flat[0]) > 1e-3:
        warnings.warn(f"The Ricker wavelet is cut at t={np.ravel(t)[0]:g} s: it starts at "
                      f"{wavelet.flat[0]:.3g} of its peak (delay={delay:g} s). A source must "
                      f"start from rest: use delay >= {1.2 / peak_frequency:.3g} s (1.2 / "
                      f"peak_frequency).", RuntimeWarning, stacklevel=2)
    return wavelet


# Points per wavelength at the peak frequency, in the slowest medium, below which the course
# warns. A rule of thumb, not a threshold: notebook 05 measures a smooth loss (at 10 points,
# 1-2 % of phase velocity at the peak frequency, and about a third of the wavelet's shape
# after 5 wavelengths at Courant number 0.4).
MIN_POINTS_PER_WAVELENGTH = 10


def check_sampling(c, config):
    """Warn when the grid under-samples the wavelet: too few points per wavelength."""
    if _checks.is_traced(c):
        return
    c_min = float(np.min(np.asarray(c)))  # np.asarray: no jnp operation, even inside a trace
    ppw = c_min / (config.peak_frequency * config.dx)
    if ppw < MIN_POINTS_PER_WAVELENGTH:
        warnings.warn(
            f"The grid under-samples the source: {ppw:.1f} points per wavelength at the "
            f"peak frequency {config.peak_frequency:g} Hz in the slowest medium (c={c_min:.3g}"
            f" m/s, dx={config.dx:.3g} m), below the rule of thumb of "
            f"{MIN_POINTS_PER_WAVELENGTH}: numerical dispersion distorts the wavelet more the "
            f"fewer points and the longer the path (notebook 05). Lower peak_frequency or raise "
            f"nx.",
            RuntimeWarning, stacklevel=3)


def sponge(config):
    """Damping sigma(x) [1/s]: zero inside, rising quadratically across each layer."""
    depth = np.maximum(config.sponge_width - np.minimum(config.x, config.length - config.x), 0)
    return config.sponge_damping * (depth / config.sponge_width) ** 2


def grid_index(positions, config, name="position"):
    """Indices of the grid points nearest to `positions` [m], shape like `positions`."""
    positions = _checks.positions(name, positions, config.length)
    return np.rint(positions / config.dx).astype(int)


def damped_step(u_prev, u, r2, s, forcing):
    """One leapfrog step with damping s = sigma dt / 2 and a forcing term; shape (nx,)."""
    return (2 * u - (1 - s) * u_prev + r2 * wave.second_difference(u) + forcing) / (1 + s)


def _propagate(c, source_index, config, record, segment=None):
    """Step from rest with the source; return record(u^{n+1}) for every step, stacked.

    With `segment`, the steps run in segments of that many under `jax.checkpoint`: a
    gradient then stores the state at each segment's start and recomputes one segment at a
    time (memory ~ nt / segment + segment levels instead of nt).
    """
    c = _checks.report_unstable(c, config)
    r2 = (c * config.dt / config.dx) ** 2
    s = jnp.asarray(sponge(config) * config.dt / 2, dtype=r2.dtype)
    spike = jax.nn.one_hot(source_index, config.nx, dtype=r2.dtype) * config.dt**2 / config.dx
    wavelet = jnp.asarray(ricker(config.t, config.peak_frequency), dtype=r2.dtype)

    def body(state, f):
        u_prev, u = state
        u_next = damped_step(u_prev, u, r2, s, f * spike)
        return (u, u_next), record(u_next)

    zero = jnp.zeros(config.nx, dtype=r2.dtype)
    if segment is None:
        return jax.lax.scan(body, (zero, zero), wavelet)[1]
    count = -(-config.nt // segment)  # the last segment is padded with silent steps, cut below
    wavelet = jnp.pad(wavelet, (0, count * segment - config.nt)).reshape(count, segment)
    chunk = jax.checkpoint(lambda state, f: jax.lax.scan(body, state, f))
    records = jax.lax.scan(chunk, (zero, zero), wavelet)[1]
    return records.reshape((count * segment,) + records.shape[2:])[: config.nt]


@functools.partial(jax.jit, static_argnums=2)
def wavefield_at_index(c, source_index, config):
    """u(x, t) for a source at grid point `source_index`: shape (nt, nx); vmappable.

    No input checks (c and the index may be traced): `wavefield` and `shots` check first.
    """
    return _propagate(c, source_index, config, lambda u: u)


@functools.partial(jax.jit, static_argnums=3)
def traces_at_index(c, source_index, receiver_index, config):
    """u at the receivers' grid points, shape (nt, n_receivers), keeping no wavefield."""
    return _propagate(c, source_index, config, lambda u: u[receiver_index])


@functools.partial(jax.jit, static_argnums=(3, 4))
def traces_at_index_checkpointed(c, source_index, receiver_index, config, segment):
    """`traces_at_index` whose gradient recomputes segments of `segment` steps (checkpoints)."""
    return _propagate(c, source_index, config, lambda u: u[receiver_index], segment)


def wavefield(c, source, config=SeismicConfig()):
    """u(x, t) for one source at `source` [m]: shape (nt, nx), row n at time (n + 1) dt."""
    c = _check_inputs(c, config, "wavefield(c, source, config)")
    return wavefield_at_index(c, grid_index(source, config, "source"), config)


def _check_inputs(c, config, call):
    _checks.instance("config", config, SeismicConfig, call)
    checked = _checks.as_velocity(c, config)
    check_sampling(c, config)  # the given c, concrete even inside another trace
    return checked


def shots(c, sources, receivers, config=SeismicConfig(), *, gradient="tape"):
    """Seismograms of every source, recorded at every receiver.

    Args:
        c: velocity [m/s], a scalar or shape (nx,); differentiable.
        sources: source positions [m], shape (n_sources,).
        receivers: receiver positions [m], shape (n_receivers,).
        config: grid, time stepping, wavelet and sponge.
        gradient: how `jax.grad` differentiates it: "tape" stores every time level (memory
            ~ nt per source); "checkpoint" stores one state per segment of about sqrt(nt)
            steps and recomputes each segment during the backward sweep (memory ~ sqrt(nt),
            one more forward run of work). Time reversal is not offered: the backward run
            through the sponge is anti-damped (the adjoint-state notebook measures it).

    Returns:
        Traces of shape (n_sources, nt, n_receivers); no wavefield is kept.
    """
    c = _check_inputs(c, config, "shots(c, sources, receivers, config)")
    if gradient not in SHOT_GRADIENTS:
        raise ValueError(f"gradient must be one of {SHOT_GRADIENTS}, got {gradient!r}.")
    source_index = grid_index(np.atleast_1d(sources), config, "source")
    receiver_index = grid_index(np.atleast_1d(receivers), config, "receiver")
    _checks.run_time(config, count=len(source_index))
    if gradient == "checkpoint":
        traces = jax.vmap(traces_at_index_checkpointed, in_axes=(None, 0, None, None, None))
        return traces(c, source_index, receiver_index, config, checkpoint_segment(config.nt))
    traces = jax.vmap(traces_at_index, in_axes=(None, 0, None, None))
    return traces(c, source_index, receiver_index, config)


SHOT_GRADIENTS = ("tape", "checkpoint")


def checkpoint_segment(nt):
    """Steps per checkpointed segment, about sqrt(nt).

    A gradient then stores 2 nt / k + k levels (two per segment start, plus the segment being
    recomputed), of order sqrt(nt); the exact minimum, at k = sqrt(2 nt), is 6% lower.
    """
    return max(1, round(nt**0.5))
