"""Progress displays: a summary line that is the same on every run, live bars that count."""

import pytest

from course_utils import progress


def test_summary_line_and_count(capsys):
    bar = progress.Progress("Adam", 3)
    for _ in range(3):
        bar.update()
    bar.close()
    captured = capsys.readouterr()
    assert captured.out == "Adam: 3 evaluations\n"  # stdout: what a stored notebook keeps
    assert "3/3" in captured.err                     # the live tqdm bar outside Jupyter


def test_disabled_shows_nothing(capsys):
    bar = progress.Progress("Adam", 3, enabled=False)
    bar.update()
    bar.close()
    assert capsys.readouterr() == ("", "")


def test_track_yields_every_item(capsys):
    assert list(progress.track(range(4), "loop")) == [0, 1, 2, 3]
    assert capsys.readouterr().out == "loop: 4 steps\n"


@pytest.mark.parametrize("total", [5, None])
def test_jupyter_widget_has_a_fixed_stored_text(monkeypatch, capsys, total):
    shown = []
    monkeypatch.setattr(progress, "_in_jupyter", lambda: True)
    monkeypatch.setattr("IPython.display.display", shown.append)
    bar = progress.Progress("L-BFGS", total)
    bar.update(2)
    (box,) = shown
    assert repr(box) == "L-BFGS: live progress bar"
    assert box.children[1].value == min(2, total or 1) and box.children[0].value == "L-BFGS: 2 evaluations"
    bar.close()
    assert box.children[1].bar_style == "success"
    assert box.layout.display == "none"  # the summary line is said once, not twice
    assert capsys.readouterr().out == "L-BFGS: 2 evaluations\n"
