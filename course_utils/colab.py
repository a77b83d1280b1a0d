"""The Google Colab route: the first cell of each notebook, and the pins it installs.

Colab has its own versions of everything, which move, so the first cell installs the course's
exact pins there, and only there. It installs `course_utils` alone from GitHub (no
dependencies; importing the package loads nothing else), then calls `set_up`, which installs
the lock's pins of what the course needs (`binder/colab-requirements.txt`, generated from the
lock here) where Colab's versions differ:

    python -m course_utils.colab > binder/colab-requirements.txt

A running kernel keeps the version of a module it has already imported, so when the install
changes a package the kernel has loaded, `set_up` restarts the runtime itself, once, and says
so; run the cell again and it finds everything in place. On a GPU runtime it also installs the
CUDA plugin of the course's jax, so JAX keeps the GPU, and it says which device JAX runs on.
Colab's kernel packages (IPython and its dependencies, ipywidgets) stay Colab's own:
replacing them would break its front end. The course is tested against Colab's published
package lists (binder/colab/, Google's files verbatim).
"""

import functools
import os
import re
import sys
from importlib import metadata

# What course_utils imports (pyproject.toml's dependencies less ipywidgets, Colab's own).
NEEDS = ("jax", "numpy", "optax", "tfp-nightly", "matplotlib", "tqdm")
REQUIREMENTS = "binder/colab-requirements.txt"
# On a GPU runtime: jax's CUDA plugin, at the course's jax version.
GPU_PLUGIN = ("jax-cuda12-plugin", "jax-cuda12-pjrt")
# Colab's stable tensorflow-probability cannot import on current jax; tfp-nightly is the same
# module (`tensorflow_probability`), so the stable one goes first, or its files would mix in.
REPLACES = {"tfp-nightly": "tensorflow-probability"}
CELL = '''\
# On Google Colab only: install course_utils and the exact versions it needs (the course's lock).
# If that changes a package already loaded, the runtime restarts once: then run this cell again.
# On your own machine or on Binder this cell does nothing.
import os, subprocess, sys
if "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "course_utils @ git+https://github.com/{repo}@main"], check=True)
    from course_utils import colab
    colab.set_up("https://raw.githubusercontent.com/{repo}/main/{requirements}")'''


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


def requirements_text(lock_text):
    """The Colab requirements file: the lock's pins of what course_utils needs (the cell
    installs course_utils itself, from GitHub)."""
    pins = lock_pins(lock_text)
    missing = sorted(needed() - set(pins))
    if missing:
        raise ValueError(f"The lock has no pin for {missing}; course_utils needs them on Colab.")
    lines = sorted(pins[name] for name in needed())
    header = ("# Installed by the first cell of each notebook on Google Colab only. Generated from\n"
              "# ../requirements.txt by `python -m course_utils.colab`: do not edit.\n")
    return header + "\n".join(lines) + "\n"


def installed_version(name):
    """The version of distribution `name` in this environment, or None."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def pins_for_this_runtime(requirements_text, version=installed_version):
    """{canonical name: version} to have here: the file's pins (course_utils left out), and the
    CUDA plugin at jax's version where a CUDA plugin is installed (a GPU runtime)."""
    pins = {name: pin.split("==")[1] for name, pin in lock_pins(requirements_text).items()}
    if version(GPU_PLUGIN[0]) is not None:
        pins.update({name: pins["jax"] for name in GPU_PLUGIN})
    return pins


def changes(pins, version=installed_version):
    """The `name==version` requirements among pins that this environment does not have."""
    return [f"{name}=={v}" for name, v in sorted(pins.items()) if version(name) != v]


def loaded_distributions(names, modules=None):
    """Those of the distributions `names` with a top-level module already imported here."""
    modules = sys.modules if modules is None else modules
    owners = metadata.packages_distributions()
    loaded = {canonical(d) for module in list(modules) for d in owners.get(module.split(".")[0], [])}
    return sorted(loaded & {canonical(n) for n in names})


def set_up(url, *, run=None, restart=None, version=installed_version, modules=None):
    """Install the pins of the requirements file at `url` that differ here; restart if needed.

    Returns what it did: "ready" (nothing to install), "installed", or "restarting" (a changed
    package was already imported: the runtime restarts once, and the cell is run again).
    """
    import subprocess
    import urllib.request

    run = run or functools.partial(subprocess.run, check=True)
    with urllib.request.urlopen(url, timeout=60) as response:
        pins = pins_for_this_runtime(response.read().decode(), version)
    todo = changes(pins, version)
    if todo:
        print(f"Installing the course's versions of {len(todo)} packages: {', '.join(todo)}")
        stale = [old for new, old in REPLACES.items() if new in pins and version(old)]
        if stale:
            run([sys.executable, "-m", "pip", "uninstall", "--quiet", "--yes", *stale])
        run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", *todo])
        loaded = loaded_distributions([r.split("==")[0] for r in todo] + stale, modules)
        if loaded:
            print(f"This runtime had already imported {', '.join(loaded)}: restarting it once "
                  "so that the new versions load. When it is back, run this cell again.")
            (restart or _restart_kernel)()
            return "restarting"
    device = run([sys.executable, "-c", "import jax; print(jax.default_backend().upper(), "
                  "jax.devices())"], capture_output=True, text=True).stdout.strip()
    print(f"The course's packages are in place. JAX runs on: {device}")
    return "installed" if todo else "ready"


def _restart_kernel():
    """Restart the running IPython kernel (Colab brings it back at once)."""
    from IPython import get_ipython

    get_ipython().kernel.do_shutdown(restart=True)


def cell(repo):
    """The source of the first cell of every notebook, for the course at `repo` on GitHub."""
    return CELL.format(repo=repo, requirements=REQUIREMENTS)


if __name__ == "__main__":
    with open(os.path.join(os.path.dirname(__file__), "..", "requirements.txt")) as lock:
        sys.stdout.write(requirements_text(lock.read()))
