"""The workload panel's rows: the classic tutorial built with the mouse, rows added, copied and
removed, refused rows named inline, commas in values, and workloads handed in whole."""

from __future__ import annotations

import pytest
from conftest_gui import make_window, no_children

pytestmark = pytest.mark.gui

RUN_TIMEOUT_MS = 90_000
TUTORIAL = '''"""The tutorial's two file operations (shortened: 2 steps of 0.05 s)."""
import time


def file_operation_1():
    for step in range(2):
        print("file operation 1, step", step)
        time.sleep(0.05)


def file_operation_2():
    for step in range(2):
        print("file operation 2, step", step)
        time.sleep(0.05)


def _helper():
    pass
'''
ECHO = '''def echo(text, times=1):
    return text * times
'''


def _labels(panel) -> list[str]:
    return [panel.rows.list.item(i).text() for i in range(panel.rows.list.count())]


def _browse(qtbot, monkeypatch, button, path, untick=()):
    """Click ``button``, answer the file dialog with ``path`` and the function picker by
    ticking every function but ``untick``; returns the names the picker offered."""
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication, QDialogButtonBox, QFileDialog

    from gui.panels.function_picker import FunctionPicker

    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *args, **kwargs: (str(path), "Python files (*.py)")))
    offered: list[str] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, FunctionPicker):
            QTimer.singleShot(10, answer)
            return
        for i in range(dialog.list.count()):
            item = dialog.list.item(i)
            offered.append(item.text())
            item.setCheckState(Qt.CheckState.Unchecked if item.text() in untick
                               else Qt.CheckState.Checked)
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                         Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, answer)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    return offered


def test_the_tutorial_is_built_with_the_mouse_and_compared(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import Qt

    path = tmp_path / "tutorial.py"
    path.write_text(TUTORIAL)
    window = make_window(qtbot, tmp_path)
    window.show()
    panel = window.workload
    panel.task_combo.setCurrentIndex(panel.task_combo.findData("custom (module:function)"))
    offered = _browse(qtbot, monkeypatch, panel.browse_button, path)

    assert offered == ["file_operation_1", "file_operation_2"]  # not _helper
    assert _labels(panel) == ["1 × file_operation_1() — tutorial.py",
                              "1 × file_operation_2() — tutorial.py"]
    assert [row.count for row in panel.rows.rows] == [1, 1]
    assert panel.problem is None, panel.problem
    assert panel.config.workload.n_tasks == 2
    assert panel.count_spin.value() == 1

    window.compare_view.backends.set_checked(["sequential", "processes"])
    with qtbot.waitSignal(window.sequence_done, timeout=RUN_TIMEOUT_MS) as done:
        qtbot.mouseClick(window.compare_view.compare_button, Qt.MouseButton.LeftButton)
    results = done.args[0]
    assert [r.backend for r in results] == ["sequential", "processes"]
    for result in results:
        assert result.ok and len(result.records) == 2
        assert sorted(r.name.rpartition(":")[2] for r in result.records) == [
            "file_operation_1", "file_operation_2"]
        assert all(r.ok for r in result.records)
    qtbot.waitUntil(no_children, timeout=5000)


def test_from_py_adds_only_the_ticked_functions_after_the_rows(qtbot, tmp_path, monkeypatch):
    path = tmp_path / "tutorial.py"
    path.write_text(TUTORIAL)
    window = make_window(qtbot, tmp_path)
    window.show()
    panel = window.workload
    panel.select_task("sleep")
    _browse(qtbot, monkeypatch, panel.rows.file_button, path, untick={"file_operation_1"})

    assert [row.name.rpartition(":")[2] for row in panel.rows.rows] == ["sleep",
                                                                       "file_operation_2"]
    assert panel.rows.current_index == 1 and panel.row_box.title() == "Row 2 of 2"
    assert panel.config.workload.task_names[0] == "sleep"


def test_rows_are_added_duplicated_and_removed(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    panel = window.workload
    panel.select_task("sleep")
    panel.set_param("seconds", "0.1")
    panel.count_spin.setValue(3)
    assert not panel.rows.remove_button.isEnabled()  # the last row stays

    panel.rows.duplicate_button.click()
    assert _labels(panel) == ["3 × sleep(seconds=0.1)"] * 2
    panel.set_param("seconds", "0.2")  # edits the copy, now selected
    panel.rows.add_button.click()
    panel.select_task("primes")
    panel.count_spin.setValue(2)
    assert [(item.spec.name, item.count) for item in panel.config.workload.items] == [
        ("sleep", 3), ("sleep", 3), ("primes", 2)]
    assert [item.params.get("seconds") for item in panel.config.workload.items[:2]] == [0.1, 0.2]

    panel.rows.list.setCurrentRow(0)
    assert panel.task_name == "sleep" and panel.params.values() == {"seconds": "0.1"}
    panel.rows.remove_button.click()
    assert [i.spec.name for i in panel.config.workload.items] == ["sleep", "primes"]
    assert panel.config.workload.items[0].params["seconds"] == 0.2
    assert panel.config.workload.n_tasks == 5


def test_a_refused_row_is_named_inline_and_disables_run(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    panel = window.workload
    panel.select_task("sleep")
    panel.rows.add_button.click()
    panel.select_task("primes")
    panel.set_param("n", "-5")

    assert panel.config is None
    assert panel.problem.startswith("row 2 (primes): ") and "below the minimum" in panel.problem
    assert panel.problem_label.text() == panel.problem and not panel.problem_label.isHidden()
    assert _labels(panel)[1].startswith("⚠ primes") and not _labels(panel)[0].startswith("⚠")
    assert not window.run_box.run_button.isEnabled()
    assert panel.workload_choice() == (None, panel.problem)

    # Another row selected: the refused one still says why, and Run stays off.
    panel.rows.list.setCurrentRow(0)
    assert "row 2" in panel.problem and not window.run_box.run_button.isEnabled()
    panel.rows.list.setCurrentRow(1)
    panel.set_param("n", "20000")
    assert panel.problem is None and window.run_box.run_button.isEnabled()


def test_a_custom_parameter_with_commas_reaches_the_task_intact(qtbot, tmp_path):
    path = tmp_path / "echo.py"
    path.write_text(ECHO)
    window = make_window(qtbot, tmp_path)
    panel = window.workload
    panel.select_task(f"{path}:echo")
    panel.custom_params.setText("text=a,b, times=2")
    panel.custom_params.editingFinished.emit()
    panel.select_backend("process-pool")
    assert panel.problem is None, panel.problem
    assert dict(panel.config.workload.items[0].params) == {"text": "a,b", "times": 2}

    with qtbot.waitSignal(window.run_done, timeout=RUN_TIMEOUT_MS) as finished:
        window.start_run()
    assert [r.result for r in finished.args[0].records] == ["'a,ba,b'"]
    qtbot.waitUntil(no_children, timeout=5000)

    panel.custom_params.setText("text")
    panel.custom_params.editingFinished.emit()
    assert "expected key=value" in panel.problem  # a message, not a traceback


def test_set_config_shows_every_row_and_runs_it_as_given(qtbot, tmp_path):
    from engine.run.runner import RunConfig
    from engine.workload import build_workload

    path = tmp_path / "echo.py"
    path.write_text(ECHO)
    workload = build_workload(["sleep", f"{path}:echo"], 2,
                              {"seconds": "0.05", "text": "x, y"}, timeout_s=5)
    window = make_window(qtbot, tmp_path)
    panel = window.workload
    panel.set_config(RunConfig(workload, "thread-pool", workers=2))

    assert _labels(panel) == ["2 × sleep(seconds=0.05)", "2 × echo(text=x, y) — echo.py"]
    assert panel.config.workload == workload and panel.problem is None
    assert "5 s" in panel.preset_note.text()
    panel.rows.list.setCurrentRow(1)
    assert panel.task_name == "custom (module:function)"
    assert panel.custom_spec.text() == f"{path}:echo"

    # An edit rebuilds the workload from the rows: the same tasks, the new count, the timeout.
    panel.count_spin.setValue(3)
    items = panel.config.workload.items
    assert [(i.spec.name, i.count) for i in items] == [("sleep", 2), (f"{path}:echo", 3)]
    assert dict(items[1].params) == {"text": "x, y"} and panel.config.workload.timeout_s == 5


def test_rows_are_remembered_and_old_settings_still_load(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    panel = window.workload
    panel.select_task("sleep")
    panel.rows.duplicate_button.click()
    panel.count_spin.setValue(5)
    window.close()

    again = make_window(qtbot, tmp_path)
    assert [(r.task, r.count) for r in again.workload.rows.rows] == [("sleep", 8), ("sleep", 5)]
    assert again.workload.rows.current_index == 1

    again.workload.set_state({"task": "primes", "params": {"primes": {"n": "30000"}},
                              "count": 4, "backend": "thread-pool"})  # the one-task panel's
    assert [(r.task, r.count) for r in again.workload.rows.rows] == [("primes", 4)]
    assert again.workload.config.workload.items[0].params == {"n": 30000}


@pytest.mark.parametrize("text, pairs", [
    ("a=3, b=4", ["a=3", "b=4"]),
    ("text=a,b, n=3", ["text=a,b", "n=3"]),
    ("xs=[1, 2], s='p, q=r'", ["xs=[1, 2]", "s='p, q=r'"]),
    ("a=1, ", ["a=1"]),
])
def test_a_line_of_pairs_splits_only_before_the_next_key(text, pairs):
    from engine.workload import split_pairs

    assert split_pairs(text) == pairs


def test_parameters_shown_as_a_line_read_back_the_same():
    from engine.tasks.custom import parse_value
    from engine.workload import pairs_text, parse_settings, split_pairs

    params = {"text": "a,b", "n": 3, "digits": "1", "odd": "x, n=3", "xs": [1, 2]}
    line = pairs_text(params)
    back = {k: parse_value(v) for k, v in parse_settings(split_pairs(line)).items()}
    assert back == params and back["digits"] == "1"
