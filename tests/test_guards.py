"""Inputs students really produce get a clear message, never a silent nan or a deep traceback."""

import dataclasses
import re
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from course_utils import _checks, progress, seismic, wave, widgets

SEED = wave.WaveConfig()
SMALL = wave.WaveConfig(nx=101, nt=200, dt=2e-3, c_max=1.0, pulse_width=0.05)


def raises(message, kind=ValueError):
    return pytest.raises(kind, match=re.escape(message))


# -- traced velocities outside the stable range are reported, under jit, grad and vmap --

def loss(c, config=SMALL):
    return jnp.sum(wave.simulate(c, config) ** 2)


@pytest.mark.parametrize("transform", [jax.jit, jax.grad, lambda f: jax.jit(jax.grad(f))])
def test_traced_velocity_above_the_stable_range_warns(transform):
    with pytest.warns(_checks.UnstableVelocityWarning,
                      match=re.escape("c reached 15 m/s: Courant number c*dt/dx = 3.00 > 1 "
                                      "(stable up to 5 m/s; the config promised c_max = 1)")):
        out = jax.block_until_ready(transform(loss)(jnp.float32(15.0)))
    assert not np.isfinite(out)  # what the warning explains


def test_traced_negative_velocity_warns_under_vmap():
    with pytest.warns(_checks.UnstableVelocityWarning, match="c reached -1 m/s, but a velocity "
                                                             "must be positive and finite"):
        jax.block_until_ready(jax.vmap(loss)(jnp.array([0.5, -1.0])))


@pytest.mark.parametrize("c_low", [0.0, 1e-25])  # zero, and a square that rounds to 0
def test_traced_velocity_whose_courant_square_is_zero_warns(c_low):
    # the reversible gradient divides by (c dt/dx)^2: where it is 0 the gradient is nan
    c = jnp.linspace(1.0, 0.5, SMALL.nx, dtype=jnp.float32).at[3].set(c_low)
    with pytest.warns(_checks.UnstableVelocityWarning, match="must not round to 0"):
        jax.block_until_ready(jax.grad(loss)(c))  # the check is a pure callback, no effect:
        # it has run once the result is ready (jax.effects_barrier does not wait for it)


def test_traced_stable_velocity_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        jax.block_until_ready(jax.grad(loss)(jnp.float32(1.5)))  # above c_max = 1: stable


def test_the_check_is_no_effect():
    # jax.jit dispatches a program from C++ unless it has an effect: an effect such as
    # jax.debug.callback would send every call through JAX's Python path (about 0.1 ms more
    # per call, measured); the pure callback does not (benchmarks/RESULTS.md).
    assert "pure_callback" in str(jax.make_jaxpr(loss)(jnp.float32(1.0)))  # the check is there
    assert jax.make_jaxpr(loss)(jnp.float32(1.0)).effects == set()
    assert jax.make_jaxpr(jax.grad(loss))(jnp.float32(1.0)).effects == set()


def test_a_concrete_velocity_is_checked_inside_another_trace():
    # a closed-over model in a student's own jit: the sampling check reads it on the host
    config = seismic.SeismicConfig(nx=101, length=1.0, nt=100, dt=4e-3, c_max=2.0,
                                   peak_frequency=10.0, sponge_width=0.2)
    c = jnp.ones(101)
    scaled = jax.jit(lambda s: s * seismic.shots(c, [0.5], [0.3], config))(2.0)
    np.testing.assert_allclose(scaled, 2 * seismic.shots(c, [0.5], [0.3], config), rtol=1e-6)


def test_seismic_traced_velocity_warns():
    config = seismic.SeismicConfig(nx=101, length=1.0, nt=100, dt=4e-3, c_max=2.0,
                                   peak_frequency=10.0, sponge_width=0.2)
    f = lambda c: jnp.sum(seismic.shots(c, [0.5], [0.3], config) ** 2)
    with pytest.warns(_checks.UnstableVelocityWarning, match="c reached 5 m/s"):
        jax.block_until_ready(jax.grad(f)(jnp.float32(5.0)))


# -- settings: 0-d arrays accepted where a number is; a traced setting explained --

def test_zero_dimensional_arrays_are_numbers():
    config = wave.WaveConfig(dt=np.array(5e-4), nt=np.int64(5000), nx=jnp.array(1000))
    assert config == SEED and hash(config) == hash(SEED)
    assert type(config.dt) is float and type(config.nt) is int
    assert wave.WaveConfig(dt=jnp.array(5e-4)).dt == pytest.approx(5e-4)  # float32 0-d


def test_zero_dimensional_learning_rate_is_a_number():
    history = inversion.run_adam(lambda p: jnp.sum(p ** 2), jnp.ones(2),
                                 learning_rate=jnp.array(0.1), num_steps=2, progress=False)
    assert history.status == "completed"


def test_traced_setting_is_refused():
    with raises("dt must be a concrete number, not a traced value", TypeError):
        jax.jit(lambda dt: wave.WaveConfig(dt=dt).nt)(5e-4)


@pytest.mark.parametrize("center, message", [
    (float("nan"), "pulse_center must be a finite number, got nan."),
    (1.5, "pulse_center must lie in the domain [0, 1] m, got 1.5."),
])
def test_pulse_center_is_checked(center, message):
    with raises(message):
        wave.WaveConfig(pulse_center=center)


# -- swapped or wrong arguments: a TypeError that shows the right order --

def test_swapped_arguments():
    with raises("c must be a velocity (a number or an array), got a WaveConfig. Arguments "
                "in order: simulate(c, config).", TypeError):
        wave.simulate(SEED, 1.0)
    with raises("config must be a WaveConfig, got float. Arguments in order: "
                "simulate_history(c, config, every=...).", TypeError):
        wave.simulate_history(np.ones(1000), 1.0)
    with raises("config must be a SeismicConfig, got WaveConfig.", TypeError):
        seismic.shots(1.0, [1.0], [2.0], SEED)


def test_history_times_every_zero():
    with raises("every must be an integer >= 1, got 0."):
        wave.history_times(SEED, every=0)


# -- positions, wavelets and sampling --

@pytest.mark.parametrize("position", [float("nan"), -0.5, float("inf")])
def test_bad_positions(position):
    with raises(f"receiver must lie in the domain [0, 3] m; got [{position}]."):
        seismic.shots(1.0, [1.0], [position])


def test_cut_wavelet_warns():
    with pytest.warns(RuntimeWarning, match=re.escape("use delay >= 0.3 s")):
        seismic.ricker(np.arange(10) * 0.01, 4.0, delay=0.05)


def test_under_sampled_wavelet_warns():
    config = seismic.SeismicConfig(peak_frequency=30.0, dt=3e-4, nt=10)
    with pytest.warns(RuntimeWarning, match=re.escape(
            "3.3 points per wavelength at the peak frequency 30 Hz in the slowest medium "
            "(c=1 m/s, dx=0.01 m)")):
        seismic.shots(1.0, [1.5], [1.0], config)


# -- runs that take minutes or do not fit: said before they start --

def test_long_run_is_announced_before_it_starts(monkeypatch):
    started = []
    monkeypatch.setitem(wave._SIMULATORS, "reversible", lambda c, config: started.append(1))
    with pytest.warns(_checks.LongRunWarning, match="This run takes about 8 minutes or more"):
        wave.simulate(1.0, dataclasses.replace(SEED, nt=10**9))
    assert started  # a warning, not a refusal: the student may mean it


def test_autodiff_tape_that_cannot_fit_is_refused(monkeypatch):
    monkeypatch.setattr(_checks, "available_memory", lambda: 4e9)
    config = wave.WaveConfig(nx=16000, dt=2.5e-5, nt=200_000, c_max=2.0)
    with raises("gradient='autodiff' stores every time level: nx=16000, nt=200000 needs "
                "about 12.8 GB, but 4.0 GB are available. Use gradient='reversible'"):
        jax.grad(lambda c: wave.simulate(c, config, gradient="autodiff").sum())(1.0)


# -- shots keeps no wavefield; track streams --

def test_shots_match_the_wavefields_they_no_longer_keep():
    config = seismic.SeismicConfig(nt=200)
    c = np.linspace(1.0, 1.5, config.nx)
    traces = seismic.shots(c, [1.0, 2.0], [0.5, 1.5, 2.5], config)
    index = seismic.grid_index([0.5, 1.5, 2.5], config)
    for k, source in enumerate([1.0, 2.0]):
        field = seismic.wavefield(c, source, config)
        np.testing.assert_allclose(traces[k], field[:, index], rtol=1e-5,
                                   atol=1e-5 * np.abs(field).max())  # float32 round-off
    jaxpr = str(jax.make_jaxpr(lambda c: seismic.shots(c, [1.0, 2.0], [0.5], config))(c))
    assert f"{config.nt},{config.nx}]" not in jaxpr.replace(" ", "")  # no (.., nt, nx) array


def test_track_streams_an_endless_generator():
    def endless():
        n = 0
        while True:
            yield n
            n += 1

    for n in progress.track(endless(), "loop", enabled=False):
        if n == 3:
            break


def test_wave_explorer_adapts_its_sliders_to_the_config():
    pytest.importorskip("ipywidgets")
    ui = widgets.wave_explorer(wave.WaveConfig(nx=101, nt=100, dt=2e-3, c_max=0.4,
                                               pulse_width=0.05))
    speeds = [s for s in ui.children[0].children if "c " in s.description]
    assert all(0 < s.min <= s.value <= s.max == 0.4 for s in speeds)


# -- optimiser runners: divergence said in one line, History kept up to it, status reported --

from course_utils import inversion, plotting  # noqa: E402


def seed_loss():
    observed = wave.simulate(1.0)
    return lambda c: inversion.misfit(c, observed)


def test_adam_divergence_is_explained_and_the_history_stops_before_it(capsys):
    with pytest.warns(inversion.DivergenceWarning, match=re.escape(
            "Adam diverged at evaluation 2 of 20: the loss became nan. Likely cause: the "
            "scheme became unstable: c reached 5.9 m/s: Courant number c*dt/dx = 2.95 > 1 "
            "(stable up to 2 m/s; the config promised c_max = 2). The wavefield blows up to "
            "inf/nan. Lower the learning rate (learning_rate=5) or bound the velocity. The "
            "History keeps the 1 evaluation before it.")):
        history = inversion.run_adam(seed_loss(), jnp.float32(0.9), learning_rate=5.0,
                                     num_steps=20)
    assert history.status == "diverged" and len(history.loss) == 1
    assert np.all(np.isfinite(history.loss)) and np.isfinite(history.solution)
    assert capsys.readouterr().out == "Adam: 20 evaluations, diverged (see the warning)\n"
    ax = plotting.plot_histories({"Adam": history})
    assert "diverged after evaluation 1" in ax.get_legend().get_texts()[0].get_text()


def test_adam_nan_gradient_at_zero_residual_is_named():
    with pytest.warns(inversion.DivergenceWarning, match="the gradient became nan while the "
                                                         "loss is 0. Likely cause: the loss "
                                                         "has no gradient there"):
        inversion.run_adam(lambda p: jnp.linalg.norm(p - 1.0), jnp.ones(3),
                           learning_rate=0.1, num_steps=3, progress=False)


@pytest.mark.parametrize("runner", [inversion.run_lbfgs_tfp, inversion.run_lbfgs_optax])
def test_lbfgs_reports_how_it_stopped(runner, capsys):
    rosenbrock = lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
    start = jnp.array([-1.2, 1.0])
    done = runner(rosenbrock, start, max_iterations=200, tolerance=1e-5)
    short = runner(rosenbrock, start, max_iterations=3)
    assert (done.status, short.status) == ("converged", "max_iterations")
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith(", converged") and out[1].endswith(", stopped at max_iterations")


def test_tfp_reports_a_failed_line_search():
    @jax.custom_vjp
    def wrong_gradient(p):  # a bug students make: the gradient points uphill
        return jnp.sum(p ** 2)

    wrong_gradient.defvjp(lambda p: (jnp.sum(p ** 2), p), lambda p, g: (-2 * g * p,))
    history = inversion.run_lbfgs_tfp(wrong_gradient, jnp.array([1.0, -2.0]),
                                      max_iterations=50, progress=False)
    assert history.status == "failed"


def test_misfit_refuses_silent_broadcasting():
    with raises("observed must have shape (1000,) to match config.nx; got (1000, 1)."):
        inversion.misfit(1.0, np.zeros((1000, 1)))
