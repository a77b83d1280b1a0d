"""The benchmark's baselines compute what they claim to: the seed's numbers, the same scheme in C."""

import pathlib
import subprocess
import sys

import jax.numpy as jnp
import numpy as np
import pytest

from course_utils import wave

BENCHMARKS = pathlib.Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import run  # noqa: E402
import seed_solver  # noqa: E402


def test_seed_reconstruction_reproduces_the_seed_numbers():
    loss = jnp.linalg.norm(seed_solver.wave_solver(0.8) - seed_solver.wave_solver(1.0))
    assert float(loss) == pytest.approx(15.7585, rel=1e-3)


def test_c_loop_computes_the_course_scheme(tmp_path):
    binary = tmp_path / "leapfrog"
    subprocess.run(["gcc", "-O3", "-o", str(binary), str(BENCHMARKS / "leapfrog.c"), "-lm"],
                   check=True)
    nx, nt = 200, 300
    checksum = float(subprocess.run([str(binary), str(nx), str(nt), "1"], check=True,
                                    capture_output=True, text=True).stdout.split()[1])
    config = wave.WaveConfig(nx=nx, nt=nt, dt=0.5 / (nx - 1))
    expected = float(jnp.sum(wave.simulate(np.linspace(0.9, 1.0, nx), config)))
    assert checksum == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("solver", run.SOLVERS)
def test_measure_solver_reports_times_and_memory(solver):
    result = run.measure_solver(solver, 50, 20)
    assert result["forward_ms"] > 0 and result["gradient_ms"] > 0
    assert result["peak_rss_mb"] >= result["rss_before_mb"] > 0
