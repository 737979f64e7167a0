"""Lanes: the rows of a timeline. One per worker thread, never two overlapping bars in one.

A worker is a (host, pid, native thread id) triple, host "" for this machine. Normally one
worker runs one task at a time, so a worker is a lane. Coroutines on an asyncio loop share
their thread and overlap in time; each overlapping task then gets its own lane under the same
worker ("… · slot 2"), which is also what Chrome's trace viewer needs (its complete events
in one thread must nest, not overlap).

The same assigner serves the live window (``start``/``finish`` as events arrive) and files
written afterwards (``assign_lanes`` over finished records), so both draw identical rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from engine.records import TaskRecord, WorkerId


@dataclass(frozen=True)
class Lane:
    index: int
    label: str
    pid: int
    tid: int
    slot: int  # 0 for the worker's first lane, 1.. for overlapping coroutines
    host: str = ""  # a cluster worker's machine; "" for this one


@dataclass
class _Slots:
    busy: list[int | None] = field(default_factory=list)  # task id running in each slot


class LaneAssigner:
    """Gives each task a lane as it starts, reusing the worker's first free slot."""

    def __init__(self) -> None:
        self.lanes: list[Lane] = []
        self._slots: dict[tuple[str, int, int], _Slots] = {}
        self._lane_index: dict[tuple[str, int, int, int], int] = {}
        self._task_slot: dict[int, tuple[str, int, int, int]] = {}
        self.lane_of: dict[int, int] = {}

    def start(self, task_id: int, worker: WorkerId) -> int:
        key = (worker.host, worker.pid, worker.tid)
        slots = self._slots.setdefault(key, _Slots())
        try:
            slot = slots.busy.index(None)
        except ValueError:
            slot = len(slots.busy)
            slots.busy.append(None)
        slots.busy[slot] = task_id
        lane_key = (*key, slot)
        if lane_key not in self._lane_index:
            label = worker.label if slot == 0 else f"{worker.label} · slot {slot + 1}"
            self._lane_index[lane_key] = len(self.lanes)
            self.lanes.append(Lane(len(self.lanes), label, worker.pid, worker.tid, slot,
                                   worker.host))
        self._task_slot[task_id] = lane_key
        self.lane_of[task_id] = self._lane_index[lane_key]
        return self.lane_of[task_id]

    def finish(self, task_id: int) -> None:
        lane_key = self._task_slot.pop(task_id, None)
        if lane_key is not None:
            self._slots[lane_key[:3]].busy[lane_key[3]] = None


def assign_lanes(records: Iterable[TaskRecord]) -> LaneAssigner:
    """Lanes for finished records, replayed in time order (an end before a start at a tie)."""
    moments: list[tuple[float, int, int, TaskRecord]] = []
    for r in records:
        if r.worker is None or r.started is None:
            continue
        moments.append((r.started, 1, r.id, r))
        moments.append((r.finished if r.finished is not None else r.started, 0, r.id, r))
    lanes = LaneAssigner()
    for _, is_start, _, r in sorted(moments, key=lambda m: m[:3]):
        if is_start:
            assert r.worker is not None
            lanes.start(r.id, r.worker)
        else:
            lanes.finish(r.id)
    return lanes
