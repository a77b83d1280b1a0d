"""Student versions of the notebooks: the same cells with the exercise solutions taken out.

The notebooks in `notebooks/` are the one source, with solutions, tagged:

- a cell tagged `solution` (an exercise's worked answer, in markdown) is dropped;
- in a code cell, the lines from `# BEGIN SOLUTION: <placeholder>` to `# END SOLUTION`
  become the placeholder alone, e.g. `grad = ...  # YOUR CODE HERE`.

Placeholders are `...` values that the `course_utils.exercises` checkers report as "not done
yet", so a student version runs top to bottom with its blanks left in. Outputs are cleared.

    python -m course_utils.student notebooks student    # writes student/01_....ipynb
"""

import argparse
import pathlib
import re

import nbformat

TAG = "solution"
BEGIN = re.compile(r"^(\s*)# BEGIN SOLUTION: (\S.*)$")
END = re.compile(r"^\s*# END SOLUTION\s*$")
MARKER = re.compile(r"#\s*(BEGIN|END)\s+SOLUTION")
NOTE = ("*Student version, generated from `notebooks/{name}` by `make student`: the "
        "exercises are yours to fill in. Regenerating never overwrites this file; delete it "
        "to start again.*")


def strip_solutions(source, where="cell"):
    """Code with every solution block replaced by its placeholder line."""
    lines, block = [], None
    for number, line in enumerate(source.splitlines(), start=1):
        begin, end = BEGIN.match(line), END.match(line)
        if MARKER.search(line) and not (begin or end):
            raise ValueError(f"{where}, line {number}: write solution markers as "
                             f"'# BEGIN SOLUTION: <placeholder>' and '# END SOLUTION', alone "
                             f"on their lines.")
        if begin and block is None:
            block = number
            lines.append(f"{begin[1]}{begin[2]}  # YOUR CODE HERE")
        elif begin:
            raise ValueError(f"{where}, line {number}: a solution block starts inside the "
                             f"one opened on line {block}; close it with '# END SOLUTION'.")
        elif end and block is None:
            raise ValueError(f"{where}, line {number}: '# END SOLUTION' without a "
                             f"'# BEGIN SOLUTION: <placeholder>' before it.")
        elif end:
            block = None
        elif block is None:
            lines.append(line)
    if block is not None:
        raise ValueError(f"{where}: the solution block opened on line {block} is never closed "
                         f"with '# END SOLUTION'.")
    return "\n".join(lines)


def student_notebook(notebook, name="notebook"):
    """A copy of `notebook` (nbformat v4) without solutions or outputs, with a note on top."""
    student = nbformat.from_dict(notebook)
    cells = []
    for index, cell in enumerate(student.cells):
        if TAG in cell.metadata.get("tags", []):
            continue
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source, where=f"{name}, cell {index}")
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
        cells.append(cell)
    note = nbformat.v4.new_markdown_cell(NOTE.format(name=name),
                                         metadata={"slideshow": {"slide_type": "-"}})
    student.cells = cells[:1] + [note] + cells[1:]
    return student


def write_student_versions(source_dir, target_dir, *, force=False):
    """Write target_dir/NN_*.ipynb for every numbered notebook; keep existing ones unless force.

    Returns:
        The paths written.
    """
    source_dir, target_dir = pathlib.Path(source_dir), pathlib.Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(source_dir.glob("[0-9]*.ipynb")):
        target = target_dir / path.name
        if target.exists() and not force:
            print(f"kept {target} (yours; delete it to get a fresh copy)")
            continue
        notebook = student_notebook(nbformat.read(path, as_version=4), name=path.name)
        nbformat.write(notebook, target)
        written.append(target)
        print(f"wrote {target}")
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="folder of notebooks with solutions")
    parser.add_argument("target", help="folder for the student versions")
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    args = parser.parse_args(argv)
    write_student_versions(args.source, args.target, force=args.force)


if __name__ == "__main__":
    main()
