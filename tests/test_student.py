"""The student-version tool: solutions taken out, nothing leaked, a student's work never lost."""

import os
import pathlib
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from course_utils import student

SOLVED = """x = 1
# BEGIN SOLUTION: answer = ...
answer = x + 1
print(answer)
# END SOLUTION
exercises.check_close("answer", answer, 2)
def f():
    # BEGIN SOLUTION: return ...
    return 3
    # END SOLUTION"""


def test_strip_solutions_keeps_the_placeholder_and_the_check():
    assert student.strip_solutions(SOLVED) == """x = 1
answer = ...  # YOUR CODE HERE
exercises.check_close("answer", answer, 2)
def f():
    return ...  # YOUR CODE HERE"""
    assert student.strip_solutions("no blocks\n") == "no blocks"


def test_fill_solutions_indents_each_answer_like_its_block():
    assert student.fill_solutions(SOLVED, ["answer = 3\nprint(answer)", "return 4"]) == """x = 1
answer = 3
print(answer)
exercises.check_close("answer", answer, 2)
def f():
    return 4"""
    assert student.solutions(SOLVED) == ["answer = x + 1\nprint(answer)", "return 3"]
    with pytest.raises(student.StudentVersionError, match="1 answers for 2 solution blocks"):
        student.fill_solutions(SOLVED, ["answer = 3"])


@pytest.mark.parametrize("source, message", [
    ("# BEGIN SOLUTION: a = ...\na = 1", "line 1 is never closed with '# END SOLUTION'"),
    ("a = 1\n# END SOLUTION", "line 2: '# END SOLUTION' without a '# BEGIN SOLUTION"),
    ("# BEGIN SOLUTION: a = ...\n# BEGIN SOLUTION: b = ...\n# END SOLUTION",
     "line 2: a solution block starts inside the one opened on line 1"),
    ("# BEGIN SOLUTION\na = 1\n# END SOLUTION", "write solution markers as '# BEGIN SOLUTION: "),
])
def test_strip_solutions_refuses_broken_markers(source, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        student.strip_solutions(source, where="nb")


def notebook_with(*cells):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title"), *cells])


def test_student_notebook_drops_solution_cells_outputs_and_wrong_answers():
    notebook = notebook_with(
        nbformat.v4.new_code_cell(SOLVED, outputs=[nbformat.v4.new_output("stream", text="2\n")],
                                  execution_count=3, metadata={"wrong_answers": ["answer = 3"]}),
        nbformat.v4.new_markdown_cell("<details>answer</details>", metadata={"tags": ["solution"]}),
    )
    result = student.student_notebook(notebook, name="01_x.ipynb")
    assert [c.cell_type for c in result.cells] == ["markdown", "markdown", "code"]
    assert "generated from `notebooks/01_x.ipynb`" in result.cells[1].source
    assert "`01_x.new.ipynb`" in result.cells[1].source
    assert result.cells[2].outputs == [] and result.cells[2].execution_count is None
    assert "wrong_answers" not in result.cells[2].metadata
    assert result.cells[2].id == notebook.cells[1].id  # the tests map cells back by id
    assert notebook.cells[1].outputs  # the source is untouched


# Markers that used to be copied into the student version as they were, solution included.
LEAKS = [
    ("markdown", "Answer:\n# BEGIN SOLUTION\nc = 2\n# END SOLUTION"),
    ("raw", "# BEGIN SOLUTION: x = ...\nx = 2\n# END SOLUTION"),
    ("markdown", "# begin solution:\nthe answer is 2"),
    ("code", "#BEGIN_SOLUTION\nx = 2\n#END_SOLUTION"),
    ("code", "x = 1\n    # Begin  Solution: x = ...\nx = 2"),
    ("code", "x = 1  # end-solution"),
]


@pytest.mark.parametrize("cell_type, source", LEAKS)
def test_a_marker_in_any_cell_type_or_spelling_is_refused(cell_type, source):
    new_cell = {"markdown": nbformat.v4.new_markdown_cell, "raw": nbformat.v4.new_raw_cell,
                "code": nbformat.v4.new_code_cell}[cell_type]
    notebook = notebook_with(nbformat.v4.new_markdown_cell("text"), new_cell(source))
    with pytest.raises(student.StudentVersionError, match=rf"03_x\.ipynb, cell 2 \({cell_type}\)"):
        student.student_notebook(notebook, name="03_x.ipynb")


def test_a_marker_inside_a_solution_tagged_cell_is_fine():
    notebook = notebook_with(nbformat.v4.new_markdown_cell("# BEGIN SOLUTION", metadata={
        "tags": ["solution"]}))
    assert len(student.student_notebook(notebook).cells) == 2


@pytest.fixture
def course(tmp_path):
    source = tmp_path / "notebooks"
    source.mkdir()
    for name in ("01_a.ipynb", "02_b.ipynb"):
        nbformat.write(notebook_with(nbformat.v4.new_code_cell(SOLVED)), source / name)
    return source


def test_write_student_versions_keeps_a_students_file_and_puts_a_newer_one_beside_it(
        course, tmp_path, capsys):
    target = tmp_path / "student"
    assert student.write_student_versions(course, target) == [target / "01_a.ipynb",
                                                              target / "02_b.ipynb"]
    mine = nbformat.read(target / "01_a.ipynb", as_version=4)
    mine.cells[2].source = mine.cells[2].source.replace("answer = ...", "answer = x + 1")
    nbformat.write(mine, target / "01_a.ipynb")
    mine_text = (target / "01_a.ipynb").read_text()
    capsys.readouterr()
    # The student's edits alone are not a newer course version.
    assert student.write_student_versions(course, target) == []
    assert capsys.readouterr().out.splitlines() == [
        f"up to date: {target / '01_a.ipynb'} (yours, kept)",
        f"up to date: {target / '02_b.ipynb'} (yours, kept)"]
    # The course changes 01: the new version goes beside the student's, never over it.
    updated = nbformat.read(course / "01_a.ipynb", as_version=4)
    updated.cells.append(nbformat.v4.new_markdown_cell("A new hint."))
    nbformat.write(updated, course / "01_a.ipynb")
    assert student.write_student_versions(course, target) == [target / "01_a.new.ipynb"]
    assert capsys.readouterr().out.splitlines()[0] == (
        f"newer version available: wrote {target / '01_a.new.ipynb'} beside "
        f"{target / '01_a.ipynb'} (yours, kept)")
    assert (target / "01_a.ipynb").read_text() == mine_text
    assert "A new hint." in (target / "01_a.new.ipynb").read_text()
    assert student.write_student_versions(course, target) == []
    assert "is already beside" in capsys.readouterr().out
    # A file that is not a generated notebook at all is kept too.
    (target / "02_b.ipynb").write_text("my notes")
    assert student.write_student_versions(course, target) == [target / "02_b.new.ipynb"]
    assert (target / "02_b.ipynb").read_text() == "my notes"
    assert student.write_student_versions(course, target, force=True) == [
        target / "01_a.ipynb", target / "02_b.ipynb"]


def test_the_same_source_gives_the_same_student_version(course, tmp_path):
    student.write_student_versions(course, tmp_path / "one")
    student.write_student_versions(course, tmp_path / "two")
    assert (tmp_path / "one/01_a.ipynb").read_text() == (tmp_path / "two/01_a.ipynb").read_text()


class Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def run_tool(monkeypatch, capsys):
    """The command line in this process (a subprocess costs seconds of imports)."""
    def run(*args, cwd):
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        returncode = student.main([str(a) for a in args])
        out = capsys.readouterr()
        return Result(returncode, out.out, out.err)
    return run


def test_a_command_line_error_exits_non_zero_with_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "course_utils.student", "missing", "student"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == ("course_utils.student: error: source folder 'missing' does not "
                             "exist; nothing to do. Give the folder of the course's notebooks, "
                             "e.g. 'notebooks'.\n")


def snapshot(folder):
    return {p: p.read_bytes() for p in sorted(pathlib.Path(folder).rglob("*")) if p.is_file()}


@pytest.mark.parametrize("target", ["notebooks", "notebooks/student", "./notebooks/../notebooks",
                                    "link", "link/sub"])
def test_a_target_that_is_or_is_inside_the_source_is_refused(course, tmp_path, target, run_tool):
    os.symlink(course, tmp_path / "link")
    before = snapshot(course)
    result = run_tool("notebooks", target, "--force", cwd=tmp_path)
    assert result.returncode != 0 and result.stdout == ""
    assert result.stderr.startswith("course_utils.student: error: target ")
    assert "is the source folder 'notebooks' or inside it" in result.stderr
    assert len(result.stderr.splitlines()) == 1  # one line, no traceback
    assert snapshot(course) == before


@pytest.mark.parametrize("source, state", [("notebookz", "does not exist"),
                                           ("empty", "holds no numbered notebooks (NN_*.ipynb)")])
def test_a_source_without_numbered_notebooks_is_refused(tmp_path, source, state, run_tool):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.ipynb").write_text("{}")
    result = run_tool(source, "student", cwd=tmp_path)
    assert result.returncode != 0
    assert result.stderr == (f"course_utils.student: error: source folder '{source}' {state}; "
                             f"nothing to do. Give the folder of the course's notebooks, e.g. "
                             f"'notebooks'.\n")
    assert not (tmp_path / "student").exists()


def test_a_leak_in_one_notebook_writes_nothing_at_all(course, tmp_path, run_tool):
    leaky = notebook_with(nbformat.v4.new_markdown_cell("#BEGIN_SOLUTION the answer is 2"))
    nbformat.write(leaky, course / "02_b.ipynb")
    result = run_tool("notebooks", "student", cwd=tmp_path)
    assert result.returncode != 0 and len(result.stderr.splitlines()) == 1
    assert "02_b.ipynb, cell 1 (markdown), line 1: a solution marker would be copied" in (
        result.stderr)
    assert not (tmp_path / "student").exists()  # not even 01, which was fine


def test_the_command_line_reports_per_notebook(course, tmp_path, run_tool):
    result = run_tool("notebooks", "student", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.splitlines() == ["wrote student/01_a.ipynb", "wrote student/02_b.ipynb"]


def test_make_student_runs_the_tool_from_notebooks_to_student():
    makefile = (pathlib.Path(__file__).resolve().parents[1] / "Makefile").read_text()
    assert "$(PY) -m course_utils.student notebooks student\n" in makefile


# Second round (issue 24): each of these lost a student's work or leaked an answer before.

def answer_leaks():
    details = nbformat.v4.new_markdown_cell("<details><summary>Answer</summary>2</details>")
    tagged_upper = nbformat.v4.new_markdown_cell("The answer is 2.",
                                                 metadata={"tags": ["Solution"]})
    tagged_plural = nbformat.v4.new_markdown_cell("The answer is 2.",
                                                  metadata={"tags": ["solutions"]})
    in_metadata = nbformat.v4.new_code_cell("x = 1", metadata={"note": "# BEGIN SOLUTION x = 2"})
    exercises = nbformat.v4.new_markdown_cell("## Exercises")
    attached = nbformat.v4.new_markdown_cell("![answer](attachment:answer.png)")
    attached.attachments = {"answer.png": {"image/png": "iVBORw0KGgo="}}
    return [
        ([details], "cell 2 (markdown), line 1: a <details> block would be copied"),
        ([tagged_upper], "cell 2 (markdown): tag 'Solution' looks like 'solution' but is not"),
        ([tagged_plural], "cell 2 (markdown): tag 'solutions' looks like 'solution' but is not"),
        ([in_metadata], "cell 2 (code): a solution marker in the cell's metadata"),
        ([exercises, attached], "cell 3 (markdown): attachments (answer.png) in the exercises"),
    ]


@pytest.mark.parametrize("cells, message", answer_leaks(),
                         ids=["details", "Solution", "solutions", "cell-metadata", "attachment"])
def test_answers_hidden_other_than_by_markers_are_refused(cells, message):
    notebook = notebook_with(nbformat.v4.new_markdown_cell("text"), *cells)
    with pytest.raises(student.StudentVersionError, match=re.escape(f"03_x.ipynb, {message}")):
        student.student_notebook(notebook, name="03_x.ipynb")


def test_a_marker_in_the_notebooks_metadata_is_refused():
    notebook = notebook_with(nbformat.v4.new_markdown_cell("text"))
    notebook.metadata["notes"] = {"draft": "#BEGIN_SOLUTION the answer is 2"}
    with pytest.raises(student.StudentVersionError,
                       match=re.escape("03_x.ipynb: a solution marker in the notebook's metadata")):
        student.student_notebook(notebook, name="03_x.ipynb")


def test_an_attachment_before_the_exercises_is_copied():
    figure = nbformat.v4.new_markdown_cell("![sketch](attachment:sketch.png)")
    figure.attachments = {"sketch.png": {"image/png": "iVBORw0KGgo="}}
    result = student.student_notebook(notebook_with(figure), name="01_x.ipynb")
    assert result.cells[2].attachments == figure.attachments


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
@pytest.mark.parametrize("force", [False, True])
def test_a_target_file_that_is_a_source_file_is_refused(course, tmp_path, run_tool, link, force):
    """Per-file symlinks, or hard links as `cp -al notebooks student` makes: writing through
    them replaced the solutions."""
    (tmp_path / "student").mkdir()
    for source in course.iterdir():
        (os.symlink if link == "symlink" else os.link)(source, tmp_path / "student" / source.name)
    before = snapshot(course)
    result = run_tool("notebooks", "student", *(["--force"] if force else []), cwd=tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("course_utils.student: error: student/01_a.ipynb is the same "
                                    "file as notebooks/01_a.ipynb (a symlink, a hard link")
    assert len(result.stderr.splitlines()) == 1
    assert snapshot(course) == before
    assert sorted(p.name for p in (tmp_path / "student").iterdir()) == ["01_a.ipynb", "02_b.ipynb"]


def test_the_source_folder_under_another_name_is_refused(course, tmp_path, run_tool, monkeypatch):
    """A bind mount of notebooks/, or `Notebooks` on a case-insensitive file system: another
    path to the same folder, which path strings do not reveal (the device and inode do)."""
    (tmp_path / "mount").mkdir()
    def identity(path):  # what os.stat says of the mount: the source folder's device and inode
        status = os.stat(course if pathlib.Path(path).name == "mount" else path)
        return status.st_dev, status.st_ino
    monkeypatch.setattr(student, "_identity", identity, raising=False)
    before = snapshot(course)
    result = run_tool("notebooks", "mount", "--force", cwd=tmp_path)
    assert result.returncode == 1
    assert "target 'mount' is the source folder 'notebooks' or inside it" in result.stderr
    assert snapshot(course) == before and not list((tmp_path / "mount").iterdir())


@pytest.mark.parametrize("force", [False, True])
def test_swapped_arguments_are_refused(course, tmp_path, run_tool, force):
    assert run_tool("notebooks", "student", cwd=tmp_path).returncode == 0
    before, mine = snapshot(course), snapshot(tmp_path / "student")
    extra = ["--force"] if force else []
    result = run_tool("student", "notebooks", *extra, cwd=tmp_path)
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1
    assert result.stderr == (
        "course_utils.student: error: source folder 'student' holds student versions (e.g. "
        "01_a.ipynb, written by this tool), not the course's notebooks; are the arguments "
        "swapped? Run: python -m course_utils.student notebooks student\n")
    # A target holding course notebooks, whatever the source: never replaced.
    shutil.copytree(course, tmp_path / "copy")
    result = run_tool("copy", "notebooks", *extra, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("course_utils.student: error: target folder 'notebooks' "
                                    "holds course notebooks with solutions (e.g. 01_a.ipynb)")
    assert snapshot(course) == before and snapshot(tmp_path / "student") == mine


def test_a_new_file_from_an_earlier_run_is_never_taken_as_a_course_notebook(course, tmp_path,
                                                                            run_tool):
    (course / "01_a.new.ipynb").write_text((course / "01_a.ipynb").read_text())
    result = run_tool("notebooks", "student", cwd=tmp_path)
    assert result.returncode == 1 and "holds student versions (e.g. 01_a.new.ipynb" in (
        result.stderr)


def change_course(course, text):
    updated = nbformat.read(course / "01_a.ipynb", as_version=4)
    updated.cells.append(nbformat.v4.new_markdown_cell(text))
    nbformat.write(updated, course / "01_a.ipynb")


def work_in(path):
    mine = nbformat.read(path, as_version=4)
    mine.cells[2].source = mine.cells[2].source.replace("answer = ...", "answer = x + 1")
    nbformat.write(mine, path)
    return path.read_text()


def test_a_new_file_the_student_worked_in_is_never_overwritten(course, tmp_path, capsys):
    target = tmp_path / "student"
    student.write_student_versions(course, target)
    change_course(course, "First change.")
    assert student.write_student_versions(course, target) == [target / "01_a.new.ipynb"]
    worked = work_in(target / "01_a.new.ipynb")
    capsys.readouterr()
    change_course(course, "Second change.")
    assert student.write_student_versions(course, target) == [target / "01_a.new-2.ipynb"]
    assert capsys.readouterr().out.splitlines()[0] == (
        f"newer version available: wrote {target / '01_a.new-2.ipynb'} beside "
        f"{target / '01_a.ipynb'} (yours, kept; you have worked in 01_a.new*.ipynb, kept)")
    assert (target / "01_a.new.ipynb").read_text() == worked
    assert "Second change." in (target / "01_a.new-2.ipynb").read_text()
    assert student.write_student_versions(course, target) == []  # and it says it is there
    assert "01_a.new-2.ipynb is already beside" in capsys.readouterr().out
    # A .new file no one has worked in is simply the older course version: replaced.
    work_in(target / "01_a.new-2.ipynb")
    (target / "01_a.new.ipynb").unlink()
    student.write_student_versions(course, tmp_path / "other")
    shutil.copy(tmp_path / "other" / "01_a.ipynb", target / "01_a.new.ipynb")
    change_course(course, "Third change.")
    assert student.write_student_versions(course, target) == [target / "01_a.new.ipynb"]
    assert "Third change." in (target / "01_a.new.ipynb").read_text()


def test_force_keeps_a_backup_of_what_it_replaces_and_says_so(course, tmp_path, capsys):
    target = tmp_path / "student"
    student.write_student_versions(course, target)
    worked = work_in(target / "01_a.ipynb")
    (target / "01_a.backup.ipynb").write_text("an older backup")
    capsys.readouterr()
    assert student.write_student_versions(course, target, force=True) == [target / "01_a.ipynb"]
    assert capsys.readouterr().out.splitlines() == [
        f"wrote {target / '01_a.ipynb'} (the file it replaces is kept as "
        f"{target / '01_a.backup-2.ipynb'})",
        f"up to date: {target / '02_b.ipynb'}"]
    assert (target / "01_a.backup-2.ipynb").read_text() == worked
    assert (target / "01_a.backup.ipynb").read_text() == "an older backup"
    assert "answer = ...  # YOUR CODE HERE" in (target / "01_a.ipynb").read_text()


def test_a_change_of_metadata_alone_is_not_a_new_course_version(course, tmp_path, capsys):
    target = tmp_path / "student"
    student.write_student_versions(course, target)
    rerun = nbformat.read(course / "01_a.ipynb", as_version=4)
    rerun.metadata["language_info"] = {"name": "python", "version": "3.12.99"}
    rerun.cells[1].metadata["execution"] = {"iopub.status.idle": "2026-12-06T10:00:00Z"}
    nbformat.write(rerun, course / "01_a.ipynb")
    capsys.readouterr()
    assert student.write_student_versions(course, target) == []
    assert capsys.readouterr().out.splitlines()[0] == (
        f"up to date: {target / '01_a.ipynb'} (yours, kept)")


def test_a_corrupt_source_notebook_is_one_line_and_writes_nothing(course, tmp_path, run_tool):
    (course / "02_b.ipynb").write_text('{"cells": [')
    result = run_tool("notebooks", "student", cwd=tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("course_utils.student: error: notebooks/02_b.ipynb is not a "
                                    "readable notebook (")
    assert result.stderr.endswith("; restore it, e.g. with git checkout.\n")
    assert not (tmp_path / "student").exists()
