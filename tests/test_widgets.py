"""The explorer's compute functions, its static figure, and its widget wiring, without a front end."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

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


def test_draw_explorer_uses_given_axes():
    fig, axes = plt.subplots(1, 2)
    out = widgets.draw_explorer(1.0, 1.5, 0.6, SMALL, axes=axes)
    assert list(out) == list(axes) and all(ax.get_title() for ax in axes)
    plt.close(fig)


def test_wave_explorer_redraws_when_a_slider_moves(monkeypatch):
    calls = []
    draw = widgets.draw_explorer
    monkeypatch.setattr(widgets, "draw_explorer", lambda **kw: calls.append(kw) or draw(**kw))
    box = widgets.wave_explorer(SMALL)
    sliders, image = box.children[0].children, box.children[1]
    assert [s.description for s in sliders] == ["c left [m/s]", "c right [m/s]", "interface [m]"]
    assert sliders[0].max == SMALL.c_max  # no slider position can break the CFL condition
    first = bytes(image.value)
    assert first.startswith(b"\x89PNG")
    sliders[1].value = 2.0
    assert calls[-1]["c_right"] == 2.0 and calls[-1]["config"] is SMALL
    assert bytes(image.value) != first
