"""Progress for long loops that reads well both live and in a stored notebook.

Live in Jupyter, a widget bar counts up. When the loop ends, one line is printed, e.g.
"Adam: 200 evaluations", the same on every run. A stored notebook therefore shows a
meaningful, deterministic record (GitHub does not render widgets, and a tqdm widget's stored
text is its first state, "0%"), and strict nbval can compare it. Outside Jupyter a tqdm bar
on stderr shows progress instead.
"""

import sys


def _in_jupyter():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in shell.config


def _widget(description, total):
    import ipywidgets

    class ProgressBar(ipywidgets.HBox):
        def __repr__(self):  # the stored text/plain: fixed, unlike the live state
            return f"{description}: live progress bar"

    bar = ipywidgets.IntProgress(value=0, max=total or 1, bar_style="info",
                                 layout={"visibility": "visible" if total else "hidden"})
    label = ipywidgets.Label(description)
    return ProgressBar([label, bar]), bar, label


class Progress:
    """Count steps of a long loop: a live bar, then a one-line summary.

    Args:
        description: what is counted, e.g. "Adam".
        total: expected count, or None when unknown (e.g. L-BFGS evaluations).
        unit: the plural noun printed after the count.
        enabled: False shows nothing at all.
    """

    def __init__(self, description, total=None, *, unit="evaluations", enabled=True):
        self.description, self.total, self.unit = description, total, unit
        self.count, self.enabled = 0, enabled
        self._tqdm = self._box = self._bar = self._label = None
        if not enabled:
            return
        if _in_jupyter():
            from IPython.display import display

            self._box, self._bar, self._label = _widget(description, total)
            display(self._box)
        else:
            from tqdm import tqdm

            self._tqdm = tqdm(total=total, desc=description, unit=" " + unit, file=sys.stderr)

    def update(self, steps=1):
        """Add `steps` to the count."""
        self.count += steps
        if self._bar is not None:
            self._bar.value = min(self.count, self._bar.max)  # hidden when total is unknown
            self._label.value = f"{self.description}: {self.count} {self.unit}"
        elif self._tqdm is not None:
            self._tqdm.update(steps)

    def close(self, outcome=None):
        """Finish the bar and print the summary line, with the `outcome` if given."""
        if not self.enabled:
            return
        if self._bar is not None:  # the printed line replaces the live bar: said once
            self._bar.bar_style = "success"
            self._box.layout.display = "none"
        if self._tqdm is not None:
            self._tqdm.close()
        print(f"{self.description}: {self.count} {self.unit}"
              + (f", {outcome}" if outcome else ""))


def track(iterable, description, *, unit="steps", enabled=True):
    """Iterate with a `Progress` display, like `tqdm(iterable)`; items are streamed.

    The total is `len(iterable)` when it has one (a list, a range), else unknown.
    """
    total = len(iterable) if hasattr(iterable, "__len__") else None
    progress = Progress(description, total, unit=unit, enabled=enabled)
    for item in iterable:
        yield item
        progress.update()
    progress.close()
