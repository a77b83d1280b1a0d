"""Thin ipywidgets UIs over pure, tested functions; ipywidgets is imported only when needed.

Each UI has a static twin (`draw_*`) so a notebook still teaches where widgets do not
render: on GitHub, in a PDF, on a projector without a kernel.
"""

import io

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

from course_utils import plotting, projectile, seismic, wave


def two_layer_model(c_left, c_right, interface, config):
    """Velocity [m/s]: c_left for x < interface [m], c_right from there on; shape (nx,)."""
    return np.where(config.x < interface, c_left, c_right)


def explore_frames(c_left, c_right, interface, config, every=10):
    """Frames of the two-layer model's wavefield and their times [s].

    Returns:
        (frames of shape (nt // every + 1, nx), times of shape (nt // every + 1,)).
    """
    c = two_layer_model(c_left, c_right, interface, config)
    frames = wave.simulate_history(c, config, every=every)
    return np.asarray(frames), wave.history_times(config, every)


def seismogram(frames, receiver, config):
    """The trace u(receiver, t) a receiver at `receiver` [m] records: frames[:, index]."""
    return frames[:, seismic.grid_index(receiver, config, "receiver")]


def draw_explorer(c_left, c_right, interface, config, receiver=0.3, every=10, axes=None):
    """Model, space-time wavefield and the seismogram at `receiver` [m]; returns the 3 Axes."""
    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(15, 4), width_ratios=(1, 1.2, 1),
                                 layout="constrained")
        fig.get_layout_engine().set(wspace=0.06)
    c = two_layer_model(c_left, c_right, interface, config)
    frames, times = explore_frames(c_left, c_right, interface, config, every)
    plotting.plot_profiles(config.x, {"c(x)": c}, ax=axes[0], title="Velocity model")
    axes[0].plot(receiver, 0.1 * config.c_max, "kv", ms=10, label="receiver")
    axes[0].legend(loc="lower right")
    axes[0].set_ylim(0, 1.05 * config.c_max)
    plotting.plot_spacetime(frames, config.x, times, ax=axes[1],
                            title=f"Wavefield: c = {c_left:g} | {c_right:g} m/s")
    axes[1].axvline(receiver, color="k", ls="--", lw=1)
    axes[2].plot(times, seismogram(frames, receiver, config), "k", label=f"x = {receiver:g} m")
    axes[2].set(xlabel="t [s]", ylabel="u [arbitrary units]", title="Seismogram at the receiver")
    axes[2].legend(loc="upper right")
    return axes


def _png(fig):
    """The figure as PNG bytes (then closed): what an Image widget shows."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def miss_landscape(target, drag, speeds, angles, config=projectile.ProjectileConfig()):
    """Miss distance [m] for every (speed, angle) pair: shape (len(angles), len(speeds))."""
    miss = jax.vmap(jax.vmap(lambda v, a: projectile.miss(v, a, drag, target, config),
                             in_axes=(0, None)), in_axes=(None, 0))
    return np.sqrt(np.asarray(miss(jnp.asarray(speeds), jnp.asarray(angles))))


def draw_projectile(speed, angle, drag, target, launches=None,
                    config=projectile.ProjectileConfig(), axes=None):
    """Flight and target (left); miss landscape with the optimiser's path (right)."""
    if axes is None:
        axes = plt.subplots(1, 2, figsize=(11, 4))[1]
    path = np.asarray(projectile.trajectory(speed, angle, drag, config))
    above = path[:, 1] >= -0.5
    axes[0].plot(path[above, 0], path[above, 1], label=f"{speed:.1f} m/s at {angle:.1f} deg")
    axes[0].plot(*target, "r*", ms=14, label="target")
    axes[0].axhline(0, color="k", lw=0.5)
    axes[0].set(xlabel="x [m]", ylabel="y [m]", title=f"Flight with drag k = {drag:g} 1/m")
    axes[0].legend()
    speeds, angles = np.linspace(5, 40, 71), np.linspace(5, 85, 81)
    image = axes[1].contourf(speeds, angles, miss_landscape(target, drag, speeds, angles, config),
                             levels=20, cmap="viridis")
    axes[1].figure.colorbar(image, ax=axes[1], label="miss [m]")
    if launches is not None:
        launches = np.asarray(launches)
        axes[1].plot(launches[:, 0], launches[:, 1], "w.-", ms=3, label="Adam's path")
        axes[1].legend()
    axes[1].plot(speed, angle, "wo", mfc="none", ms=10)
    axes[1].set(xlabel="launch speed [m/s]", ylabel="angle [deg]", title="Miss distance")
    return axes


def _with_still(ipywidgets, children, image, title):
    """A VBox of children whose output also stores its current picture (image/png) and a
    plain-text line, shown wherever the widget cannot run: a notebook not yet run or not
    trusted, a slide without a kernel, GitHub, the website. Where a kernel runs it, the live
    widget is shown as usual. (ipywidgets 7, Colab's, displays widgets its own way: live.)"""

    class Still(ipywidgets.VBox):
        def _repr_mimebundle_(self, **kwargs):
            bundle = super()._repr_mimebundle_(**kwargs)
            bundle["image/png"] = bytes(image.value)
            bundle["text/plain"] = (f"{title}: the picture at its starting values; run the "
                                    "cell with a kernel to move the sliders.")
            return bundle

    return Still(children)


def projectile_demo(config=projectile.ProjectileConfig()):
    """Sliders for the launch and the target; a button aims by gradient descent."""
    import ipywidgets

    def slider(value, low, high, step, description):
        return ipywidgets.FloatSlider(value=value, min=low, max=high, step=step,
                                      description=description, continuous_update=False,
                                      style={"description_width": "initial"})

    sliders = {
        "speed": slider(15.0, 5.0, 40.0, 0.5, "speed [m/s]"),
        "angle": slider(30.0, 5.0, 85.0, 1.0, "angle [deg]"),
        "drag": slider(0.05, 0.0, 0.2, 0.01, "drag k [1/m]"),
        "target_x": slider(25.0, 5.0, 40.0, 1.0, "target x [m]"),
        "target_y": slider(2.0, 0.0, 10.0, 0.5, "target y [m]"),
    }
    button = ipywidgets.Button(description="Aim with gradient descent", icon="crosshairs",
                               layout=ipywidgets.Layout(width="auto", flex="0 0 auto"))
    image, status = ipywidgets.Image(format="png"), ipywidgets.Label()

    def settings():
        v = {name: s.value for name, s in sliders.items()}
        return v["speed"], v["angle"], v["drag"], (v["target_x"], v["target_y"])

    def redraw(change=None, launches=None):
        speed, angle, drag, target = settings()
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        draw_projectile(speed, angle, drag, target, launches, config, axes)
        image.value = _png(fig)
        status.value = f"miss: {np.sqrt(float(projectile.miss(speed, angle, drag, target, config))):.2f} m"

    def aim(_):
        speed, angle, drag, target = settings()
        launches, _ = projectile.fit_launch(target, speed, angle, drag, config=config)
        best = np.clip(np.asarray(launches[-1]), [5.0, 5.0], [40.0, 85.0])
        for name in ("speed", "angle"):  # move both sliders, then draw once, with the path
            sliders[name].unobserve(redraw, names="value")
        sliders["speed"].value, sliders["angle"].value = float(best[0]), float(best[1])
        for name in ("speed", "angle"):
            sliders[name].observe(redraw, names="value")
        redraw(launches=launches)

    for s in sliders.values():
        s.observe(redraw, names="value")
    button.on_click(aim)
    redraw()
    rows = [ipywidgets.HBox(list(sliders.values())[:3]),
            ipywidgets.HBox(list(sliders.values())[3:] + [button, status])]
    return _with_still(ipywidgets, rows + [image], image, "Projectile demo")


def wave_explorer(config=wave.WaveConfig(), every=10):
    """Sliders for a two-layer model and a receiver, redrawing wavefield and seismogram."""
    import ipywidgets

    def slider(value, low, high, description):
        return ipywidgets.FloatSlider(value=value, min=low, max=high,
                                      step=min(0.05, (high - low) / 10),
                                      description=description, continuous_update=False,
                                      style={"description_width": "initial"})

    if not isinstance(config, wave.WaveConfig):
        raise TypeError(f"config must be a WaveConfig, got {type(config).__name__}.")
    low, high, length = config.c_max / 4, config.c_max, config.length
    sliders = {  # ranges from the config: any stable grid gives valid sliders
        "c_left": slider(min(1.0, high / 2), low, high, "c left [m/s]"),
        "c_right": slider(min(1.5, 3 * high / 4), low, high, "c right [m/s]"),
        "interface": slider(0.7 * length, 0.1 * length, 0.9 * length, "interface [m]"),
        "receiver": slider(0.3 * length, 0.0, length, "receiver [m]"),
    }

    image = ipywidgets.Image(format="png")

    def redraw(change=None):
        # Draw to PNG bytes: an Image widget updates the same way in every front end, where
        # an Output widget's captured figure depends on the front end routing it.
        values = {name: s.value for name, s in sliders.items()}
        axes = draw_explorer(**values, config=config, every=every)
        image.value = _png(axes[0].figure)

    for s in sliders.values():
        s.observe(redraw, names="value")
    redraw()
    return _with_still(ipywidgets, [ipywidgets.HBox(list(sliders.values())), image], image,
                       "Wave explorer")
