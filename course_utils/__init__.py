"""Helpers for the Differentiable Simulation course.

Import the modules, so each call says where its code lives:

    from course_utils import wave, inversion, plotting
    u = wave.simulate(1.0)
"""

from course_utils import (exercises, inversion, plotting, progress, projectile, seismic, timing,
                          wave, widgets)

__all__ = ["exercises", "inversion", "plotting", "progress", "projectile", "seismic", "timing",
           "wave", "widgets"]
# `course_utils.student` is tooling (`python -m course_utils.student`), not imported here.
