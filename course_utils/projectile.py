"""A projectile with air drag: a small differentiable simulation to aim with gradients.

    dv/dt = -g e_y - k |v| v,    dx/dt = v,

stepped with semi-implicit Euler (update v, then x with the new v). Angles are in degrees.
"""

import dataclasses
import functools

import jax
import jax.numpy as jnp

from course_utils import _checks


@dataclasses.dataclass(frozen=True)
class ProjectileConfig:
    """Time stepping: `steps` steps of `dt` seconds; gravity `g` [m/s^2]."""

    dt: float = 0.01
    steps: int = 400
    g: float = 9.81

    def __post_init__(self):
        _checks.positive_number("dt", self.dt)
        _checks.positive_int("steps", self.steps)
        _checks.positive_number("g", self.g)


def check_launch(speed, angle, drag):
    """Raise a clear error for launch settings that make no sense (concrete values only)."""
    if not _checks.is_traced(speed):
        _checks.positive_number("speed", float(speed))
    if not _checks.is_traced(angle) and not 0 < float(angle) < 90:
        raise ValueError(f"angle must be between 0 and 90 degrees, got {float(angle)!r}.")
    if not _checks.is_traced(drag) and not 0 <= float(drag) < float("inf"):
        raise ValueError(f"drag must be >= 0, got {float(drag)!r}.")


def euler_step(position, velocity, drag, config):
    """One semi-implicit Euler step; position and velocity have shape (2,)."""
    gravity = jnp.array([0.0, -config.g])
    velocity = velocity + config.dt * (gravity - drag * jnp.linalg.norm(velocity) * velocity)
    return position + config.dt * velocity, velocity


@functools.partial(jax.jit, static_argnums=3)
def _trajectory(speed, angle, drag, config):
    theta = jnp.deg2rad(angle)
    velocity = speed * jnp.stack([jnp.cos(theta), jnp.sin(theta)])

    def body(state, _):
        state = euler_step(*state, drag, config)
        return state, state[0]

    start = jnp.zeros(2, dtype=velocity.dtype)
    path = jax.lax.scan(body, (start, velocity), length=config.steps)[1]
    return jnp.concatenate([start[None], path])


def trajectory(speed, angle, drag, config=ProjectileConfig()):
    """Positions [m] from launch at the origin: shape (steps + 1, 2), columns x and y."""
    check_launch(speed, angle, drag)
    return _trajectory(speed, angle, drag, config)


def miss(speed, angle, drag, target, config=ProjectileConfig()):
    """Squared distance [m^2] from the target (x, y) to the closest point of the flight."""
    path = trajectory(speed, angle, drag, config)
    return jnp.min(jnp.sum((path - jnp.asarray(target)[None, :]) ** 2, axis=1))


def fit_launch(target, speed, angle, drag, *, learning_rate=0.5, num_steps=200,
               config=ProjectileConfig()):
    """Adam on (speed, angle) to hit `target`; drag stays fixed.

    Returns:
        (launches of shape (num_steps + 1, 2) as (speed, angle) per step, misses of shape
        (num_steps + 1,) in m^2).
    """
    check_launch(speed, angle, drag)
    _checks.positive_number("learning_rate", learning_rate)
    _checks.positive_int("num_steps", num_steps)
    loss = lambda p: miss(p[0], p[1], drag, target, config)
    import optax  # here, not at the top: widgets imports this module for its pictures

    optimizer = optax.adam(learning_rate)

    def one_step(carry, _):
        params, state = carry
        value, grad = jax.value_and_grad(loss)(params)
        updates, state = optimizer.update(grad, state)
        return (optax.apply_updates(params, updates), state), (params, value)

    @jax.jit
    def run(params):
        (last, _), (params, values) = jax.lax.scan(
            one_step, (params, optimizer.init(params)), length=num_steps)
        return (jnp.concatenate([params, last[None]]),
                jnp.concatenate([values, loss(last)[None]]))

    return run(jnp.array([speed, angle], dtype=float))
