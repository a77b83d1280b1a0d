"""Thin ipywidgets UIs over pure, tested functions; ipywidgets is imported only when needed.

Each UI has a static twin (`draw_*`) so a notebook still teaches where widgets do not
render: on GitHub, in a PDF, on a projector without a kernel.
"""

import io

import matplotlib.pyplot as plt
import numpy as np

from course_utils import plotting, wave


def two_layer_model(c_left, c_right, interface, config):
    """Velocity [m/s]: c_left for x < interface [m], c_right from there on; shape (nx,)."""
    return np.where(config.x < interface, c_left, c_right)


def explore_frames(c_left, c_right, interface, config, every=50):
    """Frames of the two-layer model's wavefield and their times [s].

    Returns:
        (frames of shape (nt // every + 1, nx), times of shape (nt // every + 1,)).
    """
    c = two_layer_model(c_left, c_right, interface, config)
    frames = wave.simulate_history(c, config, every=every)
    return np.asarray(frames), wave.history_times(config, every)


def draw_explorer(c_left, c_right, interface, config, every=50, axes=None):
    """The model and its space-time wavefield side by side; returns the two Axes."""
    if axes is None:
        axes = plt.subplots(1, 2, figsize=(11, 4))[1]
    c = two_layer_model(c_left, c_right, interface, config)
    frames, times = explore_frames(c_left, c_right, interface, config, every)
    plotting.plot_profiles(config.x, {"c(x)": c}, ax=axes[0], title="Velocity model")
    axes[0].set_ylim(0, 1.05 * config.c_max)
    plotting.plot_spacetime(frames, config.x, times, ax=axes[1],
                            title=f"Wavefield: c = {c_left:g} | {c_right:g} m/s")
    return axes


def wave_explorer(config=wave.WaveConfig(), every=50):
    """Sliders for a two-layer velocity model, redrawing its wavefield as they move."""
    import ipywidgets

    def slider(value, low, high, description):
        return ipywidgets.FloatSlider(value=value, min=low, max=high, step=0.05,
                                      description=description, continuous_update=False,
                                      style={"description_width": "initial"})

    sliders = {
        "c_left": slider(1.0, 0.5, config.c_max, "c left [m/s]"),
        "c_right": slider(1.5, 0.5, config.c_max, "c right [m/s]"),
        "interface": slider(0.7, 0.1, 0.9, "interface [m]"),
    }

    image = ipywidgets.Image(format="png")

    def redraw(change=None):
        # Draw to PNG bytes: an Image widget updates the same way in every front end, where
        # an Output widget's captured figure depends on the front end routing it.
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        values = {name: s.value for name, s in sliders.items()}
        draw_explorer(**values, config=config, every=every, axes=axes)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
        plt.close(fig)
        image.value = buffer.getvalue()

    for s in sliders.values():
        s.observe(redraw, names="value")
    redraw()
    return ipywidgets.VBox([ipywidgets.HBox(list(sliders.values())), image])
