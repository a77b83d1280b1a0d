"""The wave solver against the seed's numbers, an exact solution, a NumPy loop and FD."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from course_utils import inversion, wave

SEED = wave.WaveConfig()
TRUE_LINEAR = np.linspace(0.9, 1.0, SEED.nx)
START_LINEAR = np.linspace(0.85, 1.0, SEED.nx)


def test_config_defaults_are_the_seed():
    assert (SEED.nx, SEED.length, SEED.dt, SEED.nt) == (1000, 1.0, 5e-4, 5000)
    assert SEED.dx == pytest.approx(1 / 999)
    assert SEED.x.shape == (1000,) and SEED.x[-1] == 1.0
    assert SEED.t_final == pytest.approx(5001 * 5e-4)


def test_config_is_hashable_and_static():
    assert hash(SEED) == hash(wave.WaveConfig())
    small = dataclasses.replace(SEED, nx=50, nt=10)
    f = jax.jit(lambda c, config: wave.gaussian_pulse(c * config.x, config), static_argnums=1)
    assert f(1.0, small).shape == (50,)


def test_seed_constant_case():
    loss = jnp.linalg.norm(wave.simulate(0.8) - wave.simulate(1.0))
    assert float(loss) == pytest.approx(15.7585, rel=1e-3)


@pytest.mark.parametrize("gradient", wave.GRADIENTS)
def test_seed_linear_case(gradient):
    observed = wave.simulate(TRUE_LINEAR)
    loss_fn = lambda c: jnp.linalg.norm(wave.simulate(c, gradient=gradient) - observed)
    loss, grad = jax.value_and_grad(loss_fn)(START_LINEAR)
    assert float(loss) == pytest.approx(3.9449, rel=2e-3)
    assert float(jnp.linalg.norm(grad)) == pytest.approx(4.976, rel=2e-3)


def mirror_images(f, a, b):
    """Odd and even periodic extensions of f from the interval [a, b]."""
    period = 2 * (b - a)

    def extend(y, sign):
        y = a + np.mod(y - a, period)
        inside = y <= b
        return np.where(inside, f(y), sign * f(2 * b - y))

    return (lambda y: extend(y, -1.0)), (lambda y: extend(y, 1.0))


def dalembert(config, c, t):
    """Exact u(x, t) for the right-moving pulse with u = 0 at x = -dx and x = L + dx.

    u = R(x - ct) + L(x + ct) with R = (odd + even)/2 and L = (odd - even)/2 extensions of
    the pulse: both initial conditions and both walls hold (d'Alembert with mirror images).
    """
    pulse = lambda y: np.exp(-(((y - config.pulse_center) / config.pulse_width) ** 2))
    odd, even = mirror_images(pulse, -config.dx, config.length + config.dx)
    x = config.x
    return (odd(x - c * t) + even(x - c * t)) / 2 + (odd(x + c * t) - even(x + c * t)) / 2


def narrow_pulse_config(nx, t_final=1.5, courant=0.5, c=1.0):
    dt = courant * (1.0 / (nx - 1)) / c
    nt = round(t_final / dt) - 1
    return wave.WaveConfig(nx=nx, dt=dt, nt=nt, c_max=c, pulse_width=0.05)


def test_matches_dalembert_after_reflections(x64):
    config = narrow_pulse_config(1601, t_final=2.7)  # reflects off both walls
    u = wave.simulate(1.0, config)
    exact = dalembert(config, 1.0, config.t_final)
    assert np.max(np.abs(exact)) > 0.5  # the pulse is there, not a zero field
    np.testing.assert_allclose(u, exact, atol=3e-3)


def test_second_order_convergence(x64):
    sizes = [401, 801, 1601, 3201]
    errors, dxs = [], []
    for nx in sizes:
        config = narrow_pulse_config(nx)
        u = wave.simulate(1.0, config)
        errors.append(np.max(np.abs(u - dalembert(config, 1.0, config.t_final))))
        dxs.append(config.dx)
    slope = np.polyfit(np.log(dxs), np.log(errors), 1)[0]
    assert 1.8 < slope < 2.2, (errors, slope)


def numpy_leapfrog(c, config):
    """The scheme as a plain NumPy loop, written independently of course_utils."""
    x = config.x
    pulse = lambda y: np.exp(-(((y - 0.5) / 0.2) ** 2))
    u_prev, u = pulse(x), pulse(x - c * config.dt)
    r2 = (c * config.dt / config.dx) ** 2
    for _ in range(config.nt):
        lap = np.zeros_like(u)
        lap[1:-1] = u[2:] - 2 * u[1:-1] + u[:-2]
        lap[0] = u[1] - 2 * u[0]
        lap[-1] = u[-2] - 2 * u[-1]
        u_prev, u = u, 2 * u - u_prev + r2 * lap
    return u


@pytest.mark.parametrize("c", [0.9, TRUE_LINEAR[::5]])
def test_matches_numpy_loop(x64, c):
    config = wave.WaveConfig(nx=200, nt=700)
    np.testing.assert_allclose(wave.simulate(c, config), numpy_leapfrog(c, config),
                               rtol=0, atol=1e-12)


def test_history_frames_are_simulate_states():
    config = wave.WaveConfig(nx=100, nt=40)
    frames = wave.simulate_history(0.9, config, every=10)
    assert frames.shape == (5, 100)
    assert wave.history_times(config, every=10).tolist() == pytest.approx(
        [0, 0.005, 0.01, 0.015, 0.02])
    np.testing.assert_allclose(frames[0], wave.initial_conditions(0.9, config)[0], atol=1e-7)
    for k in (1, 4):  # frame k is u^(10k); simulate with nt steps returns u^(nt+1)
        earlier = dataclasses.replace(config, nt=10 * k - 1)
        np.testing.assert_allclose(frames[k], wave.simulate(0.9, earlier), atol=1e-6)


@pytest.mark.parametrize("gradient", wave.GRADIENTS)
def test_gradient_matches_finite_differences(x64, gradient):
    config = wave.WaveConfig(nx=200, nt=600)
    observed = wave.simulate(np.linspace(0.9, 1.0, 200), config)
    loss_fn = lambda c: jnp.linalg.norm(wave.simulate(c, config, gradient=gradient) - observed)
    direction = np.random.default_rng(0).normal(size=200)
    autodiff, fd = inversion.directional_derivatives(
        loss_fn, jnp.linspace(0.85, 1.0, 200), direction, h=1e-5)
    assert autodiff == pytest.approx(fd, rel=1e-6)
    scalar = lambda c: jnp.linalg.norm(wave.simulate(c, config, gradient=gradient) - observed)
    autodiff, fd = inversion.directional_derivatives(scalar, 0.8, 1.0, h=1e-5)
    assert autodiff == pytest.approx(fd, rel=1e-6)


def test_taylor_slopes(x64):
    config = wave.WaveConfig(nx=200, nt=600)
    observed = wave.simulate(np.linspace(0.9, 1.0, 200), config)
    loss_fn = lambda c: jnp.sum((wave.simulate(c, config) - observed) ** 2)
    direction = 0.01 * np.random.default_rng(1).normal(size=200)
    result = inversion.taylor_test(loss_fn, jnp.linspace(0.85, 1.0, 200), direction)
    zeroth, first = result.slopes
    assert zeroth == pytest.approx(1, abs=0.1)
    assert first == pytest.approx(2, abs=0.1)


def test_reversible_gradient_matches_autodiff_at_seed_size():
    observed = wave.simulate(TRUE_LINEAR)
    grads = [
        jax.grad(lambda c: jnp.linalg.norm(wave.simulate(c, gradient=g) - observed))(
            START_LINEAR)
        for g in wave.GRADIENTS
    ]
    assert float(jnp.linalg.norm(grads[0] - grads[1]) / jnp.linalg.norm(grads[1])) < 1e-3


def test_time_reversal_rebuilds_the_start():
    """Run 5000 steps forward, then backward: float32 round-off stays near 1e-4."""
    c = jnp.asarray(TRUE_LINEAR, dtype=jnp.float32)
    r2 = wave.courant_squared(c, SEED)
    u0, u1 = wave.initial_conditions(c, SEED)

    def forward(_, s):
        return s[1], wave.step(s[0], s[1], r2)

    def backward(_, s):
        return wave.step(s[1], s[0], r2), s[0]

    end = jax.lax.fori_loop(0, SEED.nt, forward, (u0, u1))
    back = jax.lax.fori_loop(0, SEED.nt, backward, end)
    error = max(float(jnp.max(jnp.abs(back[0] - u0))), float(jnp.max(jnp.abs(back[1] - u1))))
    assert error < 5e-4


def test_scalar_velocity_equals_constant_array(x64):
    np.testing.assert_allclose(wave.simulate(0.9), wave.simulate(np.full(1000, 0.9)),
                               atol=1e-12)
