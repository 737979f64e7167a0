"""Opening sessions from the window: a damaged one changes nothing on screen, an unknown
backend still opens, and an unsaved comparison is offered for saving before it is replaced.

Dialogs are answered by replacing ``QMessageBox.question`` and ``QFileDialog`` for the test
(as pytest-qt suggests), so nothing modal ever waits for a click.
"""

from __future__ import annotations

import json

import pytest
from conftest_gui import choose_workload, make_window, no_children
from sample_results import MACHINE, compare_document, result

from engine.files import session as sessions
from engine.files.export import document

pytestmark = pytest.mark.gui

RUN_TIMEOUT_MS = 90_000


def _write(path, doc: dict) -> str:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def _fail_replay(self, result):
    raise OverflowError("cannot convert float infinity to integer")


@pytest.mark.parametrize("damage", ["a task id of 2**63", "a page that cannot draw it"])
def test_a_damaged_session_leaves_the_comparison_on_screen(qtbot, tmp_path, monkeypatch,
                                                           damage):
    window = make_window(qtbot, tmp_path)
    good = _write(tmp_path / "good.json", compare_document())
    assert window.files.open_path(good)
    view = window.compare_view
    shown = [(row.label, row.timeline.bar_count()) for row in view.rows]
    assert shown == [("sequential", 4), ("thread-pool", 4)]

    doc = compare_document()
    if damage == "a task id of 2**63":  # the old loader took it; the timeline's array did not
        doc["runs"][1]["tasks"][0]["id"] = 2**63
    else:  # the loader accepts the file, but the page raises while drawing it
        from gui.pages.compare_row import CompareRow

        monkeypatch.setattr(CompareRow, "replay", _fail_replay)
    bad = _write(tmp_path / "bad.json", doc)
    assert not window.files.open_path(bad)

    # Exactly as it was: both runs, their bars, table and chart, the first file's name.
    assert window.views.currentWidget() is view
    assert [(row.label, row.timeline.bar_count()) for row in view.rows] == shown
    assert [r.backend for r in view.results] == ["sequential", "thread-pool"]
    assert view.table.rowCount() == 2 and len(view.bar_heights()) == 2
    assert "good.json" in window.windowTitle() and "bad.json" not in window.windowTitle()
    message = window.statusBar().currentMessage()
    assert message.startswith("cannot open") and "bad.json" in message and "\n" not in message
    assert window.files.current_path.endswith("good.json")


def test_a_session_naming_an_unknown_backend_opens_and_is_explained(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    made = result("quantum-pool", pids=(4100, 4200), in_processes=True)
    path = _write(tmp_path / "newer.json", json.loads(json.dumps(document([made], MACHINE))))
    assert window.files.open_path(path), window.statusBar().currentMessage()
    assert window.timeline.bar_count() == 4
    summary = window.summary.plain_text()
    assert "quantum-pool" in summary and "not one this CoreScope knows" in summary
    # And a comparison holding it shows it as a row like any other.
    doc = compare_document()
    doc["runs"][1]["backend"] = "quantum-pool"
    assert window.files.open_path(_write(tmp_path / "cmp.json", doc))
    assert [row.label for row in window.compare_view.rows] == ["sequential", "quantum-pool"]


class _Answers:
    """Stands in for ``QMessageBox.question``: gives ``answer`` and records each question."""

    def __init__(self, answer) -> None:
        self.answer, self.asked = answer, []

    def __call__(self, parent, title, text, *args):
        self.asked.append(text)
        return self.answer


def _unsaved_comparison(qtbot, tmp_path):
    """A window that has just run a comparison (and not saved it)."""
    window = make_window(qtbot, tmp_path)
    window.show()
    choose_workload(window, "sleep", {"seconds": "0.02"}, 2, 2)
    window.compare_view.backends.set_checked(["sequential", "thread-pool"])
    with qtbot.waitSignal(window.sequence_done, timeout=RUN_TIMEOUT_MS) as done:
        assert window.start_compare()
    assert len(done.args[0]) == 2
    qtbot.waitUntil(no_children, timeout=5000)
    assert window.isWindowModified()  # the title says so too
    return window, done.args[0]


def test_cancel_keeps_an_unsaved_comparison_and_save_writes_it(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    window, results = _unsaved_comparison(qtbot, tmp_path)
    other = _write(tmp_path / "other.json", compare_document())

    cancel = _Answers(QMessageBox.StandardButton.Cancel)
    monkeypatch.setattr(QMessageBox, "question", cancel)
    assert not window.files.open_path(other, ask_first=True)
    assert not window.request_quit()
    assert len(cancel.asked) == 2 and "comparison is not saved" in cancel.asked[0]
    assert window.isVisible()
    assert window.compare_view.results and \
        [r.wall_s for r in window.compare_view.results] == [r.wall_s for r in results]

    saved = tmp_path / "kept.json"
    monkeypatch.setattr(QMessageBox, "question", _Answers(QMessageBox.StandardButton.Save))
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *args, **kwargs: (str(saved), "CoreScope session (*.json)"))
    window.views.setCurrentIndex(0)  # Save writes the comparison, whatever page is on show
    assert window.request_quit()
    assert not window.isVisible()
    back = sessions.load(str(saved))
    assert back.kind == "compare" and [r.backend for r in back.runs] == ["sequential",
                                                                         "thread-pool"]


def test_discard_opens_the_file_and_nothing_is_asked_once_saved(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    window, _ = _unsaved_comparison(qtbot, tmp_path)
    monkeypatch.setattr(QMessageBox, "question", _Answers(QMessageBox.StandardButton.Discard))
    assert window.files.open_path(_write(tmp_path / "other.json", compare_document()),
                                  ask_first=True)
    assert [len(row.timeline.records) for row in window.compare_view.rows] == [4, 4]
    assert list(tmp_path.glob("corescope-*.json")) == []  # discarded: nothing written
    # What is on show came from a file: quitting has nothing to ask.
    never = _Answers(QMessageBox.StandardButton.Cancel)
    monkeypatch.setattr(QMessageBox, "question", never)
    assert not window.isWindowModified()
    assert window.request_quit() and never.asked == []


def test_a_cpu_image_of_a_thousand_cores_stays_small_and_shows_the_whole_run():
    import numpy as np

    from gui.plots.buffers import heatmap_columns

    # Three samples 10 ms apart, then one 600 s later: what a damaged file (or a long run on a
    # big machine) hands a comparison row's CPU strip.
    t = np.array([0.0, 0.01, 0.02, 600.0])
    start, dt, image = heatmap_columns([(t, np.full((4, 1000), 50.0))], 20_000)
    assert image.size <= 8_000_000  # 64 MB, where 20,000 columns would be 160 MB
    assert start <= 0.0 and start + len(image) * dt >= 600.0  # every sample still drawn


def test_an_opened_run_puts_its_own_workload_and_backend_in_the_panel(qtbot, tmp_path):
    from engine.run.runner import RunConfig, execute
    from engine.workload import build_workload

    ran = execute(RunConfig(build_workload(["primes", "sleep"], 2,
                                           {"n": "3000", "seconds": "0.01"}),
                            "process-pool", workers=2))
    path = str(tmp_path / "ran.json")
    sessions.save(path, [ran])
    window = make_window(qtbot, tmp_path)
    choose_workload(window, "hash", {}, 3, 1, backend="threads")
    assert window.files.open_path(path)
    config = window.workload.config
    assert config is not None and config.backend == "process-pool" and config.workers == 2
    assert [(i.spec.name, i.count) for i in config.workload.items] == [("primes", 2),
                                                                       ("sleep", 2)]
    assert config.workload.items[0].params["n"] == 3000


def test_a_run_whose_backend_is_unknown_here_opens_and_the_panel_says_why_it_kept_its_own(
        qtbot, tmp_path):
    doc = document([result("quantum-pool")], MACHINE)
    window = make_window(qtbot, tmp_path)
    before = window.workload.config
    assert window.files.open_path(_write(tmp_path / "q.json", doc))
    assert window.workload.config == before
    assert "panel keeps its own workload" in window.statusBar().currentMessage()
