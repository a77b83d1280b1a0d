"""Validators shared by every module: plain Python on concrete values, one message style.

Each message names the argument, shows the value, states the rule and says how to fix it.
They run before anything is traced or compiled, so a student sees them at once.
"""

import math
import numbers

import jax
import jax.numpy as jnp
import numpy as np


def is_traced(value):
    """True when `value` is a JAX tracer (inside `jit`, `grad`, `vmap`, ...)."""
    return isinstance(value, jax.core.Tracer)


def positive_number(name, value):
    """Raise unless `value` is a real, finite number > 0."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not (ok and math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number, got {value!r}.")


def positive_int(name, value, minimum=1):
    """Raise unless `value` is an integer >= `minimum`."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not (ok and value >= minimum):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")


def stable_courant(c, dt, dx):
    """Raise when the leapfrog scheme is unstable: Courant number c*dt/dx > 1."""
    courant = c * dt / dx
    if courant > 1:
        raise ValueError(
            f"Unstable time step: Courant number c*dt/dx = {courant:.2f} > 1 "
            f"(c={c:.3g}, dt={dt:.3g}, dx={dx:.3g}). Largest stable dt is "
            f"{dx / c:.3g}; lower dt or raise nx."
        )


def velocity(c, config):
    """Check a velocity model against a `WaveConfig` before it is simulated.

    The shape is always checked. Values are checked only when `c` is concrete; a traced
    `c` (inside `jax.grad`) is kept stable by `config.c_max`, which the config checked.
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
    stable_courant(float(values.max()), config.dt, config.dx)


def as_velocity(c, config):
    """Check c (before any tracing) and return it as a float array."""
    velocity(c, config)
    return jnp.asarray(c, dtype=jnp.result_type(float))
