"""Student versions of the notebooks: the same cells with the exercise solutions taken out.

The notebooks in `notebooks/` are the one source, with solutions, tagged:

- a cell tagged `solution` (an exercise's worked answer, in markdown) is dropped;
- in a code cell, the lines from `# BEGIN SOLUTION: <placeholder>` to `# END SOLUTION`
  become the placeholder alone, e.g. `grad = ...  # YOUR CODE HERE`.

Placeholders are `...` values that the `course_utils.exercises` checkers report as "not done
yet", so a student version runs top to bottom with its blanks left in. Outputs are cleared.

Nothing is written unless every notebook is sound: the target must lie outside the source,
the source must hold numbered notebooks, and no solution marker (in any cell type, in any
spelling such as `# begin solution:` or `#BEGIN_SOLUTION`) may survive into a student version.
A student's existing file is never overwritten: when the course's version has changed since
it was generated, the new one is written beside it as `NN_name.new.ipynb`.

    python -m course_utils.student notebooks student    # writes student/01_....ipynb
"""

import argparse
import hashlib
import pathlib
import re
import sys

import nbformat

TAG = "solution"
BEGIN = re.compile(r"^(\s*)# BEGIN SOLUTION: (\S.*)$")
END = re.compile(r"^\s*# END SOLUTION\s*$")
# Anything that looks like a marker, in any case or spacing: what must never reach a student.
MARKER = re.compile(r"\b(BEGIN|END)[\s_-]*SOLUTION\b", re.IGNORECASE)
NOTE = ("*Student version, generated from `notebooks/{name}` by `make student`: the "
        "exercises are yours to fill in. Regenerating never overwrites this file (a newer "
        "course version goes beside it, as `{stem}.new.ipynb`); delete it to start again.*")
NOTE_ID = "student-version-note"
META = "course_utils"  # notebook metadata key: {"source": name, "generated_sha256": ...}


class StudentVersionError(ValueError):
    """A student version that must not be written (the message says why and where)."""


def solution_blocks(source, where="cell"):
    """The solution blocks of a code cell's source, checked.

    Returns:
        A list of (first line index, last line index, indent, placeholder), 0-based indices
        of the BEGIN and END lines.
    """
    blocks, start = [], None
    for number, line in enumerate(source.splitlines(), start=1):
        begin, end = BEGIN.match(line), END.match(line)
        if MARKER.search(line) and not (begin or end):
            raise StudentVersionError(
                f"{where}, line {number}: write solution markers as '# BEGIN SOLUTION: "
                f"<placeholder>' and '# END SOLUTION', alone on their lines; got {line.strip()!r}.")
        if begin and start is None:
            start = (number, begin[1], begin[2])
        elif begin:
            raise StudentVersionError(
                f"{where}, line {number}: a solution block starts inside the one opened on "
                f"line {start[0]}; close it with '# END SOLUTION'.")
        elif end and start is None:
            raise StudentVersionError(f"{where}, line {number}: '# END SOLUTION' without a "
                                      f"'# BEGIN SOLUTION: <placeholder>' before it.")
        elif end:
            blocks.append((start[0] - 1, number - 1, start[1], start[2]))
            start = None
    if start is not None:
        raise StudentVersionError(f"{where}: the solution block opened on line {start[0]} is "
                                  f"never closed with '# END SOLUTION'.")
    return blocks


def fill_solutions(source, answers, where="cell"):
    """The code with its solution blocks' lines replaced by `answers`, one code string per block.

    Each answer is indented like its block; `strip_solutions` fills in the placeholders, the
    tests fill in typical wrong answers.
    """
    blocks = solution_blocks(source, where)
    if len(answers) != len(blocks):
        raise StudentVersionError(f"{where}: {len(answers)} answers for {len(blocks)} solution "
                                  f"blocks.")
    lines, out, position = source.splitlines(), [], 0
    for (first, last, indent, _), answer in zip(blocks, answers):
        out += lines[position:first] + [indent + line for line in answer.splitlines()]
        position = last + 1
    return "\n".join(out + lines[position:])


def solutions(source, where="cell"):
    """The solution blocks' own code (without markers), one string per block, dedented."""
    lines = source.splitlines()
    return ["\n".join(line[len(indent):] for line in lines[first + 1:last])
            for first, last, indent, _ in solution_blocks(source, where)]


def strip_solutions(source, where="cell"):
    """Code with every solution block replaced by its placeholder line."""
    placeholders = [f"{p}  # YOUR CODE HERE" for *_, p in solution_blocks(source, where)]
    return fill_solutions(source, placeholders, where)


def _refuse_markers(text, where):
    for number, line in enumerate(text.splitlines(), start=1):
        if MARKER.search(line):
            raise StudentVersionError(f"{where}, line {number}: a solution marker would be copied "
                                      f"into the student version: {line.strip()!r}. Put solutions "
                                      f"in code cells between '# BEGIN SOLUTION: <placeholder>' "
                                      f"and '# END SOLUTION', or tag the cell 'solution'.")


def student_notebook(notebook, name="notebook"):
    """A copy of `notebook` (nbformat v4) without solutions or outputs, with a note on top.

    Raises:
        StudentVersionError: a malformed solution block, or a solution marker in any cell
            that would be copied (markdown, raw or code), naming the notebook and cell.
    """
    student = nbformat.from_dict(notebook)
    cells = []
    for index, cell in enumerate(student.cells):
        where = f"{name}, cell {index} ({cell.cell_type})"
        if TAG in cell.metadata.get("tags", []):
            continue
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source, where=where)
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
        cell.metadata.pop("wrong_answers", None)
        _refuse_markers(cell.source, where)
        cells.append(cell)
    # No slide type: the note shows on the first slide (slide tools read a missing type so).
    note = nbformat.v4.new_markdown_cell(NOTE.format(name=name, stem=name.removesuffix('.ipynb')))
    note.id = NOTE_ID  # a fixed id, so the same source always gives the same student version
    student.cells = cells[:1] + [note] + cells[1:]
    student.metadata.pop("widgets", None)  # saved widget state of the executed source
    student.metadata[META] = {"source": name, "generated_sha256": generated_hash(student)}
    return student


def generated_hash(notebook):
    """SHA-256 of a student version as generated (its own hash left out)."""
    copy = nbformat.from_dict(notebook)
    copy.metadata.pop(META, None)
    return hashlib.sha256(nbformat.writes(copy).encode()).hexdigest()


def _origin_hash(path):
    """The generated_sha256 stored in a student's notebook, or None (unreadable, or not ours)."""
    try:
        return nbformat.read(path, as_version=4).metadata.get(META, {}).get("generated_sha256")
    except Exception:  # noqa: BLE001 - a student's file may be anything
        return None


def check_folders(source_dir, target_dir):
    """The numbered notebooks in source_dir; raises if there are none or target is inside."""
    source, target = pathlib.Path(source_dir), pathlib.Path(target_dir)
    resolved_source, resolved_target = source.resolve(), target.resolve()
    if resolved_target == resolved_source or resolved_source in resolved_target.parents:
        raise StudentVersionError(
            f"target {str(target)!r} is the source folder {str(source)!r} or inside it "
            f"(resolved: {resolved_target}); the student versions would replace or sit among the "
            f"solutions. Choose another folder, e.g. 'student'.")
    paths = sorted(source.glob("[0-9]*.ipynb")) if source.is_dir() else []
    if not paths:
        state = "holds no numbered notebooks (NN_*.ipynb)" if source.is_dir() else "does not exist"
        raise StudentVersionError(f"source folder {str(source)!r} {state}; nothing to do. Give "
                                  f"the folder of the course's notebooks, e.g. 'notebooks'.")
    return paths


def write_student_versions(source_dir, target_dir, *, force=False):
    """Write target_dir/NN_*.ipynb for every numbered notebook; never over a student's file.

    Every notebook is converted and checked before anything is written. An existing file is
    kept unless force; when the course's version differs from the one it was generated from,
    the new version goes beside it as NN_*.new.ipynb. Prints what it did per notebook.

    Returns:
        The paths written.

    Raises:
        StudentVersionError: see check_folders and student_notebook; nothing is written.
    """
    paths = check_folders(source_dir, target_dir)
    versions = [(p.name, student_notebook(nbformat.read(p, as_version=4), name=p.name))
                for p in paths]
    target_dir = pathlib.Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, notebook in versions:
        target = target_dir / name
        new_hash = notebook.metadata[META]["generated_sha256"]
        if target.exists() and not force:
            if _origin_hash(target) == new_hash:
                print(f"up to date: {target} (yours, kept)")
                continue
            newer = target.with_suffix(".new.ipynb")
            if newer.exists() and _origin_hash(newer) == new_hash:
                print(f"newer version available: {newer} is already beside {target} (yours, kept)")
                continue
            nbformat.write(notebook, newer)
            written.append(newer)
            print(f"newer version available: wrote {newer} beside {target} (yours, kept)")
            continue
        nbformat.write(notebook, target)
        written.append(target)
        print(f"wrote {target}")
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="folder of notebooks with solutions")
    parser.add_argument("target", help="folder for the student versions (not inside source)")
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    args = parser.parse_args(argv)
    try:
        write_student_versions(args.source, args.target, force=args.force)
    except (StudentVersionError, OSError) as err:
        print(f"course_utils.student: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
