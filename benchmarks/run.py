"""Speed and memory of the wave solver and the course's experiments, against the seed, C,
and the libraries a user would use instead (deepwave, Devito).

Usage: `make bench` (or `python benchmarks/run.py`). Every measurement runs in a fresh
process, so peak memory is per configuration. The peers run in their own virtualenv
(BENCH_PYTHON, by default .venv-bench/bin/python; `make bench` builds it); without it their
rows are skipped, loudly. Writes benchmarks/RESULTS.md, benchmarks/scaling.png and
benchmarks/out/results.json.
"""

import argparse
import json
import os
import pathlib
import platform
import resource
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "out"
SIZES = [(1000, 5000), (4000, 5000), (16000, 5000), (16000, 10000), (16000, 20000),
         (16000, 40000)]
SOLVERS = ["seed", "autodiff", "reversible"]
LEGACY_RUNTIME = "--xla_cpu_use_thunk_runtime=false"  # XLA:CPU's pre-0.4.32 executor
PEER_SIZES = [(1000, 5000), (16000, 20000)]
PEERS = ("deepwave", "deepwave_1_thread", "devito")
BENCH_PYTHON = pathlib.Path(os.environ.get("BENCH_PYTHON", HERE.parent / ".venv-bench/bin/python"))
# Relative L2 difference from a float64 run above which a code disagrees: float32 round-off
# alone reaches about 1e-3 after 20000 steps on 16000 points (the course's own, measured).
AGREEMENT = 1e-2


def best_time(fn, arg, repeats):
    """Best wall time [ms] of fn(arg) over `repeats` runs after one compiling call."""
    import jax

    jax.block_until_ready(fn(arg))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn(arg))
        times.append(time.perf_counter() - start)
    return 1e3 * min(times)


def rss_mb():
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS"))
    return int(line.split()[1]) / 1024


def measure_solver(solver, nx, nt):
    """Forward and gradient time, and peak memory, of one solver at one size."""
    import jax
    import jax.numpy as jnp

    from course_utils import wave
    import seed_solver

    dt = 0.5 / (nx - 1)  # Courant number 0.5 at c = 1
    c = jnp.linspace(0.9, 1.0, nx)
    if solver == "seed":
        forward = jax.jit(lambda c: seed_solver.wave_solver(c, nx, nt, dt))
    else:
        config = wave.WaveConfig(nx=nx, nt=nt, dt=dt)
        forward = jax.jit(lambda c: wave.simulate(c, config, gradient=solver))
    observed = forward(1.01 * c)
    gradient = jax.jit(jax.grad(lambda c: jnp.sum((forward(c) - observed) ** 2)))
    forward_ms = best_time(forward, c, 5)
    before = rss_mb()
    gradient_ms = best_time(gradient, c, 3 if nx * nt > 1e8 else 5)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return dict(forward_ms=forward_ms, gradient_ms=gradient_ms, rss_before_mb=before,
                peak_rss_mb=peak)


def seed_experiments():
    """The seed's experiment set, the seed's way: un-jitted grad in Python loops."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax
    from tensorflow_probability.substrates import jax as tfp

    import seed_solver

    def adam(loss, c, learning_rate, steps):
        optimizer = optax.adam(learning_rate)
        state = optimizer.init(c)
        for _ in range(steps):
            _, grad = jax.value_and_grad(loss)(c)
            updates, state = optimizer.update(grad, state)
            c = optax.apply_updates(c, updates)
        return c

    observed = seed_solver.wave_solver(1.0)
    constant = adam(lambda c: jnp.linalg.norm(seed_solver.wave_solver(c) - observed),
                    jnp.asarray(0.8), 0.005, 200)
    c_true = jnp.linspace(0.9, 1.0, 1000)
    observed = seed_solver.wave_solver(c_true)
    loss = lambda c: jnp.linalg.norm(seed_solver.wave_solver(c) - observed)
    start = jnp.linspace(0.85, 1.0, 1000)
    linear = adam(loss, start, 1e-3, 200)
    lbfgs = tfp.optimizer.lbfgs_minimize(jax.value_and_grad(loss), start,
                                         max_iterations=50).position
    rmse = lambda c: float(np.sqrt(np.mean((np.asarray(c) - np.asarray(c_true)) ** 2)))
    return dict(constant_error=abs(float(constant) - 1.0), adam_rmse=rmse(linear),
                lbfgs_rmse=rmse(lbfgs))


def course_experiments():
    """The same set with course_utils: compiled runners, lean gradient."""
    import jax.numpy as jnp
    import numpy as np

    from course_utils import inversion, wave

    observed = wave.simulate(1.0)
    constant = inversion.run_adam(lambda c: inversion.misfit(c, observed), jnp.asarray(0.8),
                                  learning_rate=0.005, num_steps=200, progress=False)
    c_true = np.linspace(0.9, 1.0, 1000)
    observed = wave.simulate(c_true)
    loss = lambda c: inversion.misfit(c, observed)
    start = jnp.linspace(0.85, 1.0, 1000)
    linear = inversion.run_adam(loss, start, learning_rate=1e-3, num_steps=200, progress=False)
    lbfgs = inversion.run_lbfgs_tfp(loss, start, max_iterations=50, progress=False)
    rmse = lambda c: float(np.sqrt(np.mean((np.asarray(c) - c_true) ** 2)))
    return dict(constant_error=abs(float(constant.solution) - 1.0),
                adam_rmse=rmse(linear.solution), lbfgs_rmse=rmse(lbfgs.solution))


def child(args):
    """Run one measurement in this process and print it as JSON."""
    sys.path.insert(0, str(HERE))  # seed_solver lives beside this script
    if args.experiments:
        start = time.perf_counter()
        result = {"seed": seed_experiments, "course": course_experiments}[args.experiments]()
        result["seconds"] = time.perf_counter() - start
    else:
        result = measure_solver(args.solver, args.nx, args.nt)
    print(json.dumps(result))


def spawn(*arguments, legacy=False):
    env = dict(os.environ)
    if legacy:
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " " + LEGACY_RUNTIME).strip()
    load = os.getloadavg()[0]
    output = subprocess.run([sys.executable, __file__, "--child", *map(str, arguments)],
                            env=env, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(output.strip().splitlines()[-1]), load=load)


def c_forward(binary, nx, nt):
    output = subprocess.run([str(binary), str(nx), str(nt), "5"], check=True,
                            capture_output=True, text=True).stdout
    return float(output.split()[0])


def problem(nx, nt):
    """The benchmark's problem as plain float32 arrays: what every code starts from."""
    import numpy as np

    from course_utils import wave

    config = wave.WaveConfig(nx=nx, nt=nt, dt=0.5 / (nx - 1))
    c = np.linspace(0.9, 1.0, nx, dtype=np.float32)
    u0, u1 = (np.asarray(level) for level in wave.initial_conditions(c, config))
    return dict(c=c, u0=u0, u1=u1, dx=config.dx, dt=config.dt, nt=nt)


def course_final(problem):
    """`wave.simulate`'s u^{nt+1} for a problem."""
    import numpy as np

    from course_utils import wave

    nx = problem["c"].size
    config = wave.WaveConfig(nx=nx, nt=int(problem["nt"]), dt=float(problem["dt"]))
    return np.asarray(wave.simulate(problem["c"], config))


def float64_final(problem):
    """The same leapfrog steps in NumPy float64, from the same float32 inputs."""
    import numpy as np

    u_prev, u = (problem[k].astype(np.float64) for k in ("u0", "u1"))
    r2 = (problem["c"].astype(np.float64) * float(problem["dt"]) / float(problem["dx"])) ** 2
    for _ in range(int(problem["nt"])):
        padded = np.pad(u, 1)
        u_prev, u = u, 2 * u - u_prev + r2 * (padded[2:] - 2 * u + padded[:-2])
    return u


def relative_l2(u, reference):
    """||u - reference|| / ||reference||."""
    import numpy as np

    return float(np.linalg.norm(np.asarray(u, np.float64) - reference) / np.linalg.norm(reference))


def peer_missing(name):
    """Why a peer cannot run (a sentence), or None when it can."""
    if not BENCH_PYTHON.exists():
        return f"{BENCH_PYTHON} does not exist (`make bench` builds it)"
    package = name.split("_")[0]  # deepwave_1_thread: deepwave, with one thread
    found = subprocess.run([str(BENCH_PYTHON), "-c", f"import {package}"], capture_output=True,
                           text=True)
    return None if found.returncode == 0 else f"`import {package}` fails in {BENCH_PYTHON}"


def run_peer(name, problem_path, result_path):
    """One peer, one size, in a fresh process of the benchmark virtualenv."""
    import numpy as np

    threads = 1 if name.endswith("_1_thread") else os.cpu_count()
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), DEVITO_LOGGING="ERROR")
    subprocess.run([str(BENCH_PYTHON), str(HERE / "peers.py"), name, str(problem_path),
                    str(result_path)], env=env, check=True, capture_output=True, text=True)
    with np.load(result_path) as data:
        return dict(data)


def compare_peers(sizes=PEER_SIZES, peers=PEERS, workdir=OUT, time_course=True):
    """Agreement first, then the course's and the peers' times, back to back at each size.

    Skipped peers say why. With time_course=False the course is not timed (tests).
    """
    import numpy as np

    workdir.mkdir(exist_ok=True)
    binary = workdir / "leapfrog"
    if time_course:
        subprocess.run(["gcc", "-O3", "-march=native", "-o", str(binary),
                        str(HERE / "leapfrog.c"), "-lm"], check=True)
    missing = {name: peer_missing(name) for name in peers}
    for name, why in missing.items():
        if why:
            print(f"SKIPPING {name}: {why}", file=sys.stderr, flush=True)
    results = []
    for nx, nt in sizes:
        case = problem(nx, nt)
        problem_path = workdir / f"problem_{nx}x{nt}.npz"
        np.savez(problem_path, **case)
        reference = float64_final(case)
        course = course_final(case)
        entry = dict(nx=nx, nt=nt, course_error=relative_l2(course, reference),
                     peers={}, skipped={k: v for k, v in missing.items() if v})
        if time_course:
            entry["course"] = spawn("--solver", "reversible", "--nx", nx, "--nt", nt)
            entry["c_ms"] = c_forward(binary, nx, nt)
        for name in peers:
            if missing[name]:
                continue
            load = os.getloadavg()[0]
            result = run_peer(name, problem_path, workdir / f"{name}_{nx}x{nt}.npz")
            peer = dict(error=relative_l2(result["final"], reference),
                        vs_course=relative_l2(result["final"], course.astype(np.float64)),
                        forward_ms=float(result["forward_ms"]),
                        gradient_ms=float(result["gradient_ms"]),
                        peak_rss_mb=float(result["peak_rss_mb"]), threads=int(result["threads"]),
                        load=load)
            if "final_solve" in result:
                peer["solve_error"] = relative_l2(result["final_solve"], reference)
            entry["peers"][name] = peer
        results.append(entry)
        print(f"peers at {nx} x {nt}: done", flush=True)
    return results


def sharded_shots(devices=(1, 2), rounds=2):
    """benchmarks/sharded_shots.py with 1 and with 2 forced host devices, fresh processes,
    alternating `rounds` times; each device count keeps its fastest run."""
    best = {}
    for _ in range(rounds):
        for count in devices:
            env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={count}")
            load = os.getloadavg()[0]
            output = subprocess.run([sys.executable, str(HERE / "sharded_shots.py")], env=env,
                                    check=True, capture_output=True, text=True).stdout
            run = dict(json.loads(output.strip().splitlines()[-1]), load=load)
            if count not in best or run["gradient_ms"] < best[count]["gradient_ms"]:
                best[count] = run
    return [best[count] for count in devices]


def profile_steps(sizes=((1000, 5000), (16000, 5000))):
    """benchmarks/profile_steps.py at each size, fresh processes."""
    results = []
    for nx, nt in sizes:
        output = subprocess.run([sys.executable, str(HERE / "profile_steps.py"), str(nx),
                                 str(nt)], check=True, capture_output=True, text=True).stdout
        results.append(dict(nx=nx, nt=nt, variants=json.loads(output.strip().splitlines()[-1])))
    return results


def load_average():
    """`uptime`'s three load averages (1, 5, 15 minutes)."""
    return [round(value, 2) for value in os.getloadavg()]


def main():
    OUT.mkdir(exist_ok=True)
    load_start = load_average()
    binary = OUT / "leapfrog"
    subprocess.run(["gcc", "-O3", "-march=native", "-o", str(binary), str(HERE / "leapfrog.c"),
                    "-lm"], check=True)
    rows = []
    for nx, nt in SIZES:
        row = dict(nx=nx, nt=nt, c_ms=c_forward(binary, nx, nt))
        for solver in SOLVERS:
            row[solver] = spawn("--solver", solver, "--nx", nx, "--nt", nt)
            if (nx, nt) in ((1000, 5000), (16000, 20000)):
                row[solver + "_legacy"] = spawn("--solver", solver, "--nx", nx, "--nt", nt,
                                                legacy=True)
        rows.append(row)
        print(f"{nx} x {nt}: done", flush=True)
    experiments = {name: spawn("--experiments", name) for name in ("seed", "course")}
    peers = compare_peers()
    shards = sharded_shots()
    profiles = profile_steps()
    results = dict(rows=rows, experiments=experiments, peers=peers, shards=shards,
                   profiles=profiles, machine=machine(),
                   load=dict(start=load_start, end=load_average()))
    (OUT / "results.json").write_text(json.dumps(results, indent=1))
    plot(rows)
    (HERE / "RESULTS.md").write_text(report(results))
    print((HERE / "RESULTS.md").read_text())


def machine():
    import jax
    import jaxlib

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    gcc = subprocess.run(["gcc", "--version"], capture_output=True, text=True).stdout
    return dict(cpu=cpu, cores=os.cpu_count(), python=platform.python_version(),
                jax=jax.__version__, jaxlib=jaxlib.__version__, gcc=gcc.splitlines()[0],
                date=time.strftime("%Y-%m-%d"))


def plot(rows):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sweep = [row for row in rows if row["nx"] == 16000]
    nts = [row["nt"] for row in sweep]
    fig, (ax_time, ax_memory) = plt.subplots(1, 2, figsize=(11, 4))
    for solver in SOLVERS:
        ax_time.loglog(nts, [row[solver]["gradient_ms"] for row in sweep], "o-",
                       label=f"{solver}: gradient")
        ax_memory.loglog(nts, [row[solver]["peak_rss_mb"] for row in sweep], "o-", label=solver)
    ax_time.loglog(nts, [row["reversible"]["forward_ms"] for row in sweep], "k--",
                   label="course: forward")
    ax_time.loglog(nts, [row["c_ms"] for row in sweep], "k:", label="C loop: forward")
    ax_time.set(xlabel="time steps nt", ylabel="time [ms]", title="Time, nx = 16000")
    ax_memory.set(xlabel="time steps nt", ylabel="peak RSS [MB]",
                  title="Peak memory of one gradient, nx = 16000")
    ax_time.legend()
    ax_memory.legend()
    fig.tight_layout()
    fig.savefig(HERE / "scaling.png", dpi=100)


def verdict(ok, text):
    return f"- {'met' if ok else 'NOT met'}: {text}"


def agrees(entry, peer):
    """Both the course and the peer within AGREEMENT of the float64 run."""
    return peer["error"] < AGREEMENT and entry["course_error"] < AGREEMENT


def ratio_text(value):
    return "-" if value != value else f"{value:.2f}"


def peer_table(peers, rows):
    """Side-by-side rows: the course's reversible solver, the peers, peer / course."""
    by_size = {(row["nx"], row["nt"]): row for row in rows}
    names = [name for name in PEERS if any(name in entry["peers"] for entry in peers)]
    header = "| nx x nt | | course | C loop | " + " | ".join(
        f"{name} | {name} / course" for name in names) + " |"
    lines = [header, "|---|---|---|---|" + "---|---|" * len(names)]
    quantities = (("forward", "forward_ms", "ms"), ("gradient", "gradient_ms", "ms"),
                  ("peak RSS", "peak_rss_mb", "MB"))
    for entry in peers:
        row = by_size[(entry["nx"], entry["nt"])]
        course = entry.get("course", row["reversible"])
        c_ms = entry.get("c_ms", row["c_ms"])
        for label, key, unit in quantities:
            c_loop = f"{c_ms:.1f} {unit}" if key == "forward_ms" else "-"
            cells = [f"{entry['nx']} x {entry['nt']}", label, f"{course[key]:.1f} {unit}", c_loop]
            for name in names:
                peer = entry["peers"].get(name)
                if peer is None or peer[key] != peer[key]:
                    cells += ["-", "-"]
                else:
                    cells += [f"{peer[key]:.1f} {unit}", ratio_text(peer[key] / course[key])]
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def peer_section(results):
    peers, rows = results["peers"], results["rows"]
    lines = ["", "## Against deepwave and Devito", ""]
    skipped = {name: why for entry in peers for name, why in entry["skipped"].items()}
    for name, why in skipped.items():
        lines.append(f"**{name} was not run: {why}.**")
    if skipped:
        lines.append("")
    lines += [
        "The same problem in each code (the arrays c, u^0, u^1 written by `run.py`): deepwave "
        "0.1.0's `scalar` with `accuracy=2`, `boundary=[\"free\", \"free\"]` (u = 0 one point "
        "outside each end, the course's walls), `pml_width=0`, `courant_number` set so its "
        "internal step is dt (asserted: `step_ratio == 1`), the initial levels as "
        "`wavefield_m1`/`wavefield_0`; Devito 4.8's operator for u_tt = c^2 u_xx, space order "
        "2, zero halo. Before any time is read, each code's final field is compared with the "
        "same steps run in float64 NumPy (relative L2):",
        "",
    ]
    for entry in peers:
        parts = [f"course {entry['course_error']:.1e}"]
        for name, peer in entry["peers"].items():
            parts.append(f"{name} {peer['error']:.1e} (against the course: "
                         f"{peer['vs_course']:.1e})")
        lines.append(f"- {entry['nx']} x {entry['nt']}: " + "; ".join(parts) + ".")
        for name, peer in entry["peers"].items():
            if not agrees(entry, peer):
                lines.append(f"  **{name} disagrees** (above {AGREEMENT:g}): its times "
                             "below are not a comparison of the same computation.")
    solve_errors = [(entry, entry["peers"]["devito"]["solve_error"]) for entry in peers
                    if "devito" in entry["peers"]]
    if solve_errors:
        lines += ["", "Devito's update is written out (2u - u_prev + dt^2 c^2 u_xx). Its usual "
                  "`solve(u.dt2 - c**2 * u.dx2, u.forward)` generates dt^2 (2u/dt^2 - "
                  "u_prev/dt^2 + ...), and that form's float32 round-off is far larger here: "
                  + ", ".join(f"{error:.1e} at {entry['nx']} x {entry['nt']}"
                              for entry, error in solve_errors)
                  + " from float64 (a frequency shift of the smooth pulse)."]
    threads = {name: peer["threads"] for entry in peers for name, peer in entry["peers"].items()}
    loads = [peer["load"] for entry in peers for peer in entry["peers"].values()]
    cores = results["machine"]["cores"]
    if loads and max(loads) > cores:
        lines += ["", f"**Read these ratios with the load:** the peers ran at a 1-minute load of "
                  f"{min(loads):.1f} to {max(loads):.1f} on {cores} cores, so every time "
                  "includes waiting for a core, and a code whose threads wait on each other "
                  "at each step (deepwave's OpenMP threads) loses most: on a busy machine "
                  "these ratios measure the machine as much as the codes. Rerun `make bench` "
                  "on a quiet machine before quoting them."]
    lines += ["", "Ratios are peer / course: above 1 the course is ahead (faster, or less "
              "memory). Peak RSS is the whole measuring process (Python, the framework and "
              "the compiled program included). Threads: JAX uses XLA:CPU's default pool; "
              + ", ".join(f"{name} {count}" for name, count in threads.items())
              + ". Devito has no gradient from this equation (its adjoints are written by "
              "hand), so it has forward times only.", ""]
    return lines + peer_table(peers, rows)


def targets(results):
    rows, peers = results["rows"], results["peers"]
    by_size = {(row["nx"], row["nt"]): row for row in rows}
    lines = ["", "## Targets", "", "Each measured in this run, under the load recorded above (see the "
             "caveat before the peers table); ratios as in the tables above.", ""]
    for nx, nt in PEER_SIZES:
        entry = next((e for e in peers if (e["nx"], e["nt"]) == (nx, nt)), {"peers": {}})
        course = entry.get("course", by_size[(nx, nt)]["reversible"])
        size = f"{nx} x {nt}"
        grad = course["gradient_ms"] / course["forward_ms"]
        lines.append(verdict(grad <= 3, f"gradient <= 3x forward at {size}: {grad:.1f}x."))
        c_ratio = course["forward_ms"] / entry.get("c_ms", by_size[(nx, nt)]["c_ms"])
        lines.append(verdict(c_ratio <= 1.5, f"forward within 1.5x of the C loop at {size}: "
                             f"{c_ratio:.1f}x."))
        for name in ("deepwave", "deepwave_1_thread"):
            deepwave = entry["peers"].get(name)
            if not deepwave:
                lines.append(f"- not measured: ahead of {name} at {size} ({name} not run).")
                continue
            for label, key in (("forward", "forward_ms"), ("gradient", "gradient_ms"),
                               ("peak memory", "peak_rss_mb")):
                ahead = deepwave[key] / course[key]
                lines.append(verdict(ahead > 1 and agrees(entry, deepwave),
                                     f"ahead of {name} on {label} at {size}: {name} / course "
                                     f"= {ahead:.2f}."))
    large = by_size[(16000, 20000)]
    memory = large["reversible"]["peak_rss_mb"]
    sweep = [by_size[(16000, nt)]["reversible"]["peak_rss_mb"] for nt in (5000, 10000, 20000, 40000)]
    seed_s = results["experiments"]["seed"]["seconds"]
    course_s = results["experiments"]["course"]["seconds"]
    lines += [
        verdict(memory < 300 and max(sweep) < 1.1 * min(sweep),
                f"gradient memory at 16000 x 20000 under 300 MB and flat in nt: {memory:.0f} MB; "
                f"{', '.join(f'{v:.0f}' for v in sweep)} MB for nt = 5000 ... 40000."),
        verdict(seed_s >= 5 * course_s,
                f"seed's experiment set at least 5x faster: {seed_s:.1f} s -> {course_s:.1f} s "
                f"({seed_s / course_s:.1f}x)."),
    ]
    return lines


def profile_section(results):
    lines = ["", "## What a step costs: the compiled loops", "",
             "`profile_steps.py` compiles each loop alone, reads its body from "
             "`jax.jit(...).lower(...).compile().as_text()` and times it (the loops take turns, "
             "best of 15 runs each). Per time "
             "step: kernels launched, copies of the loop carry, elementwise operations inside "
             "the fused kernels; `parallel` says whether XLA split a kernel across threads.",
             "",
             "| nx x nt | loop | kernels | carry copies | elementwise ops | parallel | us per step |",
             "|---|---|---|---|---|---|---|"]
    for entry in results["profiles"]:
        for name, v in entry["variants"].items():
            lines.append(f"| {entry['nx']} x {entry['nt']} | {name} | {v['kernels']:.2f} | "
                         f"{v['copies']:.2f} | {v['arithmetic']:.1f} | "
                         f"{'yes' if v['parallel'] else 'no'} | {v['us_per_step']:.2f} |")
    return lines


def shard_section(results):
    one, two = results["shards"]
    lines = ["", "## Shots spread over devices", "",
             f"`sharded_shots.py`: {one['n_shots']} shots of `seismic.SeismicConfig()` "
             f"({one['nx']} points, {one['nt']} steps), `seismic.shots`' vmap with the source "
             "indices sharded along a one-axis device mesh and the velocity replicated "
             "(`NamedSharding`), so `jit` partitions the shots and the gradient's sum over "
             "shots is one all-reduce. Each run is a fresh process with "
             "`XLA_FLAGS=--xla_force_host_platform_device_count=N`; the traces equal "
             f"`seismic.shots`' (largest difference {max(one['max_difference'], two['max_difference']):.1e})"
             f" and come back sharded as `{two['output_sharding']}` on 2 devices.",
             "",
             "| devices | forward, all shots [ms] | gradient, all shots [ms] | per shot, gradient [ms] | load |",
             "|---|---|---|---|---|"]
    for run in (one, two):
        lines.append(f"| {run['devices']} | {run['forward_ms']:.1f} | {run['gradient_ms']:.1f} "
                     f"| {run['gradient_ms'] / run['n_shots']:.2f} | {run['load']:.1f} |")
    speedup_f = one["forward_ms"] / two["forward_ms"]
    speedup_g = one["gradient_ms"] / two["gradient_ms"]
    per_shot = one["gradient_ms"] / one["n_shots"]
    lines += ["", f"Two host devices against one: {speedup_f:.2f}x on the forward and "
              f"{speedup_g:.2f}x on the gradient, on {results['machine']['cores']} cores shared "
              "with other jobs (the load column): noisy, and each device count compiles its "
              "own program (16 shots per device against 8), so the ratio is not only the "
              "second core. The same script, unchanged, on a node with G GPUs makes a G-device "
              "mesh, gives each GPU n_shots / G shots and adds one all-reduce of an nx-vector "
              "per gradient: with the per-shot cost measured here on one CPU device "
              f"({per_shot:.2f} ms per shot for a gradient), 64 shots on 8 devices of this "
              f"speed would take {64 / 8 * per_shot:.0f} ms per gradient at best (a perfect "
              f"split; the two-device run above reached {speedup_g:.2f} of an ideal 2) instead "
              f"of {64 * per_shot:.0f} ms on one. A GPU's per-shot cost for a problem this small "
              "is not measured here (a 301-point step underfills a GPU; batching several shots "
              "per device is what fills it, and the vmap already does that)."]
    return lines


def why_section(results):
    rows = {(row["nx"], row["nt"]): row for row in results["rows"]}
    profiles = {(p["nx"], p["nt"]): p["variants"] for p in results["profiles"]}
    small, large = profiles[(1000, 5000)], profiles[(16000, 5000)]
    old, new = "backward, (a, b)", "backward, adjoint field"
    fwd = "forward, pad"

    def per_step(variants, name):
        return variants[name]["us_per_step"]

    lines = ["", "## Why, from the measurements", ""]
    lines.append(
        "- **The backward step's degradation with nx (fixed).** The transposed step carried "
        "as the pair (a, b) -> (-b, a + 2b + D(r2 b)) compiles to "
        f"{small[old]['arithmetic']:.1f} elementwise operations per step inside its fused "
        f"kernels; carried as two levels of the adjoint field, lam^n = 2 lam^(n+1) - "
        f"lam^(n+2) + D(r2 lam^(n+1)), the same numbers take {small[new]['arithmetic']:.1f} "
        "(the source has the same arithmetic: XLA fused the chain of a's and b's of the "
        "unrolled steps into several kernels and recomputed it in each). Timed alone in "
        f"this run, a backward step took {per_step(small, old):.1f} -> "
        f"{per_step(small, new):.1f} us at 1000 points and {per_step(large, old):.1f} -> "
        f"{per_step(large, new):.1f} us at 16000 (old -> new; a forward step "
        f"{per_step(small, fwd):.1f} and {per_step(large, fwd):.1f} us). The duplicated "
        "arithmetic grows with nx while the fixed cost per kernel does not, which is "
        "consistent with the old step's cost growing faster with nx than the forward's"
        + (" (at 16000 points XLA also splits the backward's kernels across threads, "
           "`parallel` above, and not the forward's)"
           if large[old]["parallel"] and not large[fwd]["parallel"] else "")
        + ". `wave._reversible_bwd` now "
        "carries the adjoint field (the recurrence notebook 08 derives); its gradients are "
        "the same numbers (largest relative difference of the loops' outputs "
        f"{max(small[new]['max_difference'], large[new]['max_difference']):.1e}; "
        "tests/test_wave.py compares with the autodiff gradient).")
    grad_small = rows[(1000, 5000)]["reversible"]
    grad_large = rows[(16000, 20000)]["reversible"]
    lines.append(
        "- **Gradient against forward.** A gradient is a forward run plus the backward sweep "
        "(and the misfit and the pullback through the initial conditions). The backward "
        "step rebuilds the earlier level (one stencil), steps the adjoint field (a second "
        "stencil) and accumulates dL/dr2, reading and writing five arrays where the forward "
        "touches three. From the loops timed alone, 1 + (backward step / forward step) is "
        f"{1 + per_step(small, new) / per_step(small, fwd):.1f} at 1000 points and "
        f"{1 + per_step(large, new) / per_step(large, fwd):.1f} at 16000; the whole gradient "
        f"measured {grad_small['gradient_ms'] / grad_small['forward_ms']:.1f}x and "
        f"{grad_large['gradient_ms'] / grad_large['forward_ms']:.1f}x the forward (main "
        f"table). The backward step launches {small[new]['kernels']:.2f} kernels per step "
        f"against the forward's {small[fwd]['kernels']:.2f} (table above), and at 1000 points "
        "a step is a few microseconds, where the fixed cost per kernel counts.")
    legacy_small = rows[(1000, 5000)]["reversible_legacy"]["forward_ms"] / rows[(1000, 5000)]["c_ms"]
    legacy_large = rows[(16000, 20000)]["reversible_legacy"]["forward_ms"] / rows[(16000, 20000)]["c_ms"]
    lines.append(
        "- **Forward against C.** XLA:CPU's default executor (the thunk runtime) adds a fixed "
        "cost per kernel and per loop iteration; a step here is "
        f"{small[fwd]['kernels']:.0f} kernels (the padded copy for the walls, then the fused "
        "update), which is why the course unrolls 4 steps per iteration (`wave.UNROLL`). With "
        f"the older executor (`{LEGACY_RUNTIME}`, rows `_legacy`) the same program runs at "
        f"{legacy_small:.1f}x and {legacy_large:.1f}x the C loop. The course does not set "
        "that flag for students: it changes a process-wide setting, and newer XLA versions "
        "drop it. Writing the walls with `jnp.concatenate` instead of `jnp.pad` fuses the "
        f"step into {large['forward, concatenate']['kernels']:.0f} kernel (same numbers, "
        f"largest difference {large['forward, concatenate']['max_difference']:.1e}) and "
        f"takes {per_step(small, 'forward, concatenate'):.2f} against "
        f"{per_step(small, fwd):.2f} us per step at 1000 points and "
        f"{per_step(large, 'forward, concatenate'):.1f} against {per_step(large, fwd):.1f} "
        "at 16000; `wave.second_difference` keeps notebook 04's `jnp.pad`, the form students "
        "write.")
    lines.append(
        "- **Memory.** Autodiff through the loop stores both time levels of every step "
        "(nt x nx floats), so its memory doubles with nt; the reversible gradient stores "
        "none and stays flat. Reconstruction error: rebuilding 5000 steps backwards in "
        "float32 returns to the initial state within the bound asserted in "
        "`tests/test_wave.py::test_time_reversal_rebuilds_the_start`, and the two gradients "
        "agree to better than 1e-3 (relative) at the seed size.")
    return lines


def report(results):
    rows, experiments, m = results["rows"], results["experiments"], results["machine"]
    load = results["load"]
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` on {m['date']}: {m['cpu']}, {m['cores']} cores; Python "
        f"{m['python']}, jax {m['jax']}, jaxlib {m['jaxlib']}, float32; {m['gcc']} with "
        "`-O3 -march=native` for the C loop. Times are the best of 5 runs (3 for the largest "
        "gradients) after a compiling call; peak memory is the peak resident set size of the "
        "process that measured that configuration (it includes about 200-300 MB of Python, "
        "JAX and the compiled program). Courant number 0.5, c rising from 0.9 to 1.0. "
        f"Load average (uptime) at the start {', '.join(map(str, load['start']))} and at "
        f"the end {', '.join(map(str, load['end']))}"
        + "".join(f"; after re-measuring the {name} {', '.join(map(str, value))}"
                  for name, value in load.items() if name not in ("start", "end"))
        + ": the machine is shared, so the times are noisy; each row's 1-minute load when "
        "it started is in out/results.json.",
        "",
        "Solvers: **seed**, a reconstruction of the seed's solver (`seed_solver.py`: roll "
        "stencil, `fori_loop`, `jax.grad` through the loop); **autodiff**, `wave.simulate(..., "
        "gradient=\"autodiff\")` (slicing stencil, unrolled `fori_loop`, `jax.grad` through "
        "the loop); **reversible**, `wave.simulate`'s default (the same forward, a "
        "time-reversal adjoint as `jax.custom_vjp`); **C**, `leapfrog.c`, forward only.",
        "",
        "| nx x nt | solver | forward [ms] | gradient [ms] | grad/fwd | peak RSS [MB] | C forward [ms] |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        for solver in SOLVERS + [s + "_legacy" for s in SOLVERS]:
            if solver not in row:
                continue
            r = row[solver]
            lines.append(
                f"| {row['nx']} x {row['nt']} | {solver} | {r['forward_ms']:.2f} | "
                f"{r['gradient_ms']:.1f} | {r['gradient_ms'] / r['forward_ms']:.1f} | "
                f"{r['peak_rss_mb']:.0f} | {row['c_ms']:.2f} |")
    lines += [
        "",
        "Rows marked `_legacy` ran with `XLA_FLAGS=" + LEGACY_RUNTIME + "`, XLA:CPU's older "
        "executor (see below).",
        "",
        "![time and memory against nt](scaling.png)",
        "",
        "## The seed's experiment set, end to end",
        "",
        "Constant-velocity Adam (200 steps from 0.8), linear-profile Adam (200 steps) and "
        "TFP L-BFGS (50 iterations), each process starting cold (imports and compilation "
        "included).",
        "",
        "| code | total [s] | constant: abs(c - 1) | Adam RMSE [m/s] | L-BFGS RMSE [m/s] |",
        "|---|---|---|---|---|",
    ]
    for name, e in experiments.items():
        lines.append(f"| {name} | {e['seconds']:.1f} | {e['constant_error']:.1e} | "
                     f"{e['adam_rmse']:.4f} | {e['lbfgs_rmse']:.4f} |")
    lines += peer_section(results)
    lines += targets(results)
    lines += profile_section(results)
    lines += shard_section(results)
    lines += why_section(results)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--solver", choices=SOLVERS)
    parser.add_argument("--nx", type=int)
    parser.add_argument("--nt", type=int)
    parser.add_argument("--experiments", choices=["seed", "course"])
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite RESULTS.md from out/results.json without measuring")
    parser.add_argument("--peers-only", action="store_true",
                        help="measure the peer comparison again, then rewrite RESULTS.md")
    parser.add_argument("--redo", default="", help="comma-separated: peers, shards, profiles; "
                        "measure those again into out/results.json, then rewrite RESULTS.md")
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments)
    elif arguments.report_only or arguments.peers_only or arguments.redo:
        results = json.loads((OUT / "results.json").read_text())
        redo = set(filter(None, arguments.redo.split(","))) | ({"peers"} if arguments.peers_only else set())
        sections = dict(peers=compare_peers, shards=sharded_shots, profiles=profile_steps)
        for name in sorted(redo):
            results[name] = sections[name]()
            results["load"][name] = load_average()
        (OUT / "results.json").write_text(json.dumps(results, indent=1))
        (HERE / "RESULTS.md").write_text(report(results))
    else:
        main()
