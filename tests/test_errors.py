"""One test per error message a student can meet, matching its numbers."""

import dataclasses
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from course_utils import inversion, wave

SEED = wave.WaveConfig()


def raises(message):
    return pytest.raises(ValueError, match=re.escape(message))


def test_cfl_violation_names_courant_number_and_largest_dt():
    with raises("Unstable time step: Courant number c*dt/dx = 1.50 > 1 (c=3, dt=0.0005, "
                "dx=0.001). Largest stable dt is 0.000334; lower dt or raise nx."):
        wave.simulate(3.0)


def test_cfl_violation_in_a_velocity_profile_uses_its_maximum():
    c = np.full(1000, 1.0)
    c[500] = 2.5
    with raises("Courant number c*dt/dx = 1.25 > 1 (c=2.5"):
        wave.simulate(c)


def test_unstable_config():
    with raises("Courant number c*dt/dx = 2.00 > 1 (c=2, dt=0.001, dx=0.001). "
                "Largest stable dt is 0.0005"):
        wave.WaveConfig(dt=1e-3)


def test_wrong_shape():
    with raises("c must be a scalar or have shape (1000,) to match config.nx; got (999,)."):
        wave.simulate(np.ones(999))


def test_wrong_shape_is_caught_inside_grad():
    with raises("got (2, 1000)"):
        jax.grad(lambda c: wave.simulate(c).sum())(jnp.ones((2, 1000)))


@pytest.mark.parametrize("bad, count, first", [(np.nan, 3, "x=0.035: nan"),
                                               (-1.0, 3, "x=0.035: -1.0"),
                                               (np.inf, 3, "x=0.035: inf")])
def test_non_positive_or_non_finite_velocity(bad, count, first):
    c = np.ones(1000)
    c[[35, 40, 900]] = bad
    with raises(f"c must be positive and finite; found {count} bad values (first at {first})."):
        wave.simulate(c)


def test_zero_scalar_velocity():
    with raises("c must be positive and finite; found 1 bad value (first: 0.0)."):
        wave.simulate(0.0)


@pytest.mark.parametrize("field, value, message", [
    ("nx", 2, "nx must be an integer >= 3, got 2."),
    ("nx", 10.5, "nx must be an integer >= 3, got 10.5."),
    ("nt", 0, "nt must be an integer >= 1, got 0."),
    ("dt", -1e-4, "dt must be a positive number, got -0.0001."),
    ("length", float("nan"), "length must be a positive number, got nan."),
    ("pulse_width", 0, "pulse_width must be a positive number, got 0."),
])
def test_bad_config_values(field, value, message):
    with raises(message):
        dataclasses.replace(SEED, **{field: value})


def test_bad_gradient_choice():
    with raises("gradient must be one of ('reversible', 'autodiff'), got 'adjoint'."):
        wave.simulate(1.0, gradient="adjoint")


def test_bad_history_every():
    with raises("every must be an integer >= 1, got 0."):
        wave.simulate_history(1.0, every=0)
    with raises("every must be at most config.nt=5000, got 6000."):
        wave.simulate_history(1.0, every=6000)


@pytest.mark.parametrize("kwargs, message", [
    (dict(learning_rate=-0.1, num_steps=5), "learning_rate must be a positive number, got -0.1."),
    (dict(learning_rate=0.1, num_steps=0), "num_steps must be an integer >= 1, got 0."),
])
def test_bad_adam_settings(kwargs, message):
    with raises(message):
        inversion.run_adam(jnp.sum, jnp.ones(3), **kwargs)


@pytest.mark.parametrize("runner", [inversion.run_lbfgs_tfp, inversion.run_lbfgs_optax])
@pytest.mark.parametrize("kwargs, message", [
    (dict(max_iterations=0), "max_iterations must be an integer >= 1, got 0."),
    (dict(max_iterations=5, tolerance=0), "tolerance must be a positive number, got 0."),
    (dict(max_iterations=5, memory=2.5), "memory must be an integer >= 1, got 2.5."),
])
def test_bad_lbfgs_settings(runner, kwargs, message):
    with raises(message):
        runner(jnp.sum, jnp.ones(3), **kwargs)
