"""The benchmark's baselines compute what they claim to: the seed's numbers, the same scheme in C."""

import json
import os
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


@pytest.mark.parametrize("solver", run.SOLVERS + ["2d"])  # "2d": seismic2d.shots, 50 x 50
def test_measure_solver_reports_times_and_memory(solver):
    result = run.measure_solver(solver, 50, 20)
    assert result["forward_ms"] > 0 and result["gradient_ms"] > 0
    assert result["peak_rss_mb"] >= result["rss_before_mb"] > 0


def test_float64_reference_and_relative_l2_check_the_course():
    case = run.problem(200, 300)
    reference = run.float64_final(case)
    assert run.relative_l2(reference, reference) == 0
    assert run.relative_l2(2 * reference, reference) == pytest.approx(1.0)
    assert run.relative_l2(run.course_final(case), reference) < 1e-5


def test_float64_reference_checks_the_course_in_2d():
    case = run.problem_2d(40, 60)
    reference = run.float64_final_2d(case)
    assert np.abs(reference).max() > 0  # the source has put a wave in
    assert run.relative_l2(run.course_final_2d(case), reference) < 1e-5


def test_peers_are_skipped_loudly_without_the_benchmark_venv(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(run, "BENCH_PYTHON", tmp_path / "missing" / "python")
    [entry] = run.compare_peers(sizes=[(50, 20)], workdir=tmp_path, time_course=False)
    assert entry["peers"] == {}
    assert set(entry["skipped"]) == set(run.PEERS)
    assert capsys.readouterr().err.count("SKIPPING") == len(run.PEERS)
    assert entry["course_error"] < 1e-5


@pytest.mark.parametrize("dim, peer", [(1, p) for p in run.PEERS] + [(2, p) for p in run.PEERS_2D])
def test_peer_computes_the_course_problem(dim, peer, tmp_path):
    why = run.peer_missing(peer)
    if why:
        pytest.skip(f"benchmark peer {peer} not installed ({why}); `make bench` installs it")
    size = (200, 300) if dim == 1 else (40, 60)  # 1D: nx x nt; 2D: n x n points, nt
    [entry] = run.compare_peers(sizes=[size], peers=(peer,), workdir=tmp_path,
                                  time_course=False, dim=dim)
    result = entry["peers"][peer]
    assert run.agrees(entry, result) and result["vs_course"] < 1e-4
    assert result["forward_ms"] > 0 and result["peak_rss_mb"] > 0


def fake_results():
    """Results shaped like main()'s, with round numbers, to test the report alone."""
    def solver(forward, gradient, memory):
        return dict(forward_ms=forward, gradient_ms=gradient, peak_rss_mb=memory, load=1.0)

    rows = []
    for nx, nt in run.SIZES:
        row = dict(nx=nx, nt=nt, c_ms=1.0)
        for name in run.SOLVERS:
            row[name] = solver(2.0, 5.0, 200.0)
        rows.append(row)
    peer = dict(error=1e-4, vs_course=1e-4, forward_ms=4.0, gradient_ms=10.0, peak_rss_mb=100.0,
                threads=2, load=1.0)
    peers = [dict(nx=nx, nt=nt, course_error=1e-5, skipped={},
                  peers={"deepwave": dict(peer), "devito": dict(peer, gradient_ms=float("nan"),
                                                                solve_error=2e-2)})
             for nx, nt in run.PEER_SIZES]
    variant = dict(kernels=2.0, copies=0.0, arithmetic=20.0, parallel=False, us_per_step=1.0,
                   max_difference=0.0)
    profiles = [dict(nx=nx, nt=nt, variants={name: dict(variant) for name in (
        "backward, (a, b)", "backward, adjoint field", "forward, pad", "forward, concatenate",
        "forward, ghost points")})
        for nx, nt in ((1000, 5000), (16000, 5000))]
    shards = [dict(devices=d, n_shots=16, nx=301, nt=1000, output_sharding="PartitionSpec('shots',)",
                   max_difference=0.0, gradient_difference=1e-6, collectives_in_loops=0,
                   partitioned_collectives_in_loops=d - 1, forward_ms=10.0 / d,
                   gradient_ms=40.0 / d, partitioned_gradient_ms=40.0 * d, load=1.0)
              for d in (1, 2)]
    peers_2d = [dict(nx=n, nt=nt, course_error=1e-6, skipped={},
                     course=solver(20.0, 80.0, 300.0),
                     peers={"deepwave": dict(peer, forward_ms=10.0, gradient_ms=100.0,
                                             peak_rss_mb=600.0)})
                for n, nt in run.PEER_SIZES_2D]
    experiments = {name: dict(seconds=s, constant_error=1e-4, adam_rmse=0.01, lbfgs_rmse=0.01)
                   for name, s in (("seed", 100.0), ("course", 10.0))}
    machine = dict(cpu="cpu", cores=2, python="3", jax="j", jaxlib="j", gcc="gcc", date="today")
    return dict(rows=rows, experiments=experiments, peers=peers, peers_2d=peers_2d, shards=shards,
                profiles=profiles, machine=machine, load=dict(start=[1, 1, 1], end=[1, 1, 1]))


def test_report_writes_the_side_by_side_table_and_the_targets():
    text = run.report(fake_results())
    # peer / course ratios: deepwave 4 ms against the course's 2 ms forward, etc.
    assert "| 1000 x 5000 | forward | 2.0 ms | 1.0 ms | 4.0 ms | 2.00 | 4.0 ms | 2.00 |" in text
    assert "| 16000 x 20000 | peak RSS | 200.0 MB | - | 100.0 MB | 0.50 | 100.0 MB | 0.50 |" in text
    assert "| 1000 x 5000 | gradient | 5.0 ms | - | 10.0 ms | 2.00 | - | - |" in text
    assert "- NOT met: gradient <= 3x forward at 1000 x 5000: 2.5x." not in text
    assert "- met: gradient <= 3x forward at 1000 x 5000: 2.5x." in text
    assert "- NOT met: forward within 1.5x of the C loop at 16000 x 20000: 2.0x." in text
    assert "- met: ahead of deepwave on forward at 1000 x 5000: deepwave / course = 2.00." in text
    assert "- NOT met: ahead of deepwave on peak memory at 16000 x 20000" in text
    assert "2.0e-02 at 1000 x 5000" in text  # Devito's solve() form, reported
    assert "| 2 | 5.0 | 20.0 | 1.25 | 80.0 | 1.0 |" in text  # two devices
    # 2D: deepwave 10 ms against the course's 20 ms forward; 100 against 80 ms gradient
    assert "| 200 x 200 x 2000 | forward | 20.0 ms | 10.0 ms | 0.50 |" in text
    assert "- NOT met: ahead of deepwave on forward at 200 x 200 x 2000: deepwave / course = 0.50." in text
    assert "- met: ahead of deepwave on gradient at 200 x 200 x 2000: deepwave / course = 1.25." in text
    assert "- NOT met: gradient <= 3x forward at 200 x 200 x 2000: 4.0x." in text
    # XLA:CPU's older executor is gone from jax 0.10: no opt-in rows or targets
    assert "thunk_runtime" not in text and "legacy" not in text


def test_report_says_when_a_peer_was_not_run():
    results = fake_results()
    for entry in results["peers"]:
        entry["peers"] = {}
        entry["skipped"] = {"deepwave": "no venv", "devito": "no venv"}
    text = run.report(results)
    assert "**deepwave was not run: no venv.**" in text
    assert "- not measured: ahead of deepwave at 1000 x 5000 (deepwave not run)." in text


def test_profile_counts_the_duplicated_arithmetic_of_the_old_backward_step():
    import profile_steps

    variants = profile_steps.profile(64, 16)
    old, new = variants["backward, (a, b)"], variants["backward, adjoint field"]
    assert new["max_difference"] < 1e-6
    assert new["arithmetic"] < 0.6 * old["arithmetic"]
    assert variants["forward, concatenate"]["max_difference"] < 1e-6
    assert variants["forward, concatenate"]["kernels"] < variants["forward, pad"]["kernels"]


def test_sharded_shots_split_over_two_forced_host_devices():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2")
    output = subprocess.run([sys.executable, str(BENCHMARKS / "sharded_shots.py"), "4", "1"],
                            env=env, check=True, capture_output=True, text=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    assert result["devices"] == 2 and "shots" in result["output_sharding"]
    assert result["max_difference"] < 1e-6
    assert result["gradient_difference"] < 1e-4  # the shard_map gradient is the gradient
    assert result["collectives_in_loops"] == 0  # one psum, after the time loops
    assert result["partitioned_collectives_in_loops"] > 0  # why the gradient is written so
