"""Presenting copies of the solved notebooks (`make present`): outputs kept, solutions folded.

An instructor presents from these: every figure and printed result is there before any cell
runs (the student versions carry no outputs), and each exercise's solution is folded: the
input of a code cell with a solution block, and a worked answer tagged `solution`, start
collapsed (JupyterLab's `source_hidden`: click the bar to open it). The copies are made
again each time: `present/` holds no one's work. The same folder checks as the student
versions keep them out of `notebooks/`.

    python -m course_utils.present notebooks present    # writes present/01_....ipynb
"""

import argparse
import pathlib
import sys

import nbformat

from course_utils import student


def presenting_notebook(notebook, name="notebook"):
    """A copy of a solved notebook with its solutions folded and its outputs kept."""
    copy = nbformat.from_dict(notebook)
    for index, cell in enumerate(copy.cells):
        tagged = student.TAG in cell.metadata.get("tags", [])
        code = cell.cell_type == "code" and student.solution_blocks(
            cell.source, where=f"{name}, cell {index}")
        if tagged or code:
            cell.metadata = {**cell.metadata, "jupyter": {**cell.metadata.get("jupyter", {}),
                                                         "source_hidden": True}}
    copy.metadata[student.META] = {"presenting_copy_of": name}  # not a course notebook
    return copy


def write_presenting_copies(source_dir, target_dir):
    """Write a presenting copy of every numbered notebook of source_dir into target_dir."""
    paths = student.check_folders(source_dir, target_dir)
    target = pathlib.Path(target_dir)
    target.mkdir(parents=True, exist_ok=True)
    for path in paths:
        copy = presenting_notebook(nbformat.read(path, as_version=4), path.name)
        student._write(copy, target / path.name)
        print(f"wrote {target / path.name}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="folder of notebooks with solutions")
    parser.add_argument("target", help="folder for the presenting copies (not inside source)")
    args = parser.parse_args(argv)
    try:
        write_presenting_copies(args.source, args.target)
    except (student.StudentVersionError, OSError) as err:
        print(f"course_utils.present: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
