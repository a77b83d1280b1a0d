"""Optimiser runners against naive references, and the TFP L-BFGS path that must not break."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from course_utils import inversion, wave

SMALL = wave.WaveConfig(nx=200, nt=600)


def quadratic(x):
    return jnp.sum(jnp.arange(1.0, 4.0) * (x - 2.0) ** 2)


def naive_adam(grad_fn, x, learning_rate, num_steps, b1=0.9, b2=0.999, eps=1e-8):
    """Adam as in Kingma & Ba (2015), Algorithm 1, in plain NumPy."""
    m, v = np.zeros_like(x), np.zeros_like(x)
    for t in range(1, num_steps + 1):
        g = np.asarray(grad_fn(x))
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        x = x - learning_rate * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return x


def test_adam_matches_naive_reference():
    start = np.zeros(3, dtype=np.float32)
    history = inversion.run_adam(quadratic, start, learning_rate=0.1, num_steps=25,
                                 progress=False)
    expected = naive_adam(jax.grad(quadratic), start, 0.1, 25)
    np.testing.assert_allclose(history.solution, expected, rtol=1e-5)
    assert history.loss.shape == (25,) and history.params.shape == (25, 3)
    assert history.loss[0] == pytest.approx(float(quadratic(start)))
    assert history.evaluations[-1] == 25 and history.seconds[0] == 0
    expected_norms = [np.linalg.norm(jax.grad(quadratic)(p)) for p in history.params]
    np.testing.assert_allclose(history.grad_norm, expected_norms, rtol=1e-5)


def test_adam_accepts_an_optax_schedule():
    start = np.zeros(3, dtype=np.float32)
    schedule = optax.exponential_decay(0.1, 5, 0.5)
    history = inversion.run_adam(quadratic, start, learning_rate=schedule, num_steps=25,
                                 progress=False)
    constant = inversion.run_adam(quadratic, start, learning_rate=0.1, num_steps=25,
                                  progress=False)
    np.testing.assert_allclose(history.params[:2], constant.params[:2], rtol=1e-6)  # same first step
    assert not np.allclose(history.solution, constant.solution)


@pytest.mark.parametrize("runner", [inversion.run_lbfgs_tfp, inversion.run_lbfgs_optax])
def test_lbfgs_recovers_constant_velocity(runner):
    """The TFP case fails loudly when its JAX substrate breaks (e.g. on a newer jax)."""
    observed = wave.simulate(1.0, SMALL)
    history = runner(lambda c: inversion.misfit(c, observed, SMALL), jnp.asarray(0.8),
                     max_iterations=30, tolerance=1e-6, progress=False)
    assert float(history.solution) == pytest.approx(1.0, abs=1e-3)
    assert history.loss[-1] < 1e-2 * history.loss[0]


@pytest.mark.parametrize("runner", [inversion.run_lbfgs_tfp, inversion.run_lbfgs_optax])
def test_lbfgs_solves_a_quadratic(runner):
    history = runner(quadratic, jnp.zeros(3), max_iterations=20, progress=False)
    np.testing.assert_allclose(history.solution, 2.0, atol=1e-5)
    assert np.all(np.diff(history.best_loss) <= 0)
    assert np.isfinite(history.grad_norm).all() and history.grad_norm.min() < 1e-4


def test_misfit_is_the_norm_of_the_residual():
    observed = wave.simulate(1.0, SMALL)
    expected = np.linalg.norm(np.asarray(wave.simulate(0.9, SMALL)) - np.asarray(observed))
    assert float(inversion.misfit(0.9, observed, SMALL)) == pytest.approx(expected, rel=1e-6)


def test_taylor_test_detects_a_wrong_gradient(x64):
    wrong = jax.custom_vjp(quadratic)
    wrong.defvjp(lambda x: (quadratic(x), x), lambda x, g: (1.1 * g * jax.grad(quadratic)(x),))
    x, v = jnp.zeros(3), jnp.ones(3)
    assert inversion.taylor_test(quadratic, x, v).slopes[1] == pytest.approx(2, abs=0.05)
    assert inversion.taylor_test(wrong, x, v).slopes[1] == pytest.approx(1, abs=0.1)


def test_best_loss_skips_failed_trial_steps():
    history = inversion.History(np.array([3.0, np.nan, 2.0]), np.full(3, np.nan),
                                np.zeros((3, 1)), np.arange(3.0), np.zeros(1))
    np.testing.assert_array_equal(history.best_loss, [3.0, 3.0, 2.0])


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


ROSENBROCK_START = jnp.array([-1.2, 1.0])


def test_history_marks_the_tfp_iterates_apart_from_trial_points():
    """The iterates are where TFP's own loop stands after 1, 2, ... iterations."""
    from tensorflow_probability.substrates import jax as tfp

    history = inversion.run_lbfgs_tfp(rosenbrock, ROSENBROCK_START, max_iterations=6,
                                      progress=False)
    assert len(history.iterates) == 7 and history.iterates[0] == 0
    assert len(history.loss) > 7  # the line searches also tried points they did not accept
    for k in range(1, 7):  # compiled, as the runner is (eager TFP rounds differently)
        expected = jax.jit(lambda x: tfp.optimizer.lbfgs_minimize(
            jax.value_and_grad(rosenbrock), x, max_iterations=k).position)(ROSENBROCK_START)
        np.testing.assert_array_equal(history.params[history.iterates[k]], expected)
    np.testing.assert_array_equal(history.params[history.iterates[-1]], history.solution)
    assert np.all(np.diff(history.loss[history.iterates]) < 0)


def test_history_marks_the_optax_iterates_apart_from_trial_points():
    """The iterates are the params of a plain optax.lbfgs loop, step by step."""
    history = inversion.run_lbfgs_optax(rosenbrock, ROSENBROCK_START, max_iterations=6,
                                        progress=False)
    optimizer = optax.lbfgs()
    value_and_grad = optax.value_and_grad_from_state(rosenbrock)
    params, state = ROSENBROCK_START, optimizer.init(ROSENBROCK_START)
    path = [params]
    for _ in range(6):
        value, grad = value_and_grad(params, state=state)
        updates, state = optimizer.update(grad, state, params, value=value, grad=grad,
                                          value_fn=rosenbrock)
        params = optax.apply_updates(params, updates)
        path.append(params)
    assert len(history.loss) > len(path)
    np.testing.assert_allclose(history.params[history.iterates], np.stack(path), rtol=1e-6)
    np.testing.assert_array_equal(history.params[history.iterates[-1]], history.solution)


def test_every_adam_evaluation_is_an_iterate():
    history = inversion.run_adam(quadratic, np.zeros(3, dtype=np.float32), learning_rate=0.1,
                                 num_steps=5, progress=False)
    np.testing.assert_array_equal(history.iterates, np.arange(5))
    manual = inversion.History(np.ones(2), np.ones(2), np.zeros((2, 1)), np.zeros(2), np.zeros(1))
    assert manual.is_iterate.tolist() == [True, True]
