"""The timeline: one lane per worker, one bar per task.

Bars are not items. Finished tasks go into buckets keyed by what they look like — (state,
colour, CPU-efficiency level) — and each bucket is one ``BarGraphItem`` drawn from whole numpy
arrays with a single pen and brush (pyqtgraph's fast ``drawRects`` path; per-bar brushes fall
back to a Python loop and measured 5–8× slower). A finished task is an append to its bucket's
arrays, so 100,000 bars cost a handful of items, and only buckets that changed are re-sent.

Running tasks share one more item whose widths grow every frame. Each item is a
``gui.plots.bars.Bars``, which draws only the bars in view.

On runs whose GIL py-spy measured, ``gui.plots.gil_strips`` draws a thin strip at the foot of
each lane's bars (dark: its thread held the GIL), and a task's tooltip gives its held share.

Lanes come from ``engine.figures.lanes.LaneAssigner`` as events arrive. The engine guarantees that a
worker's "finished" reaches us before its next "started", so a start on a busy worker means a
real overlap (coroutines on one asyncio loop), which gets a lane of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QCursor, QFont
from PySide6.QtWidgets import QToolTip, QWidget

from engine.figures.gil import MIN_SAMPLES
from engine.figures.lanes import Lane, LaneAssigner
from engine.records import TaskFinished, TaskRecord, TaskStarted, TaskStatus
from gui import palette
from gui.plots import TaskEvent
from gui.plots.axes import LabelAxis
from gui.plots.bars import Bars
from gui.plots.buffers import GrowArray
from gui.plots.gil import GilReadings
from gui.plots.gil_strips import HELD, GilStrips, strip_pieces
from gui.plots.style import (
    TIME_LABEL,
    PlotPanel,
    make_plot,
    set_font,
    short_host,
    swatch,
)

Y_LABEL = "worker"
BAR_HEIGHT = 0.8
_STATE_COLOURS = {"failed": palette.FAILED, "lost": palette.LOST,
                  "cancelled": palette.CANCELLED}
_STATE_OF = {TaskStatus.ERROR: "failed", TaskStatus.TIMEOUT: "failed",
             TaskStatus.LOST: "lost", TaskStatus.CANCELLED: "cancelled"}


@dataclass(frozen=True)
class BucketKey:
    """What a bar looks like: its state, fill colour and efficiency level (0 pale … 3 full)."""

    state: str  # "ok", "failed", "lost" or "cancelled"
    colour: str
    level: int


class _Bucket:
    def __init__(self, key: BucketKey, item: Bars) -> None:
        self.key = key
        self.item = item
        self.start = GrowArray()
        self.end = GrowArray()
        self.lane = GrowArray()
        self.ids = GrowArray(int)

    def __len__(self) -> int:
        return len(self.start)


def short_lane_labels(lanes: list[Lane]) -> list[str]:
    """Lane labels without repeating what every lane shares (one pid for all threads, one
    host for all workers) or what adds nothing (the thread of a process that works in one
    thread only): short names need no eliding in a comparison's narrow rows."""
    processes = {(lane.host, lane.pid) for lane in lanes}
    one_pid = len(processes) == 1
    one_thread_each = len({(lane.host, lane.pid, lane.tid) for lane in lanes}) == len(processes)
    many_hosts = len({lane.host for lane in lanes}) > 1
    out = []
    for lane in lanes:
        if lane.pid == lane.tid or (one_thread_each and not one_pid):
            text = f"pid {lane.pid}"
        elif one_pid:
            text = f"thread {lane.tid}"
        else:
            text = f"pid {lane.pid} · thread {lane.tid}"
        if many_hosts:
            text = f"{short_host(lane.host) or 'here'} · {text}"
        out.append(text if lane.slot == 0 else f"{text} · {lane.slot + 1}")
    return out


class Timeline(PlotPanel):
    """Tasks as bars in worker lanes; feed it ``TaskStarted``/``TaskFinished`` in order."""

    lanes_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        self.lane_axis = LabelAxis()
        super().__init__("Tasks per worker", make_plot(Y_LABEL, {"left": self.lane_axis}),
                         parent)
        self.axis_is_unit = False
        item = self.plot.getPlotItem()
        item.showGrid(x=True, y=False, alpha=palette.GRID_ALPHA)
        item.getAxis("bottom").setZValue(-1)  # grid lines behind the bars, not across them
        item.invertY(True)
        item.setAutoVisible(y=False)
        item.enableAutoRange(axis="x", enable=False)
        self.plot.setMouseEnabled(x=True, y=True)
        self.running_item = Bars(x0=[], width=[], y=[], height=BAR_HEIGHT,
                                  pen=pg.mkPen(palette.RUNNING_EDGE, width=1),
                                  brush=QBrush(QColor(palette.RUNNING_EDGE),
                                               Qt.BrushStyle.BDiagPattern))
        self.running_item.setZValue(5)
        item.addItem(self.running_item)
        self.plot.scene().sigMouseMoved.connect(self._hover)
        self.hint = pg.TextItem("No run yet: choose a workload and press Run (Ctrl+R).\n"
                                "Each worker gets a lane; each task a bar.",
                                color=palette.FOREGROUND, anchor=(0.5, 0.5))
        self.hint.setParentItem(item.getViewBox())  # fixed in the view, not in data space
        item.getViewBox().sigResized.connect(self._place_hint)
        self.time_label = "time since CoreScope opened (s)"
        self._font_size = 10
        self._origin = 0.0
        self._now: float | None = None
        self._colours: dict[str, str] = {}
        self.buckets: dict[BucketKey, _Bucket] = {}
        self.gil_strips = GilStrips(item)
        self._reset_data()
        self._update_legend()

    # -- run lifecycle ---------------------------------------------------------------------------
    def _reset_data(self) -> None:
        item = self.plot.getPlotItem()
        for bucket in self.buckets.values():
            item.removeItem(bucket.item)
        self.buckets = {}
        self.lanes = LaneAssigner()
        self.lane_axis.set_labels([])
        self.records: dict[int, TaskRecord] = {}
        self.bucket_of: dict[int, BucketKey] = {}
        self.running: dict[int, tuple[TaskStarted, int]] = {}
        self._all_start = GrowArray()
        self._all_end = GrowArray()
        self._all_lane = GrowArray()
        self._all_ids = GrowArray(int)
        self._now = None
        self._render_running()
        self._gil: GilReadings | None = None
        self._gil_end = 0.0
        if self.gil_strips.shown:
            self.gil_strips.clear()
            self._update_legend()

    def begin_run(self, origin: float, task_names: tuple[str, ...] = ()) -> None:
        """Forget the previous run; colours follow the workload's task order.

        Args:
            origin: clock reading drawn as x = 0.
            task_names: the workload's task names, in order.
        """
        self._reset_data()
        self._origin = origin
        self.hint.hide()
        if self.time_label != TIME_LABEL:
            self.time_label = TIME_LABEL
            self.set_font_size(self._font_size)
        self._colours = {}
        for name in task_names:
            self.colour_of(name)
        self._update_legend()
        self.lanes_changed.emit()

    def end_run(self, t0: float) -> None:
        self.set_origin(t0)

    def set_origin(self, origin: float) -> None:
        self._origin = origin
        for bucket in self.buckets.values():
            self._render_bucket(bucket)
        self._render_running()
        self._render_gil()

    def show_gil(self, readings: GilReadings, t_end: float | None = None) -> None:
        """Draw the GIL strips from ``readings`` (engine clock times), up to ``t_end`` (the
        run's end; by default where the newest reading's stretch ends)."""
        was_shown = self.gil_strips.shown
        self._gil = readings
        self._gil_end = readings.end() if t_end is None else t_end
        self._render_gil()
        if self.gil_strips.shown != was_shown:
            self._update_legend()

    def colour_of(self, name: str) -> str:
        if name not in self._colours:
            self._colours[name] = palette.series_colour(len(self._colours))
            self._update_legend()
        return self._colours[name]

    # -- events ----------------------------------------------------------------------------------
    def add_task_events(self, events: list[TaskEvent]) -> None:
        dirty: set[BucketKey] = set()
        lanes_before = len(self.lanes.lanes)
        for event in events:
            if isinstance(event, TaskStarted):
                if event.id in self.records or event.id in self.running:
                    continue
                self.running[event.id] = (event, self.lanes.start(event.id, event.worker))
            elif isinstance(event, TaskFinished):
                key = self._finish(event.record)
                if key is not None:
                    dirty.add(key)
        for key in dirty:
            self._render_bucket(self.buckets[key])
        if len(self.lanes.lanes) != lanes_before:
            self.lane_axis.set_labels(short_lane_labels(self.lanes.lanes))
            self.lanes_changed.emit()
        self._render_running()

    def _finish(self, record: TaskRecord) -> BucketKey | None:
        if record.id in self.records:
            return None
        self.records[record.id] = record
        running = self.running.pop(record.id, None)
        if running is not None:
            lane = running[1]
            self.lanes.finish(record.id)
        elif record.worker is not None and record.started is not None:
            # No live start (a replayed session feeds records only, in start order).
            lane = self.lanes.start(record.id, record.worker)
            self.lanes.finish(record.id)
        else:
            return None  # cancelled before it started: no bar
        if record.started is not None:
            start = record.started
        else:  # only a task that started live gets here without a start of its own
            assert running is not None
            start = running[0].started
        end = record.finished if record.finished is not None else start
        key = self.key_for(record)
        bucket = self.buckets.get(key) or self._new_bucket(key)
        bucket.start.append(start)
        bucket.end.append(end)
        bucket.lane.append(lane)
        bucket.ids.append(record.id)
        self.bucket_of[record.id] = key
        self._all_start.append(start)
        self._all_end.append(end)
        self._all_lane.append(lane)
        self._all_ids.append(record.id)
        return key

    def key_for(self, record: TaskRecord) -> BucketKey:
        state = _STATE_OF.get(record.status)
        if state is not None:
            return BucketKey(state, _STATE_COLOURS[state], len(palette.EFFICIENCY_ALPHA) - 1)
        level = palette.efficiency_level(record.cpu_s, record.duration)
        return BucketKey("ok", self.colour_of(record.name), level)

    def _new_bucket(self, key: BucketKey) -> _Bucket:
        alpha = palette.EFFICIENCY_ALPHA[key.level] if key.state == "ok" else 230
        # A darker edge keeps back-to-back tasks in one lane apart at every fill level.
        item = Bars(x0=[], width=[], y=[], height=BAR_HEIGHT,
                     pen=pg.mkPen(QColor(key.colour).darker(160), width=1),
                     brush=pg.mkBrush(palette.with_alpha(key.colour, alpha)))
        # Failures on top, so a red bar is never hidden under a thin ok one at a zoomed-out scale.
        item.setZValue(3 if key.state != "ok" else 1)
        self.plot.getPlotItem().addItem(item)
        bucket = _Bucket(key, item)
        self.buckets[key] = bucket
        return bucket

    # -- drawing ---------------------------------------------------------------------------------
    def _render_bucket(self, bucket: _Bucket) -> None:
        start = bucket.start.data
        bucket.item.setOpts(x0=start - self._origin, width=bucket.end.data - start,
                            y=bucket.lane.data, height=BAR_HEIGHT)

    def advance(self, now: float) -> None:
        """Grow running bars up to ``now`` (an engine clock reading)."""
        self._now = now
        self._render_running()

    def _render_running(self) -> None:
        if not self.running or self._now is None:
            self.running_item.setOpts(x0=np.zeros(0), width=np.zeros(0), y=np.zeros(0))
            return
        starts = np.fromiter((ev.started for ev, _ in self.running.values()), float)
        lanes = np.fromiter((lane for _, lane in self.running.values()), float)
        self.running_item.setOpts(x0=starts - self._origin,
                                  width=np.maximum(0.0, self._now - starts),
                                  y=lanes, height=BAR_HEIGHT)

    def _render_gil(self) -> None:
        if self._gil is None or len(self._gil) == 0:
            return
        starts, ends, lanes = self._spans()
        tids = [lane.tid for lane in self.lanes.lanes]
        held, not_held = strip_pieces(self._gil, self._gil_end, starts, ends, lanes, tids)
        self.gil_strips.draw(held, not_held, self._origin)

    def _spans(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every task with a bar: (start, end, lane), a running one ending at +inf."""
        running = list(self.running.values())
        return (np.concatenate([self._all_start.data,
                                np.fromiter((ev.started for ev, _ in running), float)]),
                np.concatenate([self._all_end.data, np.full(len(running), np.inf)]),
                np.concatenate([self._all_lane.data,
                                np.fromiter((lane for _, lane in running), float)]))

    def gil_held(self, task_id: int) -> tuple[float, int] | None:
        """(share of the task's readings that named its thread, readings inside it), or None
        where no reading fell inside it."""
        if self._gil is None:
            return None
        record = self.records.get(task_id)
        if record is not None:
            if record.worker is None or record.started is None:
                return None
            tid, lo, hi = record.worker.tid, record.started, record.finished or record.started
        elif task_id in self.running:
            event = self.running[task_id][0]
            tid, lo, hi = event.worker.tid, event.started, np.inf
        else:
            return None
        t = self._gil.times
        inside = (t >= lo) & (t <= hi)
        n = int(inside.sum())
        if n == 0:
            return None
        return float((self._gil.holders[inside] == tid).sum()) / n, n

    def _gil_line(self, task_id: int) -> str | None:
        held = self.gil_held(task_id)
        if held is None:
            return None
        share, n = held
        if n < MIN_SAMPLES:
            return f"GIL: {n} reading(s) inside, too few to give a share"
        return f"GIL held {share:.0%} of its time ({n} readings by py-spy)"

    def _update_legend(self) -> None:
        parts = [swatch(colour, name) for name, colour in self._colours.items()]
        parts += [swatch(colour, state) for state, colour in _STATE_COLOURS.items()]
        parts.append(swatch(palette.RUNNING_EDGE, "running", "▨"))
        fade = "".join(f'<span style="color:{palette.on_white(palette.BLUE, a)}">■</span>'
                       for a in palette.EFFICIENCY_ALPHA)
        parts.append(f"{fade}&nbsp;CPU ÷ time (pale: waited)")
        if self.gil_strips.shown:
            parts.append(swatch(HELD, "GIL held", "▬"))  # a white strip: not held
        # The strips' key stays while they are drawn: they are what a GIL lesson points at.
        self.legend.set_entries(parts, keep=int(self.gil_strips.shown))

    def set_font_size(self, point_size: int) -> None:
        self._font_size = point_size
        set_font(self.plot, point_size, Y_LABEL, self.time_label)
        font = QFont()
        font.setPointSize(point_size)
        self.hint.setFont(font)
        self._place_hint()

    def _place_hint(self) -> None:
        rect = self.plot.getPlotItem().getViewBox().boundingRect()
        # Wrapped to the view (at 2× text the two lines ran past both of its edges).
        self.hint.setTextWidth(-1)
        natural = self.hint.textItem.boundingRect().width()
        self.hint.setTextWidth(min(natural, max(50.0, rect.width() - 16)))
        self.hint.setPos(rect.center())

    # -- queries (hover, tests) ------------------------------------------------------------------
    def bar_count(self) -> int:
        """Finished tasks drawn as bars."""
        return len(self._all_ids)

    def lane_of(self, task_id: int) -> int | None:
        return self.lanes.lane_of.get(task_id)

    def lane_labels(self) -> list[str]:
        return list(self.lane_axis.labels or [])

    def lane_width_hint(self) -> int:
        """Pixels the lane labels need, for aligning the other plots' left axes."""
        return self.lane_axis.width_hint()

    def task_at(self, x: float, y: float, slack: float = 0.0) -> int | None:
        """The task whose bar covers plot point (x, y); ``slack`` widens tiny bars."""
        lane = int(round(y))
        if abs(y - lane) > BAR_HEIGHT / 2:
            return None
        t = x + self._origin
        for task_id, (event, running_lane) in self.running.items():
            if running_lane == lane and event.started - slack <= t <= (self._now or t) + slack:
                return task_id
        start, end = self._all_start.data, self._all_end.data
        hits = np.nonzero((self._all_lane.data == lane) & (start - slack <= t)
                          & (end + slack >= t))[0]
        if len(hits) == 0:
            return None
        best = hits[np.argmin(np.abs((start[hits] + end[hits]) / 2 - t))]
        return int(self._all_ids.data[best])

    def describe(self, task_id: int) -> str:
        record = self.records.get(task_id)
        if record is None:
            event, _ = self.running[task_id]
            elapsed = (self._now or event.started) - event.started
            text = (f"task {task_id} · {event.name} (running)\nworker: {event.worker.label}\n"
                    f"started {event.started - self._origin:.3f} s · running for {elapsed:.3f} s")
            gil = self._gil_line(task_id)
            return text if gil is None else f"{text}\n{gil}"
        lines = [f"task {record.id} · {record.name} ({record.status.value})"]
        if record.worker is not None:
            lines.append(f"worker: {record.worker.label}")
        if record.started is not None:
            lines.append(f"started {record.started - self._origin:.3f} s · "
                         f"duration {record.duration:.3f} s")
        share = record.cpu_s / record.duration if record.duration > 0 else 0.0
        lines.append(f"CPU time {record.cpu_s:.3f} s ({share:.0%} of one core)")
        gil = self._gil_line(task_id)
        if gil is not None:
            lines.append(gil)
        if record.error is not None:
            lines.append(f"error: {record.error.one_line()}")
        return "\n".join(lines)

    def describe_at(self, x: float, y: float, slack: float = 0.0) -> str | None:
        task_id = self.task_at(x, y, slack)
        return None if task_id is None else self.describe(task_id)

    def _hover(self, scene_pos: QPointF) -> None:
        view = self.plot.getPlotItem().getViewBox()
        if not view.sceneBoundingRect().contains(scene_pos):
            QToolTip.hideText()
            return
        point = view.mapSceneToView(scene_pos)
        pixel = view.viewPixelSize()[0]
        text = self.describe_at(point.x(), point.y(), slack=3 * pixel)
        if text is None:
            QToolTip.hideText()
        else:
            QToolTip.showText(QCursor.pos(), text, self.plot)
