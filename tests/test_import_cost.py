"""What `course_utils` adds to each notebook's import cell: no library the notebook does not
import itself (the PyTorch notebook never loads JAX). The cell is run in a fresh process twice,
without its `from course_utils import ...` lines and whole; the modules it adds are checked,
and both times are written to build/import_cost.json (measured, not asserted: a timing
depends on the machine and its load)."""

import json
import os
import pathlib
import subprocess
import sys

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
RESULTS = ROOT / "build" / "import_cost.json"
# Libraries whose import takes a noticeable part of a second.
HEAVY = {"jax", "jaxlib", "matplotlib", "ipywidgets", "torch", "optax", "tensorflow_probability",
         "scipy", "tqdm", "nbformat", "IPython"}
PROBE = """import sys, time
start = time.perf_counter()
exec(compile(sys.argv[1], "import cell", "exec"))
print(time.perf_counter() - start)
print(" ".join(sorted({name.split(".")[0] for name in sys.modules})))"""


def import_cell(path):
    notebook = nbformat.read(path, as_version=4)
    return next(c.source for c in notebook.cells
                if c.cell_type == "code" and "from course_utils import" in c.source)


def run(source):
    """(seconds, top-level modules) of source run in a fresh Python."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    out = subprocess.run([sys.executable, "-c", PROBE, source], capture_output=True, text=True,
                         env=env, check=True, cwd=ROOT / "notebooks").stdout.splitlines()
    return float(out[0]), set(out[1].split())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_course_utils_adds_no_library_the_notebook_does_not_import(path):
    cell = import_cell(path)
    own = "\n".join(line for line in cell.splitlines() if not line.startswith("from course_utils"))
    own_seconds, own_modules = run(own)
    seconds, modules = run(cell)
    added = sorted((modules - own_modules) & HEAVY)
    assert not added, f"{path.name}: `from course_utils import ...` also loads {added}"
    RESULTS.parent.mkdir(exist_ok=True)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[path.name] = {"own_imports_s": round(own_seconds, 3), "with_course_utils_s":
                          round(seconds, 3), "load_average_1min": round(os.getloadavg()[0], 2)}
    RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True))
