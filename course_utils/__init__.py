"""Helpers for the Differentiable Simulation course.

Import the modules, so each call says where its code lives:

    from course_utils import wave, inversion, plotting
    u = wave.simulate(1.0)

Importing the package itself imports nothing else: each module loads when first named, so a
notebook pays only for what it uses (the PyTorch notebook never loads JAX).
"""

import importlib

__all__ = ["exercises", "inversion", "plotting", "progress", "projectile", "seismic", "timing",
           "wave", "widgets"]
# `course_utils.student` and `course_utils.colab` are tooling, not listed here.


def __getattr__(name):
    """`course_utils.wave` after a plain `import course_utils`: the module, loaded now."""
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
