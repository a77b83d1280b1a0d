"""The projectile: physics limits, gradients, aiming, errors, and its widget without a front end."""

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import inversion, projectile, widgets  # noqa: E402

CONFIG = projectile.ProjectileConfig()


def landing_x(path):
    path = np.asarray(path)
    k = np.flatnonzero((path[1:, 1] < 0) & (path[:-1, 1] >= 0))[0]
    (x0, y0), (x1, y1) = path[k], path[k + 1]
    return x0 + (x1 - x0) * y0 / (y0 - y1)


def test_without_drag_the_range_is_v2_sin2a_over_g():
    fine = projectile.ProjectileConfig(dt=1e-3, steps=4000)
    assert landing_x(projectile.trajectory(20.0, 30.0, 0.0, fine)) == pytest.approx(
        20.0**2 * np.sin(np.deg2rad(60)) / 9.81, rel=2e-3)


def test_drag_shortens_the_flight():
    assert landing_x(projectile.trajectory(20.0, 45.0, 0.05)) < 0.8 * landing_x(
        projectile.trajectory(20.0, 45.0, 0.0))


def test_miss_gradient_matches_finite_differences(x64):
    loss = lambda p: projectile.miss(p[0], p[1], 0.05, (25.0, 2.0), CONFIG)
    autodiff, fd = inversion.directional_derivatives(loss, np.array([15.0, 30.0]),
                                                     np.array([0.6, 0.8]), h=1e-6)
    assert autodiff == pytest.approx(fd, rel=1e-5)


def test_fit_launch_hits_the_target():
    launches, misses = projectile.fit_launch((25.0, 2.0), 15.0, 30.0, 0.05)
    assert launches.shape == (201, 2) and misses.shape == (201,)
    assert np.sqrt(misses[-1]) < 0.01 < np.sqrt(misses[0])


@pytest.mark.parametrize("args, message", [
    ((-1.0, 30.0, 0.0), "speed must be a positive number, got -1.0."),
    ((10.0, 95.0, 0.0), "angle must be between 0 and 90 degrees, got 95.0."),
    ((10.0, 30.0, -0.1), "drag must be >= 0, got -0.1."),
])
def test_bad_launch_settings(args, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        projectile.trajectory(*args)


def test_draw_projectile_uses_given_axes():
    fig, axes = plt.subplots(1, 2)
    launches, _ = projectile.fit_launch((25.0, 2.0), 15.0, 30.0, 0.05, num_steps=5)
    out = widgets.draw_projectile(15.0, 30.0, 0.05, (25.0, 2.0), launches, axes=axes)
    assert list(out) == list(axes) and all(ax.get_title() for ax in axes)
    assert axes[1].get_legend() is not None  # the optimiser's path is drawn
    plt.close(fig)


def test_projectile_demo_button_aims_and_redraws():
    demo = widgets.projectile_demo()
    first_row, second_row, image = demo.children
    speed, angle, drag = first_row.children
    button, status = second_row.children[2], second_row.children[3]
    before = bytes(image.value)
    assert status.value.startswith("miss: ") and float(status.value.split()[1]) > 1
    button.click()
    assert float(status.value.split()[1]) < 0.05
    assert (speed.value, angle.value) != (15.0, 30.0) and bytes(image.value) != before
