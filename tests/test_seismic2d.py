"""The 2D solver: the exact 2D Green's function and second-order convergence, gradients
(finite differences, Taylor test, the written-out adjoint = the stored tape, under any
sponge), vmap over shots, and one test
per validation message."""

import dataclasses
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from course_utils import inversion, seismic, seismic2d

CONFIG = seismic2d.Seismic2DConfig()
SMALL = seismic2d.Seismic2DConfig(nx=61, nz=61, length=1.2, nt=200, sponge_width=0.2)
SOURCES = np.array([[0.3, 0.4], [0.3, 0.8]])
RECEIVERS = np.array([[0.9, z] for z in (0.3, 0.5, 0.7, 0.9)])


def green_trace(r, times, c, peak_frequency):
    """Ricker wavelet convolved with H(t - r/c) / (2 pi c^2 sqrt(t^2 - r^2/c^2)), by the
    substitution tau = (r/c) cosh(theta), which removes the singularity."""
    theta = np.linspace(0.0, np.arccosh(max(c * times.max() / r, 1.0)), 4001)
    lag = times[:, None] - (r / c) * np.cosh(theta)[None, :]
    f = np.where(lag >= 0, seismic.ricker(np.maximum(lag, 0.0), peak_frequency), 0.0)
    return np.trapezoid(f, theta, axis=1) / (2 * np.pi * c**2)


def green_error(refine):
    """Relative error of the trace 0.5 m along x from a source in c = 1 m/s, until an echo
    from the sponge's inner edge (0.3 m behind the source) could arrive."""
    config = dataclasses.replace(CONFIG, nx=100 * refine + 1, nz=100 * refine + 1,
                                 dt=CONFIG.dt / refine, nt=CONFIG.nt * refine)
    source, receiver = np.array([[0.7, 1.0]]), np.array([[1.2, 1.0]])
    trace = np.asarray(seismic2d.shots(1.0, source, receiver, config))[0, :, 0]
    times = config.t + config.dt  # row n is at (n + 1) dt
    exact = green_trace(0.5, times, 1.0, config.peak_frequency)
    before = times < 0.07 + 0.3 + 0.8  # onset + to the left sponge edge + back to the receiver
    return np.linalg.norm((trace - exact)[before]) / np.linalg.norm(exact[before])


def test_trace_matches_the_2d_greens_function_and_converges_at_second_order():
    coarse, fine = green_error(1), green_error(2)
    assert coarse < 0.12
    assert 3.5 < coarse / fine < 4.5


def test_the_laplacian_is_the_5_point_stencil_with_zero_outside():
    fields = np.random.default_rng(0).normal(size=(3, 5, 7)).astype(np.float32)  # a batch
    for u, got in zip(fields, seismic2d.laplacian(fields)):
        padded = np.pad(u, 1)  # notebook 14's form: the same sums in the same order
        expected = (padded[2:, 1:-1] + padded[:-2, 1:-1] + padded[1:-1, 2:]
                    + padded[1:-1, :-2] - 4 * u)
        np.testing.assert_array_equal(got, expected)


def test_sponge_is_zero_inside_and_absorbs_what_walls_reflect():
    sigma = seismic2d.sponge(SMALL)
    assert sigma.shape == (SMALL.nz, SMALL.nx) and sigma[SMALL.interior].max() == 0
    assert sigma[0, 0] == pytest.approx(2 * SMALL.sponge_damping)  # two edges meet
    walls = dataclasses.replace(CONFIG, sponge_damping=0.0)
    energy = lambda cfg: float(jnp.sum(seismic2d.snapshots(1.0, [1.0, 1.0], cfg, every=250)[-1] ** 2))
    assert energy(CONFIG) < 0.02 * energy(walls)  # after 3 s


def test_vmap_over_shots_equals_one_shot_at_a_time():
    c = 1.0 + 0.1 * np.random.default_rng(1).uniform(size=(SMALL.nz, SMALL.nx))
    together = seismic2d.shots(c, SOURCES, RECEIVERS, SMALL)
    assert together.shape == (2, SMALL.nt, 4)
    for k, source in enumerate(SOURCES):
        alone = seismic2d.shots(c, source[None], RECEIVERS, SMALL)[0]
        np.testing.assert_allclose(together[k], alone, rtol=1e-5, atol=1e-7)


def test_reciprocity_in_a_uniform_medium():
    a, b = np.array([[0.4, 0.5]]), np.array([[0.8, 0.7]])
    ab = np.asarray(seismic2d.shots(1.0, a, b, SMALL))[0, :, 0]
    ba = np.asarray(seismic2d.shots(1.0, b, a, SMALL))[0, :, 0]
    np.testing.assert_allclose(ab, ba, atol=1e-5 * np.abs(ab).max())


def misfit_of(config, segment="auto"):
    x, z = np.meshgrid(config.x, config.z)
    c_true = 1.0 - 0.1 * np.exp(-((x - 0.6) ** 2 + (z - 0.6) ** 2) / 0.1**2)
    observed = seismic2d.shots(c_true, SOURCES, RECEIVERS, config)
    return lambda c: 0.5 * jnp.sum((seismic2d.shots(c, SOURCES, RECEIVERS, config,
                                                    segment=segment) - observed) ** 2)


def direction_of(config):
    x, z = np.meshgrid(config.x, config.z)
    return 0.05 * np.exp(-((x - 0.5) ** 2 + (z - 0.7) ** 2) / 0.15**2)


def test_gradient_matches_finite_differences(x64):
    loss = misfit_of(SMALL)
    start = np.ones((SMALL.nz, SMALL.nx))
    autodiff, fd = inversion.directional_derivatives(loss, start, direction_of(SMALL), h=1e-5)
    assert autodiff == pytest.approx(fd, rel=1e-6)


def test_taylor_test_slopes_in_float32():
    loss = misfit_of(SMALL)
    start = jnp.ones((SMALL.nz, SMALL.nx), jnp.float32)
    direction = jnp.asarray(direction_of(SMALL), jnp.float32)
    zeroth, first = inversion.taylor_test(loss, start, direction, steps=(0.2, 0.1, 0.05, 0.025)).slopes
    assert zeroth == pytest.approx(1, abs=0.1) and first == pytest.approx(2, abs=0.2)


def test_checkpointed_gradient_equals_the_stored_tape():
    start = jnp.ones((SMALL.nz, SMALL.nx), jnp.float32)
    tape = jax.grad(misfit_of(SMALL, segment=None))(start)
    checkpointed = jax.grad(misfit_of(SMALL, segment=7))(start)  # 200 = 28 x 7 + 4: padded
    np.testing.assert_allclose(checkpointed, tape, rtol=1e-4, atol=1e-6 * float(jnp.abs(tape).max()))


@pytest.mark.parametrize("damping", [0.0, 120.0, 600.0])  # largest s = sigma dt / 2: 0, 0.72, 3.6
def test_rebuilt_levels_stay_accurate_under_any_sponge(damping):
    """Rebuilt backwards, the sponge's damping is growth: segments stay short enough (one
    step for s >= 1). A receiver listed twice: its cotangents add."""
    config = dataclasses.replace(SMALL, sponge_damping=damping)
    receivers = np.concatenate([RECEIVERS, RECEIVERS[:1]])
    x, z = np.meshgrid(config.x, config.z)
    observed = seismic2d.shots(1.0 - 0.1 * np.exp(-((x - 0.6) ** 2 + (z - 0.6) ** 2) / 0.01),
                               SOURCES, receivers, config)
    start = jnp.ones((config.nz, config.nx), jnp.float32)
    gradients = [jax.grad(lambda c, segment=segment: 0.5 * jnp.sum((seismic2d.shots(
        c, SOURCES, receivers, config, segment=segment) - observed) ** 2))(start)
        for segment in (None, seismic2d.longest_segment(config))]
    scale = float(jnp.abs(gradients[0]).max())
    assert np.abs(gradients[1] - gradients[0]).max() < 1e-5 * scale


def test_checkpoint_segment_is_as_long_as_the_sponge_allows():
    assert seismic2d.checkpoint_segment(CONFIG) == 30  # nt = 500
    assert seismic2d.checkpoint_segment(dataclasses.replace(CONFIG, nt=9)) == 9
    assert seismic2d.checkpoint_segment(dataclasses.replace(CONFIG, sponge_damping=0)) == 500
    # segments of 2 steps or 1 would store as many levels as the tape: "auto" stores the tape
    assert seismic2d.checkpoint_segment(dataclasses.replace(CONFIG, nt=2)) is None
    assert seismic2d.checkpoint_segment(dataclasses.replace(CONFIG, sponge_damping=200)) is None


def test_longest_segment_bounds_the_growth_of_the_rebuilt_levels():
    s = seismic2d.sponge(CONFIG).max() * CONFIG.dt / 2
    growth, k = (1 + s) / (1 - s), seismic2d.longest_segment(CONFIG)
    assert growth**k <= seismic2d.GROWTH < growth ** (k + 1) and k == 30
    assert seismic2d.longest_segment(dataclasses.replace(CONFIG, sponge_damping=0)) == CONFIG.nt
    assert seismic2d.longest_segment(dataclasses.replace(CONFIG, sponge_damping=200)) == 1


def test_hessian_vector_products_go_through_the_written_out_gradient(x64):
    """jvp of grad (forward over the custom_vjp's backward sweep) equals the stored tape's."""
    start, direction = np.ones((SMALL.nz, SMALL.nx)), direction_of(SMALL)
    products = [jax.jvp(jax.grad(misfit_of(SMALL, segment)), (start,), (direction,))[1]
                for segment in (None, "auto")]
    np.testing.assert_allclose(products[1], products[0], rtol=1e-7,
                               atol=1e-9 * float(jnp.abs(products[0]).max()))


def test_forward_mode_needs_the_stored_loop():
    c, v = jnp.ones((SMALL.nz, SMALL.nx)), jnp.asarray(direction_of(SMALL))
    run = lambda segment: jax.jvp(lambda c: seismic2d.shots(c, SOURCES, RECEIVERS, SMALL,
                                                            segment=segment), (c,), (v,))
    assert np.isfinite(run(None)[1]).all()
    with pytest.raises(TypeError, match="can't apply forward-mode autodiff"):
        run("auto")


def test_segment_longer_than_nt_is_one_segment():
    config = dataclasses.replace(SMALL, sponge_damping=0.0)
    loss = misfit_of(config, segment=1000)
    start = jnp.ones((config.nz, config.nx), jnp.float32)
    np.testing.assert_allclose(jax.grad(loss)(start), jax.grad(misfit_of(config, segment=200))(start))


def test_segment_longer_than_the_sponge_allows_is_refused():
    with raises("segment must be at most 30 steps with this sponge, got 31: the gradient "
                "rebuilds each segment's levels by running the damped scheme backwards, "
                "where the damping becomes growth (up to (1 + s) / (1 - s) per step, "
                "s = sigma dt / 2). Use segment='auto'."):
        seismic2d.shots(1.0, SOURCES, RECEIVERS, CONFIG, segment=31)


def test_grid_index_is_rows_iz_then_ix():
    np.testing.assert_array_equal(seismic2d.grid_index([[0.2, 0.6], [1.0, 0.0]], SMALL),
                                  [[30, 0], [10, 50]])


# One test per message, matching its numbers.

def raises(message, error=ValueError):
    return pytest.raises(error, match=re.escape(message))


def test_unstable_config_names_the_courant_number_and_the_largest_dt():
    with raises("Unstable time step: Courant number c*dt/dx = 0.75 > 0.707, the limit for the "
                "2D 5-point stencil (1/sqrt(2)) (c=2, dt=0.0075, dx=0.02). Largest stable dt "
                "is 0.00707; lower dt or raise nx."):
        seismic2d.Seismic2DConfig(dt=0.0075)


def test_too_fast_velocity_is_refused_before_compiling():
    c = np.ones((SMALL.nz, SMALL.nx))
    c[10, 20] = 2.5
    with raises("Courant number c*dt/dx = 0.75 > 0.707, the limit for the 2D 5-point stencil "
                "(1/sqrt(2)) (c=2.5, dt=0.006, dx=0.02). Largest stable dt is 0.00566"):
        seismic2d.shots(c, SOURCES, RECEIVERS, SMALL)


def test_velocity_of_the_wrong_shape():
    with raises("c must be a scalar or have shape (nz, nx) = (61, 61) to match the config; "
                "got (61, 60)."):
        seismic2d.shots(np.ones((61, 60)), SOURCES, RECEIVERS, SMALL)


@pytest.mark.parametrize("bad, shown", [(-1.0, "-1.0"), (0.0, "0.0"), (np.nan, "nan")])
def test_velocity_must_be_positive_and_finite(bad, shown):
    c = np.ones((SMALL.nz, SMALL.nx))
    c[20, 10] = bad
    c[30, 30] = bad
    with raises(f"c must be positive and finite; found 2 bad values (first at x=0.2 m, "
                f"z=0.4 m: {shown})."):
        seismic2d.shots(c, SOURCES, RECEIVERS, SMALL)


def test_sources_outside_the_grid():
    with raises("source must lie inside the grid, x in [0, 1.2] m and z in [0, 1.2] m; got "
                "[[1.5, 0.5]]."):
        seismic2d.shots(1.0, [[0.3, 0.5], [1.5, 0.5]], RECEIVERS, SMALL)


def test_receivers_as_a_flat_list_are_refused():
    with raises("receivers must have shape (n, 2), one (x, z) pair per row [m]; got shape (3,)."):
        seismic2d.shots(1.0, SOURCES, [0.3, 0.5, 0.7], SMALL)


def test_sponge_wider_than_half_the_grid():
    with raises("sponge_width must be less than half the grid's smaller side (1 m), got 1.2."):
        seismic2d.Seismic2DConfig(sponge_width=1.2)


def test_config_of_the_wrong_type():
    with raises("config must be a Seismic2DConfig, got SeismicConfig. Arguments in order: "
                "shots(c, sources, receivers, config).", TypeError):
        seismic2d.shots(1.0, SOURCES, RECEIVERS, seismic.SeismicConfig())


def test_snapshots_every_more_than_nt():
    with raises("every must be at most nt = 200, got 300."):
        seismic2d.snapshots(1.0, [0.6, 0.6], SMALL, every=300)


def test_undersampled_grid_warns():
    with pytest.warns(RuntimeWarning, match=re.escape("points per wavelength")):
        seismic2d.shots(0.5, SOURCES, RECEIVERS, dataclasses.replace(SMALL, peak_frequency=5.0))


def test_snapshots_are_the_wavefield_every_few_steps():
    frames = seismic2d.snapshots(1.0, [0.6, 0.6], SMALL, every=50)
    assert frames.shape == (SMALL.nt // 50, SMALL.nz, SMALL.nx)
    traces = seismic2d.shots(1.0, [[0.6, 0.6]], [[0.8, 0.6], [0.6, 0.3]], SMALL)[0]
    np.testing.assert_allclose(frames[:, 30, 40], traces[49::50, 0], rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(frames[:, 15, 30], traces[49::50, 1], rtol=1e-5, atol=1e-8)
