"""A reconstruction of the seed's solver and experiment loop, the baseline of the benchmark.

The seed's own code is not part of this repository. This follows its style as described in
issue 4 (a `jnp.roll` stencil, `lax.fori_loop`, `jax.grad` called from a Python loop without
`jit`) and reproduces its reference numbers (loss 15.7585 for c = 0.8 against c = 1.0).
"""

import jax
import jax.numpy as jnp


def wave_solver(c, nx=1000, nt=5000, dt=5e-4, length=1.0):
    """Final wavefield, the seed's way: roll-based stencil with its two ends patched."""
    dx = length / (nx - 1)
    x = jnp.linspace(0.0, length, nx)
    u_prev = jnp.exp(-((5 * (x - 0.5)) ** 2))
    u = jnp.exp(-((5 * (x - 0.5 - c * dt)) ** 2))

    def body(i, state):
        u_prev, u = state
        lap = jnp.roll(u, -1) - 2 * u + jnp.roll(u, 1)
        lap = lap.at[0].set(u[1] - 2 * u[0]).at[-1].set(u[-2] - 2 * u[-1])
        return u, 2 * u - u_prev + (c * dt / dx) ** 2 * lap

    return jax.lax.fori_loop(0, nt, body, (u_prev, u))[1]
