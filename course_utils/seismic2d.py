"""The 2D acoustic wave equation with sources, receivers and sponge layers (notebook 14).

    u_tt + sigma(x, z) u_t = c(x, z)^2 (u_xx + u_zz) + f(t) delta(x - x_s) delta(z - z_s),

stepped with leapfrog on a square grid (spacing dx in both directions), the damping term
with a centred difference and the 5-point Laplacian L:

    (1 + s) u^{n+1} = 2u^n - (1 - s) u^{n-1} + (c dt/dx)^2 L(u^n) + dt^2 f^n e_s / dx^2,

where s = sigma dt / 2 and e_s is 1 at the source's grid point (1 / dx^2 is a discrete 2D
delta). u is zero one point outside the grid. Stable for Courant numbers c dt / dx up to
1 / sqrt(2). Fields and models have shape (nz, nx): row = depth z, column = x.

The gradient of `shots` is the adjoint-state method written out (notebook 08's, with the
damping): the forward keeps the last two levels of every segment of steps, and the
backward sweep rebuilds the others while it steps the adjoint field, both at once.
"""

import dataclasses
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from course_utils import _checks, seismic

COURANT_LIMIT = 1 / math.sqrt(2)  # the 5-point stencil's CFL limit in 2D
UNROLL = 2  # time steps per compiled loop iteration (200 x 200 x 2000 forward, jax 0.10.2,
#            best of 5, two runs: 32-40 ms with 2, 68-75 with 1, 46-89 with 4)
BACKWARD_UNROLL = 2  # the same for the gradient's backward sweep. Gradient / forward, best of
#            4 interleaved, with 2, 4 and 8: 5.7, 5.5, 5.4 at 200 x 200 x 2000 and 2.4, 2.2, 2.1
#            at notebook 14's size; but XLA's working memory beyond the stored levels, in
#            fields per shot at notebook 14's size: about 25, 40, 72 (20 with 1)


@dataclasses.dataclass(frozen=True)
class Seismic2DConfig:
    """Grid, time stepping, wavelet and sponge; hashable (a `jit` static argument).

    Attributes:
        nx: grid points along x, on [0, length].
        nz: grid points along depth z, on [0, (nz - 1) * dx].
        length: width of the grid along x [m]; dx = length / (nx - 1), also along z.
        dt: time step [s].
        nt: number of time steps; traces have nt samples, row n at time (n + 1) dt.
        c_max: largest velocity [m/s] the config must be stable for.
        peak_frequency: the Ricker wavelet's peak frequency [Hz].
        sponge_width: width of the absorbing layer along each edge [m].
        sponge_damping: damping sigma [1/s] at the outer edges.

    Raises:
        ValueError: for a bad value, or when c_max * dt / dx > 1 / sqrt(2) (unstable).
    """

    nx: int = 101
    nz: int = 101
    length: float = 2.0
    dt: float = 6e-3
    nt: int = 500
    c_max: float = 2.0
    peak_frequency: float = 3.0
    sponge_width: float = 0.4
    sponge_damping: float = 25.0

    def __post_init__(self):
        for name in ("nx", "nz"):
            self._set(name, _checks.positive_int(name, getattr(self, name), minimum=3))
        self._set("nt", _checks.positive_int("nt", self.nt))
        for name in ("length", "dt", "c_max", "peak_frequency", "sponge_width"):
            self._set(name, _checks.positive_number(name, getattr(self, name)))
        if not 0 <= self.sponge_damping < float("inf"):
            raise ValueError(f"sponge_damping must be >= 0, got {self.sponge_damping!r}.")
        if self.sponge_width >= min(self.length, self.depth) / 2:
            raise ValueError(f"sponge_width must be less than half the grid's smaller side "
                             f"({min(self.length, self.depth) / 2:g} m), got "
                             f"{self.sponge_width!r}.")
        _checks.stable_courant(self.c_max, self.dt, self.dx, **self._courant_rule())

    def _set(self, name, value):
        object.__setattr__(self, name, value)  # frozen dataclass: only while checking

    def _courant_rule(self):
        return {"limit": COURANT_LIMIT, "stencil": "the 2D 5-point stencil (1/sqrt(2))"}

    @property
    def courant_limit(self):
        """Largest stable Courant number c*dt/dx: 1/sqrt(2)."""
        return COURANT_LIMIT

    @property
    def dx(self):
        """Grid spacing [m], the same along x and z."""
        return self.length / (self.nx - 1)

    @property
    def depth(self):
        """Extent of the grid along z [m]."""
        return (self.nz - 1) * self.dx

    @property
    def x(self):
        """Grid points along x [m], shape (nx,)."""
        return np.arange(self.nx) * self.dx

    @property
    def z(self):
        """Grid points along z [m], shape (nz,)."""
        return np.arange(self.nz) * self.dx

    @property
    def t(self):
        """Times [s] of the source samples f^n, n * dt, shape (nt,)."""
        return np.arange(self.nt) * self.dt

    @property
    def interior(self):
        """Mask of the grid points outside the sponge layers, shape (nz, nx)."""
        return sponge(self) == 0


def _edge_profile(coordinate, extent, config):
    depth = np.maximum(config.sponge_width - np.minimum(coordinate, extent - coordinate), 0)
    return config.sponge_damping * (depth / config.sponge_width) ** 2


def sponge(config):
    """Damping sigma [1/s], shape (nz, nx): zero inside, rising quadratically to each edge."""
    return (_edge_profile(config.z, config.depth, config)[:, None]
            + _edge_profile(config.x, config.length, config)[None, :])


def laplacian(u):
    """5-point u[i+1,j] + u[i-1,j] + u[i,j+1] + u[i,j-1] - 4u[i,j], u = 0 outside; shape kept.

    The same sums, in the same order, as notebook 14's `jnp.pad(u, 1)` and four slices, but
    the neighbours along z are whole rows shifted in with a zero row, which XLA:CPU compiles
    to a faster loop (200 x 200 x 2000 forward, jax 0.10.2, best of 5, two runs: 32-40 ms
    against 85-87 ms with the padded copy).
    """
    zero_row = jnp.zeros_like(u[..., :1, :])
    below = jnp.concatenate([u[..., 1:, :], zero_row], axis=-2)  # u[i+1, j]
    above = jnp.concatenate([zero_row, u[..., :-1, :]], axis=-2)  # u[i-1, j]
    along_x = jnp.pad(u, [(0, 0)] * (u.ndim - 1) + [(1, 1)])
    return below + above + along_x[..., 2:] + along_x[..., :-2] - 4 * u


def damped_step(u_prev, u, r2, s, forcing):
    """One leapfrog step with damping s = sigma dt / 2 and a forcing term; shape (nz, nx)."""
    return (2 * u - (1 - s) * u_prev + r2 * laplacian(u) + forcing) / (1 + s)


def _time_loop(c, source_index, config):
    """(body, start, wavelet): body(state, f^n) -> (state, u^{n+1}) steps from rest."""
    c = _checks.report_unstable(c, config)
    r2 = (c * config.dt / config.dx) ** 2
    s = _damping(config, r2.dtype)
    zero = jnp.zeros((config.nz, config.nx), dtype=r2.dtype)
    spike = zero.at[source_index[0], source_index[1]].set(config.dt**2 / config.dx**2)
    wavelet = jnp.asarray(seismic.ricker(config.t, config.peak_frequency), dtype=r2.dtype)

    def body(state, f):
        u_prev, u = state
        u_next = damped_step(u_prev, u, r2, s, f * spike)
        return (u, u_next), u_next

    return body, (zero, zero), wavelet


def _damping(config, dtype):
    """s = sigma dt / 2, shape (nz, nx)."""
    return jnp.asarray(sponge(config) * config.dt / 2, dtype=dtype)


def _in_segments(x, segment):
    """x of shape (nt, ...) as (count, segment, ...), the last segment padded with zeros."""
    count = -(-x.shape[0] // segment)
    pad = [(0, count * segment - x.shape[0])] + [(0, 0)] * (x.ndim - 1)
    return jnp.pad(x, pad).reshape((count, segment) + x.shape[1:])


def _recording(c, source_index, receiver_index, config):
    """`_time_loop` whose body returns u^{n+1} at the receivers, shape (n_receivers,)."""
    step, start, wavelet = _time_loop(c, source_index, config)

    def body(state, f):
        state, u_next = step(state, f)
        return state, u_next[receiver_index[0], receiver_index[1]]

    return body, start, wavelet


def _traces(c, source_index, receiver_index, config):
    body, start, wavelet = _recording(c, source_index, receiver_index, config)
    return jax.lax.scan(body, start, wavelet, unroll=UNROLL)[1]


@functools.partial(jax.jit, static_argnums=(3, 4))
def traces_at_index(c, source_index, receiver_index, config, segment=None):
    """u at the receivers' grid points for each source, shape (n_sources, nt, n_receivers).

    The sources run at once by `vmap`. segment=None: `jax.grad` differentiates the time
    loop, storing every level. An integer: the gradient is the adjoint written out
    (`_segment_bwd`), which keeps the last two levels of each segment of that many steps and
    rebuilds the others (forward mode, `jax.jvp`, needs segment=None). No input checks (c
    and the indices may be traced): `shots` checks first.
    c: shape (nz, nx); source_index: shape (2, n_sources), rows iz and ix; receiver_index:
    shape (2, n_receivers).
    """
    if segment is None:
        return _each_source(_traces, c, source_index, receiver_index, config)
    return _traces_in_segments(c, source_index, receiver_index, config, segment)


def _each_source(fn, c, source_index, *args):
    """fn(c, one source's (iz, ix), *args) for each column of source_index, stacked."""
    return jax.vmap(lambda index: fn(c, index, *args), in_axes=1)(source_index)


@functools.partial(jax.custom_vjp, nondiff_argnums=(3, 4))
def _traces_in_segments(c, source_index, receiver_index, config, segment):
    return _each_source(_traces, c, source_index, receiver_index, config)


def _segments_fwd(c, source_index, receiver_index, config, segment):
    traces, ends = _each_source(_segment_fwd, c, source_index, receiver_index, config, segment)
    return traces, (c, source_index, receiver_index, ends)


def _segments_bwd(config, segment, residuals, traces_bar):
    c, source_index, receiver_index, ends = residuals
    c_bar = jax.vmap(lambda index, ends, bar: _segment_bwd(
        c, index, receiver_index, ends, bar, config, segment), in_axes=(1, 0, 0))(
        source_index, ends, traces_bar)
    return jnp.sum(c_bar, axis=0), None, None


_traces_in_segments.defvjp(_segments_fwd, _segments_bwd)


def _segment_fwd(c, source_index, receiver_index, config, segment):
    """One source's traces, stepped in segments, and (u^{n-1}, u^n) at each segment's end."""
    body, start, wavelet = _recording(c, source_index, receiver_index, config)

    def run(state, f):
        end, traces = jax.lax.scan(body, state, f, unroll=UNROLL)
        return end, (end, traces)

    _, (ends, traces) = jax.lax.scan(run, start, _in_segments(wavelet, segment))
    return traces.reshape((-1,) + traces.shape[2:])[: config.nt], ends


def _segment_bwd(c, source_index, receiver_index, ends, traces_bar, config, segment):
    """dJ/dc from one source: the adjoint of the damped scheme, stepped back through the
    segments, last first.

    The transpose of the step (notebook 08's adjoint, damped) makes lam^n from lam^{n+1},
    lam^{n+2} and the traces' cotangents; scaled as w = r2 lam / (1 + s), it obeys the
    forward scheme itself, w^{n+1} = damped_step(w^{n+3}, w^{n+2}, r2, s, r2 R^T bar d^n),
    with R^T the receivers' scatter. dJ/dr2 = sum_n w^{n+1} L(u^n) / r2, so
    dJ/dc = 2 / c * sum_n w^{n+1} L(u^n): where c is 0 it is nan (`report_unstable` warns).
    The levels u^n are rebuilt backwards from each segment's stored end,
    (1 - s) u^{n-1} = 2u^n - (1 + s) u^{n+1} + r2 L(u^n) + forcing, where the damping
    becomes growth (at most (1 + s) / (1 - s) per step): `longest_segment` bounds the steps
    rebuilt. u and w are stepped together, stacked in one array of shape (2, nz, nx): one
    stencil per step.
    """
    r2 = (c * config.dt / config.dx) ** 2
    s = _damping(config, r2.dtype)
    over, under = jnp.stack([1 + s, 1 - s]), jnp.stack([1 - s, 1 + s])  # rows: u, w
    iz, ix = receiver_index
    forcing = jnp.asarray(seismic.ricker(config.t, config.peak_frequency) * config.dt**2
                          / config.dx**2, r2.dtype)
    d_bar = traces_bar * r2[iz, ix][None]  # the receivers' adjoint sources, scaled as w
    xs = (ends, _in_segments(forcing, segment), _in_segments(d_bar, segment))

    def step(carry, x):
        now, later, w_lap_u = carry  # now = (u^n, w^{n+2}), later = (u^{n+1}, w^{n+3})
        f, d_bar = x
        lap = laplacian(now)
        before = 2 * now - over * later + r2[None] * lap
        before = before.at[0, source_index[0], source_index[1]].add(f).at[1, iz, ix].add(d_bar)
        before = before / under  # (u^{n-1}, w^{n+1})
        return (before, now, w_lap_u + before[1] * lap[0]), None

    def segment_back(carry, x):
        (u_prev, u), f, d_bar = x
        now, later, w_lap_u = carry
        carry = (now.at[0].set(u_prev), later.at[0].set(u), w_lap_u)  # the stored end
        return jax.lax.scan(step, carry, (f, d_bar), reverse=True, unroll=BACKWARD_UNROLL)[0], None

    pair = jnp.zeros((2,) + r2.shape, r2.dtype)
    w_lap_u = jax.lax.scan(segment_back, (pair, pair, jnp.zeros_like(r2)), xs, reverse=True)[0][2]
    return 2 * w_lap_u / c


@functools.partial(jax.jit, static_argnums=(2, 3))
def snapshots_at_index(c, source_index, config, every):
    """u every `every` steps, shape (nt // every, nz, nx); row k at time (k + 1) every dt.

    Only the kept fields are stored (memory ~ nt / every fields).
    """
    step, start, wavelet = _time_loop(c, source_index, config)
    count = config.nt // every

    def advance(state, f):  # `every` steps; keep the last field
        state = jax.lax.scan(lambda s, g: (step(s, g)[0], None), state, f, unroll=UNROLL)[0]
        return state, state[1]

    return jax.lax.scan(advance, start, wavelet[: count * every].reshape(count, every))[1]


def checkpoint_segment(config):
    """Steps per segment for `shots`' segment="auto": as many as the sponge allows,
    `longest_segment(config)`, at most nt. The gradient keeps 2 ceil(nt / k) levels per
    source (fewer for longer segments) and its sweep about 25 fields more; so None (store
    every level) where k would be 2 or less.
    """
    k = min(longest_segment(config), config.nt)
    return None if k <= 2 else k


GROWTH = 1e4  # the most the rebuilt levels' round-off may grow in a segment (see below)


def longest_segment(config):
    """The most steps per segment the gradient may rebuild levels over, for the sponge.

    Rebuilt backwards, u^{n-1} = (2u^n - (1 + s) u^{n+1} + ...) / (1 - s): the damping
    becomes growth, by up to g = (1 + s) / (1 - s) per step at the largest s = sigma dt / 2
    (the largest root of the step's recursion, at Courant numbers up to the CFL limit).
    Segments of k steps keep g^k <= GROWTH, a conservative bound (k = nt with no sponge).
    When s >= 1, k = 1: no rebuilt level is then used (each segment restarts from stored
    levels), so the division by 1 - s <= 0 does not reach the gradient.
    """
    s = float(sponge(config).max()) * config.dt / 2
    if s == 0:
        return config.nt
    if s >= 1:
        return 1
    return max(1, math.floor(math.log(GROWTH) / math.log((1 + s) / (1 - s))))


def grid_index(positions, config, name="position"):
    """Grid indices, shape (2, n): rows iz and ix, of positions [m] of shape (n, 2) as (x, z).

    Raises:
        ValueError: a position is not an (x, z) pair, or lies outside the grid.
    """
    positions = np.asarray(positions, dtype=float)
    if positions.ndim == 1 and positions.shape == (2,):
        positions = positions[None, :]
    if positions.ndim != 2 or positions.shape[1] != 2:
        raise ValueError(f"{name}s must have shape (n, 2), one (x, z) pair per row [m]; got "
                         f"shape {positions.shape}.")
    extent = np.array([config.length, config.depth])
    bad = ~np.all(np.isfinite(positions) & (positions >= 0) & (positions <= extent), axis=1)
    if bad.any():
        raise ValueError(f"{name} must lie inside the grid, x in [0, {config.length:g}] m and "
                         f"z in [0, {config.depth:g}] m; got {positions[bad].tolist()}.")
    index = np.rint(positions / config.dx).astype(int)
    return np.stack([index[:, 1], index[:, 0]])


def check_velocity(c, config):
    """Check a concrete velocity model before it is traced; return it as a float array.

    Raises:
        ValueError: wrong shape, a value that is not positive and finite, or max(c) too
            fast for dt (the Courant number, and the largest stable dt, are named).
    """
    shape = np.shape(c)
    if shape not in ((), (config.nz, config.nx)):
        raise ValueError(f"c must be a scalar or have shape (nz, nx) = ({config.nz}, "
                         f"{config.nx}) to match the config; got {shape}.")
    if not _checks.is_traced(c):
        values = np.broadcast_to(np.asarray(c, dtype=float), (config.nz, config.nx))
        bad = np.argwhere(~(np.isfinite(values) & (values > 0)))
        if bad.size:
            iz, ix = bad[0]
            raise ValueError(f"c must be positive and finite; found {len(bad)} bad value"
                             f"{'s' * (len(bad) > 1)} (first at x={config.x[ix]:.3g} m, "
                             f"z={config.z[iz]:.3g} m: {values[iz, ix]}).")
        _checks.stable_courant(float(values.max()), config.dt, config.dx,
                               **config._courant_rule())
        seismic.check_sampling(values, config)
    return jnp.broadcast_to(jnp.asarray(c, dtype=jnp.result_type(float)), (config.nz, config.nx))


def shots(c, sources, receivers, config=Seismic2DConfig(), *, segment="auto"):
    """Seismograms of every source at every receiver, the sources run at once by `vmap`.

    Args:
        c: velocity [m/s], a scalar or shape (nz, nx); differentiable.
        sources: source positions [m], shape (n_sources, 2) as (x, z).
        receivers: receiver positions [m], shape (n_receivers, 2) as (x, z).
        config: grid, time stepping, wavelet and sponge.
        segment: how the gradient gets the levels it needs. An integer k: it keeps the
            last two levels of every k steps, 2 ceil(nt / k) fields per source, and
            rebuilds the others backwards (k at most `longest_segment(config)`); "auto":
            `checkpoint_segment(config)`, the longest allowed; None: `jax.grad` through the
            loop, storing every level, nt fields per source. Forward mode (`jax.jvp`,
            `jax.jacfwd`) needs None; `jax.hessian` and Hessian-vector products (jvp of
            grad) work with any.

    Returns:
        Traces of shape (n_sources, nt, n_receivers); row n at time (n + 1) dt.

    Raises:
        ValueError: bad positions or velocity (see `check_velocity`), or a segment longer
            than the sponge allows.
    """
    if not isinstance(config, Seismic2DConfig):
        raise TypeError(f"config must be a Seismic2DConfig, got {type(config).__name__}. "
                        f"Arguments in order: shots(c, sources, receivers, config).")
    c = check_velocity(c, config)
    source_index = grid_index(sources, config, "source")
    receiver_index = grid_index(receivers, config, "receiver")
    if segment == "auto":
        segment = checkpoint_segment(config)
    elif segment is not None:
        segment = min(_checks.positive_int("segment", segment), config.nt)
        if segment > longest_segment(config):
            raise ValueError(
                f"segment must be at most {longest_segment(config)} steps with this sponge, "
                f"got {segment}: the gradient rebuilds each segment's levels by running the "
                f"damped scheme backwards, where the damping becomes growth (up to "
                f"(1 + s) / (1 - s) per step, s = sigma dt / 2). Use segment='auto'.")
    return traces_at_index(c, jnp.asarray(source_index), jnp.asarray(receiver_index), config,
                           segment)


def snapshots(c, source, config=Seismic2DConfig(), *, every=50):
    """Wavefield of one source every `every` steps, shape (nt // every, nz, nx).

    Row k is u at time (k + 1) * every * dt. For pictures (no gradient needed).
    """
    c = check_velocity(c, config)
    every = _checks.positive_int("every", every)
    if every > config.nt:
        raise ValueError(f"every must be at most nt = {config.nt}, got {every}.")
    index = grid_index(source, config, "source")[:, 0]
    return snapshots_at_index(c, jnp.asarray(index), config, every)
