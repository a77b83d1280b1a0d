"""Student versions of the notebooks: the same cells with the exercise solutions taken out.

The notebooks in `notebooks/` are the one source, with solutions, tagged:

- a cell tagged `solution` (an exercise's worked answer, in markdown) is dropped;
- in a code cell, the lines from `# BEGIN SOLUTION: <placeholder>` to `# END SOLUTION`
  become the placeholder alone, e.g. `grad = ...  # YOUR CODE HERE`.

Placeholders are `...` values that the `course_utils.exercises` checkers report as "not done
yet", so a student version runs top to bottom with its blanks left in. Outputs are cleared.

Nothing is written unless every notebook is sound: the target must lie outside the source
(compared as files, by device and inode, so symlinks, hard links, bind mounts and
case-insensitive names are caught), the arguments must not be swapped, the source must hold
readable numbered notebooks, and nothing that may hold an answer survives into a student
version: no solution marker (in any cell type, in metadata, in any spelling such as
`# begin solution:` or `#BEGIN_SOLUTION`), no untagged `<details>` block, no cell whose tag
merely resembles `solution`, no attachment in the exercises.

A student's work is never lost. An existing file is never overwritten: when the course's
version has changed since it was generated (metadata alone, such as `language_info`, is not a
change), the new one goes beside it as `NN_name.new.ipynb`, or `NN_name.new-2.ipynb`, ...
when the student has worked in that one too. `--force` replaces files, but first keeps each
one it replaces as `NN_name.backup.ipynb` (or `.backup-2`, ...) and says so. Every file is
written to a temporary name and renamed into place, so nothing is written through a link.

    python -m course_utils.student notebooks student    # writes student/01_....ipynb
"""

import argparse
import hashlib
import json
import os
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
# Notebook metadata key: {"source": name, "generated_sha256": hash of the whole file as
# generated (tells a student's edits), "content_sha256": hash of its cells' types and sources
# (tells a new course version; metadata alone is not one)}.
META = "course_utils"
# Answers hide in these: an HTML <details> block, a tag that is almost "solution".
DETAILS = re.compile(r"<\s*details\b", re.IGNORECASE)
TAG_LIKE = re.compile(r"solut|soln|answer", re.IGNORECASE)
# Files the tool writes (and a source folder must not hold): NN_name.new[-k].ipynb,
# NN_name.backup[-k].ipynb.
OURS = re.compile(r"\.(new|backup)(-\d+)?\.ipynb$")
EXERCISES = re.compile(r"^#+\s*Exercises?\b", re.IGNORECASE)


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


def _refuse_hidden_answers(cell, where, in_exercises):
    """Raise if a cell that would be copied may hold an answer other than by a marker."""
    for tag in cell.metadata.get("tags", []):
        if tag != TAG and TAG_LIKE.search(str(tag)):
            raise StudentVersionError(f"{where}: tag {tag!r} looks like {TAG!r} but is not, so "
                                      f"the cell would be copied into the student version. Tag "
                                      f"a solution cell exactly {TAG!r} (lower case).")
    for number, line in enumerate(cell.source.splitlines(), start=1):
        if DETAILS.search(line):
            raise StudentVersionError(f"{where}, line {number}: a <details> block would be "
                                      f"copied into the student version (answers hide in "
                                      f"them): tag the cell {TAG!r}, or write the hint in "
                                      f"plain text.")
    metadata = json.dumps(cell.metadata, ensure_ascii=False)
    if MARKER.search(metadata):
        raise StudentVersionError(f"{where}: a solution marker in the cell's metadata would be "
                                  f"copied into the student version "
                                  f"({MARKER.search(metadata)[0]!r}); remove it.")
    if cell.get("attachments") and (in_exercises or solution_blocks(cell.source, where)):
        raise StudentVersionError(f"{where}: attachments ({', '.join(cell.attachments)}) in the "
                                  f"exercises would be copied into the student version; put an "
                                  f"answer's picture in a cell tagged {TAG!r}, a hint's in a "
                                  f"file.")


def student_notebook(notebook, name="notebook"):
    """A copy of `notebook` (nbformat v4) without solutions or outputs, with a note on top.

    Raises:
        StudentVersionError: a malformed solution block, or anything that may hold an answer
            in a cell or metadata that would be copied (a solution marker in any cell type or
            in metadata, an untagged <details> block, a tag that resembles 'solution', an
            attachment in the exercises), naming the notebook and cell.
    """
    student = nbformat.from_dict(notebook)
    if MARKER.search(json.dumps(student.metadata, ensure_ascii=False)):
        raise StudentVersionError(f"{name}: a solution marker in the notebook's metadata would "
                                  f"be copied into the student version; remove it.")
    cells, in_exercises = [], False
    for index, cell in enumerate(student.cells):
        where = f"{name}, cell {index} ({cell.cell_type})"
        if TAG in cell.metadata.get("tags", []):
            continue
        in_exercises = in_exercises or (cell.cell_type == "markdown"
                                        and bool(EXERCISES.match(cell.source)))
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source, where=where)
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
        cell.metadata.pop("wrong_answers", None)
        _refuse_markers(cell.source, where)
        _refuse_hidden_answers(cell, where, in_exercises)
        cells.append(cell)
    # No slide type: the note shows on the first slide (slide tools read a missing type so).
    note = nbformat.v4.new_markdown_cell(NOTE.format(name=name, stem=name.removesuffix('.ipynb')))
    note.id = NOTE_ID  # a fixed id, so the same source always gives the same student version
    student.cells = cells[:1] + [note] + cells[1:]
    student.metadata.pop("widgets", None)  # saved widget state of the executed source
    student.metadata[META] = {"source": name, "generated_sha256": generated_hash(student),
                              "content_sha256": content_hash(student)}
    return student


def generated_hash(notebook):
    """SHA-256 of a student version as generated (its own hashes left out)."""
    copy = nbformat.from_dict(notebook)
    copy.metadata.pop(META, None)
    return hashlib.sha256(nbformat.writes(copy).encode()).hexdigest()


def content_hash(notebook):
    """SHA-256 of a notebook's cells' types and sources: what a course change is made of."""
    cells = [[cell.get("cell_type"), cell.get("source")] for cell in notebook.get("cells", [])]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode()).hexdigest()


def _read(path):
    """The notebook at path, or None (unreadable, or not a notebook)."""
    try:
        return nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - a student's file may be anything
        return None


def _ours(notebook):
    """The course_utils metadata of a generated notebook (a dict, empty if not ours)."""
    meta = notebook.metadata.get(META) if notebook is not None else None
    return meta if isinstance(meta, dict) else {}


def _same_version(path, notebook):
    """True if the file at path was generated from the same course version as `notebook`."""
    old, new = _ours(_read(path)), notebook.metadata[META]
    if old.get("content_sha256"):
        return old["content_sha256"] == new["content_sha256"]
    return old.get("generated_sha256") == new["generated_sha256"]  # made by an older tool


def _untouched(path):
    """True if the file at path is a generated notebook exactly as generated (no one's work)."""
    notebook = _read(path)
    stored = _ours(notebook).get("generated_sha256")
    return stored is not None and stored == generated_hash(notebook)


def _identity(path):
    """(device, inode) of the file path names after following links, or None if none."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def _has_solutions(path):
    notebook = _read(path)
    return notebook is not None and not _ours(notebook) and any(
        TAG in cell.metadata.get("tags", []) or MARKER.search(cell.get("source", ""))
        for cell in notebook.cells)


def check_folders(source_dir, target_dir):
    """The numbered notebooks in source_dir; raises if there are none, if target is the source
    or inside it (as files: links, mounts and case-insensitive names included), or if the
    arguments look swapped."""
    source, target = pathlib.Path(source_dir), pathlib.Path(target_dir)
    resolved_source, resolved_target = source.resolve(), target.resolve()
    source_id = _identity(source)
    inside = resolved_target == resolved_source or resolved_source in resolved_target.parents
    if not inside and source_id is not None:  # the same folder under another name or mount
        inside = any(_identity(folder) == source_id
                     for folder in (resolved_target, *resolved_target.parents))
    if inside:
        raise StudentVersionError(
            f"target {str(target)!r} is the source folder {str(source)!r} or inside it "
            f"(resolved: {resolved_target}); the student versions would replace or sit among the "
            f"solutions. Choose another folder, e.g. 'student'.")
    paths = sorted(p for p in source.glob("[0-9]*.ipynb") if not OURS.search(p.name)) if (
        source.is_dir()) else []
    if not paths:
        state = "holds no numbered notebooks (NN_*.ipynb)" if source.is_dir() else "does not exist"
        raise StudentVersionError(f"source folder {str(source)!r} {state}; nothing to do. Give "
                                  f"the folder of the course's notebooks, e.g. 'notebooks'.")
    if target.is_dir():  # e.g. 'cp -al notebooks student', or per-file symlinks
        _refuse_source_files(source, sorted(target.iterdir()))
    swapped = "; are the arguments swapped? Run: python -m course_utils.student notebooks student"
    ours = [p for p in sorted(source.glob("[0-9]*.ipynb"))
            if OURS.search(p.name) or _ours(_read(p))]
    if ours:
        raise StudentVersionError(f"source folder {str(source)!r} holds student versions (e.g. "
                                  f"{ours[0].name}, written by this tool), not the course's "
                                  f"notebooks{swapped}")
    course = [p for p in sorted(target.glob("[0-9]*.ipynb")) if _has_solutions(p)] if (
        target.is_dir()) else []
    if course:
        raise StudentVersionError(f"target folder {str(target)!r} holds course notebooks with "
                                  f"solutions (e.g. {course[0].name}), which would be "
                                  f"replaced{swapped}")
    return paths


def _refuse_source_files(source_dir, targets):
    """Raise if any of the paths `targets` is, as a file, one in source_dir (a link to it)."""
    sources = {}
    for path in pathlib.Path(source_dir).iterdir():
        identity = _identity(path)
        if identity is not None:
            sources[identity] = path
    for target in targets:
        identity = _identity(target)
        if identity in sources:
            raise StudentVersionError(
                f"{target} is the same file as {sources[identity]} (a symlink, a hard link such "
                f"as 'cp -al' makes, or a mount); writing it would replace the solutions. "
                f"Delete {target} (the link, not the course's file) and run again.")


def _numbered(path, kind):
    """NN_name.<kind>.ipynb, then NN_name.<kind>-2.ipynb, ... (all candidates, lazily)."""
    stem = path.name.removesuffix(".ipynb")
    yield path.with_name(f"{stem}.{kind}.ipynb")
    number = 2
    while True:
        yield path.with_name(f"{stem}.{kind}-{number}.ipynb")
        number += 1


def _text(notebook):
    """The file's text as nbformat.write writes it."""
    text = nbformat.writes(notebook)
    return text if text.endswith("\n") else text + "\n"


def _write(notebook, path):
    """Write to a temporary name beside path, then rename: a link at path is replaced, never
    written through."""
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        temporary.write_text(_text(notebook), encoding="utf8")
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def _plan(target, notebook, force):
    """(path to write or None, a backup to make first or None, what to print)."""
    if not target.exists() and not target.is_symlink():
        return target, None, f"wrote {target}"
    if force:
        if target.read_bytes() == _text(notebook).encode():
            return None, None, f"up to date: {target}"
        backup = next(p for p in _numbered(target, "backup") if not p.exists())
        return target, backup, f"wrote {target} (the file it replaces is kept as {backup})"
    if _same_version(target, notebook):
        return None, None, f"up to date: {target} (yours, kept)"
    for newer in _numbered(target, "new"):
        if not newer.exists() and not newer.is_symlink():
            break
        if _same_version(newer, notebook):
            return None, None, (f"newer version available: {newer} is already beside {target} "
                                f"(yours, kept)")
        if _untouched(newer):  # an older course version no one has worked in: replace it
            break
    kept = "" if newer.name.endswith(".new.ipynb") else (
        f"; you have worked in {target.name.removesuffix('.ipynb')}.new*.ipynb, kept")
    return newer, None, (f"newer version available: wrote {newer} beside {target} "
                         f"(yours, kept{kept})")


def write_student_versions(source_dir, target_dir, *, force=False):
    """Write target_dir/NN_*.ipynb for every numbered notebook; never over a student's work.

    Every notebook is read, converted and checked, and every file to be written is checked
    not to be a source file, before anything is written. An existing file is kept unless
    force (which keeps it as NN_*.backup.ipynb first); when the course's version differs
    from the one it was generated from, the new version goes beside it as NN_*.new.ipynb, or
    NN_*.new-2.ipynb, ... if the student has worked in that one. Prints what it did per
    notebook.

    Returns:
        The paths written (backups not included).

    Raises:
        StudentVersionError: see check_folders and student_notebook; a source notebook that
            cannot be read; a file to write that is a source file. Nothing is written.
    """
    paths = check_folders(source_dir, target_dir)
    versions = []
    for path in paths:
        try:
            notebook = nbformat.read(path, as_version=4)
        except Exception as err:  # noqa: BLE001 - a broken file: say which, in one line
            first = (str(err).strip().splitlines() or [""])[0]
            raise StudentVersionError(f"{path} is not a readable notebook ({type(err).__name__}: "
                                      f"{first}); restore it, e.g. with git checkout.") from err
        versions.append((path.name, student_notebook(notebook, name=path.name)))
    target_dir = pathlib.Path(target_dir)
    plans = [(notebook, *_plan(target_dir / name, notebook, force)) for name, notebook in versions]
    _refuse_source_files(source_dir, [path for _, *paths, _ in plans for path in paths
                                      if path is not None])
    target_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for notebook, path, backup, message in plans:
        if backup is not None:
            os.replace(path, backup)
        if path is not None:
            _write(notebook, path)
            written.append(path)
        print(message)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="folder of notebooks with solutions")
    parser.add_argument("target", help="folder for the student versions (not inside source)")
    parser.add_argument("--force", action="store_true",
                        help="replace existing files (each is kept as NN_*.backup.ipynb first)")
    args = parser.parse_args(argv)
    try:
        write_student_versions(args.source, args.target, force=args.force)
    except (StudentVersionError, OSError) as err:
        print(f"course_utils.student: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
