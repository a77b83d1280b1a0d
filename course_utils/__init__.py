"""Helpers for the Differentiable Simulation course.

Import the modules, so each call says where its code lives:

    from course_utils import wave, inversion, plotting
    u = wave.simulate(1.0)
"""

from course_utils import (inversion, plotting, progress, projectile, seismic, timing, wave,
                          widgets)

__all__ = ["inversion", "plotting", "progress", "projectile", "seismic", "timing", "wave",
           "widgets"]
