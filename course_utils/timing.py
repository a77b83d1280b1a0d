"""Honest timing of JAX code: compile once, then wait for the result on every run.

JAX dispatches work asynchronously: a call returns as soon as the work is queued. Timing
that return measures dispatch, not compute; `block_until_ready` waits for the numbers.
"""

import dataclasses
import statistics
import time

import jax

from course_utils import _checks


@dataclasses.dataclass(frozen=True)
class Timing:
    """Seconds for the first call (trace + compile + run) and for each later run."""

    first_call: float
    runs: tuple

    @property
    def best(self):
        return min(self.runs)

    @property
    def median(self):
        return statistics.median(self.runs)

    def __str__(self):
        return (f"first call {self.first_call * 1e3:.1f} ms (compiles if not compiled yet), "
                f"then best {self.best * 1e3:.2f} ms, median {self.median * 1e3:.2f} ms "
                f"over {len(self.runs)} runs")


def time_function(fn, *args, repeats=5):
    """Time `fn(*args)`, blocking on its result each time; returns a `Timing`."""
    _checks.positive_int("repeats", repeats)

    def once():
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        return time.perf_counter() - start

    first = once()
    return Timing(first, tuple(once() for _ in range(repeats)))
