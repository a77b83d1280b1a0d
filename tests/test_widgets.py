"""The explorer's compute functions, its static figure, and its widget wiring, without a front end."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import wave, widgets  # noqa: E402

SMALL = wave.WaveConfig(nx=101, nt=200, dt=2e-3, c_max=4.0)


def test_two_layer_model():
    c = widgets.two_layer_model(1.0, 2.0, 0.5, SMALL)
    assert c.shape == (101,) and c[0] == 1.0 and c[-1] == 2.0
    assert np.count_nonzero(c == 1.0) == 50


def test_explore_frames_match_simulate_history():
    frames, times = widgets.explore_frames(1.0, 2.0, 0.5, SMALL, every=50)
    assert frames.shape == (5, 101) and times.tolist() == [0.0, 0.1, 0.2, 0.3, 0.4]
    c = widgets.two_layer_model(1.0, 2.0, 0.5, SMALL)
    np.testing.assert_allclose(frames, wave.simulate_history(c, SMALL, every=50))


def test_faster_layer_moves_the_pulse_further():
    slow, _ = widgets.explore_frames(1.0, 1.0, 0.5, SMALL, every=100)
    fast, _ = widgets.explore_frames(1.0, 2.0, 0.5, SMALL, every=100)
    assert np.argmax(fast[1]) > np.argmax(slow[1])


@pytest.mark.parametrize("c_right", [1.0, 1.5, 2.0])
def test_seismogram_records_the_interface_reflection(c_right):
    """A narrow pulse reflects off the interface at 0.7 m with (c2 - c1) / (c2 + c1) and
    reaches the receiver at 0.3 m after 0.2 + 0.4 m of travel at 1 m/s."""
    config = wave.WaveConfig(nx=401, dt=1e-3, nt=1000, c_max=2.0, pulse_width=0.05)
    frames, times = widgets.explore_frames(1.0, c_right, 0.7, config, every=5)
    trace = widgets.seismogram(frames, 0.3, config)
    np.testing.assert_array_equal(trace, frames[:, 120])
    window = (times > 0.45) & (times < 0.8)
    assert trace[window].max() == pytest.approx((c_right - 1) / (c_right + 1), abs=2e-3)
    if c_right > 1:
        assert times[window][np.argmax(trace[window])] == pytest.approx(0.6, abs=0.01)


def test_seismogram_refuses_a_receiver_outside_the_domain():
    frames, _ = widgets.explore_frames(1.0, 1.5, 0.6, SMALL)
    with pytest.raises(ValueError, match="receiver must lie in the domain"):
        widgets.seismogram(frames, 1.2, SMALL)


def test_draw_explorer_uses_given_axes():
    fig, axes = plt.subplots(1, 3)
    out = widgets.draw_explorer(1.0, 1.5, 0.6, SMALL, receiver=0.2, axes=axes)
    assert list(out) == list(axes) and all(ax.get_title() for ax in axes)
    assert axes[2].get_xlabel() == "t [s]" and axes[2].get_legend() is not None
    plt.close(fig)


def test_wave_explorer_redraws_when_a_slider_moves(monkeypatch):
    calls = []
    draw = widgets.draw_explorer
    monkeypatch.setattr(widgets, "draw_explorer", lambda **kw: calls.append(kw) or draw(**kw))
    box = widgets.wave_explorer(SMALL)
    sliders, image = box.children[0].children, box.children[1]
    assert [s.description for s in sliders] == ["c left [m/s]", "c right [m/s]", "interface [m]",
                                                "receiver [m]"]
    assert sliders[0].max == SMALL.c_max  # no slider position can break the CFL condition
    first = bytes(image.value)
    assert first.startswith(b"\x89PNG")
    sliders[1].value = 2.0
    assert calls[-1]["c_right"] == 2.0 and calls[-1]["config"] is SMALL
    assert bytes(image.value) != first
    sliders[3].value = 0.8
    assert calls[-1]["receiver"] == 0.8


@pytest.mark.parametrize("make", [lambda: widgets.wave_explorer(SMALL), widgets.projectile_demo],
                         ids=["wave_explorer", "projectile_demo"])
def test_a_widget_stores_its_picture_for_where_it_cannot_run(make):
    """An unrun or untrusted notebook, a slide without a kernel, the website: the output's
    image/png is the widget's own picture, and its text says what it is, not a VBox repr."""
    import ipywidgets

    if not hasattr(ipywidgets.VBox, "_repr_mimebundle_"):
        pytest.skip(f"ipywidgets {ipywidgets.__version__} (Colab's) displays a widget its own "
                    "way, live, with no stored picture")
    box = make()
    bundle = box._repr_mimebundle_()
    image = box.children[-1]
    assert "application/vnd.jupyter.widget-view+json" in bundle  # live where a kernel runs
    assert bundle["image/png"] == bytes(image.value) and bundle["image/png"].startswith(b"\x89PNG")
    assert "run the cell" in bundle["text/plain"] and "VBox" not in bundle["text/plain"]
