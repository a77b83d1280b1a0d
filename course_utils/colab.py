"""The Google Colab route: the first cell of each notebook, and the pins it installs.

Colab has its own versions of everything, which move, so the first cell installs the course's
exact pins there, and only there. The cell cannot import `course_utils` to do this (it is not
installed yet, and importing it would load Colab's own jax before the pinned one), so it is
a few plain lines that install `binder/colab-requirements.txt` from the course's repository.
That file lists `course_utils` (from GitHub) and the lock's pins of what it needs; it is
generated from the lock here:

    python -m course_utils.colab OWNER/REPO > binder/colab-requirements.txt

Colab's kernel packages (IPython and its dependencies, ipywidgets) stay Colab's own: replacing
them would break its front end.
"""

import os
import re
import sys
from importlib import metadata

# What course_utils imports (pyproject.toml's dependencies less ipywidgets, Colab's own).
NEEDS = ("jax", "numpy", "optax", "tfp-nightly", "matplotlib", "tqdm")
REQUIREMENTS = "binder/colab-requirements.txt"
CELL = '''\
# On Google Colab only: install course_utils and the exact versions it needs (the course's lock).
# On your own machine or on Binder this cell does nothing.
import os, subprocess, sys
if "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ:
    pins = "https://raw.githubusercontent.com/{repo}/main/{requirements}"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-r", pins], check=True)'''


def canonical(name):
    """A distribution name as pip compares them: `Typing_Extensions` -> `typing-extensions`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def needed(roots=NEEDS):
    """Canonical names of `roots` and everything they require here (extras left out)."""
    from packaging.requirements import Requirement  # only for generating the file

    found, todo = set(), list(roots)
    while todo:
        name = canonical(todo.pop())
        if name in found:
            continue
        found.add(name)
        for line in metadata.distribution(name).requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return found


def lock_pins(lock_text):
    """{canonical name: the lock's line without its marker} for every `name==version` line."""
    pins = {}
    for line in lock_text.splitlines():
        pin = line.split(";")[0].strip()
        if "==" in pin and not pin.startswith("#"):
            pins.setdefault(canonical(pin.split("==")[0]), pin)
    return pins


def requirements_text(repo, lock_text):
    """The Colab requirements file: course_utils from `repo` on GitHub, then the lock's pins."""
    pins = lock_pins(lock_text)
    missing = sorted(needed() - set(pins))
    if missing:
        raise ValueError(f"The lock has no pin for {missing}; course_utils needs them on Colab.")
    lines = [f"course_utils @ git+https://github.com/{repo}@main"]
    lines += sorted(pins[name] for name in needed())
    header = ("# Installed by the first cell of each notebook on Google Colab only. Generated from\n"
              "# ../requirements.txt by `python -m course_utils.colab OWNER/REPO`: do not edit.\n")
    return header + "\n".join(lines) + "\n"


def cell(repo):
    """The source of the first cell of every notebook, for the course at `repo` on GitHub."""
    return CELL.format(repo=repo, requirements=REQUIREMENTS)


if __name__ == "__main__":
    with open(os.path.join(os.path.dirname(__file__), "..", "requirements.txt")) as lock:
        sys.stdout.write(requirements_text(sys.argv[1], lock.read()))
