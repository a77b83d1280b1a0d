"""Speed and memory of the wave solver and the course's experiments, against the seed and C.

Usage: `make bench` (or `python benchmarks/run.py`). Every measurement runs in a fresh
process, so peak memory is per configuration. Writes benchmarks/RESULTS.md,
benchmarks/scaling.png and benchmarks/out/results.json.
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
    output = subprocess.run([sys.executable, __file__, "--child", *map(str, arguments)],
                            env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def c_forward(binary, nx, nt):
    output = subprocess.run([str(binary), str(nx), str(nt), "5"], check=True,
                            capture_output=True, text=True).stdout
    return float(output.split()[0])


def main():
    OUT.mkdir(exist_ok=True)
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
    results = dict(rows=rows, experiments=experiments, machine=machine())
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


def report(results):
    rows, experiments, m = results["rows"], results["experiments"], results["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` on {m['date']}: {m['cpu']}, {m['cores']} cores; Python "
        f"{m['python']}, jax {m['jax']}, jaxlib {m['jaxlib']}, float32; {m['gcc']} with "
        "`-O3 -march=native` for the C loop. Times are the best of 5 runs (3 for the largest "
        "gradients) after a compiling call; peak memory is the peak resident set size of the "
        "process that measured that configuration (it includes about 200-300 MB of Python, "
        "JAX and the compiled program). Courant number 0.5, c rising from 0.9 to 1.0.",
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
    by_size = {(row["nx"], row["nt"]): row for row in rows}
    small, large = by_size[(1000, 5000)], by_size[(16000, 20000)]
    ratio = small["reversible"]["gradient_ms"] / small["reversible"]["forward_ms"]
    fwd_small = small["reversible"]["forward_ms"] / small["c_ms"]
    fwd_large = large["reversible"]["forward_ms"] / large["c_ms"]
    fwd_small_legacy = small["reversible_legacy"]["forward_ms"] / small["c_ms"]
    fwd_large_legacy = large["reversible_legacy"]["forward_ms"] / large["c_ms"]
    memory = large["reversible"]["peak_rss_mb"]
    sweep = [by_size[(16000, nt)]["reversible"]["peak_rss_mb"] for nt in (5000, 10000, 20000, 40000)]
    seed_s, course_s = experiments["seed"]["seconds"], experiments["course"]["seconds"]
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
    lines += [
        "",
        "## Targets",
        "",
        verdict(ratio <= 3, f"gradient <= 3x forward at 1000 x 5000: measured {ratio:.1f}x."),
        verdict(fwd_small <= 1.5 and fwd_large <= 1.5,
                f"forward within 1.5x of the C loop: {fwd_small:.1f}x at 1000 x 5000 and "
                f"{fwd_large:.1f}x at 16000 x 20000 with XLA's default executor; "
                f"{fwd_small_legacy:.1f}x and {fwd_large_legacy:.1f}x with the older one."),
        verdict(memory < 300 and max(sweep) < 1.1 * min(sweep),
                f"gradient memory at 16000 x 20000 under 300 MB and flat in nt: {memory:.0f} MB; "
                f"{', '.join(f'{v:.0f}' for v in sweep)} MB for nt = 5000 ... 40000."),
        verdict(seed_s >= 5 * course_s,
                f"seed's experiment set at least 5x faster: {seed_s:.1f} s -> {course_s:.1f} s "
                f"({seed_s / course_s:.1f}x)."),
        "",
        "## Why the remaining gaps",
        "",
        "- **Forward against C.** One leapfrog step on 1000 points is about a microsecond of "
        "arithmetic. XLA:CPU's default executor (the thunk runtime) adds a fixed cost per "
        "loop iteration and per kernel that is of the same order, which is why the course "
        "unrolls its loop 4 steps per iteration (`wave.UNROLL`). With the older executor the "
        "compiled loop runs at the C loop's speed; the course does not set that flag for "
        "students (it changes a process-wide setting, and newer XLA versions drop it).",
        "- **Gradient against forward.** The time-reversal adjoint does per step what the "
        "forward does (rebuild the earlier level: one stencil), plus the transposed step (a "
        "second stencil) and the accumulation of dL/dc, reading and writing five arrays where "
        "the forward step touches three. Timed alone, this backward loop takes about 2.6x the "
        "forward loop here, so a gradient near 3.6x the forward is the floor of this design; "
        "the rest is the misfit and the pullback through the initial conditions. Stacking "
        "the two stencils into one operation was measured and is slower on XLA:CPU.",
        "- **Memory.** Autodiff through the loop stores both time levels of every step "
        "(nt x nx floats), so its memory doubles with nt; the reversible gradient stores "
        "none and stays flat. Reconstruction error: rebuilding 5000 steps backwards in "
        "float32 returns to the initial state within the bound asserted in "
        "`tests/test_wave.py::test_time_reversal_rebuilds_the_start`, and the two gradients "
        "agree to better than 1e-3 (relative) at the seed size.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--solver", choices=SOLVERS)
    parser.add_argument("--nx", type=int)
    parser.add_argument("--nt", type=int)
    parser.add_argument("--experiments", choices=["seed", "course"])
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments)
    else:
        main()
