"""The benchmark measures what it claims to: the seed's numbers, the same scheme in C and in
the peers, the course with and without its instability check; and its report reads the
results file right: tables, spreads over rounds, verdicts."""

import json
import os
import pathlib
import subprocess
import sys

import jax.numpy as jnp
import numpy as np
import pytest

from course_utils import seismic2d, wave

BENCHMARKS = pathlib.Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import collect  # noqa: E402
import measure  # noqa: E402
import peers  # noqa: E402
import problems  # noqa: E402
import report  # noqa: E402
import seed_solver  # noqa: E402
import targets  # noqa: E402

ONE_ROUND = problems.Plan(sweep=(), compare_1d=(), compare_2d=(), profiles=(), rounds=1,
                          repeats=1)


def test_seed_reconstruction_reproduces_the_seed_numbers():
    loss = jnp.linalg.norm(seed_solver.wave_solver(0.8) - seed_solver.wave_solver(1.0))
    assert float(loss) == pytest.approx(15.7585, rel=1e-3)


def test_c_loop_computes_the_course_scheme(tmp_path):
    binary = measure.c_loop(tmp_path)
    nx, nt = 200, 300
    checksum = float(subprocess.run([str(binary), str(nx), str(nt), "1"], check=True,
                                    capture_output=True, text=True).stdout.split()[1])
    config = wave.WaveConfig(nx=nx, nt=nt, dt=problems.dt_1d(nx))
    expected = float(jnp.sum(wave.simulate(problems.velocity_1d(nx), config)))
    assert checksum == pytest.approx(expected, rel=1e-4)
    assert measure.c_forward(binary, nx, nt, 2)["forward_ms"] > 0


@pytest.mark.parametrize("solver", problems.SOLVERS + ("2d",))  # "2d": seismic2d.shots, 50 x 50
def test_measure_course_reports_times_and_memory(solver):
    result = measure.measure_course(solver, 50, 20, repeats=2)
    assert result["forward_ms"] > 0 and result["gradient_ms"] > 0
    assert result["peak_rss_mb"] > 0


def test_the_course_pinned_to_one_core_runs_on_one():
    pinned = measure.spawn("course", "reversible", 50, 20, 1, "one-core")
    assert pinned["cores"] == 1 and pinned["gradient_ms"] > 0
    assert measure.spawn("course", "reversible", 50, 20, 1)["cores"] == len(os.sched_getaffinity(0))


def test_peak_memory_is_the_process_own_not_its_parent(tmp_path):
    # The benchmark's own process holds JAX (about 250 MB) when it spawns each code; a
    # spawned process must not report that as its own peak.
    held = np.ones(2**20 * 50 // 8)  # 50 MB more in this process, written: resident
    child = subprocess.run([sys.executable, "-c", "import measure; print(measure.peak_rss_mb())"],
                           cwd=BENCHMARKS, check=True, capture_output=True, text=True)
    assert float(child.stdout) < 50  # a bare Python: about 15 MB
    assert measure.peak_rss_mb() > float(child.stdout) + held.nbytes / 2**20


def test_the_programs_without_the_check_differ_by_the_check_alone():
    checked, unchecked = (measure.spawn("course", "reversible", 50, 20, 2, *flags)
                          for flags in (["check"], ["turns", "unchecked"]))
    assert checked["conditionals"] == 1 and unchecked["conditionals"] == 0
    assert checked["results"] == unchecked["results"]  # forward and gradient, bit for bit
    assert all(run[f"{program}_turns_ms"] > 0 for run in (checked, unchecked)
               for program in ("forward", "gradient"))
    assert checked["check_turns"] == measure.CHECK_TURNS and "forward_ms" not in unchecked
    assert measure.check_turns(16000 * 20000) < measure.CHECK_TURNS  # a gradient takes seconds


def test_best_times_take_turns_and_keep_the_best():
    calls = []
    best = measure.best_times(dict(a=lambda: calls.append("a"), b=lambda: calls.append("b")), 2)
    assert calls == ["a", "b"] * 3  # a warm-up each, then two turns
    assert set(best) == {"a", "b"} and all(0 <= t < 1e3 for t in best.values())
    calls.clear()
    measure.best_times(dict(a=lambda: calls.append("a"), b=lambda: calls.append("b")), 2,
                       settle=True)
    assert calls == ["a", "b"] + ["a", "a", "b", "b"] * 2  # each timed call right after its own


def test_dispatch_times_each_kind_of_program():
    times = measure.measure_dispatch(turns=3)
    assert set(times) == {f"{call}_{kind}" for call in ("jit", "compiled")
                          for kind in ("none", "pure", "effect")} | {
        "jit_none_after_jit_pure", "jit_none_after_compiled_pure"}
    assert all(0 < t < 1e5 for t in times.values())  # us


def test_float64_reference_and_relative_l2_check_the_course():
    case = problems.problem_1d(200, 300)
    reference = problems.float64_final_1d(case)
    assert problems.relative_l2(reference, reference) == 0
    assert problems.relative_l2(2 * reference, reference) == pytest.approx(1.0)
    assert problems.relative_l2(problems.course_final_1d(case), reference) < 1e-5


def test_float64_reference_checks_the_course_in_2d():
    case = problems.problem_2d(40, 60)
    reference = problems.float64_final_2d(case)
    assert np.abs(reference).max() > 0  # the source has put a wave in
    assert problems.relative_l2(problems.course_final_2d(case), reference) < 1e-5


def test_peers_are_skipped_loudly_without_the_benchmark_venv(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(peers, "BENCH_PYTHON", tmp_path / "missing" / "python")
    [entry] = collect.compare([(50, 20)], 1, ONE_ROUND, tmp_path, time_course=False)
    assert entry["rounds"] == [{}] and set(entry["errors"]) == {"course"}
    assert set(entry["skipped"]) == set(problems.PEERS_1D)
    assert capsys.readouterr().err.count("SKIPPING") == len(problems.PEERS_1D)
    assert entry["errors"]["course"] < 1e-5


@pytest.mark.parametrize("dim, peer", [(1, p) for p in problems.PEERS_1D]
                         + [(2, p) for p in problems.PEERS_2D])
def test_peer_computes_the_course_problem(dim, peer, tmp_path):
    why = peers.missing(peer)
    if why:
        pytest.skip(f"benchmark peer {peer} not installed ({why}); `make bench` installs it")
    size = (200, 300) if dim == 1 else (40, 60)  # 1D: nx x nt; 2D: n x n points, nt
    [entry] = collect.compare([size], dim, ONE_ROUND, tmp_path, names=(peer,),
                              time_course=False)
    assert targets.agrees(entry, peer) and entry["errors"][peer]["vs_course"] < 1e-4
    [timings] = entry["rounds"]
    assert timings[peer]["forward_ms"] > 0 and timings[peer]["peak_rss_mb"] > 0


def test_verdicts_read_every_round():
    assert targets.verdict([True, True, True]) == "met"
    assert targets.verdict([False, False]) == "NOT met"
    assert targets.verdict([True, False, True]) == "unclear (met in 2 of 3 rounds)"
    assert targets.spread([1.0, 3.0, 2.0]) == "2.00 (1.00 to 3.00)"
    assert targets.spread([4.0], 1, "%") == "4.0%"
    assert targets.row("t", "here", [1.2, 1.6], 1.5) == ["t", "here", "1.40x (1.20 to 1.60)",
                                                         "unclear (met in 1 of 2 rounds)"]
    assert targets.row("t", "here", [1.2, 1.6], 1.0, below=False)[-1] == "met"


def fake_results():
    """Results shaped like collect.everything's, three rounds, with round numbers."""
    def course(forward, gradient, memory, **extra):
        return dict(forward_ms=forward, gradient_ms=gradient, peak_rss_mb=memory, load=1.0,
                    **extra)

    check = dict(forward_turns_ms=2.0, gradient_turns_ms=5.0, check_turns=50, conditionals=1,
                 results="same")
    unchecked = dict(check, forward_turns_ms=1.96, gradient_turns_ms=4.0, conditionals=0)
    peer = dict(forward_ms=4.0, gradient_ms=10.0, peak_rss_mb=100.0, import_rss_mb=90.0,
                threads=2, load=1.0)
    devito = dict(forward_ms=1.0, peak_rss_mb=400.0, import_rss_mb=80.0, threads=1, load=1.0)
    agree = dict(error=1e-4, vs_course=1e-4)

    def entry(dim, nx, nt, rounds, errors):
        return dict(dim=dim, nx=nx, nt=nt, skipped={}, rounds=rounds,
                    errors=dict(course=1e-5, **errors))

    compare = [entry(1, nx, nt, [dict(course=course(2.0, 5.0, 200.0, import_rss_mb=150.0,
                                             **check),
                                      course_1_core=course(2.0, 8.0, 200.0),
                                      course_unchecked=unchecked, course_again=check,
                                      deepwave=peer,
                                      deepwave_1_thread=dict(peer, threads=1), devito=devito,
                                      c_loop=dict(forward_ms=c_ms, load=1.0))
                                 for c_ms in (1.0, 1.5, 1.2)],
                     dict(deepwave=agree, deepwave_1_thread=agree,
                          devito=dict(agree, error=2e-2 if nx > 1000 else 1e-4, solve_error=0.5)))
               for nx, nt in problems.FULL.compare_1d]
    compare += [entry(2, n, nt, [dict(course=course(20.0, 80.0, 300.0),
                                      course_1_core=course(20.0, 100.0, 300.0),
                                      deepwave=dict(peer, forward_ms=10.0, gradient_ms=100.0,
                                                    peak_rss_mb=600.0))] * 3,
                      dict(deepwave=agree)) for n, nt in problems.FULL.compare_2d]
    for e in compare[-1:]:
        e["skipped"] = {"deepwave_1_thread": "no venv"}
    sweep = [dict(nx=nx, nt=nt, c_loop=dict(forward_ms=1.0, load=1.0),
                  **{s: course(2.0, 5.0, 200.0 + nt / 100 * (s != "reversible"))
                     for s in problems.SOLVERS}) for nx, nt in problems.FULL.sweep]
    variant = dict(kernels=2.0, copies=0.0, arithmetic=20.0, parallel=False, unroll=2,
                   us_per_step=1.0, max_difference=0.0)
    profiles = [dict(nx=nx, nt=nt, variants={name: dict(variant) for name in (
        "backward, (a, b)", "backward, adjoint field", "backward, one array", "forward, pad",
        "forward, concatenate", "forward, ghost points")}) for nx, nt in problems.FULL.profiles]
    profiles_2d = [dict(n=n, nt=nt, variants={name: dict(variant) for name in (
        "2D, padded copy, 1 step per iteration", "2D, padded copy, 2 steps",
        "2D, rows shifted, 1 step", "2D, rows shifted, 2 steps (the course's)",
        "2D, the course's, with a sponge")})
        for n, nt in problems.FULL.compare_2d]
    for p in profiles_2d:  # the gradient: several loops, timed, not counted
        p["cores"] = {str(k): {"2D, the course's": dict(variant, parallel=k > 1),
                               "2D gradient, the course's": dict(variant, parallel=None)}
                      for k in (1, 2)}
    shards = [dict(devices=d, n_shots=16, nx=301, nt=1000,
                   output_sharding="PartitionSpec('shots',)",
                   max_difference=0.0, gradient_difference=1e-6, collectives_in_loops=0,
                   partitioned_collectives_in_loops=d - 1, forward_ms=10.0 / d,
                   gradient_ms=40.0 / d, partitioned_gradient_ms=40.0 * d, load=1.0)
              for d in (1, 2)]
    experiments = {name: dict(seconds=s, constant_error=1e-4, adam_rmse=0.01, lbfgs_rmse=0.01)
                   for name, s in (("seed", 100.0), ("course", 10.0))}
    machine = dict(cpu="cpu", cores=2, python="3", jax="j", jaxlib="j", gcc="gcc", date="today")
    plan = dict(rounds=3, repeats=5, experiment_steps=[200, 50])
    dispatch = dict(jit_none=20.0, jit_pure=21.0, jit_effect=130.0, compiled_none=20.0,
                    compiled_pure=76.0, compiled_effect=75.0, jit_none_after_jit_pure=23.0,
                    jit_none_after_compiled_pure=32.0, load=1.0)
    return dict(plan=plan, sweep=sweep, compare=compare, experiments=experiments,
                dispatch=dispatch,
                shards=shards, profiles=profiles, profiles_2d=profiles_2d, machine=machine,
                load=dict(start=[1, 1, 1], end=[1, 1, 1]))


# Lines the report must hold for fake_results(): each target with the median and range of
# its per-round ratio and its verdict; course 2 ms against the C loop's 1, 1.5 and 1.2 ms
# gives 2.0, 1.33 and 1.67, met in one round of three.
EXPECTED_TARGETS = [
    ("forward within 1.5x of the C loop (course / C)", "1000 x 5000", "1.67x (1.33 to 2.00)",
     "unclear (met in 1 of 3 rounds)"),
    ("gradient at most 3x the forward (gradient / forward)", "16000 x 20000",
     "2.50x (2.50 to 2.50)", "met"),
    ("gradient at most 3x the forward (gradient / forward)", "200 x 200 x 2000",
     "4.00x (4.00 to 4.00)", "NOT met"),
    ("instability check under 5% of the forward (cost)", "1000 x 5000", "2.0% (2.0 to 2.0)", "met"),
    ("instability check under 5% of the gradient (cost)", "16000 x 20000",
     "25.0% (25.0 to 25.0)", "NOT met"),
    ("ahead of deepwave_1_thread on forward (deepwave_1_thread / course)", "1000 x 5000",
     "2.00x (2.00 to 2.00)", "met"),
    ("ahead of deepwave on peak memory (deepwave / course)", "16000 x 20000",
     "0.50x (0.50 to 0.50)", "NOT met"),
    ("ahead of devito on forward (devito / course)", "1000 x 5000", "0.50x (0.50 to 0.50)",
     "NOT met"),
    ("ahead of devito on forward (devito / course)", "16000 x 20000", "0.50x (0.50 to 0.50)",
     "not comparable (disagrees with float64)"),
    ("ahead of deepwave_1_thread", "200 x 200 x 2000", "-", "not measured: no venv"),
    ("seed's experiment set at least 5x faster (seed / course)", "end to end", "10.0x", "met"),
    ("gradient's peak memory flat in nt (largest / smallest)", "nx = 16000", "1.00x", "met"),
]
EXPECTED_TABLE_ROWS = [
    "| 1000 x 5000 | forward | 2.0 ms | 1.2 ms | 4.0 ms | 2.00 (2.00 to 2.00) |",  # median times
    "| 1000 x 5000 | gradient | 5.0 ms | - | 10.0 ms | 2.00 (2.00 to 2.00) |",
    "| 200 x 200 x 2000 | forward | 20.0 ms | 10.0 ms | 0.50 (0.50 to 0.50) |",
    "| 1000 x 5000 | 2.00 | 1.96 | 2.0% (2.0 to 2.0) | 5.00 | 4.00 | 25.0% (25.0 to 25.0) | "
    "0.0% (0.0 to 0.0) | 0.0% (0.0 to 0.0) |",
    "| 2 | 5.0 | 20.0 | 1.25 | 80.0 | 1.0 |",  # shots on two devices
    "| `Compiled` program | 20 | 76 | 75 |",  # a host callback's cost per call, by dispatch
]


def test_report_writes_every_target_with_its_spread_and_verdict():
    text = report.render(fake_results())
    for row in EXPECTED_TARGETS:
        assert "| " + " | ".join(row) + " |" in text
    for row in EXPECTED_TABLE_ROWS:
        assert row in text
    assert "ahead of devito on gradient" not in text  # Devito has no gradient
    assert "devito 2.0e-02 (1.0e-04) **disagrees**" in text
    assert "5.0e-01 at 1000 x 5000" in text  # Devito's solve() form, reported
    prose = " ".join(text.split())
    assert "grows by 10 MB per 1000 steps at nx = 16000" in prose  # autodiff's stored levels
    assert "the course's process holds 150 MB" in prose and "Devito's 80 MB" in prose
    assert "rises by 50 and 50 MB for the course" in prose and "320 and 320 MB for Devito" in prose
    assert ("split against pinned: 2.50 (2.50 to 2.50) and 2.50 (2.50 to 2.50) against "
            "4.00 (4.00 to 4.00) and 4.00 (4.00 to 4.00) at" in prose)
    assert "in 2D 4.00 (4.00 to 4.00) against 5.00 (5.00 to 5.00) (80 against 100 ms)" in prose
    assert "in 2D 0.50 (0.50 to 0.50) against 0.50 (0.50 to 0.50). Which" in prose
    assert "Not run: deepwave_1_thread (no venv)" in prose and "Not run: none" in prose
    assert "{" not in text  # every name of the template filled


def test_results_md_is_the_report_of_the_results_file():
    results = BENCHMARKS / "results.json"
    if not results.exists():
        pytest.skip("benchmarks/results.json is written by `make bench`")
    rendered = report.render(json.loads(results.read_text()))
    assert (BENCHMARKS / "RESULTS.md").read_text() == rendered, (
        "RESULTS.md is stale: run `python benchmarks/run.py --report-only`")


def test_profile_counts_the_duplicated_arithmetic_of_the_old_backward_steps():
    import profile_steps

    variants = profile_steps.profile(64, 16)
    pair, apart, one = (variants[f"backward, {carry}"]
                        for carry in ("(a, b)", "adjoint field", "one array"))
    assert apart["max_difference"] < 1e-6 and one["max_difference"] < 1e-5
    assert apart["arithmetic"] < 0.6 * pair["arithmetic"]
    assert one["kernels"] < apart["kernels"] and one["arithmetic"] < apart["arithmetic"]
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


def test_profile_2d_shows_what_made_the_2d_loop_faster():
    import profile_steps

    variants = profile_steps.profile_2d(40, 60)
    course = next(v for name, v in variants.items() if "(the course's)" in name)
    one_step = variants["2D, rows shifted, 1 step"]
    assert all(v.get("max_difference", 0) == 0 for name, v in variants.items()
               if "sponge" not in name)  # the same sums in the same order
    assert one_step["copies"] > course["copies"]  # what two steps per iteration remove
    assert (one_step["unroll"], course["unroll"]) == (1, seismic2d.UNROLL)
    assert variants["2D, the course's, with a sponge"]["arithmetic"] > course["arithmetic"]


def test_pinned_to_one_core_the_2d_kernels_are_not_split():
    one, every = (collect.script_json("profile_steps.py", "2d-cores", 200, 20, cores)
                  for cores in (1, os.cpu_count()))
    assert not one["2D, the course's"]["parallel"]
    for run in (one, every):  # the gradient: several loops, timed per step, not counted
        gradient = run["2D gradient, the course's"]
        assert gradient["kernels"] is None and gradient["us_per_step"] > 0
    assert every["2D, the course's"]["parallel"] == (os.cpu_count() > 1)
