"""`make present`: the solved notebooks with outputs kept and solutions folded, outside notebooks/."""

import pathlib

import nbformat
import pytest

from course_utils import present, student

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))


def folded(cell):
    return cell.metadata.get("jupyter", {}).get("source_hidden", False)


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    target = tmp_path_factory.mktemp("present")
    present.write_presenting_copies(ROOT / "notebooks", target)
    return target


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_presenting_copy_keeps_every_output_and_folds_only_the_solutions(path, copies):
    course = nbformat.read(path, as_version=4)
    copy = nbformat.read(copies / path.name, as_version=4)
    assert [c.source for c in copy.cells] == [c.source for c in course.cells]
    assert [c.get("outputs") for c in copy.cells] == [c.get("outputs") for c in course.cells]
    for cell in copy.cells:
        solution = student.TAG in cell.metadata.get("tags", []) or (
            cell.cell_type == "code" and student.solution_blocks(cell.source))
        assert folded(cell) == bool(solution), cell.source[:80]
    assert any(folded(c) for c in copy.cells)


def test_presenting_again_replaces_the_copies_and_never_writes_into_the_notebooks(copies, tmp_path):
    assert present.main([str(ROOT / "notebooks"), str(copies)]) == 0  # a second run is fine
    assert present.main([str(ROOT / "notebooks"), str(ROOT / "notebooks" / "present")]) == 1
    assert not (ROOT / "notebooks" / "present").exists()
    assert present.main([str(copies), str(tmp_path)]) == 1  # copies are not a course
