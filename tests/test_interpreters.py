"""What the ``interpreters`` backend adds to the behaviour suite: one GIL per subinterpreter,
and the ways a subinterpreter differs from a thread (what it can import, what it can be told).

Runs where the backend can (Python 3.14, or 3.13 with the interpreters-pep-734 backport:
``make test-313``); elsewhere every test is skipped with the backend's own reason.
"""

from __future__ import annotations

import sys
import textwrap
import time

import pytest

from engine.backends.registry import BACKENDS
from engine.records import TaskStatus
from engine.run.runner import RunConfig, execute
from engine.workload import build_workload

BACKEND = BACKENDS["interpreters"]
pytestmark = pytest.mark.skipif(not BACKEND.availability().ok,
                                reason=f"interpreters is unavailable here: "
                                       f"{BACKEND.availability().reason}")


def test_the_listing_names_the_executor_it_runs_on():
    expected = ("concurrent.futures.InterpreterPoolExecutor (3.14)"
                if sys.version_info >= (3, 14) else "interpreters-pep-734 backport")
    assert expected in BACKEND.summary
    result = execute(RunConfig(build_workload(["primes"], 1, {"n": "1000"}), "interpreters",
                               workers=1))
    assert result.ok
    assert any(expected.split(" (")[0] in note for note in result.notes)


def test_each_worker_is_a_subinterpreter_with_a_gil_of_its_own(tmp_path):
    # What lets pure-Python work run in parallel in one process. Asked of the interpreters
    # themselves, not timed: the speed-up is bench/bench_interpreters.py's, since a CPU bound
    # on a 2-core machine shared with other work fails for reasons of its own.
    path = tmp_path / "where.py"
    path.write_text(textwrap.dedent("""
        import time
        import _interpreters

        def where():
            time.sleep(0.3)  # both tasks at once, one per worker
            interp = _interpreters.get_current()[0]
            return f"interpreter {interp}, gil {_interpreters.get_config(interp).gil}"
    """))
    result = execute(RunConfig(build_workload([f"{path}:where"], 2), "interpreters",
                               workers=2))
    assert result.ok, [r.error for r in result.records]
    answers = {r.result.strip("'") for r in result.records}
    assert len(answers) == 2, answers  # two interpreters...
    assert all(a.endswith("gil own") and not a.startswith("interpreter 0,")  # ...neither main
               for a in answers), answers
    assert len({r.worker.pid for r in result.records}) == 1  # ...in this one process


def test_a_module_subinterpreters_cannot_load_is_the_tasks_error_not_a_hang(tmp_path):
    # psutil's C extension uses single-phase init, which a subinterpreter with its own GIL
    # refuses: what a user meets first when a task imports an older C library.
    path = tmp_path / "needs_psutil.py"
    path.write_text(textwrap.dedent("""
        def count_cpus():
            import psutil
            return psutil.cpu_count()
    """))
    wl = build_workload([f"{path}:count_cpus", "primes"], 1, {"n": "1000"})
    t = time.monotonic()
    result = execute(RunConfig(wl, "interpreters", workers=2))
    assert time.monotonic() - t < 10
    bad, fine = result.records
    assert bad.status is TaskStatus.ERROR and bad.error.type == "ImportError"
    assert "subinterpreters" in bad.error.message
    assert fine.status is TaskStatus.OK


def test_a_hung_call_is_given_up_at_its_timeout_and_the_run_ends():
    # A subinterpreter, like a thread, cannot be stopped from outside: the run must not wait.
    wl = build_workload(["tests.tasks_for_tests:uninterruptible", "primes"], 1,
                        {"seconds": "1.5", "n": "1000"}, timeout_s=0.2)
    result = execute(RunConfig(wl, "interpreters", workers=2))
    hung, quick = result.records
    # The run ended before the 1.5 s sleep did (timed from the call's start: starting the
    # subinterpreters is not the point, and takes long on a loaded machine).
    assert result.t_end - hung.started < 1.2
    assert hung.status is TaskStatus.TIMEOUT and "background" in hung.error.message
    assert quick.status is TaskStatus.OK
    # (the leftover check waits for the sleeping interpreter's thread to end)


def test_a_warm_run_starts_every_interpreter_before_the_clock():
    result = execute(RunConfig(build_workload(["sleep"], 2, {"seconds": "0.2"}), "interpreters",
                               workers=2, warm=True))
    assert result.ok, [r.error for r in result.records]
    assert result.warm_start_s is not None and result.warmed_from < result.t0
    assert not any("were up before the clock" in n for n in result.notes), result.notes
    # Both interpreters already ran the empty task: the tasks begin at once after 0.
    assert all(r.started - result.t0 < 0.3 for r in result.records)
