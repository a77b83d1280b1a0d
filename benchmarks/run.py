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
PEER_SIZES = [(1000, 5000), (16000, 20000)]
PEERS = ("deepwave", "deepwave_1_thread", "devito")
PEER_SIZES_2D = [(200, 2000)]  # n x n points, nt steps: the capstone's solver at a user's size
PEERS_2D = ("deepwave", "deepwave_1_thread")  # Devito is compared in 1D only
BENCH_PYTHON = pathlib.Path(os.environ.get("BENCH_PYTHON", HERE.parent / ".venv-bench/bin/python"))
# Relative L2 difference from a float64 run above which a code disagrees: float32 round-off
# alone reaches about 1e-3 after 20000 steps on 16000 points (the course's own, measured).
AGREEMENT = 1e-2
C_REPEATS = 20  # the C loop's best of 20: a 1 ms run is easily disturbed


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

    if solver == "2d":
        return measure_2d(nx, nt)
    dt = 0.5 / (nx - 1)  # Courant number 0.5 at c = 1
    c = jnp.linspace(0.9, 1.0, nx)
    if solver == "seed":
        forward = jax.jit(lambda c: seed_solver.wave_solver(c, nx, nt, dt))
    else:
        config = wave.WaveConfig(nx=nx, nt=nt, dt=dt)
        forward = jax.jit(lambda c: wave.simulate(c, config, gradient=solver))
    return time_forward_and_gradient(forward, c, 1.01, 3 if nx * nt > 1e8 else 5)


def time_forward_and_gradient(forward, c, scale, gradient_repeats=5):
    """Best forward and gradient times [ms] of a jitted `forward`, the gradient of the L2
    misfit against data from `scale * c`; RSS before the gradient and the peak [MB]."""
    import jax
    import jax.numpy as jnp

    observed = forward(scale * c)
    gradient = jax.jit(jax.grad(lambda c: jnp.sum((forward(c) - observed) ** 2)))
    forward_ms = best_time(forward, c, 5)
    before = rss_mb()
    gradient_ms = best_time(gradient, c, gradient_repeats)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return dict(forward_ms=forward_ms, gradient_ms=gradient_ms, rss_before_mb=before,
                peak_rss_mb=peak)


def config_2d(n, nt):
    """The 2D benchmark's grid: n x n points on 2 m, Courant number 0.5 along each axis at
    c_max = 2 m/s (0.71 of the 2D limit), no sponge (u = 0 outside, deepwave's "free"
    boundary without PML)."""
    from course_utils import seismic2d

    return seismic2d.Seismic2DConfig(nx=n, nz=n, length=2.0, dt=0.25 * 2.0 / (n - 1), nt=nt,
                                     c_max=2.0, sponge_damping=0.0)


def survey_2d(config):
    """c rising with depth from 1.5 to 2 m/s, shape (nz, nx); one source at (1, 0.2) m; a
    receiver at every grid point along z = 0.1 m. Positions as (x, z) [m]."""
    import numpy as np

    c = np.repeat(np.linspace(1.5, 2.0, config.nz, dtype=np.float32)[:, None], config.nx, 1)
    source = np.array([[config.length / 2, 0.2]])
    receivers = np.stack([config.x, np.full(config.nx, 0.1)], axis=1)
    return c, source, receivers


def measure_2d(n, nt):
    """`seismic2d.shots` forward and gradient (checkpointed, its default), and peak memory."""
    import jax

    from course_utils import seismic2d

    config = config_2d(n, nt)
    c, source, receivers = survey_2d(config)
    forward = jax.jit(lambda c: seismic2d.shots(c, source, receivers, config))
    return time_forward_and_gradient(forward, c, 0.99)  # 0.99: stays below c_max


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


def spawn(*arguments):
    load = os.getloadavg()[0]
    output = subprocess.run([sys.executable, __file__, "--child", *map(str, arguments)],
                            check=True, capture_output=True, text=True).stdout
    return dict(json.loads(output.strip().splitlines()[-1]), load=load)


def c_forward(binary, nx, nt):
    output = subprocess.run([str(binary), str(nx), str(nt), str(C_REPEATS)], check=True,
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


def problem_2d(n, nt):
    """The 2D benchmark's problem as plain arrays: c (nz, nx) float32, the source's and the
    receivers' grid indices (rows iz, ix), the wavelet f^n (nt,), dx, dt, nt."""
    import numpy as np

    from course_utils import seismic, seismic2d

    config = config_2d(n, nt)
    c, source, receivers = survey_2d(config)
    wavelet = np.asarray(seismic.ricker(config.t, config.peak_frequency), dtype=np.float32)
    return dict(c=c, source=seismic2d.grid_index(source, config)[:, 0],
                receivers=seismic2d.grid_index(receivers, config), wavelet=wavelet,
                dx=config.dx, dt=config.dt, nt=nt)


def course_final_2d(problem):
    """`seismic2d`'s u^nt for the 2D problem (the field after nt steps)."""
    import numpy as np

    from course_utils import seismic2d

    config = config_2d(problem["c"].shape[0], int(problem["nt"]))
    return np.asarray(seismic2d.snapshots_at_index(problem["c"], problem["source"], config,
                                                   config.nt)[0])


def float64_final_2d(problem):
    """The same 2D steps (no sponge) in NumPy float64: u^nt."""
    import numpy as np

    dx, dt = float(problem["dx"]), float(problem["dt"])
    r2 = (problem["c"].astype(np.float64) * dt / dx) ** 2
    spike = np.zeros_like(r2)
    spike[tuple(problem["source"])] = dt**2 / dx**2
    u_prev = u = np.zeros_like(r2)
    for f in problem["wavelet"].astype(np.float64):
        p = np.pad(u, 1)
        laplacian = p[2:, 1:-1] + p[:-2, 1:-1] + p[1:-1, 2:] + p[1:-1, :-2] - 4 * u
        u_prev, u = u, 2 * u - u_prev + r2 * laplacian + f * spike
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


def compare_peers(sizes=PEER_SIZES, peers=PEERS, workdir=OUT, time_course=True, dim=1):
    """Agreement first, then the course's and the peers' times, back to back at each size.

    dim=2: the capstone's 2D solver (sizes are (n, nt) for n x n points), no C loop.
    Skipped peers say why. With time_course=False the course is not timed (tests).
    """
    import numpy as np

    workdir.mkdir(exist_ok=True)
    binary = workdir / "leapfrog"
    if time_course and dim == 1:
        subprocess.run(["gcc", "-O3", "-march=native", "-o", str(binary),
                        str(HERE / "leapfrog.c"), "-lm"], check=True)
    make, course_of, float64_of = ((problem, course_final, float64_final) if dim == 1 else
                                   (problem_2d, course_final_2d, float64_final_2d))
    missing = {name: peer_missing(name) for name in peers}
    for name, why in missing.items():
        if why:
            print(f"SKIPPING {name}: {why}", file=sys.stderr, flush=True)
    results = []
    for nx, nt in sizes:
        case = make(nx, nt)
        problem_path = workdir / f"problem_{dim}d_{nx}x{nt}.npz"
        np.savez(problem_path, **case)
        reference = float64_of(case)
        course = course_of(case)
        entry = dict(nx=nx, nt=nt, course_error=relative_l2(course, reference),
                     peers={}, skipped={k: v for k, v in missing.items() if v})
        if time_course:
            solver = ("--solver", "reversible" if dim == 1 else "2d", "--nx", nx, "--nt", nt)
            entry["course"] = spawn(*solver)
            if dim == 1:
                entry["c_ms"] = c_forward(binary, nx, nt)
        for name in peers:
            if missing[name]:
                continue
            load = os.getloadavg()[0]
            result = run_peer(name, problem_path, workdir / f"{name}_{dim}d_{nx}x{nt}.npz")
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
        print(f"{dim}D peers at {nx} x {nt}: done", flush=True)
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
    for stale in OUT.glob("*.npz"):  # problems and peers' fields of an earlier run
        stale.unlink()
    load_start = load_average()
    binary = OUT / "leapfrog"
    subprocess.run(["gcc", "-O3", "-march=native", "-o", str(binary), str(HERE / "leapfrog.c"),
                    "-lm"], check=True)
    rows = []
    for nx, nt in SIZES:
        row = dict(nx=nx, nt=nt, c_ms=c_forward(binary, nx, nt))
        for solver in SOLVERS:
            row[solver] = spawn("--solver", solver, "--nx", nx, "--nt", nt)
        rows.append(row)
        print(f"{nx} x {nt}: done", flush=True)
    experiments = {name: spawn("--experiments", name) for name in ("seed", "course")}
    peers = compare_peers()
    peers_2d = compare_peers(PEER_SIZES_2D, PEERS_2D, dim=2)
    shards = sharded_shots()
    profiles = profile_steps()
    results = dict(rows=rows, experiments=experiments, peers=peers, peers_2d=peers_2d,
                   shards=shards,
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


def size_label(entry, dim=1):
    """'nx x nt' in 1D, 'n x n x nt' in 2D."""
    return (f"{entry['nx']} x {entry['nt']}" if dim == 1 else
            f"{entry['nx']} x {entry['nx']} x {entry['nt']}")


def peer_table(peers, rows, names=PEERS, dim=1):
    """Side-by-side rows: the course's solver, the C loop (1D), the peers, peer / course."""
    by_size = {(row["nx"], row["nt"]): row for row in rows}
    names = [name for name in names if any(name in entry["peers"] for entry in peers)]
    c_column = " C loop |" if dim == 1 else ""
    header = (f"| {'nx x nt' if dim == 1 else 'n x n x nt'} | | course |{c_column} "
              + " | ".join(f"{name} | {name} / course" for name in names) + " |")
    lines = [header, "|---|---|---|" + "---|" * (dim == 1) + "---|---|" * len(names)]
    quantities = (("forward", "forward_ms", "ms"), ("gradient", "gradient_ms", "ms"),
                  ("peak RSS", "peak_rss_mb", "MB"))
    for entry in peers:
        row = by_size.get((entry["nx"], entry["nt"]), {})
        course = entry.get("course") or row["reversible"]
        for label, key, unit in quantities:
            cells = [size_label(entry, dim), label, f"{course[key]:.1f} {unit}"]
            if dim == 1:
                c_ms = entry.get("c_ms", row.get("c_ms"))
                cells.append(f"{c_ms:.1f} {unit}" if key == "forward_ms" else "-")
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
                  + " from float64."]
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
              "the compiled program included): at 1000 x 5000 mostly the frameworks' own "
              "footprint, since deepwave's stored wavefield (nx x nt floats, its default "
              "storage) is 20 MB there and 1280 MB at 16000 x 20000. Threads: JAX uses "
              "XLA:CPU's default pool, but it runs the forward step on one thread (`parallel` "
              "in the step table below); "
              + ", ".join(f"{name} {count}" for name, count in threads.items())
              + ". Devito has no gradient from this equation (its adjoints are written by "
              "hand), so it has forward times only.", ""]
    return lines + peer_table(peers, rows)


def peer_2d_section(results):
    peers = results.get("peers_2d", [])
    lines = ["", "## 2D: the capstone's solver against deepwave", ""]
    if not peers:
        return lines + ["**Not measured in this run** (`python benchmarks/run.py --redo "
                        "peers_2d` measures it).", ""]
    skipped = {name: why for entry in peers for name, why in entry["skipped"].items()}
    lines += [f"**{name} was not run: {why}.**" for name, why in skipped.items()]
    lines += [""] * bool(skipped) + [
        "`seismic2d.shots`, notebook 13's solver (5-point Laplacian, leapfrog in `lax.scan`, "
        "the gradient by `jax.grad` through `jax.checkpoint` segments of about sqrt(nt) "
        "steps, its default), on a square grid of n x n points, nt steps, Courant number 0.5 "
        "along each axis, c rising with depth from 1.5 to 2 m/s, one source and a receiver at "
        "every grid point of one line, the sponge off; deepwave 0.1.0's `scalar` in 2D with "
        "`accuracy=2`, `boundary=\"free\"`, `pml_width=0`, its internal step dt (asserted), "
        "the source scaled to the same term. Before any time is read, u^nt of each code is "
        "compared with the same steps in float64 NumPy (relative L2):",
        "",
    ]
    for entry in peers:
        parts = [f"course {entry['course_error']:.1e}"] + [
            f"{name} {peer['error']:.1e} (against the course: {peer['vs_course']:.1e})"
            for name, peer in entry["peers"].items()]
        lines.append(f"- {size_label(entry, 2)}: " + "; ".join(parts) + ".")
        lines += [f"  **{name} disagrees** (above {AGREEMENT:g}): its times below are not a "
                  "comparison of the same computation." for name, peer in entry["peers"].items()
                  if not agrees(entry, peer)]
    loads = [peer["load"] for entry in peers for peer in entry["peers"].values()]
    loads += [entry["course"]["load"] for entry in peers if "course" in entry]
    lines += ["", f"1-minute load when each code started: {min(loads):.1f} to {max(loads):.1f} "
              f"on {results['machine']['cores']} cores. Ratios are peer / course, as above. "
              "deepwave, with its default storage (no `checkpoint_segments`), stores the "
              "forward wavefield of every step for its gradient (n x n x nt floats, 320 MB "
              "here); the "
              "course stores one state per segment and recomputes each segment once.", ""]
    lines += peer_table(peers, results["rows"], PEERS_2D, dim=2)
    return lines + ["", "The course's 2D step is the notebook's: it applies the sponge's "
                    "terms at every point (a division by 1 + s, even where s = 0) and adds the "
                    "source as a whole-grid product (f^n times an array that is zero but at "
                    "the source); deepwave's kernel, without PML, does neither. How much of "
                    "the forward's gap that accounts for is not measured here."]


def spread(results):
    """Largest difference [%] between the main table's and the peers' block's timings."""
    by_size = {(row["nx"], row["nt"]): row for row in results["rows"]}
    gaps = [0.0]
    for entry in results["peers"]:
        row = by_size.get((entry["nx"], entry["nt"]), {})
        if "course" in entry and "reversible" in row:
            gaps += [100 * abs(entry["course"][k] / row["reversible"][k] - 1)
                     for k in ("forward_ms", "gradient_ms")]
    return max(gaps)


def best_of(*timings):
    """The best forward and the best gradient among timings of the same code in one run
    (the main table's row and the peers' block, each a separate process)."""
    timings = [t for t in timings if t]
    return {key: min(t[key] for t in timings) for key in ("forward_ms", "gradient_ms",
                                                           "peak_rss_mb")}


def targets(results):
    rows, peers = results["rows"], results["peers"]
    by_size = {(row["nx"], row["nt"]): row for row in rows}
    lines = ["", "## Targets", "", "Each measured in this run, under the load recorded above. "
             "The course's times are the best of the run's timings of the same code (the main "
             "table and the peers' block, separate processes, which differ by up to "
             f"{spread(results):.0f}% here), so a ratio can differ from the tables'.", ""]
    cases = [(1, nx, nt, results["peers"]) for nx, nt in PEER_SIZES]
    cases += [(2, n, nt, results.get("peers_2d", [])) for n, nt in PEER_SIZES_2D]
    for dim, nx, nt, peers in cases:
        size = size_label(dict(nx=nx, nt=nt), dim)
        entry = next((e for e in peers if (e["nx"], e["nt"]) == (nx, nt)), None)
        if dim == 2 and (entry is None or "course" not in entry):
            lines.append(f"- not measured: the 2D targets at {size}.")
            continue
        entry = entry or {"peers": {}}
        course = best_of(entry.get("course"), by_size.get((nx, nt), {}).get("reversible"))
        grad = course["gradient_ms"] / course["forward_ms"]
        lines.append(verdict(grad <= 3, f"gradient <= 3x forward at {size}: {grad:.1f}x."))
        if dim == 1:
            c_ratio = course["forward_ms"] / entry.get("c_ms", by_size[(nx, nt)]["c_ms"])
            lines.append(verdict(c_ratio <= 1.5, f"forward within 1.5x of the C loop at "
                                 f"{size}: {c_ratio:.1f}x."))
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
             f"({one['nx']} points, {one['nt']} steps), the source indices sharded along a "
             "one-axis device mesh and the velocity replicated (`NamedSharding`). The forward "
             "is `seismic.shots`' vmap under `jit`, which partitions the shots. The gradient "
             "is written per device with `shard_map`: each device differentiates the misfit "
             "of its own shots, and one `psum` adds the devices' gradients; its compiled "
             f"program has {two['collectives_in_loops']} cross-device operations inside its "
             "loops on 2 devices. The same gradient left to `jit`'s partitioner (the sharded "
             "vmap differentiated whole, column \"partitioned\") has "
             f"{two['partitioned_collectives_in_loops']}: it sums over devices inside the "
             "backward time loop, at every step. Each run is a fresh process with "
             "`XLA_FLAGS=--xla_force_host_platform_device_count=N`; the traces equal "
             f"`seismic.shots`' (largest difference {max(one['max_difference'], two['max_difference']):.1e}),"
             f" come back sharded as `{two['output_sharding']}` on 2 devices, and the "
             "gradient equals the unsharded one to "
             f"{max(one['gradient_difference'], two['gradient_difference']):.1e} (relative).",
             "",
             "| devices | forward, all shots [ms] | gradient, all shots [ms] | per shot, gradient [ms] | partitioned gradient [ms] | load |",
             "|---|---|---|---|---|---|"]
    for run in (one, two):
        lines.append(f"| {run['devices']} | {run['forward_ms']:.1f} | {run['gradient_ms']:.1f} "
                     f"| {run['gradient_ms'] / run['n_shots']:.2f} | "
                     f"{run['partitioned_gradient_ms']:.1f} | {run['load']:.1f} |")
    speedup_f = one["forward_ms"] / two["forward_ms"]
    speedup_g = one["gradient_ms"] / two["gradient_ms"]
    per_shot = one["gradient_ms"] / one["n_shots"]
    lines += ["", f"Two host devices against one: {speedup_f:.2f}x on the forward and "
              f"{speedup_g:.2f}x on the gradient (the partitioned gradient: "
              f"{one['partitioned_gradient_ms'] / two['partitioned_gradient_ms']:.2f}x), on "
              f"{results['machine']['cores']} cores (the load column); each device count "
              "compiles its own program (16 shots per device against 8), so the ratio is not "
              "only the second core. The same script, unchanged, on a node with G GPUs makes a G-device "
              "mesh, gives each GPU n_shots / G shots and adds one all-reduce of an nx-vector "
              "per gradient: with the per-shot cost measured here on one CPU device "
              f"({per_shot:.2f} ms per shot for a gradient), 64 shots on 8 devices of this "
              f"speed would take {64 / 8 * per_shot:.0f} ms per gradient with a perfect "
              f"split (the two-device run above reached {speedup_g:.2f}x) instead "
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

    def growth(name):
        return per_step(large, name) / per_step(small, name)

    lines = ["", "## Why, from the measurements", ""]
    lines.append(
        "- **The backward step's arithmetic.** The transposed step carried "
        "as the pair (a, b) -> (-b, a + 2b + D(r2 b)) compiles to "
        f"{small[old]['arithmetic']:.1f} elementwise operations per step inside its fused "
        f"kernels; carried as two levels of the adjoint field, lam^n = 2 lam^(n+1) - "
        f"lam^(n+2) + D(r2 lam^(n+1)), the same numbers take {small[new]['arithmetic']:.1f} "
        "(the source has the same arithmetic: XLA fused the chain of a's and b's of the "
        "unrolled steps into several kernels and recomputed it in each). Timed alone in "
        f"this run, a backward step took {per_step(small, old):.2f} -> "
        f"{per_step(small, new):.2f} us at 1000 points and {per_step(large, old):.1f} -> "
        f"{per_step(large, new):.1f} us at 16000 (old -> new: "
        f"{100 * (1 - per_step(small, new) / per_step(small, old)):.0f}% and "
        f"{100 * (1 - per_step(large, new) / per_step(large, old)):.0f}% less). From 1000 to "
        f"16000 points the new backward step grows {growth(new):.1f}x, the old one "
        f"{growth(old):.1f}x and the forward step {growth(fwd):.1f}x (16x the points): the "
        "backward step's growth with nx "
        + ("still outpaces the forward's" if growth(new) > growth(fwd) else
           "no longer outpaces the forward's")
        + (", and at 16000 points XLA splits the backward's kernels across threads and not "
           "the forward's (`parallel` above); what costs the difference is not established "
           "here" if large[new]["parallel"] and not large[fwd]["parallel"] else "")
        + ". `wave._reversible_bwd` "
        "carries the adjoint field (the recurrence notebook 08 derives); its gradients are "
        "the same numbers (largest relative difference of the loops' outputs "
        f"{max(small[new]['max_difference'], large[new]['max_difference']):.1e}; "
        "tests/test_wave.py compares with the autodiff gradient).")
    grad_small = rows[(1000, 5000)]["reversible"]
    grad_large = rows[(16000, 20000)]["reversible"]
    outside = max(0.0, grad_small["forward_ms"] - 5000 * per_step(small, fwd) / 1e3)
    lines.append(
        "- **Gradient against forward.** A gradient is a forward run plus the backward sweep "
        "(and the misfit and the pullback through the initial conditions). The backward "
        "step rebuilds the earlier level (one stencil), steps the adjoint field (a second "
        "stencil) and accumulates dL/dr2: it reads six arrays and writes three, where the "
        "forward step reads three and writes one. From the loops timed alone, 1 + (backward step / forward step) is "
        f"{1 + per_step(small, new) / per_step(small, fwd):.1f} at 1000 points and "
        f"{1 + per_step(large, new) / per_step(large, fwd):.1f} at 16000; the whole gradient "
        f"measured {grad_small['gradient_ms'] / grad_small['forward_ms']:.1f}x and "
        f"{grad_large['gradient_ms'] / grad_large['forward_ms']:.1f}x the forward (main "
        f"table). The backward step launches {small[new]['kernels']:.2f} kernels per step "
        f"against the forward's {small[fwd]['kernels']:.2f} (table above), and at 1000 points "
        "a step is a few microseconds, where the fixed cost per kernel counts. Counting "
        "sweeps (a model, not a measurement), the backward step is two stencils and an "
        "accumulation against the forward's one, so in the time loops a gradient costs "
        "about 3 forwards or more; measured, the backward step costs "
        f"{per_step(small, new) / per_step(small, fwd):.1f} and "
        f"{per_step(large, new) / per_step(large, fwd):.1f} forward steps. The whole "
        "gradient's ratio at 1000 x 5000 can come out lower because that forward also "
        f"spends {outside:.1f} of its {grad_small['forward_ms']:.2f} ms outside the time "
        "loop (the main table's forward minus 5000 steps of the loop timed alone), a cost "
        "the gradient pays once too.")
    peers = {(e["nx"], e["nt"]): e for e in results["peers"]}
    c_step = [1e3 * peers.get(size, {}).get("c_ms", rows[size]["c_ms"]) / size[1]
              for size in ((1000, 5000), (16000, 20000))]  # us, timed beside the peers

    def both(name, digits=2):
        return f"{per_step(small, name):.{digits}f} and {per_step(large, name):.{digits}f} us"

    lines.append(
        f"- **Forward against C.** The C loop takes {c_step[0]:.2f} and {c_step[1]:.2f} us "
        "per step at 1000 and 16000 points; the course's step as XLA:CPU compiles it takes "
        f"{both(fwd)} (table above). Carrying the walls as ghost points (levels of nx + 2 "
        f"points, the interior written in place) takes {both('forward, ghost points')}; "
        "writing the walls with `jnp.concatenate` instead of `jnp.pad` fuses the step into "
        f"{large['forward, concatenate']['kernels']:.0f} kernel and takes "
        f"{both('forward, concatenate')}. Every variant computes the same numbers (largest "
        "relative difference "
        f"{max(v.get('max_difference', 0) for p in (small, large) for k, v in p.items() if k.startswith('forward')):.1e}). "
        "XLA:CPU's older executor, which closed most of this gap with jax 0.6, is gone: "
        "jax 0.10 ignores its flag and refuses its per-function option.")
    lines.append(
        "- **Memory.** Autodiff through the loop stores one level per step (nt x nx floats: "
        f"{(rows[(16000, 40000)]['autodiff']['peak_rss_mb'] - rows[(16000, 5000)]['autodiff']['peak_rss_mb']) / 7:.0f} "
        "MB more per 5000 steps at 16000 points; one float32 level per step is 16000 x 5000 "
        f"x 4 bytes = {16000 * 5000 * 4 / 2**20:.0f} MB per 5000 steps), "
        "so its memory grows linearly with nt; the reversible gradient stores none and "
        "stays flat. Reconstruction error: rebuilding 5000 steps backwards in "
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
        for solver in SOLVERS:
            if solver not in row:
                continue
            r = row[solver]
            lines.append(
                f"| {row['nx']} x {row['nt']} | {solver} | {r['forward_ms']:.2f} | "
                f"{r['gradient_ms']:.1f} | {r['gradient_ms'] / r['forward_ms']:.1f} | "
                f"{r['peak_rss_mb']:.0f} | {row['c_ms']:.2f} |")
    lines += [
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
    lines += peer_2d_section(results)
    lines += targets(results)
    lines += profile_section(results)
    lines += shard_section(results)
    lines += why_section(results)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--solver", choices=SOLVERS + ["2d"])
    parser.add_argument("--nx", type=int)
    parser.add_argument("--nt", type=int)
    parser.add_argument("--experiments", choices=["seed", "course"])
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite RESULTS.md from out/results.json without measuring")
    parser.add_argument("--peers-only", action="store_true",
                        help="measure the peer comparison again, then rewrite RESULTS.md")
    parser.add_argument("--redo", default="", help="comma-separated: peers, peers_2d, shards, profiles; "
                        "measure those again into out/results.json, then rewrite RESULTS.md")
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments)
    elif arguments.report_only or arguments.peers_only or arguments.redo:
        results = json.loads((OUT / "results.json").read_text())
        redo = set(filter(None, arguments.redo.split(","))) | ({"peers"} if arguments.peers_only else set())
        sections = dict(peers=compare_peers, shards=sharded_shots, profiles=profile_steps,
                        peers_2d=lambda: compare_peers(PEER_SIZES_2D, PEERS_2D, dim=2))
        for name in sorted(redo):
            results[name] = sections[name]()
            results["load"][name] = load_average()
        (OUT / "results.json").write_text(json.dumps(results, indent=1))
        (HERE / "RESULTS.md").write_text(report(results))
    else:
        main()
