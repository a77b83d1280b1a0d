"""The benchmark's problems: what is measured at which sizes, the arrays every code starts
from, the course's functions on them, and the same steps in float64 NumPy as the reference.

Imports JAX only inside the functions that need it, so `peers.py` (run by the benchmark's
own virtualenv, without JAX) and the report can import this module.
"""

import dataclasses

SOLVERS = ("seed", "autodiff", "reversible")  # the sweep's rows, see RESULTS.template.md
PEERS_1D = ("deepwave", "deepwave_1_thread", "devito")
PEERS_2D = ("deepwave", "deepwave_1_thread")  # Devito is compared in 1D only
# Relative L2 difference from a float64 run above which a code disagrees: float32 round-off
# alone reaches about 1e-3 after 20000 steps on 16000 points (the course's own, measured).
AGREEMENT = 1e-2


@dataclasses.dataclass(frozen=True)
class Plan:
    """What one run of the benchmark measures. Sizes are (nx, nt) in 1D, (n, nt) for n x n
    points in 2D; `repeats` timed runs per code per round (each keeps its best)."""

    sweep: tuple  # the course's solvers and the seed's, one round each: the figure
    compare_1d: tuple  # course, C loop and peers, interleaved over `rounds` rounds
    compare_2d: tuple
    profiles: tuple  # profile_steps.py's sizes
    rounds: int = 5
    repeats: int = 5
    c_repeats: int = 20  # the C loop's best of 20: a 1 ms run is easily disturbed
    shots: tuple = (16, 5)  # sharded_shots.py's arguments: shots, repeats
    experiment_steps: tuple = (200, 50)  # the seed's experiment set: Adam steps, L-BFGS iterations


FULL = Plan(sweep=((1000, 5000), (4000, 5000), (16000, 5000), (16000, 10000), (16000, 20000),
                   (16000, 40000)),
            compare_1d=((1000, 5000), (16000, 20000)), compare_2d=((200, 2000),),
            profiles=((1000, 5000), (16000, 5000)))
# A smoke test of the whole pipeline in a few minutes: every stage, tiny sizes, two rounds.
QUICK = Plan(sweep=((200, 300), (400, 300), (400, 600)), compare_1d=((200, 300), (400, 600)),
             compare_2d=((40, 60),), profiles=((64, 16),), rounds=2, repeats=2, c_repeats=2,
             shots=(4, 1), experiment_steps=(2, 2))


def dt_1d(nx):
    """Courant number 0.5 at c = 1 on [0, 1]."""
    return 0.5 / (nx - 1)


def velocity_1d(nx):
    """c rising from 0.9 to 1.0 m/s, float32, shape (nx,)."""
    import numpy as np

    return np.linspace(0.9, 1.0, nx, dtype=np.float32)


def course_forward(solver, nx, nt):
    """A jitted forward of one code at one size, its velocity, and the factor the gradient's
    data are made with (c * factor stays stable). solver: one of SOLVERS, or "2d"."""
    import jax

    from course_utils import seismic2d, wave
    import seed_solver

    if solver == "2d":
        config = config_2d(nx, nt)
        c, source, receivers = survey_2d(config)
        return jax.jit(lambda c: seismic2d.shots(c, source, receivers, config)), c, 0.99
    c = velocity_1d(nx)
    if solver == "seed":
        return jax.jit(lambda c: seed_solver.wave_solver(c, nx, nt, dt_1d(nx))), c, 1.01
    config = wave.WaveConfig(nx=nx, nt=nt, dt=dt_1d(nx))
    return jax.jit(lambda c: wave.simulate(c, config, gradient=solver)), c, 1.01


def problem_1d(nx, nt):
    """The 1D problem as plain float32 arrays: what every code starts from."""
    import numpy as np

    from course_utils import wave

    config = wave.WaveConfig(nx=nx, nt=nt, dt=dt_1d(nx))
    c = velocity_1d(nx)
    u0, u1 = (np.asarray(level) for level in wave.initial_conditions(c, config))
    return dict(c=c, u0=u0, u1=u1, dx=config.dx, dt=config.dt, nt=nt)


def course_final_1d(problem):
    """`wave.simulate`'s u^{nt+1} for a 1D problem."""
    import numpy as np

    from course_utils import wave

    config = wave.WaveConfig(nx=problem["c"].size, nt=int(problem["nt"]),
                             dt=float(problem["dt"]))
    return np.asarray(wave.simulate(problem["c"], config))


def float64_final_1d(problem):
    """The same leapfrog steps in NumPy float64, from the same float32 inputs."""
    import numpy as np

    u_prev, u = (problem[k].astype(np.float64) for k in ("u0", "u1"))
    r2 = (problem["c"].astype(np.float64) * float(problem["dt"]) / float(problem["dx"])) ** 2
    for _ in range(int(problem["nt"])):
        padded = np.pad(u, 1)
        u_prev, u = u, 2 * u - u_prev + r2 * (padded[2:] - 2 * u + padded[:-2])
    return u


def config_2d(n, nt):
    """The 2D grid: n x n points on 2 m, Courant number 0.5 along each axis at c_max = 2 m/s
    (0.71 of the 2D limit), no sponge (u = 0 outside, deepwave's "free" boundary, no PML)."""
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


def problem_2d(n, nt):
    """The 2D problem as plain arrays: c (nz, nx) float32, the source's and the receivers'
    grid indices (rows iz, ix), the wavelet f^n (nt,), dx, dt, nt."""
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


# dimension -> (the problem's arrays, the course's final field, the float64 reference)
PROBLEMS = {1: (problem_1d, course_final_1d, float64_final_1d),
            2: (problem_2d, course_final_2d, float64_final_2d)}


def relative_l2(u, reference):
    """||u - reference|| / ||reference||."""
    import numpy as np

    return float(np.linalg.norm(np.asarray(u, np.float64) - reference) / np.linalg.norm(reference))
