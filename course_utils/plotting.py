"""Plotting helpers: each draws into `ax` (a new figure when None) and returns the Axes.

They never call `plt.show()` and never change global matplotlib settings.
"""

import re

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation


def _axes(ax, figsize=(7, 3.5)):
    return plt.subplots(figsize=figsize)[1] if ax is None else ax


def plot_wavefields(x, fields, *, title="Wavefield", ax=None, **style):
    """Lines u(x) for each label -> field (shape (nx,)) in the dict `fields`."""
    ax = _axes(ax)
    for label, u in fields.items():
        ax.plot(x, np.asarray(u), label=label, **style)
    ax.set(xlabel="x [m]", ylabel="u [arbitrary units]", title=title)
    ax.legend()
    return ax


def plot_spacetime(frames, x, times, *, title="Wavefield u(x, t)", ax=None, **style):
    """Image of frames (shape (len(times), nx)): x across, time up, symmetric colours."""
    ax = _axes(ax, figsize=(6, 4.5))
    frames = np.asarray(frames)
    limit = np.abs(frames).max()
    image = ax.imshow(frames, origin="lower", aspect="auto", cmap="RdBu_r",
                      vmin=-limit, vmax=limit, extent=(x[0], x[-1], times[0], times[-1]),
                      **style)
    ax.figure.colorbar(image, ax=ax, label="u [arbitrary units]")
    ax.set(xlabel="x [m]", ylabel="t [s]", title=title)
    return ax


def animate_wavefield(frames, x, times, *, title="Wavefield", interval=60):
    """A matplotlib animation of frames (shape (len(times), nx)); show with `.to_jshtml()`."""
    frames = np.asarray(frames)
    fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")  # room for the x label
    limit = 1.05 * np.abs(frames).max()
    (line,) = ax.plot(x, frames[0], label="u(x, t)")
    ax.set(xlabel="x [m]", ylabel="u [arbitrary units]", ylim=(-limit, limit))
    ax.legend(loc="upper right")

    def draw(k):
        line.set_ydata(frames[k])
        ax.set_title(f"{title}, t = {times[k]:.2f} s")
        return (line,)

    movie = animation.FuncAnimation(fig, draw, frames=len(frames), interval=interval)
    plt.close(fig)  # show the animation, not a static copy of its first frame
    return movie


# matplotlib's animation controls use Font Awesome icons from a CDN; these are plain ASCII
# labels, which every font has (symbols such as U+23EE show as empty boxes without one).
_ICONS = {"fa fa-minus": "-", "fa fa-fast-backward": "|&lt;&lt;", "fa fa-step-backward": "|&lt;",
          "fa fa-play fa-flip-horizontal": "&lt;", "fa fa-pause": "||", "fa fa-play": "&gt;",
          "fa fa-step-forward": "&gt;|", "fa fa-fast-forward": "&gt;&gt;|", "fa fa-plus": "+"}
_CDN = re.compile(r'<link rel="stylesheet"\s+href="https://maxcdn\.bootstrapcdn\.com/[^"]+">\s*')
_IMG = re.compile(r'<img id="(_anim_img[0-9a-f]+)">')
_FIRST_FRAME = re.compile(r'frames\[0\] = "(data:image/png;base64,[A-Za-z0-9+/=\\\n]+)"')


def animation_html(movie):
    """`movie.to_jshtml()` with its play-bar icons as text and its first frame in the page.

    Nothing is loaded from the web. The first frame is the image's own source, so the movie
    shows a still where its JavaScript does not run (an untrusted notebook, GitHub, a website
    that strips scripts); the script replaces it with the animation where it does.
    """
    html, removed = _CDN.subn("", movie.to_jshtml())
    for name, glyph in _ICONS.items():
        html = html.replace(f'<i class="{name}"></i>', glyph)
    first, image = _FIRST_FRAME.search(html), _IMG.search(html)
    if removed != 1 or "fa fa-" in html or "bootstrapcdn" in html or not (first and image):
        raise RuntimeError("matplotlib's animation HTML changed: update plotting.animation_html")
    still = first.group(1).replace("\\\n", "")
    return html.replace(image.group(0), f'<img id="{image.group(1)}" src="{still}" '
                                        'alt="the animation\'s first frame">', 1)


def plot_profiles(x, profiles, *, title="Velocity models", ax=None, **style):
    """Velocity profiles c(x): label -> array of shape (nx,) (or a scalar)."""
    ax = _axes(ax)
    for label, c in profiles.items():
        ax.plot(x, np.broadcast_to(np.asarray(c), np.shape(x)), label=label, **style)
    ax.set(xlabel="x [m]", ylabel="c [m/s]", title=title)
    ax.legend()
    return ax


def plot_histories(histories, *, x_axis="evaluations", title="Convergence", ax=None,
                   **style):
    """Best loss so far against evaluations or seconds, for label -> `History`.

    A run that diverged ends in an x, and its label says so: the curve never hides it.
    """
    ax = _axes(ax)
    for label, history in histories.items():
        x, best = getattr(history, x_axis), history.best_loss
        if history.status == "diverged":
            label = f"{label} (diverged after evaluation {len(best)})"
        (line,) = ax.semilogy(x, best, label=label, **style)
        if history.status == "diverged" and len(best):
            ax.plot(x[-1], best[-1], "x", color=line.get_color(), ms=10, mew=2)
    unit = {"evaluations": "loss evaluations (forward + gradient)", "seconds": "wall time [s]"}
    ax.set(xlabel=unit[x_axis], ylabel="best loss so far", title=title)
    ax.legend()
    return ax
