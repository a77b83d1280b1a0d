"""Plotting helpers draw into a given Axes and return it; timing blocks on results."""

import base64
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import inversion, plotting, timing, wave  # noqa: E402

X = np.linspace(0, 1, 50)


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def labelled(ax):
    return ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


def test_plot_wavefields(ax):
    out = plotting.plot_wavefields(X, {"a": X, "b": 2 * X}, ax=ax)
    assert out is ax and labelled(ax) and len(ax.get_legend().texts) == 2


def test_plot_profiles_broadcasts_scalars(ax):
    out = plotting.plot_profiles(X, {"constant": 1.0, "linear": X}, ax=ax)
    assert out is ax and labelled(ax) and len(ax.lines) == 2


def test_plot_spacetime(ax):
    frames = np.outer(np.arange(5), X)
    out = plotting.plot_spacetime(frames, X, np.arange(5) * 0.1, ax=ax)
    assert out is ax and labelled(ax) and out.images[0].get_array().shape == (5, 50)


def test_plot_histories(ax):
    history = inversion.run_adam(lambda p: jnp.sum(p**2), jnp.ones(2), learning_rate=0.1,
                                 num_steps=5, progress=False)
    out = plotting.plot_histories({"Adam": history}, ax=ax)
    assert out is ax and labelled(ax) and len(ax.lines) == 1


def test_plot_makes_a_figure_when_no_axes_given():
    ax = plotting.plot_wavefields(X, {"a": X})
    assert ax.figure is not None
    plt.close(ax.figure)


def test_animation_has_one_frame_per_snapshot():
    frames = np.outer(np.arange(3), X)
    movie = plotting.animate_wavefield(frames, X, np.arange(3) * 0.1)
    html = movie.to_jshtml()
    assert html.count("data:image/png;base64") == 3


def test_time_function_counts_runs():
    result = timing.time_function(wave.simulate, 1.0, wave.WaveConfig(nx=50, nt=10),
                                  repeats=3)
    assert len(result.runs) == 3 and result.first_call > 0 and "best" in str(result)


def test_animation_html_loads_nothing_from_the_web():
    frames = np.outer(np.linspace(0, 1, 3), np.sin(np.linspace(0, 3, 20)))
    movie = plotting.animate_wavefield(frames, np.linspace(0, 1, 20), np.arange(3.0))
    html = plotting.animation_html(movie)
    assert "http" not in html.replace("http://www.w3.org", "")


def test_animation_html_needs_no_special_glyph_and_shows_a_still_without_javascript():
    frames = np.outer(np.linspace(0, 1, 3), np.sin(np.linspace(0, 3, 20)))
    movie = plotting.animate_wavefield(frames, np.linspace(0, 1, 20), np.arange(3.0))
    html = plotting.animation_html(movie)
    assert html.isascii()  # the play bar's labels render in any font
    still = re.search(r'<img id="_anim_img[0-9a-f]+" src="data:image/png;base64,([^"]+)"', html)
    first = re.search(r'frames\[0\] = "data:image/png;base64,([^"]+)"', html)[1]
    assert still and still[1] == first.replace("\\\n", "")  # the first frame, as a PNG
    assert base64.b64decode(still[1]).startswith(b"\x89PNG")
