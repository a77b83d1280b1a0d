"""Jupyter settings for the course's environment, written into its prefix (run by `make setup`,
binder/postBuild and the README's conda route; re-running it changes nothing).

- Kernels get CurveZMQ keys from the server. ipykernel 7.4 warns at every kernel start that
  "Kernel is running over TCP without encryption"; jupyter_server 2.21 provisions the keys only
  when MappingKernelManager.transport_encryption is not "disabled", its default.
- JupyterLab opens without a pop-up: it neither asks whether to fetch Jupyter news (a toast
  on every fresh start) nor checks for updates (settings overrides, in the application's
  settings folder: `{prefix}/share/jupyter/lab/settings/overrides.json`).
- Slides fit a projector (1280 x 720): while presenting (jupyterlab-slideshow), a cell's code
  is held to 40% of the screen's height, printed output to 30% and pictures to 45%, longer
  ones scrolling inside their own box, so stepping to a cell puts its whole output on screen; the deck's arrow buttons
  stay faint until pointed at. The styles go through jupyterlab-fonts' global styles (a
  dependency of jupyterlab-slideshow) and apply only in presenting mode.

Usage: python binder/configure_jupyter.py [PREFIX]   (default: this Python's sys.prefix)
"""

import json
import pathlib
import sys

SERVER = {"MappingKernelManager": {"transport_encryption": "auto"}}
PRESENTING = "body[data-jp-deck-mode='presenting'] .jp-Notebook"
SLIDE_STYLES = {
    f"{PRESENTING} .jp-InputArea-editor .cm-editor": {"max-height": "40vh"},
    f"{PRESENTING} .jp-InputArea-editor .cm-scroller": {"overflow": "auto"},
    f"{PRESENTING} .jp-OutputArea-output img": {"max-height": "45vh", "width": "auto",
                                                  "max-width": "100%"},
    f"{PRESENTING} .jp-OutputArea-output pre": {"max-height": "30vh", "overflow": "auto"},
    "body[data-jp-deck-mode='presenting'] .jp-Deck-Remote": {"opacity": "0.25"},
    "body[data-jp-deck-mode='presenting'] .jp-Deck-Remote:hover": {"opacity": "1"},
}
OVERRIDES = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                              "checkForUpdates": False},
             "@deathbeds/jupyterlab-fonts:fonts": {"styles": SLIDE_STYLES}}


def merge(path, settings):
    """Merge nested `settings` into the JSON file at `path` (created if missing)."""
    data = json.loads(path.read_text()) if path.exists() else {}
    for section, values in settings.items():
        data.setdefault(section, {}).update(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return path


def configure(prefix):
    """Write the course's settings under `prefix` (etc/jupyter, share/jupyter/lab/settings);
    returns the files written."""
    etc = pathlib.Path(prefix) / "etc" / "jupyter"
    lab_settings = pathlib.Path(prefix) / "share" / "jupyter" / "lab" / "settings"
    return [merge(etc / "jupyter_server_config.json", SERVER),
            merge(lab_settings / "overrides.json", OVERRIDES)]


if __name__ == "__main__":
    for written in configure(sys.argv[1] if len(sys.argv) > 1 else sys.prefix):
        print(f"configure_jupyter: wrote {written}")
