"""The same problems in the libraries a user would reach for instead: deepwave and Devito.

Runs in the benchmark virtualenv (.venv-bench, `make bench` builds it from
benchmarks/requirements-bench.txt), never in the course's: it imports torch, deepwave and
devito, and no JAX. `collect.py` calls it (`run` below), one process per code, size and round:

    python peers.py deepwave PROBLEM.npz RESULT.npz REPEATS

(or deepwave_1_thread: the same with one thread, or devito).
PROBLEM.npz holds the course's problem (`problems.py`), so every code starts from the
same numbers: in 1D c, u0, u1 (float32), dx, dt, nt; in 2D (the capstone's solver, deepwave
only) c of shape (nz, nx), the source's and receivers' grid indices, the wavelet, dx, dt, nt.
RESULT.npz gets the final wavefield (u^{nt+1} in 1D, u^nt in 2D), the best forward and
gradient times [ms] (best of REPEATS), the process's peak RSS [MB], and its peak once
the peer is imported, before any problem (import_rss_mb).
"""

import importlib
import os
import pathlib
import subprocess
import sys
import warnings

import numpy as np

from measure import best_times, gradient_repeats, peak_rss_mb  # beside this script

HERE = pathlib.Path(__file__).resolve().parent
BENCH_PYTHON = pathlib.Path(os.environ.get("BENCH_PYTHON", HERE.parent / ".venv-bench/bin/python"))


def missing(name):
    """Why a peer cannot run (a sentence), or None when it can. Called from collect.py's side."""
    if not BENCH_PYTHON.exists():
        return f"{BENCH_PYTHON} does not exist (`make bench` builds it)"
    package = name.split("_")[0]  # deepwave_1_thread: deepwave, with one thread
    found = subprocess.run([str(BENCH_PYTHON), "-c", f"import {package}"], capture_output=True,
                           text=True)
    return None if found.returncode == 0 else f"`import {package}` fails in {BENCH_PYTHON}"


def run(name, problem_path, result_path, repeats):
    """One peer on one problem in a fresh process of the benchmark's virtualenv; the
    RESULT.npz's arrays. Called from collect.py's side."""
    threads = 1 if name.endswith("_1_thread") else os.cpu_count()
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), DEVITO_LOGGING="ERROR")
    subprocess.run([str(BENCH_PYTHON), __file__, name, str(problem_path), str(result_path),
                    str(repeats)], env=env, check=True, capture_output=True, text=True)
    with np.load(result_path) as data:
        return dict(data)


def timed(forward, gradient, problem, repeats):
    """Best forward and gradient times [ms] (gradient=None: NaN) and the peak RSS [MB]."""
    result = best_times(dict(forward_ms=forward), repeats)
    points = problem["c"].size * int(problem["nt"])
    result.update(best_times(dict(gradient_ms=gradient), gradient_repeats(points, repeats))
                  if gradient else dict(gradient_ms=np.nan))
    return dict(result, peak_rss_mb=peak_rss_mb())


def deepwave_run(problem, repeats, threads=None):
    """deepwave.scalar on the course's grid: accuracy 2, zero walls, no PML, step dt.

    boundary="free" holds u = 0 one point outside each end (the course's walls);
    courant_number is set so that deepwave's internal step is exactly dt (checked).
    `threads` limits torch's (and deepwave's OpenMP) threads; None keeps the default.
    """
    import deepwave
    import torch

    if threads is not None:
        torch.set_num_threads(threads)

    c = torch.tensor(problem["c"])
    u0, u1 = (torch.tensor(problem[k])[None] for k in ("u0", "u1"))
    dx, dt, nt = float(problem["dx"]), float(problem["dt"]), int(problem["nt"])
    c_max = 1.01 * float(c.max())  # the gradient's data come from 1.01 c: one bound for all

    def forward(c):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pml_freq and sampling notes: no PML, no source
            out = deepwave.scalar(c, dx, dt, wavefield_0=u1, wavefield_m1=u0, nt=nt,
                                  accuracy=2, pml_width=0, boundary=["free", "free"],
                                  max_vel=c_max, courant_number=c_max * dt / dx * (1 + 1e-6),
                                  pml_freq=25.0, origin=[0])
        assert out.info.step_ratio == 1, f"deepwave sub-stepped: {out.info}"
        return out.wavefield_0[0]

    with torch.no_grad():
        final = forward(c).numpy().copy()
        observed = forward(1.01 * c)

    def gradient():
        v = c.clone().requires_grad_()
        torch.sum((forward(v) - observed) ** 2).backward()
        return v.grad

    return dict(timed(torch.no_grad()(lambda: forward(c)), gradient, problem, repeats),
                final=final, threads=torch.get_num_threads())


def deepwave_2d_run(problem, repeats, threads=None):
    """deepwave.scalar on the capstone's 2D grid with the sponge off: accuracy 2, u = 0
    outside (boundary "free", no PML), internal step dt, one source, a line of receivers.

    The course adds dt^2 f^n / dx^2 at the source's point; deepwave's source sits on the
    other side of its equation and is scaled by c^2 (it adds -c_s^2 dt^2 a^n), so its
    amplitude is a^n = -f^n / (c_s dx)^2. Its Courant number is c dt sqrt(2) / dx in 2D.
    The gradient's misfit is over deepwave's own receiver samples.
    """
    import deepwave
    import torch

    if threads is not None:
        torch.set_num_threads(threads)

    c = torch.tensor(problem["c"])
    dx, dt, nt = float(problem["dx"]), float(problem["dt"]), int(problem["nt"])
    iz, ix = (int(i) for i in problem["source"])
    amplitude = torch.tensor(-problem["wavelet"] / (problem["c"][iz, ix] * dx) ** 2)[None, None]
    source = torch.tensor([[[iz, ix]]])
    receivers = torch.tensor(problem["receivers"].T.copy())[None]
    c_max = float(c.max())  # the gradient's data come from 0.99 c: one bound for all

    def forward(c):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pml_freq and sampling notes: no PML
            out = deepwave.scalar(c, dx, dt, source_amplitudes=amplitude,
                                  source_locations=source, receiver_locations=receivers,
                                  accuracy=2, pml_width=0, boundary="free", max_vel=c_max,
                                  courant_number=c_max * dt * 2**0.5 / dx * (1 + 1e-6),
                                  pml_freq=25.0)
        assert out.info.step_ratio == 1, f"deepwave sub-stepped: {out.info}"
        return out

    with torch.no_grad():
        final = forward(c).wavefield_0[0].numpy().copy()
        observed = forward(0.99 * c).receiver_amplitudes

    def gradient():
        v = c.clone().requires_grad_()
        torch.sum((forward(v).receiver_amplitudes - observed) ** 2).backward()
        return v.grad

    return dict(timed(torch.no_grad()(lambda: forward(c)), gradient, problem, repeats),
                final=final, threads=torch.get_num_threads())


def devito_run(problem, repeats):
    """Devito's forward operator for u_tt = c^2 u_xx: second order in space, zero halo.

    Devito stores the field with a halo that stays zero, which is the course's u = 0 one
    point outside each end. Devito generates no adjoint from this equation (its gradients
    are written by hand, as in its FWI tutorials), so only the forward is timed.

    The update is written out, u^{n+1} = 2u^n - u^{n-1} + dt^2 c^2 u_xx. Devito's usual
    `solve(u.dt2 - c**2 * u.dx2, u.forward)` generates dt^2 (2u^n / dt^2 - u^{n-1} / dt^2
    + ...), whose float32 round-off shifts the frequency of smooth fields: its final field
    is returned too (`final_solve`), and the report says how far it is off.
    """
    from devito import Eq, Function, Grid, Operator, TimeFunction, configuration, solve

    configuration["log-level"] = "ERROR"
    c_np = problem["c"]
    dx, dt, nt = float(problem["dx"]), float(problem["dt"]), int(problem["nt"])
    grid = Grid(shape=c_np.shape, extent=((c_np.size - 1) * dx,), dtype=np.float32)
    c = Function(name="c", grid=grid, space_order=2)
    c.data[:] = c_np
    u = TimeFunction(name="u", grid=grid, time_order=2, space_order=2)
    step = grid.stepping_dim.spacing  # the symbol dt
    written_out = Operator([Eq(u.forward, 2 * u - u.backward + step**2 * c**2 * u.dx2)])
    solved = Operator([Eq(u.forward, solve(u.dt2 - c**2 * u.dx2, u.forward))])

    def forward(operator=written_out):
        u.data[:] = 0
        u.data[0] = problem["u0"]
        u.data[1] = problem["u1"]
        operator.apply(time_m=1, time_M=nt, dt=dt)
        return u.data[(nt + 1) % 3]

    final_solve = np.array(forward(solved))
    final = np.array(forward())
    return dict(timed(forward, None, problem, repeats), final=final, final_solve=final_solve,
                threads=1)


RUNS_1D = {"deepwave": deepwave_run, "devito": devito_run,
           "deepwave_1_thread": lambda p, repeats: deepwave_run(p, repeats, threads=1)}
RUNS_2D = {"deepwave": deepwave_2d_run,
           "deepwave_1_thread": lambda p, repeats: deepwave_2d_run(p, repeats, threads=1)}


if __name__ == "__main__":
    name, problem_path, result_path, repeats = sys.argv[1:5]
    with np.load(problem_path) as data:
        problem = dict(data)
    runs = RUNS_2D if problem["c"].ndim == 2 else RUNS_1D
    importlib.import_module(name.split("_")[0])  # deepwave (and torch) or devito
    imported = peak_rss_mb()
    np.savez(result_path, **runs[name](problem, int(repeats)), import_rss_mb=imported)
