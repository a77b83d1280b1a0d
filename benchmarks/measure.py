"""Timing and memory: the primitives every measuring process uses (the course's here, the
peers' in `peers.py`), and the course's measuring process itself:

    python measure.py course SOLVER NX NT REPEATS [check] [one-core] [unchecked] [turns]
                                    (SOLVER: seed, autodiff, reversible or 2d)
    python measure.py experiments NAME ADAM_STEPS LBFGS_ITERATIONS
    python measure.py dispatch [TURNS]

Each prints one line of JSON. `spawn` runs one in a fresh process, so peak memory is the
configuration's own. Nothing here imports JAX at the top: peers.py imports this module
from the benchmark's virtualenv, which has no JAX.
"""

import functools
import hashlib
import json
import os
import pathlib
import resource
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent


def best_times(functions, repeats, block=lambda result: result, settle=False):
    """Best wall time [ms] of each function over `repeats` turns, after one warm-up call
    each; the functions take turns, so a busy spell on a shared machine hits all of them.

    Args:
        functions: name -> function of no arguments.
        block: waits for a result (`jax.block_until_ready` for JAX's asynchronous calls).
        settle: call each function once more, untimed, right before its timed call. The
            call after a program with a host callback can take longer (`measure_dispatch`):
            settled, that is not charged to the next function.
    """
    for fn in functions.values():
        block(fn())
    best = dict.fromkeys(functions, float("inf"))
    for _ in range(repeats):
        for name, fn in functions.items():
            if settle:
                block(fn())
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


def without_check():
    """Replace `_checks.report_unstable` by a no-op for the rest of this process: the
    programs it traces from now on have no run-time instability check. The solver has no
    switch for the check; in a process of its own, no trace is shared with programs that
    have it."""
    from course_utils import _checks

    _checks.report_unstable = lambda c, config: c


def conditionals(function, *args):
    """How many `conditional`s the jitted function's compiled program runs (the check is one)."""
    return function.lower(*args).compile().as_text().count("conditional")


# The best of 5 runs of a 1 ms forward varies by a few percent: the programs with and
# without the check take the best of this many calls (a fifth of them above 1e8 point
# updates, where a gradient takes a third of a second or more).
CHECK_TURNS = 50


def check_turns(points):
    """Calls of the programs with and without the check, for nx * nt point updates."""
    return CHECK_TURNS if points <= 1e8 else CHECK_TURNS // 5


def pin_to_one_core():
    """Allow this process the first of its CPU cores only. Call it before JAX starts its
    CPU client: the client's thread pool, and so XLA's split of each kernel across cores,
    follows the process's CPU affinity."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def measure_course(solver, nx, nt, repeats, check=False, one_core=False, unchecked=False,
                   turns_only=False):
    """Best forward and gradient times [ms] of one of the course's solvers (or the seed's)
    at one size, the process's peak RSS [MB], and its peak once its imports are done and
    JAX's CPU client has started, before any problem (import_rss_mb); the gradient is that
    of the L2 misfit against data made with a slightly different velocity.

    Each is a `jax.jit` function, called as a student calls one: dispatched from C++. (Not
    an ahead-of-time `Compiled` program: one with a host callback, such as the solver's
    instability check, is dispatched by Python; `measure_dispatch`.) check=True also takes
    the best of `check_turns` settled calls of each, and a digest of both programs'
    results, for comparing with another process: one whose programs have no check
    (unchecked=True, `without_check`), or one with the same programs. turns_only=True
    measures only that. one_core=True runs it all pinned to one core (`pin_to_one_core`),
    where XLA splits no kernel.
    """
    if one_core:
        pin_to_one_core()
    if unchecked:
        without_check()
    import jax
    import jax.numpy as jnp
    import numpy as np

    import problems
    from course_utils import seismic2d, wave  # noqa: F401  (imported before the baseline)

    jnp.zeros(()).block_until_ready()  # JAX's CPU client starts with the first array
    imported = peak_rss_mb()
    forward, c, scale = problems.course_forward(solver, nx, nt)
    observed = forward(scale * c)
    gradient = jax.jit(jax.grad(lambda c: jnp.sum((forward(c) - observed) ** 2)))
    timed = dict(forward=functools.partial(forward, c), gradient=functools.partial(gradient, c))
    result = {}
    if check or turns_only:
        turns = check_turns(np.size(c) * nt)
        best = best_times(timed, turns, jax.block_until_ready, settle=True)
        digest = hashlib.sha256(b"".join(np.asarray(f()).tobytes() for f in timed.values()))
        result = dict({f"{name}_turns_ms": ms for name, ms in best.items()}, check_turns=turns,
                      conditionals=conditionals(forward, c), results=digest.hexdigest())
        if turns_only:
            return result
    result.update(best_times(dict(forward_ms=timed["forward"]), repeats, jax.block_until_ready))
    result.update(best_times(dict(gradient_ms=timed["gradient"]),
                             gradient_repeats(np.size(c) * nt, repeats), jax.block_until_ready))
    return dict(result, peak_rss_mb=peak_rss_mb(), import_rss_mb=imported,
                cores=len(os.sched_getaffinity(0)))


def measure_dispatch(turns=2000):
    """Time per call [us] of one small program, a cumulative sum of 1000 points: without a
    host callback, with a pure callback under a `lax.cond` that is not taken (as the solver's
    check) and with `jax.debug.callback` there (an effect); each called as a `jax.jit`
    function and as an ahead-of-time `Compiled` program. Best of `turns`, taken in turns,
    settled; and the jitted program without a callback right after each program with the
    pure callback (jit_none_after_...), not settled."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    def program(callback):
        def run(x):
            zero = jnp.zeros((), x.dtype)
            if callback == "pure":
                zero = jax.lax.cond(x[0] > 1, lambda: jax.pure_callback(
                    lambda: np.zeros((), np.float32), jax.ShapeDtypeStruct((), x.dtype)),
                    lambda: zero)
            elif callback == "effect":
                jax.lax.cond(x[0] > 1, lambda: jax.debug.callback(lambda: None), lambda: None)
            return jnp.cumsum(x) + zero
        return jax.jit(run)

    x = jnp.ones(1000, jnp.float32)
    functions = {}
    for callback in ("none", "pure", "effect"):
        functions[f"jit_{callback}"] = functools.partial(program(callback), x)
        functions[f"compiled_{callback}"] = functools.partial(
            program(callback).lower(x).compile(), x)
    times = best_times(functions, turns, jax.block_until_ready, settle=True)
    for before in ("jit_pure", "compiled_pure"):
        pair = {before: functions[before], "jit_none": functions["jit_none"]}
        times[f"jit_none_after_{before}"] = best_times(pair, turns,
                                                       jax.block_until_ready)["jit_none"]
    return {name: 1e3 * ms for name, ms in times.items()}


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
        solver, nx, nt, repeats, *flags = rest  # flags: check, one-core, unchecked, turns
        measured = measure_course(solver, int(nx), int(nt), int(repeats), "check" in flags,
                                  "one-core" in flags, "unchecked" in flags, "turns" in flags)
    elif kind == "dispatch":
        measured = measure_dispatch(*map(int, rest))
    else:
        name, adam_steps, lbfgs_iterations = rest
        measured = time_experiments(name, int(adam_steps), int(lbfgs_iterations))
    print(json.dumps(measured))
