"""Helpers shared by the GUI tests (imported explicitly: pytest only auto-loads conftest.py)."""

from __future__ import annotations

import os

import psutil

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from engine.records import TaskFinished, TaskRecord, TaskStarted, TaskStatus, WorkerId  # noqa: E402


def make_window(qtbot, tmp_path, idle_monitor: bool = False, cores: int | None = None):
    """A MainWindow with settings in ``tmp_path``, registered with qtbot (closed after the test)."""
    from gui.main_window import MainWindow

    window = MainWindow(str(tmp_path / "corescope.ini"), cores=cores, idle_monitor=idle_monitor)
    qtbot.addWidget(window)
    window.resize(1280, 720)
    return window


def saved_and_reopened(qtbot, tmp_path, window):
    """Save ``window``'s session and open it in a fresh window (settings of its own), the way
    a user reopens a file: returns the new window."""
    path = tmp_path / "cmp.json"
    assert window.files.save_path(str(path))
    (tmp_path / "other").mkdir()
    other = make_window(qtbot, tmp_path / "other")
    assert other.files.open_path(str(path))
    return other


def no_children() -> bool:
    return not psutil.Process().children(recursive=True)


def worker(n: int, pid: int = 1000) -> WorkerId:
    return WorkerId(pid, pid + n, f"pid {pid} · thread {pid + n}")


def task(task_id: int, who: WorkerId, start: float, end: float, cpu_s: float | None = None,
         status: TaskStatus = TaskStatus.OK, name: str = "primes"
         ) -> tuple[TaskStarted, TaskFinished]:
    """The two events of one synthetic task."""
    record = TaskRecord(task_id, name, start, start, end, who,
                        end - start if cpu_s is None else cpu_s, status)
    return TaskStarted(task_id, name, start, who), TaskFinished(record)


def choose_workload(window, task: str, params: dict[str, str], count: int, workers: int,
                    backend: str = "thread-pool") -> None:
    """Fill the workload panel the way a user would."""
    panel = window.workload
    panel.task_combo.setCurrentIndex(panel.task_combo.findData(task))
    for name, raw in params.items():
        panel.params.editors[name].field.setText(raw)
    panel.count_spin.setValue(count)
    panel.backend_combo.setCurrentIndex(panel.backend_combo.findData(backend))
    panel.workers_spin.setValue(workers)
    assert panel.problem is None, panel.problem
