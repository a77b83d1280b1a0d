"""Sources, receivers and sponges: travel times, absorption, reciprocity, gradients, errors."""

import dataclasses
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from course_utils import inversion, seismic

CONFIG = seismic.SeismicConfig()
SMALL = seismic.SeismicConfig(nx=101, length=1.0, dt=4e-3, nt=300, peak_frequency=5.0,
                              sponge_width=0.2)


def test_ricker_peaks_at_its_delay_and_has_zero_mean():
    t = np.arange(0, 2, 1e-3)
    w = seismic.ricker(t, 4.0)
    assert t[np.argmax(w)] == pytest.approx(0.3, abs=1e-3) and w.max() == pytest.approx(1.0)
    assert abs(np.sum(w) * 1e-3) < 1e-6


def test_first_arrival_travels_at_c():
    c, source, receiver = 1.25, 0.8, 2.0
    trace = np.asarray(seismic.shots(c, [source], [receiver], CONFIG))[0, :, 0]
    arrival = CONFIG.t[np.argmax(np.abs(trace))] + CONFIG.dt  # row n is time (n + 1) dt
    # The 1D Green's function is a step: the recorded pulse is the wavelet's integral, whose
    # extreme comes at the wavelet's zero crossing, 1/(pi f sqrt(2)) after its peak.
    expected = 1.2 / 4.0 + (receiver - source) / c + 1 / (np.pi * 4.0 * np.sqrt(2))
    assert arrival == pytest.approx(expected, abs=3 * CONFIG.dt)


def test_sponge_absorbs_what_walls_reflect():
    energy = lambda cfg: float(jnp.sum(seismic.wavefield(1.0, 1.5, cfg)[-1] ** 2))
    walls = dataclasses.replace(CONFIG, sponge_damping=0.0)
    assert energy(CONFIG) < 0.01 * energy(walls)


def test_sponge_is_zero_inside_and_grows_outwards():
    sigma = seismic.sponge(CONFIG)
    assert np.all(sigma[CONFIG.interior] < 1e-12) and sigma[0] == CONFIG.sponge_damping
    assert np.all(np.diff(sigma[: 41]) <= 0)


def test_reciprocity_for_constant_velocity():
    a, b = 0.9, 2.1
    ab = np.asarray(seismic.shots(1.0, [a], [b], CONFIG))[0, :, 0]
    ba = np.asarray(seismic.shots(1.0, [b], [a], CONFIG))[0, :, 0]
    np.testing.assert_allclose(ab, ba, atol=1e-5 * np.abs(ab).max())  # float32 round-off


def test_shots_stack_single_wavefields():
    c = np.linspace(0.9, 1.3, CONFIG.nx)
    data = seismic.shots(c, [0.5, 2.5], [1.0, 1.5, 2.0], CONFIG)
    assert data.shape == (2, CONFIG.nt, 3)
    field = seismic.wavefield(c, 2.5, CONFIG)
    np.testing.assert_allclose(data[1], field[:, [100, 150, 200]], rtol=1e-5,
                               atol=1e-5 * np.abs(field).max())  # float32 round-off


def test_gradient_matches_finite_differences(x64):
    c_true = 1.0 + 0.2 * np.exp(-(((SMALL.x - 0.5) / 0.1) ** 2))
    observed = seismic.shots(c_true, [0.3, 0.7], [0.25, 0.5, 0.75], SMALL)
    loss = lambda c: jnp.sum((seismic.shots(c, [0.3, 0.7], [0.25, 0.5, 0.75], SMALL)
                              - observed) ** 2)
    direction = np.random.default_rng(0).normal(size=SMALL.nx)
    autodiff, fd = inversion.directional_derivatives(loss, np.ones(SMALL.nx), direction, h=1e-6)
    assert autodiff == pytest.approx(fd, rel=1e-6)


def raises(message):
    return pytest.raises(ValueError, match=re.escape(message))


def test_positions_outside_the_domain():
    with raises("receiver must lie in the domain [0, 3] m; got [3.5]."):
        seismic.shots(1.0, [1.0], [1.0, 3.5])


def test_unstable_seismic_config():
    with raises("Courant number c*dt/dx = 1.60 > 1 (c=2, dt=0.008, dx=0.01)"):
        seismic.SeismicConfig(dt=8e-3)


def test_sponge_too_wide():
    with raises("sponge_width must be less than half the length (1.5 m), got 2.0."):
        seismic.SeismicConfig(sponge_width=2.0)


def test_velocity_checks_apply():
    with raises("c must be a scalar or have shape (301,) to match config.nx; got (300,)."):
        seismic.shots(np.ones(300), [1.0], [2.0])


def _gradient_and_memory(gradient, config, sources, receivers):
    """(jax.grad of a trace misfit, the compiled gradient's temporary memory in bytes)."""
    c_true = 1.0 + 0.2 * np.exp(-(((config.x - config.length / 2) / 0.1) ** 2))
    observed = seismic.shots(c_true, sources, receivers, config)
    loss = lambda c: jnp.sum((seismic.shots(c, sources, receivers, config, gradient=gradient)
                              - observed) ** 2)
    c = jnp.ones(config.nx)
    memory = jax.jit(jax.grad(loss)).lower(c).compile().memory_analysis().temp_size_in_bytes
    return jax.grad(loss)(c), memory


def test_checkpointed_gradient_equals_the_tape_with_less_memory():
    args = SMALL, [0.3, 0.7], [0.25, 0.5, 0.75]
    tape, tape_memory = _gradient_and_memory("tape", *args)
    checkpoint, checkpoint_memory = _gradient_and_memory("checkpoint", *args)
    np.testing.assert_allclose(checkpoint, tape, rtol=0, atol=1e-5 * np.abs(tape).max())
    # The tape keeps nt levels per source; checkpoints about 2 sqrt(nt) (starts + one segment).
    levels = 2 * SMALL.nt * SMALL.nx * 4
    assert tape_memory > 0.8 * levels and checkpoint_memory < 0.3 * tape_memory


def test_checkpointed_traces_equal_the_plain_ones():
    c = np.linspace(0.9, 1.3, SMALL.nx)
    np.testing.assert_array_equal(seismic.shots(c, [0.4], [0.2, 0.6], SMALL, gradient="checkpoint"),
                                  seismic.shots(c, [0.4], [0.2, 0.6], SMALL))


def test_checkpoint_segment_is_about_sqrt_nt():
    assert [seismic.checkpoint_segment(n) for n in (1, 300, 1000)] == [1, 17, 32]


def test_unknown_shot_gradient():
    with raises("gradient must be one of ('tape', 'checkpoint'), got 'reversible'."):
        seismic.shots(1.0, [1.0], [2.0], gradient="reversible")
