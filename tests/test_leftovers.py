"""Nothing outlives a run: a task's own processes, a worker killed mid-event, a dead app's dirs
and semaphores."""

from __future__ import annotations

import mmap
import multiprocessing
import multiprocessing.synchronize
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

import psutil
import pytest

from engine.backends._child import process_run_ended, process_run_started
from engine.backends.registry import BACKENDS, available_backends
from engine.records import TaskStatus
from engine.run.leftovers import SHM_DIR, sweep_dead_temp_dirs
from engine.run.runner import Run, RunConfig
from engine.workload import build_workload

ALL = available_backends()
PROCESS = [b for b in ALL if BACKENDS[b].uses_processes and b != "dask"]

TASKS = textwrap.dedent('''
    import os, subprocess, sys

    def start_a_sleeper():
        """Start a process and return without waiting for it."""
        return subprocess.Popen(["sleep", "45"]).pid

    def die_mid_event():
        """Die while sending an event: holding the channel's lock, or half a message sent."""
        from engine.backends import _child
        sink = _child._events
        lock = getattr(sink, "_wlock", None)  # a queue shared by every worker has one
        if lock is not None:
            lock.acquire()
        else:
            from engine.backends import _socket_events
            conn = _socket_events._connect(sink.address, sink.authkey)
            conn._send(b"\\x00\\x00\\x10\\x00" + b"cut short")
        os._exit(3)
''')


@pytest.fixture
def tasks_file(tmp_path):
    path = tmp_path / "leavers.py"
    path.write_text(TASKS)
    return str(path)


@pytest.mark.parametrize("backend", [b for b in ALL if b != "interpreters"])
def test_processes_a_task_left_running_are_ended_with_the_run(backend, tasks_file):
    wl = build_workload([f"{tasks_file}:start_a_sleeper"], 2)
    result = Run(RunConfig(wl, backend, workers=2)).start().result(timeout=120)
    assert result.ok, [r.error for r in result.records]
    pids = [int(r.result) for r in result.records]
    for pid in pids:
        alive = psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        assert not alive, f"the task's sleep {pid} outlived the run"
    assert any("ended 2 process(es) that tasks started" in n for n in result.notes), result.notes


@pytest.mark.parametrize("backend", PROCESS)
def test_a_worker_killed_while_sending_an_event_cannot_hang_the_run(backend, tasks_file):
    """The Stop that hung: a worker died holding the event queue's write lock, and the engine
    waited for that lock for ever. Each worker now has a channel of its own."""
    wl = build_workload([f"{tasks_file}:die_mid_event", "sleep"], 1, {"sleep.seconds": "0.2"})
    run = Run(RunConfig(wl, backend, workers=2)).start()
    assert run.wait(30), "the run did not end after a worker died mid-event"
    result = run.result()
    by_name = {r.name.split(":")[-1].split("(")[0]: r for r in result.records}
    assert by_name["die_mid_event"].status is TaskStatus.LOST
    assert by_name["sleep"].status in (TaskStatus.OK, TaskStatus.LOST)


def test_temp_dirs_of_dead_corescope_processes_are_swept(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    mine, alive = os.getpid(), os.getppid()
    for name in (f"corescope-ev-{gone.pid}-abc", f"corescope-files-{gone.pid}-def",
                 f"corescope-ev-{mine}-ghi", f"corescope-files-{alive}-jkl",
                 "corescope-ev-notapid", "someone-else-123"):
        (tmp_path / name).mkdir()
    removed = sweep_dead_temp_dirs(str(tmp_path))
    assert sorted(removed) == [f"corescope-ev-{gone.pid}-abc", f"corescope-files-{gone.pid}-def"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"corescope-ev-{mine}-ghi", f"corescope-files-{alive}-jkl", "corescope-ev-notapid",
         "someone-else-123"])


# --- semaphores and joblib folders in /dev/shm ------------------------------------------------

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINUX_SHM = pytest.mark.skipif(not (sys.platform.startswith("linux") and os.path.isdir(SHM_DIR)),
                               reason="named semaphores live in /dev/shm on Linux only")


def _named_for(pid: int, shm: str) -> list[str]:
    """What the issue lists, for one CoreScope pid: multiprocessing's and loky's semaphores and
    joblib's memmapping folders."""
    pattern = re.compile(rf"(sem\.mp-corescope-|sem\.loky-|joblib_memmapping_folder_){pid}[-_]")
    return sorted(n for n in os.listdir(shm) if pattern.match(n))


def _dead_pid() -> int:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    return gone.pid


@LINUX_SHM
@pytest.mark.parametrize("backend", [b for b in ("process-pool", "joblib", "dask") if b in ALL])
def test_semaphores_a_killed_corescope_left_are_swept_at_the_next_start(backend, monkeypatch):
    """The issue: kill -9 of the group (the resource tracker with it) left 5-12 ``sem.*`` files
    in /dev/shm for ever. The next start removes them, but not a live one of the same name."""
    tmp = tempfile.mkdtemp(prefix="cs-")  # short: the event socket's path must fit AF_UNIX
    try:
        app = subprocess.Popen(
            [sys.executable, "main.py", "run", "--task", "sleep", "--set", "seconds=5",
             "--tasks", "4", "--backend", backend, "--workers", "2", "-q"],
            cwd=ROOT, env={**os.environ, "TMPDIR": tmp}, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline, up = time.monotonic() + 90, None
        procs: list[psutil.Process] = []
        while time.monotonic() < deadline and app.poll() is None:
            procs = psutil.Process(app.pid).children(recursive=True)
            if len(procs) >= 4 and up is None:  # two workers, the sampler, the tracker
                up = time.monotonic()
            if up is not None and (_named_for(app.pid, SHM_DIR) or time.monotonic() > up + 3):
                break
            time.sleep(0.1)
        assert app.poll() is None, "the run ended before it was killed"
        os.killpg(app.pid, signal.SIGKILL)
        app.wait()
        _, alive = psutil.wait_procs(procs, timeout=10)  # the sampler, in its own session,
        for proc in alive:  # notices its parent is gone by itself
            proc.kill()
        psutil.wait_procs(alive, timeout=5)
        left = _named_for(app.pid, SHM_DIR)
        assert left, "nothing named for the killed CoreScope in /dev/shm: naming hook missing?"

        # A lock this process holds, named as the dead one would name it, stays.
        live = f"mp-corescope-{app.pid}-held"
        monkeypatch.setattr(multiprocessing.synchronize.SemLock, "_make_name",
                            staticmethod(lambda: "/" + live))
        process_run_started(None)  # the resource tracker, stopped again below
        lock = multiprocessing.get_context("spawn").Lock()
        monkeypatch.undo()
        try:
            assert f"sem.{live}" in _named_for(app.pid, SHM_DIR)
            removed = sweep_dead_temp_dirs(tmp, SHM_DIR)
            assert _named_for(app.pid, SHM_DIR) == [f"sem.{live}"]
            assert set(left) <= set(removed), removed
        finally:
            del lock
            process_run_ended()  # finalises the lock (its file goes) and stops the tracker
        sweep_dead_temp_dirs(tmp, SHM_DIR)  # the record kept for the live lock goes now
        assert not [n for n in os.listdir(tmp) if n.startswith("corescope-")]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _mapped(path: str) -> tuple[mmap.mmap, int]:
    """Map ``path`` the way sem_open does: under a temporary name, linked to the real one,
    the temporary name unlinked, so this process's maps show ``… (deleted)``."""
    temporary = os.path.join(os.path.dirname(path), "sem.XXXXXX")
    fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b"\0" * 32)
    mapping = mmap.mmap(fd, 32)
    os.link(temporary, path)
    os.unlink(temporary)
    return mapping, fd


@LINUX_SHM
def test_only_unused_leftovers_of_dead_corescopes_are_swept(tmp_path):
    tmp, shm = tmp_path / "tmp", tmp_path / "shm"
    tmp.mkdir()
    shm.mkdir()
    gone, stranger, mine, alive = _dead_pid(), _dead_pid(), os.getpid(), os.getppid()
    for record in (f"corescope-app-{gone}", f"corescope-ev-{gone}-x",
                   f"corescope-files-{alive}-y"):
        (tmp / record).mkdir()
    swept = [f"sem.mp-corescope-{gone}-a", f"sem.loky-{gone}-b",
             f"joblib_memmapping_folder_{gone}_c_d"]
    unknown = [f"sem.mp-corescope-{stranger}-e", f"sem.loky-{stranger}-f",  # no record
               "sem.mp-abcdefgh", f"sem.loky-{alive}-g", f"sem.loky-{mine}-h", "sem.other"]
    for name in swept[:2] + unknown:
        (shm / name).write_bytes(b"\0" * 32)
    (shm / swept[2]).mkdir()
    (shm / swept[2] / "array.pkl").write_bytes(b"\0" * 32)
    in_use = f"sem.loky-{gone}-mapped"
    folder_in_use = f"joblib_memmapping_folder_{gone}_i_j"
    (shm / folder_in_use).mkdir()
    maps = [_mapped(str(shm / in_use)), _mapped(str(shm / folder_in_use / "array.pkl"))]
    try:
        removed = sweep_dead_temp_dirs(str(tmp), str(shm))
        assert sorted(removed) == sorted(swept + [f"corescope-ev-{gone}-x"])
        assert sorted(p.name for p in shm.iterdir()) == sorted(unknown + [in_use, folder_in_use])
        # the record stays while something of that pid is in use, so the next start can look
        assert sorted(p.name for p in tmp.iterdir()) == sorted(
            [f"corescope-app-{gone}", f"corescope-files-{alive}-y"])
    finally:
        for mapping, fd in maps:
            mapping.close()
            os.close(fd)
    assert sorted(sweep_dead_temp_dirs(str(tmp), str(shm))) == sorted(
        [in_use, folder_in_use, f"corescope-app-{gone}"])
    assert sorted(p.name for p in shm.iterdir()) == sorted(unknown)


@LINUX_SHM
def test_sweeping_hundreds_of_leftovers_is_quick(tmp_path):
    tmp, shm = tmp_path / "tmp", tmp_path / "shm"
    tmp.mkdir()
    shm.mkdir()
    gone = _dead_pid()
    (tmp / f"corescope-app-{gone}").mkdir()
    for i in range(300):
        (shm / f"sem.{'loky' if i % 2 else 'mp-corescope'}-{gone}-{i:08d}").write_bytes(b"x")
        (shm / f"sem.mp-{i:08d}").write_bytes(b"x")  # someone else's: listed, never opened
    started = time.perf_counter()
    removed = sweep_dead_temp_dirs(str(tmp), str(shm))
    assert time.perf_counter() - started < 5  # measured: ~40 ms, one scan of /proc
    assert len(removed) == 301 and len(list(shm.iterdir())) == 300


@LINUX_SHM
def test_a_process_that_ran_names_its_semaphores_and_records_itself_until_it_exits(tmp_path):
    code = textwrap.dedent("""
        import multiprocessing, os, tempfile
        from engine.backends._child import process_run_ended, process_run_started
        from engine.run.leftovers import name_semaphores
        name_semaphores()
        process_run_started(None)  # and ended: the tracker must not outlive this process
        lock = multiprocessing.get_context("spawn").Lock()
        print(os.getpid(), lock._semlock.name, sorted(os.listdir(tempfile.gettempdir())))
        del lock
        process_run_ended()
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "TMPDIR": str(tmp_path)}, timeout=60, check=True)
    pid, name, listing = out.stdout.split(" ", 2)
    assert name.startswith(f"/mp-corescope-{pid}-")
    assert f"corescope-app-{pid}" in listing
    assert not list(tmp_path.iterdir()), "the record outlived a clean exit"


def test_loky_shutdown_race_dies_quietly_other_thread_errors_still_report(monkeypatch):
    """loky's manager thread can die of a KeyError when its executor is shut down while it
    queues a work item (a race in loky, ~3 in 100 cancels): the presenter's terminal must not
    get that traceback, while every other thread's crash still reaches the hook as before."""
    import threading

    from joblib.externals.loky import process_executor

    from engine.backends import joblib_loky

    seen: list[str] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: seen.append(args.thread.name))
    joblib_loky._expect_loky_shutdowns()

    def manager(shut_down: bool, error: type[BaseException]) -> threading.Thread:
        # loky's own class, its run() replaced: only its type and flags are read.
        thread = process_executor._ExecutorManagerThread.__new__(
            process_executor._ExecutorManagerThread)
        threading.Thread.__init__(thread, name=f"manager shut_down={shut_down} {error.__name__}")
        thread.executor_flags = type("Flags", (), {"shutdown": shut_down})()

        def fail() -> None:
            raise error(3)

        thread.run = fail  # type: ignore[method-assign]
        return thread

    def other() -> None:
        raise KeyError(3)

    threads = [manager(True, KeyError), manager(False, KeyError), manager(True, ValueError),
               threading.Thread(target=other, name="someone-else")]
    for thread in threads:
        thread.start()
        thread.join()
    assert seen == ["manager shut_down=False KeyError", "manager shut_down=True ValueError",
                    "someone-else"]
