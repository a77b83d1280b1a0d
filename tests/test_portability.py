"""The portability run's kernels really run where conftest.CODE_PATHS says (the runs
themselves are tests/test_exercises.py and tests/test_notebook_memory.py)."""

import nbclient
import nbformat
import pytest
from conftest import CODE_PATHS, code_path

PROBE = """import os, jax.numpy as jnp
float(jnp.ones(3).sum())  # XLA compiles once with the flags (an unknown flag aborts here)
print(os.environ["XLA_FLAGS"])"""


@pytest.mark.parametrize("name", sorted(CODE_PATHS))
def test_a_kernel_on_each_code_path_gets_its_flags(name):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PROBE)])
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3")
    with code_path(client, name):
        client.execute_cell(notebook.cells[0], 0)
    flags = notebook.cells[0].outputs[0]["text"].strip()
    assert CODE_PATHS[name]["xla_flags"] in flags.split()
