"""The seed's experiment set end to end, twice: the seed's way and with course_utils.

Constant-velocity Adam (from 0.8), linear-profile Adam, and TFP L-BFGS, each returning the
errors it reaches; `measure.py experiments NAME` times one set in a fresh process.
"""


def seed_experiments(adam_steps=200, lbfgs_iterations=50):
    """The seed's way: un-jitted `jax.grad` in Python loops."""
    import jax
    import jax.numpy as jnp
    import optax
    from tensorflow_probability.substrates import jax as tfp

    import seed_solver

    def adam(loss, c, learning_rate):
        optimizer = optax.adam(learning_rate)
        state = optimizer.init(c)
        for _ in range(adam_steps):
            _, grad = jax.value_and_grad(loss)(c)
            updates, state = optimizer.update(grad, state)
            c = optax.apply_updates(c, updates)
        return c

    observed = seed_solver.wave_solver(1.0)
    constant = adam(lambda c: jnp.linalg.norm(seed_solver.wave_solver(c) - observed),
                    jnp.asarray(0.8), 0.005)
    c_true = jnp.linspace(0.9, 1.0, 1000)
    observed = seed_solver.wave_solver(c_true)
    loss = lambda c: jnp.linalg.norm(seed_solver.wave_solver(c) - observed)
    start = jnp.linspace(0.85, 1.0, 1000)
    linear = adam(loss, start, 1e-3)
    lbfgs = tfp.optimizer.lbfgs_minimize(jax.value_and_grad(loss), start,
                                         max_iterations=lbfgs_iterations).position
    return errors(constant, linear, lbfgs, c_true)


def course_experiments(adam_steps=200, lbfgs_iterations=50):
    """The same set with course_utils: compiled runners, the lean gradient."""
    import jax.numpy as jnp
    import numpy as np

    from course_utils import inversion, wave

    observed = wave.simulate(1.0)
    constant = inversion.run_adam(lambda c: inversion.misfit(c, observed), jnp.asarray(0.8),
                                  learning_rate=0.005, num_steps=adam_steps, progress=False)
    c_true = np.linspace(0.9, 1.0, 1000)
    observed = wave.simulate(c_true)
    loss = lambda c: inversion.misfit(c, observed)
    start = jnp.linspace(0.85, 1.0, 1000)
    linear = inversion.run_adam(loss, start, learning_rate=1e-3, num_steps=adam_steps,
                                progress=False)
    lbfgs = inversion.run_lbfgs_tfp(loss, start, max_iterations=lbfgs_iterations,
                                    progress=False)
    return errors(constant.solution, linear.solution, lbfgs.solution, c_true)


def errors(constant, linear, lbfgs, c_true):
    """|c - 1| of the constant fit; RMSE [m/s] of the two profile fits against c_true."""
    import numpy as np

    rmse = lambda c: float(np.sqrt(np.mean((np.asarray(c) - np.asarray(c_true)) ** 2)))
    return dict(constant_error=abs(float(constant) - 1.0), adam_rmse=rmse(linear),
                lbfgs_rmse=rmse(lbfgs))


EXPERIMENTS = {"seed": seed_experiments, "course": course_experiments}
