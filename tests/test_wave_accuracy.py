"""The fourth-order stencil (WaveConfig(accuracy=4)): order, stability limit, gradients."""

import dataclasses
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from course_utils import _checks, inversion, wave

LIMIT4 = 3**0.5 / 2


def pulse_config(nx, courant, accuracy, t_final=0.5):
    """A narrow pulse from x = 0.3 m moving right at c = 1, stopped before any wall."""
    dt = courant / (nx - 1)
    return wave.WaveConfig(nx=nx, dt=dt, nt=round(t_final / dt) - 1, c_max=1.0,
                           pulse_center=0.3, pulse_width=0.05, accuracy=accuracy)


def pulse_error(config):
    exact = np.exp(-(((config.x - 0.3 - config.t_final) / 0.05) ** 2))
    return float(np.max(np.abs(wave.simulate(1.0, config) - exact)))


def test_default_is_the_second_order_stencil():
    assert wave.WaveConfig().accuracy == 2
    assert wave.difference_of(wave.WaveConfig()) is wave.second_difference
    assert wave.WaveConfig().courant_limit == 1.0
    config = wave.WaveConfig(c_max=1.0, accuracy=4)  # the default c_max=2 is at Courant 1
    assert config.courant_limit == pytest.approx(LIMIT4, rel=1e-15)
    assert wave.difference_of(config) is wave.fourth_order_difference


@pytest.mark.parametrize("accuracy", [3, 6, 2.5, True, "4"])
def test_bad_accuracy_is_refused(accuracy):
    with pytest.raises(ValueError, match=re.escape(
            f"accuracy must be one of (2, 4) (the order of the spatial stencil), got "
            f"{accuracy!r}.")):
        wave.WaveConfig(accuracy=accuracy)


def test_fourth_order_difference_is_symmetric_with_sine_eigenvectors(x64):
    nx = 12
    matrix = np.asarray(jax.vmap(wave.fourth_order_difference)(jnp.eye(nx)))
    np.testing.assert_allclose(matrix, matrix.T, atol=1e-15)
    i = np.arange(1, nx + 1)
    for m in (1, 5, nx):  # sin(m pi (i + 1) / (nx + 1)) vanishes on both walls
        mode = np.sin(m * np.pi * i / (nx + 1))
        s = np.sin(m * np.pi / (2 * (nx + 1))) ** 2
        np.testing.assert_allclose(matrix @ mode, -4 * s * (1 + s / 3) * mode, atol=1e-13)


def test_fourth_order_convergence_in_space(x64):
    """At a tiny Courant number the time error is negligible: the error falls as dx^4."""
    sizes = [101, 201, 401]
    errors = [pulse_error(pulse_config(nx, 0.01, 4)) for nx in sizes]
    slope = np.polyfit(np.log(1.0 / (np.array(sizes) - 1)), np.log(errors), 1)[0]
    assert 3.7 < slope < 4.3, (errors, slope)
    second = pulse_error(pulse_config(401, 0.01, 2))
    assert second > 30 * errors[-1]  # same grid, same steps: the stencil is the difference


def test_fourth_order_matches_dalembert_after_reflections(x64):
    """The odd extension beyond the walls keeps the mirror-image solution exact in the limit."""
    config = dataclasses.replace(pulse_config(801, 0.5, 4, t_final=1.9), pulse_center=0.5)
    # Reflected twice (off x = L + dx, then x = -dx): the pulse is back, moving right.
    span = 2 * (config.length + 2 * config.dx)
    centre = 0.5 + config.t_final - span
    exact = np.exp(-(((config.x - centre) / 0.05) ** 2))
    u = wave.simulate(1.0, config)
    assert np.max(np.abs(exact)) > 0.9
    np.testing.assert_allclose(u, exact, atol=2e-3)


def test_cfl_limit_of_the_fourth_order_stencil_in_the_message():
    dx = 1 / 999
    with pytest.raises(ValueError, match=re.escape(
            "Unstable time step: Courant number c*dt/dx = 0.90 > 0.866, the limit for "
            "accuracy=4 (c=2, dt=0.00045, dx=0.001). Largest stable dt is 0.000433; lower dt "
            "or raise nx.")):
        wave.WaveConfig(dt=0.45 * dx, c_max=2.0, accuracy=4)
    wave.WaveConfig(dt=0.45 * dx, c_max=2.0)  # the same grid is stable with the 2nd order


def test_concrete_velocity_above_the_fourth_order_limit_is_refused():
    config = wave.WaveConfig(nx=100, nt=10, dt=1 / 99 * 0.8, c_max=1.0, accuracy=4)
    wave.simulate(1.0, config)
    with pytest.raises(ValueError, match=re.escape(
            "Courant number c*dt/dx = 0.88 > 0.866, the limit for accuracy=4 (c=1.1,")):
        wave.simulate(1.1, config)


def test_traced_velocity_above_the_fourth_order_limit_warns():
    config = wave.WaveConfig(nx=100, nt=10, dt=1 / 99 * 0.8, c_max=1.0, accuracy=4)
    with pytest.warns(_checks.UnstableVelocityWarning, match=re.escape(
            "Courant number c*dt/dx = 0.88 > 0.866 (stable up to 1.08 m/s")):
        jax.jit(lambda c: wave.simulate(c, config))(1.1).block_until_ready()


@pytest.mark.parametrize("courant, grows", [(0.86, False), (0.87, True)])
def test_the_limit_is_where_the_shortest_wave_starts_to_grow(x64, courant, grows):
    """The scheme itself (wave.step, unguarded) from random noise, just below and above."""
    noise = jnp.asarray(np.random.default_rng(0).normal(size=64))

    def body(_, state):
        return state[1], wave.step(*state, courant**2, wave.fourth_order_difference)

    u = jax.lax.fori_loop(0, 2000, body, (noise, noise))[1]
    growth = float(jnp.max(jnp.abs(u)) / jnp.max(jnp.abs(noise)))
    assert (growth > 1e6) == grows, growth
    assert grows or growth < 100


@pytest.mark.parametrize("gradient", wave.GRADIENTS)
def test_fourth_order_gradient_matches_finite_differences(x64, gradient):
    config = wave.WaveConfig(nx=200, nt=600, accuracy=4)
    observed = wave.simulate(np.linspace(0.9, 1.0, 200), config)
    loss_fn = lambda c: jnp.sum((wave.simulate(c, config, gradient=gradient) - observed) ** 2)
    direction = np.random.default_rng(0).normal(size=200)
    autodiff, fd = inversion.directional_derivatives(
        loss_fn, jnp.linspace(0.85, 1.0, 200), direction, h=1e-5)
    assert autodiff == pytest.approx(fd, rel=1e-6)
    autodiff, fd = inversion.directional_derivatives(loss_fn, 0.8, 1.0, h=1e-5)
    assert autodiff == pytest.approx(fd, rel=1e-6)


def test_fourth_order_reversible_and_autodiff_gradients_agree(x64):
    config = wave.WaveConfig(nx=200, nt=600, accuracy=4)
    observed = wave.simulate(np.linspace(0.9, 1.0, 200), config)
    grads = [jax.grad(lambda c: jnp.sum((wave.simulate(c, config, gradient=g) - observed) ** 2))(
        jnp.linspace(0.85, 1.0, 200)) for g in wave.GRADIENTS]
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-9, atol=1e-12 * float(
        jnp.max(jnp.abs(grads[1]))))


def test_history_and_evolve_use_the_config_stencil(x64):
    config = wave.WaveConfig(nx=100, nt=40, accuracy=4)
    frames = wave.simulate_history(0.9, config, every=10)
    np.testing.assert_allclose(frames[-1], wave.simulate(0.9, dataclasses.replace(config, nt=39)),
                               atol=1e-14)
    u0, u1 = wave.initial_conditions(0.9, config)
    np.testing.assert_allclose(wave.evolve(0.9, u0, u1, config)[1], wave.simulate(0.9, config),
                               atol=1e-14)
