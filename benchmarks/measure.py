"""Timing and memory: the primitives every measuring process uses (the course's here, the
peers' in `peers.py`), and the course's measuring process itself:

    python measure.py course SOLVER NX NT REPEATS [check] [one-core]   (SOLVER: seed,
                                                         autodiff, reversible or 2d)
    python measure.py experiments NAME ADAM_STEPS LBFGS_ITERATIONS

Each prints one line of JSON. `spawn` runs one in a fresh process, so peak memory is the
configuration's own. Nothing here imports JAX at the top: peers.py imports this module
from the benchmark's virtualenv, which has no JAX.
"""

import functools
import json
import os
import pathlib
import resource
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent


def best_times(functions, repeats, block=lambda result: result):
    """Best wall time [ms] of each function over `repeats` turns, after one warm-up call
    each; the functions take turns, so a busy spell on a shared machine hits all of them.

    Args:
        functions: name -> function of no arguments.
        block: waits for a result (`jax.block_until_ready` for JAX's asynchronous calls).
    """
    for fn in functions.values():
        block(fn())
    best = dict.fromkeys(functions, float("inf"))
    for _ in range(repeats):
        for name, fn in functions.items():
            start = time.perf_counter()
            block(fn())
            best[name] = min(best[name], 1e3 * (time.perf_counter() - start))
    return best


def gradient_repeats(points, repeats):
    """Fewer timed gradients (3) for nx * nt above 1e8 point updates: each takes seconds."""
    return min(repeats, 3) if points > 1e8 else repeats


def peak_rss_mb():
    """This process's peak resident set size [MB] so far: the kernel's high-water mark of
    its own memory (VmHWM).

    Not `getrusage`'s ru_maxrss: Linux carries that over from the parent when a process is
    spawned (fork or vfork, then exec), so a small peer started by the benchmark's
    245 MB process would report 245 MB. Elsewhere (no /proc) it is ru_maxrss, in kB as on
    Linux.
    """
    try:
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("VmHWM"))
        return int(line.split()[1]) / 1024
    except FileNotFoundError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load():
    """The 1-minute load average, as `uptime` shows it."""
    return round(os.getloadavg()[0], 2)


def without_check(build):
    """`build()`, its programs traced with `_checks.report_unstable` replaced by a no-op:
    without the run-time instability check (a `lax.cond` around a pure callback).

    That is the forward a plain call compiles (its velocity is concrete, and checked before
    compiling); a traced velocity gets the check, and the solver has no switch for it. The
    caches are cleared around it, so no other program is traced without the check.
    """
    from unittest import mock

    import jax

    from course_utils import _checks

    jax.clear_caches()  # the solver's inner jit may hold a trace with the check
    with mock.patch.object(_checks, "report_unstable", lambda c, config: c):
        built = build()
    jax.clear_caches()
    return built


def conditionals(compiled):
    """How many `conditional`s the compiled program runs (the check is one)."""
    return compiled.as_text().count("conditional")


# The check costs a few percent of the forward, and the best of 5 runs of a 1 ms forward
# varies by more than that: the programs with and without it take this many turns, each
# keeping its best (a fifth of them above 1e8 point updates, where a gradient takes seconds).
CHECK_TURNS = 50


def check_turns(points):
    """Turns of the programs with and without the check, for nx * nt point updates."""
    return CHECK_TURNS if points <= 1e8 else CHECK_TURNS // 5


def pin_to_one_core():
    """Allow this process the first of its CPU cores only. Call it before JAX starts its
    CPU client: the client's thread pool, and so XLA's split of each kernel across cores,
    follows the process's CPU affinity."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def measure_course(solver, nx, nt, repeats, check=False, one_core=False):
    """Best forward and gradient times [ms] of one of the course's solvers (or the seed's)
    at one size, the process's peak RSS [MB], and its peak once its imports are done and
    JAX's CPU client has started, before any problem (import_rss_mb); the gradient is that
    of the L2 misfit against data made with a slightly different velocity.

    The forward is the program a plain call runs (a concrete velocity: no run-time check);
    the gradient is traced, so it has the check, as an optimiser's has. check=True also
    times the forward and the gradient traced with and without the check, in turns
    (`check_turns`), and checks that both compute the same numbers. one_core=True runs it
    all pinned to one core (`pin_to_one_core`), where XLA splits no kernel.
    """
    if one_core:
        pin_to_one_core()
    import jax
    import jax.numpy as jnp
    import numpy as np

    import problems
    from course_utils import seismic2d, wave  # noqa: F401  (imported before the baseline)

    jnp.zeros(()).block_until_ready()  # JAX's CPU client starts with the first array
    imported = peak_rss_mb()
    forward, c, scale = problems.course_forward(solver, nx, nt)
    observed = forward(scale * c)

    def build(with_gradient=True):  # the forward and the misfit's gradient, c traced in each
        forward = problems.course_forward(solver, nx, nt)[0]
        gradient = jax.jit(jax.grad(lambda c: jnp.sum((forward(c) - observed) ** 2)))
        return forward.lower(c).compile(), with_gradient and gradient.lower(c).compile()

    plain_forward, plain_gradient = without_check(lambda: build(with_gradient=check))
    checked_forward, gradient = build()
    result = {}
    if check:
        turns = check_turns(np.size(c) * nt)
        programs = dict(checked_forward_ms=checked_forward, unchecked_forward_ms=plain_forward,
                        checked_gradient_ms=gradient, unchecked_gradient_ms=plain_gradient)
        result = dict(best_times({k: functools.partial(f, c) for k, f in programs.items()},
                                 turns, jax.block_until_ready),
                      check_turns=turns, conditionals=conditionals(checked_forward),
                      unchecked_conditionals=conditionals(plain_forward),
                      unchecked_same=all(np.array_equal(checked(c), unchecked(c)) for
                                         checked, unchecked in ((checked_forward, plain_forward),
                                                                (gradient, plain_gradient))))
    result.update(best_times(dict(forward_ms=functools.partial(plain_forward, c)), repeats,
                             jax.block_until_ready))
    result.update(best_times(dict(gradient_ms=functools.partial(gradient, c)),
                             gradient_repeats(np.size(c) * nt, repeats), jax.block_until_ready))
    return dict(result, peak_rss_mb=peak_rss_mb(), import_rss_mb=imported,
                cores=len(os.sched_getaffinity(0)))


def time_experiments(name, adam_steps, lbfgs_iterations):
    """One experiment set, cold (imports and compilation included): errors and seconds."""
    import experiments

    start = time.perf_counter()
    result = experiments.EXPERIMENTS[name](adam_steps, lbfgs_iterations)
    return dict(result, seconds=time.perf_counter() - start)


def spawn(*arguments):
    """Run this script with `arguments` in a fresh process; its JSON, with the 1-minute
    load when it started."""
    started = load()
    output = subprocess.run([sys.executable, __file__, *map(str, arguments)], check=True,
                            capture_output=True, text=True).stdout
    return dict(json.loads(output.strip().splitlines()[-1]), load=started)


def c_loop(workdir):
    """Compile leapfrog.c with -O3 -march=native into workdir; the binary's path."""
    binary = pathlib.Path(workdir) / "leapfrog"
    subprocess.run(["gcc", "-O3", "-march=native", "-o", str(binary), str(HERE / "leapfrog.c"),
                    "-lm"], check=True)
    return binary


def c_forward(binary, nx, nt, repeats):
    """The C loop's best forward time [ms] over `repeats` runs, with the load at its start."""
    started = load()
    output = subprocess.run([str(binary), str(nx), str(nt), str(repeats)], check=True,
                            capture_output=True, text=True).stdout
    return dict(forward_ms=float(output.split()[0]), load=started)


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))  # problems, experiments and seed_solver live beside this
    kind, *rest = sys.argv[1:]
    if kind == "course":
        solver, nx, nt, repeats, *flags = rest  # flags: check, one-core
        measured = measure_course(solver, int(nx), int(nt), int(repeats), "check" in flags,
                                  "one-core" in flags)
    else:
        name, adam_steps, lbfgs_iterations = rest
        measured = time_experiments(name, int(adam_steps), int(lbfgs_iterations))
    print(json.dumps(measured))
