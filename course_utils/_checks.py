"""Validators shared by every module: plain Python on concrete values, one message style.

Each message names the argument, shows the value, states the rule and says how to fix it.
They run before anything is traced or compiled, so a student sees them at once.
"""

import math
import numbers
import os
import warnings

import jax
import jax.numpy as jnp
import numpy as np


class UnstableVelocityWarning(RuntimeWarning):
    """A traced velocity left the stable range: the simulation will blow up to inf/nan."""


class LongRunWarning(RuntimeWarning):
    """A simulation that will take minutes: said before it starts."""


# Measured forward cost of one point update (one grid point, one time step) on 2 cores,
# with margin: benchmarks/RESULTS.md gives 0.3 ns at 16000 x 20000.
SECONDS_PER_POINT_UPDATE = 5e-10
LONG_RUN_SECONDS = 60.0


def is_traced(value):
    """True when `value` is a JAX tracer (inside `jit`, `grad`, `vmap`, ...)."""
    return isinstance(value, jax.core.Tracer)


def scalar(name, value):
    """`value` as a plain Python number when it is one, or a concrete 0-d array (else as is).

    Raises:
        TypeError: for a traced value (a setting must be known before compiling).
    """
    if is_traced(value):
        raise TypeError(f"{name} must be a concrete number, not a traced value: set it "
                        f"outside jax.jit/grad/vmap (it fixes the compiled program).")
    if isinstance(value, (np.ndarray, np.generic, jax.Array)) and np.ndim(value) == 0:
        return np.asarray(value).item()
    return value


def positive_number(name, value):
    """`value` as a float; raise unless it is a real, finite number > 0."""
    value = scalar(name, value)
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not (ok and math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number, got {value!r}.")
    return float(value)


def positive_int(name, value, minimum=1):
    """`value` as an int; raise unless it is an integer >= `minimum`."""
    value = scalar(name, value)
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not (ok and value >= minimum):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def finite_number(name, value):
    """`value` as a float; raise unless it is a real, finite number."""
    value = scalar(name, value)
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not (ok and math.isfinite(value)):
        raise ValueError(f"{name} must be a finite number, got {value!r}.")
    return float(value)


def instance(name, value, cls, call):
    """Raise a TypeError unless `value` is a `cls`; `call` shows the right argument order."""
    if not isinstance(value, cls):
        raise TypeError(f"{name} must be a {cls.__name__}, got {type(value).__name__}. "
                        f"Arguments in order: {call}.")


def stable_courant(c, dt, dx, limit=1.0, stencil=None):
    """Raise when the leapfrog scheme is unstable: Courant number c*dt/dx > limit.

    `limit` is the stencil's CFL limit (1 for the second-order stencil), and `stencil` names
    it in the message when it is not the default one.
    """
    courant = c * dt / dx
    if courant > limit:
        bound = "1" if stencil is None else f"{limit:.3f}, the limit for {stencil}"
        raise ValueError(
            f"Unstable time step: Courant number c*dt/dx = {courant:.2f} > {bound} "
            f"(c={c:.3g}, dt={dt:.3g}, dx={dx:.3g}). Largest stable dt is "
            f"{limit * dx / c:.3g}; lower dt or raise nx."
        )


def courant_limit(config):
    """The config's CFL limit: 1, or its stencil's (wave.WaveConfig.courant_limit)."""
    return getattr(config, "courant_limit", 1.0)


def _warn_if_unstable(c_low, c_high, config):
    fix = ("Lower the learning rate, or bound the velocity (a sigmoid parametrisation "
           "keeps it in range).")
    if not (c_low > 0 and (c_low * config.dt / config.dx) ** 2 > 0):  # nan too; underflow
        message = (f"c reached {c_low:.3g} m/s, but a velocity must be positive and "
                   f"finite, and (c dt/dx)^2 must not round to 0: the model is unphysical "
                   f"and its gradient meaningless.")
    elif not c_high * config.dt / config.dx <= courant_limit(config):
        message = (f"c reached {c_high:.3g} m/s: Courant number c*dt/dx = "
                   f"{c_high * config.dt / config.dx:.2f} > {courant_limit(config):.3g} "
                   f"(stable up to {courant_limit(config) * config.dx / config.dt:.3g} "
                   f"m/s; the config promised c_max = "
                   f"{config.c_max:.3g}). The wavefield blows up to inf/nan.")
    else:
        return
    INSTABILITIES.append(message)  # for the optimiser runners' diagnosis
    warnings.warn(f"Unstable velocity inside a traced computation: {message} {fix}",
                  UnstableVelocityWarning, stacklevel=2)


INSTABILITIES = []  # messages of `report_unstable`, newest last


def report_unstable(c, config):
    """At run time, warn when a (possibly traced) velocity leaves 0 < c*dt/dx <= 1.

    (Or when (c dt/dx)^2 rounds to 0 in c's precision: the reversible gradient divides by it.)

    Concrete velocities are refused before compiling by `velocity`; this catches what an
    optimiser step produces inside `jit`, `grad` or `vmap`, where raising is impossible.

    Returns:
        c itself, the check's result (zero) added: use it in place of c, or JAX drops the
        unused callback.
    """
    c_low, c_high = jax.lax.stop_gradient(jnp.min(c)), jax.lax.stop_gradient(jnp.max(c))
    unstable = ~((c_low > 0) & ((c_low * config.dt / config.dx) ** 2 > 0)
                 & (c_high * config.dt / config.dx <= courant_limit(config)))
    zero = jnp.zeros((), jnp.result_type(c))

    def warn(c_low, c_high):
        _warn_if_unstable(c_low, c_high, config)
        return np.zeros((), zero.dtype)

    # The callback runs only when the check fails: a host round trip on every run would cost
    # more than a small simulation. A pure callback is no effect, so `jax.jit` still
    # dispatches the program from C++; an effect (jax.debug.callback) sends every call
    # through JAX's Python path, about 0.1 ms more per call (benchmarks/RESULTS.md). A pure
    # callback's zero must be used: JAX drops one whose result nothing uses.
    return c + jax.lax.cond(
        unstable, lambda: jax.pure_callback(warn, jax.ShapeDtypeStruct((), zero.dtype), c_low,
                                            c_high, vmap_method="sequential"),
        lambda: zero)


def run_time(config, count=1):
    """Warn, before it starts, when a simulation of `count` runs would take minutes."""
    seconds = count * config.nx * config.nt * SECONDS_PER_POINT_UPDATE
    if seconds > LONG_RUN_SECONDS:
        warnings.warn(
            f"This run takes about {seconds / 60:.0f} minutes or more: {count} x nx x nt = "
            f"{count * config.nx * config.nt:.3g} point updates. Lower nt or nx if you did "
            f"not mean it (interrupt the kernel to stop it).", LongRunWarning, stacklevel=3)


def available_memory():
    """Bytes of memory available to this process now (MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo") as meminfo:
            fields = dict(line.split(":", 1) for line in meminfo)
        return int(fields["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        try:
            return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (OSError, ValueError, AttributeError):
            return None


def tape_fits(config, itemsize, alternative):
    """Raise before compiling when a stored-tape gradient would not fit in memory."""
    needed = config.nt * config.nx * itemsize  # one level per step: 1.4 GB measured at 16000 x 20000
    available = available_memory()
    if available is not None and needed > available:
        raise ValueError(
            f"gradient='autodiff' stores every time level: nx={config.nx}, nt={config.nt} "
            f"needs about {needed / 1e9:.1f} GB, but {available / 1e9:.1f} GB are "
            f"available. Use {alternative} (memory independent of nt).")


def positions(name, values, length):
    """Positions [m] as a float array; raise unless every one is finite and in [0, length]."""
    values = np.asarray(values, dtype=float)
    bad = ~np.isfinite(values) | (values < 0) | (values > length)
    if bad.any():
        raise ValueError(f"{name} must lie in the domain [0, {length:g}] m; got "
                         f"{values[bad].tolist()}.")
    return values


def velocity(c, config):
    """Check a velocity model against a `WaveConfig` before it is simulated.

    The shape is always checked. Values are checked only when `c` is concrete; nothing
    bounds a traced `c` (inside `jax.grad`): `report_unstable` checks it at run time.
    """
    shape = np.shape(c)
    if shape not in ((), (config.nx,)):
        raise ValueError(
            f"c must be a scalar or have shape ({config.nx},) to match config.nx; "
            f"got {shape}."
        )
    if is_traced(c):
        return
    values = np.atleast_1d(np.asarray(c, dtype=float))
    bad = np.flatnonzero(~(np.isfinite(values) & (values > 0)))
    if bad.size:
        where = f" at x={config.x[bad[0]]:.3g}" if shape else ""
        raise ValueError(
            f"c must be positive and finite; found {bad.size} bad value"
            f"{'s' if bad.size > 1 else ''} (first{where}: {values[bad[0]]})."
        )
    rule = getattr(config, "_courant_rule", dict)()  # a stencil's own CFL limit, if any
    stable_courant(float(values.max()), config.dt, config.dx, **rule)


def as_velocity(c, config):
    """Check c (before any tracing) and return it as a float array."""
    velocity(c, config)
    return jnp.asarray(c, dtype=jnp.result_type(float))
