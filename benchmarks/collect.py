"""Every measurement of one benchmark run, each in a fresh process, as plain dicts for
results.json: the sweep of sizes, the comparison with the C loop and the peers (interleaved
over rounds), the seed's experiment set, the sharded shots and the step profiles.
"""

import dataclasses
import json
import os
import subprocess
import sys

import measure
import peers
import problems

HERE = measure.HERE


def sweep(plan, workdir):
    """The seed's solver and the course's two gradients at each size, with the C loop's
    forward: one round (the figure and the memory's growth with nt)."""
    binary = measure.c_loop(workdir)
    rows = []
    for nx, nt in plan.sweep:
        row = dict(nx=nx, nt=nt, c_loop=measure.c_forward(binary, nx, nt, plan.c_repeats))
        for solver in problems.SOLVERS:
            row[solver] = measure.spawn("course", solver, nx, nt, plan.repeats)
        rows.append(row)
        print(f"sweep {nx} x {nt}: done", flush=True)
    return rows


def compare(sizes, dim, plan, workdir, names=None, time_course=True):
    """The course against the C loop (1D) and its peers, at each size.

    First agreement: each code's final field against the same steps in float64 NumPy
    (relative L2), from the first round's runs. Then `plan.rounds` rounds, each timing the
    course (in 1D also without its instability check, and with it in another process), the
    course pinned to one core (course_1_core: XLA splits no kernel), every peer and the C
    loop once, in turn, so a busy spell of the machine falls on one round of all codes
    rather than on all rounds of one. Peers that cannot run are skipped, loudly, with the
    reason.
    time_course=False times neither the course nor the C loop (the tests).
    """
    import numpy as np

    names = names or (problems.PEERS_1D if dim == 1 else problems.PEERS_2D)
    skipped = {name: why for name in names if (why := peers.missing(name))}
    for name, why in skipped.items():
        print(f"SKIPPING {name}: {why}", file=sys.stderr, flush=True)
    binary = measure.c_loop(workdir) if dim == 1 and time_course else None
    make, course_final, float64_final = problems.PROBLEMS[dim]
    entries = []
    for nx, nt in sizes:
        case = make(nx, nt)
        problem_path = workdir / f"problem_{dim}d_{nx}x{nt}.npz"
        np.savez(problem_path, **case)
        reference, course = float64_final(case), course_final(case)
        entry = dict(dim=dim, nx=nx, nt=nt, skipped=skipped, rounds=[],
                     errors=dict(course=problems.relative_l2(course, reference)))
        for _ in range(plan.rounds):
            timings = {}
            if time_course:
                solver = ("reversible", "check") if dim == 1 else ("2d",)
                timings["course"] = measure.spawn("course", solver[0], nx, nt, plan.repeats,
                                                  *solver[1:])
                timings["course_1_core"] = measure.spawn("course", solver[0], nx, nt,
                                                         plan.repeats, "one-core")
                runs = dict(course_unchecked=("turns", "unchecked"), course_again=("turns",))
                for name, flags in runs.items() if dim == 1 else ():  # the check's cost
                    timings[name] = measure.spawn("course", solver[0], nx, nt, plan.repeats,
                                                  *flags)
            for name in names:
                if name not in skipped:
                    result_path = workdir / f"{name}_{dim}d_{nx}x{nt}.npz"
                    timings[name], final = peer_round(name, problem_path, result_path, plan)
                    entry["errors"].setdefault(name, agreement(final, reference, course))
            if binary:
                timings["c_loop"] = measure.c_forward(binary, nx, nt, plan.c_repeats)
            entry["rounds"].append(timings)
        entries.append(entry)
        print(f"{dim}D comparison at {nx} x {nt}: done", flush=True)
    return entries


def peer_round(name, problem_path, result_path, plan):
    """One peer's timings in one round (a fresh process), and its final fields."""
    import numpy as np

    started = measure.load()
    result = peers.run(name, problem_path, result_path, plan.repeats)
    timings = {key: float(result[key]) for key in ("forward_ms", "gradient_ms", "peak_rss_mb",
                                                    "import_rss_mb")
               if np.isfinite(result[key])}  # Devito has no gradient: no key
    finals = {key: result[key] for key in ("final", "final_solve") if key in result}
    return dict(timings, threads=int(result["threads"]), load=started), finals


def agreement(finals, reference, course):
    """A peer's final field against float64 and against the course (relative L2); for
    Devito also its `solve()` form's against float64."""
    import numpy as np

    errors = dict(error=problems.relative_l2(finals["final"], reference),
                  vs_course=problems.relative_l2(finals["final"], course.astype(np.float64)))
    if "final_solve" in finals:
        errors["solve_error"] = problems.relative_l2(finals["final_solve"], reference)
    return errors


def experiments(plan):
    """The seed's experiment set, the seed's way and the course's, each a cold process."""
    return {name: measure.spawn("experiments", name, *plan.experiment_steps)
            for name in ("seed", "course")}


def script_json(script, *arguments, env=None):
    """Run a script beside this one in a fresh process; its last line of output, as JSON."""
    output = subprocess.run([sys.executable, str(HERE / script), *map(str, arguments)],
                            env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def sharded_shots(plan, devices=(1, 2), rounds=2):
    """sharded_shots.py with 1 and with 2 forced host devices, taking turns `rounds` times;
    each device count keeps its fastest gradient's run."""
    best = {}
    for _ in range(rounds):
        for count in devices:
            env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={count}")
            started = measure.load()
            run = dict(script_json("sharded_shots.py", *plan.shots, env=env), load=started)
            if count not in best or run["gradient_ms"] < best[count]["gradient_ms"]:
                best[count] = run
    return [best[count] for count in devices]


def profile_steps(plan):
    """profile_steps.py at each of the plan's 1D sizes."""
    return [dict(nx=nx, nt=nt, variants=script_json("profile_steps.py", nx, nt))
            for nx, nt in plan.profiles]


def profile_steps_2d(plan):
    """profile_steps.py's 2D loops at the plan's 2D comparison sizes; and the course's 2D
    loops pinned to one core or on all, in turns (up to 3 times), each keeping its best."""
    return [dict(n=n, nt=nt, variants=script_json("profile_steps.py", "2d", n, nt),
                 cores=best_of_turns(lambda cores: script_json(
                     "profile_steps.py", "2d-cores", n, nt, cores), (1, os.cpu_count()),
                     min(plan.rounds, 3)))
            for n, nt in plan.compare_2d]


def best_of_turns(run, settings, rounds):
    """{setting: each variant's fastest run} over `rounds` turns of run(setting)."""
    best = {}
    for _ in range(rounds):
        for setting in settings:
            for name, variant in run(setting).items():
                kept = best.setdefault(str(setting), {}).get(name)
                if kept is None or variant["us_per_step"] < kept["us_per_step"]:
                    best[str(setting)][name] = variant
    return best


def machine():
    """The CPU, its cores, the versions and the date."""
    import platform
    import time

    import jax
    import jaxlib

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    gcc = subprocess.run(["gcc", "--version"], capture_output=True, text=True).stdout
    return dict(cpu=cpu, cores=os.cpu_count(), python=platform.python_version(),
                jax=jax.__version__, jaxlib=jaxlib.__version__, gcc=gcc.splitlines()[0],
                date=time.strftime("%Y-%m-%d"))


def everything(plan, workdir):
    """All of the above, in this order, with the load averages at the start and the end."""
    start = [round(value, 2) for value in os.getloadavg()]
    results = dict(plan=dataclasses.asdict(plan), sweep=sweep(plan, workdir),
                   compare=compare(plan.compare_1d, 1, plan, workdir)
                   + compare(plan.compare_2d, 2, plan, workdir),
                   experiments=experiments(plan), shards=sharded_shots(plan),
                   dispatch=measure.spawn("dispatch"),
                   profiles=profile_steps(plan), profiles_2d=profile_steps_2d(plan),
                   machine=machine())
    return dict(results, load=dict(start=start,
                                   end=[round(value, 2) for value in os.getloadavg()]))
