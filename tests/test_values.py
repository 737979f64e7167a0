"""``engine.values.frozen`` records behave as the frozen dataclasses they replaced.

The engine's records, task instances and specs are compared, hashed (a worker id keys the
lanes), pickled to workers and back, copied and printed in messages: each of those is checked
here on the real classes, not only on a toy one.
"""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from engine import values
from engine.records import CpuSample, TaskError, TaskRecord, TaskStatus, WorkerId
from engine.tasks import TaskRef, get_task
from engine.workload import TaskInstance


def _record(**changes: object) -> TaskRecord:
    base = TaskRecord(3, "primes", 1.0, 1.5, 2.0, WorkerId(10, 11, "pid 10 · thread 11"), 0.4,
                      TaskStatus.ERROR, error=TaskError("ValueError", "bad", "Traceback…"))
    return values.replace(base, **changes)


def test_equal_fields_are_equal_and_hash_alike_and_one_field_apart_is_not() -> None:
    assert _record() == _record() and hash(_record()) == hash(_record())
    assert _record(cpu_s=0.5) != _record()
    lanes = {WorkerId(1, 2, "a"): "lane"}
    assert lanes[WorkerId(1, 2, "a")] == "lane" and WorkerId(1, 2, "a", "host") not in lanes
    # Another class with the same field values is not equal (as a dataclass).
    assert TaskRef("primes") != ("primes", None)


def test_a_record_cannot_be_changed_after_it_is_made() -> None:
    record = _record()
    with pytest.raises(AttributeError, match="TaskRecord is immutable"):
        record.cpu_s = 9.0  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del record.name  # type: ignore[misc]
    assert record.cpu_s == 0.4


def test_pickle_and_copy_keep_every_field() -> None:
    inst = TaskInstance(5, "primes", 2, TaskRef("primes"), {"n": 10}, 1.5, timeout_s=3.0)
    for item in (_record(), inst, CpuSample(1.0, (20.0, 30.0), {7: 50.0})):
        for again in (pickle.loads(pickle.dumps(item)), copy.copy(item), copy.deepcopy(item)):
            assert again == item and type(again) is type(item)


def test_defaults_replace_fields_and_repr() -> None:
    assert TaskRef("primes").custom is None
    sample = CpuSample(1.0, (10.0,))
    assert dict(sample.processes) == {} and sample.total == 10.0
    assert pickle.loads(pickle.dumps(sample)).processes is values.EMPTY
    with pytest.raises(TypeError):  # the shared default cannot be written into
        sample.processes[1] = 2.0  # type: ignore[index]
    assert values.fields(TaskRef) == ("name", "custom")
    assert values.replace(TaskRef("a"), custom="m:f") == TaskRef("a", "m:f")
    with pytest.raises(TypeError, match="no field colour"):
        values.replace(TaskRef("a"), colour="red")
    assert repr(TaskRef("a")) == "TaskRef(name='a', custom=None)"
    match _record():
        case TaskRecord(3, "primes"):
            pass
        case _:
            pytest.fail("positional match on a record's fields")


def test_a_spec_from_the_registry_keeps_its_own_methods() -> None:
    spec = get_task("primes")
    assert spec.as_dict()["name"] == "primes" and spec == get_task("primes")


def test_a_field_without_a_default_after_one_with_is_refused() -> None:
    with pytest.raises(TypeError, match="'b' without a default"):
        @values.frozen
        class Bad:
            a: int = 0
            b: int


def test_importing_the_records_does_not_import_dataclasses() -> None:
    """What makes the records cheap for a spawned worker (``tests/test_worker_start.py``
    checks a real worker); here the import alone, in a clean interpreter."""
    code = ("import sys, engine.records, engine.workload, engine.worker; "
            "print(' '.join(m for m in ('dataclasses', 'inspect') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60, cwd=Path(__file__).parents[1])
    assert out.stdout.strip() == ""
