"""Speed and memory of the wave solver and the course's experiments, against the seed, a C
loop, and the libraries a user would use instead (deepwave, Devito).

Usage: `make bench` (or `python benchmarks/run.py`). Measures everything in `problems.FULL`
(`collect.everything`), writes the numbers to benchmarks/results.json, then RESULTS.md and
scaling.png from them (`report.write`, over RESULTS.template.md). The peers run in their own
virtualenv (BENCH_PYTHON, by default .venv-bench/bin/python; `make bench` builds it);
without it their rows are skipped, loudly.

    --report-only   rewrite RESULTS.md and scaling.png from the results file, measure nothing
    --quick         a smoke test of the whole pipeline: tiny sizes, two rounds (problems.QUICK)
    --out DIR       write results.json, RESULTS.md and scaling.png there (work files in
                    DIR/work) instead of benchmarks/; use it with --quick
"""

import argparse
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the benchmark's modules, when imported from elsewhere

import collect  # noqa: E402
import problems  # noqa: E402
import report  # noqa: E402


def main(arguments):
    out = pathlib.Path(arguments.out).resolve() if arguments.out else HERE
    results_path = out / "results.json"
    if not arguments.report_only:
        workdir = (out if arguments.out else HERE / "out") / "work"
        workdir.mkdir(parents=True, exist_ok=True)
        for stale in workdir.glob("*.npz"):  # problems and peers' fields of an earlier run
            stale.unlink()
        plan = problems.QUICK if arguments.quick else problems.FULL
        results_path.write_text(json.dumps(collect.everything(plan, workdir), indent=1))
    report.write(json.loads(results_path.read_text()), out)
    print((out / "RESULTS.md").read_text())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite RESULTS.md from results.json without measuring")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, two rounds")
    parser.add_argument("--out", help="folder for results.json, RESULTS.md and scaling.png")
    arguments = parser.parse_args()
    if arguments.quick and not arguments.out:
        parser.error("--quick measures tiny sizes: give --out DIR, so that benchmarks/"
                     "results.json and RESULTS.md keep the real run's numbers.")
    main(arguments)
