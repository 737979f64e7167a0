"""What Stop does after the cancel: wait for the workers, and own up to tasks that ignore it.

Built-in tasks stop at their next checkpoint and process workers are ended, so most runs end
within a moment of Stop. Custom code on a thread cannot be interrupted: after ``STUCK_AFTER_S``
the run box says how many tasks ignore the stop and offers "Leave them running", which ends the
run now while those threads finish unseen in the background.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from engine import clock as _clock
from engine.run.host import AnyRun
from gui.bridge import RunBridge
from gui.panels.run_box import RunBox

# Built-in tasks stop within ~50 ms of a cancel; only after this long does the window say it
# is waiting for tasks that ignore the stop and offer to leave them running.
STUCK_AFTER_S = 0.5
_POLL_MS = 200


class StopFlow(QObject):
    """Stop, the wait after it, and "Leave them running", for the bridge's current run."""

    def __init__(self, bridge: RunBridge, box: RunBox, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._box = box
        self._run: AnyRun | None = None  # the run Stop was pressed for
        self._pressed = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(_POLL_MS)
        self._timer.timeout.connect(self._check)
        self.abandoned = 0  # tasks of the current run left running after a stop
        box.leave_button.clicked.connect(self.leave)

    @property
    def waiting(self) -> bool:
        """Stop was pressed and the run has not ended yet."""
        return self._timer.isActive()

    def stop(self) -> None:
        run = self._bridge.run
        if run is None:
            return
        self._bridge.cancel()
        self._box.show_message("stopping: ending workers …")
        self._run = run
        self._pressed = _clock.now()
        self._timer.start()

    def leave(self) -> None:
        """End the run now; tasks that ignored the stop finish unseen in the background."""
        run = self._bridge.run
        if run is not None and run is self._run:
            self.abandoned = run.still_running
            self._bridge.abandon()
        self._box.show_leave(False)

    def run_started(self) -> None:
        self.abandoned = 0

    def run_ended(self) -> None:
        self._timer.stop()
        self._box.show_leave(False)

    def _check(self) -> None:
        run = self._run
        if run is None or self._bridge.run is not run or run.wait(0):
            self.run_ended()
            return
        waiting = run.still_running
        if waiting and _clock.now() - self._pressed >= STUCK_AFTER_S:
            self._box.show_message(
                f"waiting for {waiting} running task{'s' if waiting != 1 else ''} that "
                "ignore{} the stop (custom code on threads cannot be interrupted) …".format(
                    "s" if waiting == 1 else ""))
            self._box.show_leave(True)
