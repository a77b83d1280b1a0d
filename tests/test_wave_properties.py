"""Properties of the leapfrog solver over random valid set-ups (hypothesis), in float64.

- Discrete energy: with r2 = (c dt/dx)^2 and D the second difference (symmetric),
  E^{n+1/2} = sum_i (u^{n+1}_i - u^n_i)^2 / r2_i - (u^{n+1})^T D u^n is conserved exactly
  (multiply the scheme by (u^{n+1} - u^{n-1}) / r2 and sum), so it holds to round-off.
- Mirror symmetry: mirrored initial levels and velocity give the mirrored field.
- Linearity: the map from the initial levels to u is linear.
- Random invalid inputs always raise the clear error.
"""

import jax
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course_utils import wave

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def setups(draw):
    """A stable config, a positive velocity profile and two random initial levels."""
    nx = draw(st.integers(5, 60))
    courant = draw(st.floats(0.05, 1.0))  # c_max dt / dx
    config = wave.WaveConfig(nx=nx, length=1.0, c_max=1.0, dt=courant / (nx - 1),
                             nt=draw(st.integers(1, 80)), pulse_width=0.1)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    c = rng.uniform(draw(st.floats(0.05, 1.0)), 1.0, nx)
    return config, c, rng.normal(size=nx), rng.normal(size=nx)


def energy(u, u_next, c, config):
    r2 = np.asarray(wave.courant_squared(c, config))
    return np.sum((u_next - u) ** 2 / r2) - u_next @ np.asarray(wave.second_difference(u))


@SETTINGS
@given(setups())
def test_discrete_energy_is_conserved(x64, setup):
    config, c, u0, u1 = setup
    u_n, u_next = (np.asarray(v) for v in wave.evolve(c, u0, u1, config))
    start, end = energy(u0, u1, c, config), energy(u_n, u_next, c, config)
    assert start > 0
    assert abs(end - start) <= 1e-9 * start


@SETTINGS
@given(setups())
def test_mirrored_initial_conditions_give_mirrored_fields(x64, setup):
    config, c, u0, u1 = setup
    field = wave.evolve(c, u0, u1, config)[1]
    mirrored = wave.evolve(c[::-1], u0[::-1], u1[::-1], config)[1]
    np.testing.assert_allclose(mirrored, field[::-1], rtol=1e-12, atol=1e-12)


@SETTINGS
@given(setups(), st.floats(-3, 3), st.floats(-3, 3))
def test_initial_levels_to_field_is_linear(x64, setup, a, b):
    config, c, u0, u1 = setup
    v0, v1 = np.roll(u1, 1), np.roll(u0, -1)
    left = wave.evolve(c, a * u0 + b * v0, a * u1 + b * v1, config)[1]
    right = a * wave.evolve(c, u0, u1, config)[1] + b * wave.evolve(c, v0, v1, config)[1]
    scale = np.max(np.abs(right)) + 1
    np.testing.assert_allclose(left, right, rtol=0, atol=1e-11 * scale)


def test_evolve_from_the_pulse_is_simulate():
    config = wave.WaveConfig(nx=101, nt=100, dt=2e-3, c_max=1.0, pulse_width=0.05)
    c = np.linspace(0.5, 1.0, 101)
    u0, u1 = wave.initial_conditions(c, config)
    np.testing.assert_allclose(wave.evolve(c, u0, u1, config)[1], wave.simulate(c, config),
                               rtol=0, atol=1e-5)  # float32: the same steps, fused apart


@settings(max_examples=40, deadline=None)
@given(nx=st.integers(5, 60), courant=st.floats(1.001, 20.0))
def test_random_unstable_configs_name_the_courant_number(nx, courant):
    with pytest.raises(ValueError, match=r"Unstable time step: Courant number c\*dt/dx = "
                                         r"\d+\.\d\d > 1 .* Largest stable dt is"):
        wave.WaveConfig(nx=nx, length=1.0, c_max=1.0, dt=courant / (nx - 1), nt=10)


@settings(max_examples=40, deadline=None)
@given(bad=st.sampled_from([0.0, -1.0, np.nan, np.inf, -np.inf]),
       where=st.integers(0, 99))
def test_random_bad_velocities_are_refused(bad, where):
    config = wave.WaveConfig(nx=100, nt=10, dt=2e-3, c_max=1.0, pulse_width=0.05)
    c = np.full(100, 0.5)
    c[where] = bad
    with pytest.raises(ValueError, match=r"c must be positive and finite; found 1 bad value "
                                         rf"\(first at x={config.x[where]:.3g}: "):
        wave.simulate(c, config)
