"""The CLI's contract for bad input and faults, as one table: what a user typed (or what went
wrong around the CLI), the exit code, and the fragment of the one line on stderr.

Exit codes: 2 bad input (one line, nothing run, nothing on stdout); 1 a fault after the checks
(an output or standard output could not be written). Never a traceback.

Rows run in-process through ``engine.cli.commands.main`` (fast) unless they need a real process: the
window's checks (``main.py gui``), and a closed or broken standard output.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass

import pytest

from engine.cli import commands as cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = ["run", "--task", "primes", "--backend", "threads"]
QUICK = ["run", "--task", "sleep", "--set", "seconds=0.05", "--tasks", "2", "--backend",
         "threads", "-q"]
COMPARE = ["compare", "--task", "sleep", "--set", "seconds=0.05", "--tasks", "2", "--backends",
           "threads", "-q"]


@dataclass(frozen=True)
class Row:
    args: tuple[str, ...]  # "{tmp}" stands for the test's own folder
    code: int
    fragment: str  # in the one stderr line that names the problem
    via: str = "cli"  # "cli": engine.cli.commands.main in-process; "main": a main.py process
    stdout: str = "pipe"  # "closed" (>&-) or "broken" (the reader has gone); main.py only
    needs: str = ""  # a module that must be importable


def row(args: list[str], code: int, fragment: str, **kw: str) -> Row:
    return Row(tuple(args), code, fragment, **kw)


BAD = [
    # -- workload and backend ----------------------------------------------------------------
    row(["run"], 2, "--task"),
    row(["run", "--task", "primes"], 2, "--backend"),
    row(["run", "--task", "nope", "--backend", "threads"], 2, "unknown task 'nope'"),
    row(["run", "--task", "primes", "--backend", "nope"], 2, "unknown backend 'nope' (valid:"),
    row([*RUN, "--set", "n=abc"], 2, "whole number"),
    row([*RUN, "--set", "n=-5"], 2, "below the minimum"),
    row([*RUN, "--set", "n=0"], 2, "below the minimum"),
    row([*RUN, "--set", "n=10**12"], 2, "whole number"),
    row([*RUN, "--set", "n=999999999999"], 2, "above the limit"),
    row([*RUN, "--set", "m=3"], 2, "no task in this"),
    row([*RUN, "--set", "n"], 2, "expected key=value"),
    row(["run", "--task", "sleep", "--backend", "threads", "--set", "seconds=nan"], 2,
        "a number"),
    row(["run", "--task", "sleep", "--backend", "threads", "--set", "seconds=1e9"], 2,
        "above the"),
    row(["run", "--task", "hash", "--backend", "threads", "--set", "mb=1000000"], 2,
        "above the"),
    row(["run", "--task", "crash", "--backend", "threads"], 2, "would kill CoreScope"),
    row(["run", "--task", "crash", "--backend", "sequential"], 2, "would kill CoreScope"),
    row(["run", "--task", "crash", "--backend", "asyncio"], 2, "would kill CoreScope"),
    row(["run", "--task", "crash", "--backend", "processes", "--set", "how=nuke"], 2,
        "not one of"),
    row([*RUN, "--tasks", "0"], 2, "out of range"),
    row([*RUN, "--tasks", "-1"], 2, "out of range"),
    row([*RUN, "--tasks", "x"], 2, "invalid int"),
    row([*RUN, "--tasks", "10000000"], 2, "out of range"),
    row([*RUN, "--tasks", "5000"], 2, "limit"),
    row(["run", "--task", "primes", "--backend", "processes", "--tasks", "500"], 2, "limit"),
    row(["run", "--task", "primes", "--backend", "thread-pool", "--workers", "0"], 2,
        "out of range"),
    row(["run", "--task", "primes", "--backend", "thread-pool", "--workers", "99999"], 2,
        "out of range"),
    row(["run", "--task", "primes", "--backend", "process-pool", "--workers", "5000"], 2,
        "out of range"),
    row(["run", "--task", "primes", "--backend", "process-pool", "--start-method", "teleport"],
        2, "unknown start method"),
    row([*RUN, "--start-method", "spawn"], 2, "process backends only"),
    row([*RUN, "--interval", "0"], 2, "out of range"),
    row([*RUN, "--timeout", "-1"], 2, "out of range"),
    row(["run", "--task", "no_such_module_x:f", "--backend", "threads"], 2, "failed to import"),
    row(["run", "--task", "os:no_such_function", "--backend", "threads"], 2,
        "has no attribute"),
    row(["run", "--task", "tests.tasks_for_tests:NOT_CALLABLE", "--backend", "threads"], 2,
        "not callable"),
    row(["run", "--task", "missing_file.py:f", "--backend", "threads"], 2, "does not exist"),
    row(["run", "--task", "bad spec:", "--backend", "threads"], 2, "must look like"),
    row(["run", "--task", "tests.tasks_for_tests:add", "--backend", "threads", "--set", "c=1"],
        2, "no task in this workload"),
    row(["run", "--task", "tests.tasks_for_tests:boom", "--backend", "threads", "--set", "x=1"],
        2, "no task in this workload"),
    row(["run", "--task", "__main__:f", "--backend", "process-pool"], 2, "__main__"),
    row(["compare", "--task", "primes", "--backends", "threads,nope"], 2, "unknown backend"),
    row(["compare", "--task", "primes", "--backends", ","], 2, "at least one backend"),
    row(["compare", "--task", "crash", "--backends", "threads"], 2, "would kill CoreScope"),
    row(["frobnicate"], 2, "invalid choice"),
    row(["sweep", "--task", "primes", "--backends", "threads", "--vary", "n"], 2, "KNOB=V1"),
    row(["sweep", "--task", "primes", "--backends", "threads", "--vary", "workers=a,b"], 2,
        "not a whole number"),
    row(["sweep", "--task", "primes", "--backends", "threads", "--vary", "n=0,5"], 2,
        "minimum"),
    row(["sweep", "--task", "primes", "--backends", "nope", "--vary", "n=5"], 2,
        "unknown backend"),
    # -- scheduler addresses -----------------------------------------------------------------
    row([*RUN, "--scheduler", "tcp://h:1"], 2, "dask backend only"),
    row(["run", "--task", "primes", "--backend", "dask", "--scheduler", "nonsense"], 2,
        "should look like tcp://host:port", needs="distributed"),
    # Plainly malformed: refused before anything runs, not exit 1 after a 10 s connect.
    row(["run", "--task", "sleep", "--backend", "dask", "--scheduler", "tcp://127.0.0.1:99999"],
        2, "tcp://127.0.0.1:99999", needs="distributed"),
    row(["run", "--task", "sleep", "--backend", "dask", "--scheduler", "tcp://127.0.0.1:abc"],
        2, "tcp://127.0.0.1:abc", needs="distributed"),
    row(["run", "--task", "sleep", "--backend", "dask", "--scheduler", "tcp://127.0.0.1"],
        2, "port", needs="distributed"),
    # -- outputs: checked before the run -----------------------------------------------------
    row([*RUN, "--json", "/nonexistent/dir/x.json"], 2, "does not exist"),
    row([*RUN, "--trace", "/"], 2, "is a directory"),
    row([*RUN, "--json", ""], 2, "give a file name"),
    row([*RUN, "--json", "{tmp}/a.json", "--trace", "{tmp}/a.json"], 2, "name the same file"),
    row([*RUN, "--json", "{tmp}/a.json", "--session", "{tmp}/./a.json"], 2,
        "name the same file"),
    row([*RUN, "--json", "{tmp}/exists.json", "--trace", "{tmp}/link.json", "--force"], 2,
        "name the same file"),
    row([*RUN, "--json", "-", "--trace", "-"], 2, "name the same stream"),
    row([*RUN, "--json", "-", "--session", "/dev/stdout"], 2, "name the same stream"),
    row([*RUN, "--json", "{tmp}/exists.json"], 2, "exists (add --force"),
    row([*RUN, "--trace", "{tmp}/exists.json"], 2, "exists (add --force"),
    row([*RUN, "--session", "{tmp}/exists.json"], 2, "exists (add --force"),
    row([*COMPARE, "--csv", "{tmp}/exists.json"], 2, "exists (add --force"),
    row([*RUN, "--json", "{tmp}/fifo"], 2, "is a FIFO"),
    row([*RUN, "--json", "{tmp}/fifo", "--force"], 2, "is a FIFO"),
    row([*RUN, "--json", "/dev/full"], 2, "is a device"),
    row([*RUN, "--json", "/proc/x.json"], 2, "cannot write in folder /proc"),
    # -- the window's checks (main.py, before any Qt) ----------------------------------------
    row(["gui", "--task", "primes", "--backend", "nope"], 2, "unknown backend", via="main"),
    row(["gui", "--start"], 2, "--start needs", via="main"),
    row(["gui", "--backend", "threads"], 2, "needs --task", via="main"),
    row(["gui", "--task", "primes", "--backend", "threads", "--screenshot",
         "/nonexistent/x.png"], 2, "does not exist", via="main"),
    row(["gui", "--session", "/nonexistent/s.json"], 2, "cannot read", via="main"),
    row(["gui", "--task", "primes", "--backend", "threads", "--screenshot", "{tmp}/fifo"], 2,
        "is a FIFO", via="main"),
    # -- faults after the checks: exit 1 ------------------------------------------------------
    row(["run", "--task", "{tmp}/spoil.py:spoil", "--set", "folder={tmp}/gone", "--backend",
         "threads", "--json", "{tmp}/gone/r.json"], 1, "--json {tmp}/gone/r.json: not written"),
    row(["list"], 1, "standard output is closed", via="main", stdout="closed"),
    row(["--help"], 1, "standard output is closed", via="main", stdout="closed"),
    row(["gui", "--help"], 1, "standard output is closed", via="main", stdout="closed"),
    row(QUICK, 1, "standard output is closed", via="main", stdout="closed"),
    row(["list"], 1, "Broken pipe", via="main", stdout="broken"),
    row(["list", "--json"], 1, "Broken pipe", via="main", stdout="broken"),
    row(["--help"], 1, "Broken pipe", via="main", stdout="broken"),
    row(["gui", "--help"], 1, "Broken pipe", via="main", stdout="broken"),
    row(QUICK, 1, "Broken pipe", via="main", stdout="broken"),
    row([*QUICK, "--json", "-"], 1, "--json standard output: not written", via="main",
        stdout="broken"),
]
if sys.version_info < (3, 14):
    BAD.append(row(["run", "--task", "primes", "--backend", "interpreters"], 2, "unavailable"))

SPOIL = textwrap.dedent('''
    import shutil


    def spoil(folder=""):
        """Remove an output's folder while the run runs: its write must fail after the run."""
        shutil.rmtree(folder)
''')


def _prepare(tmp: str) -> None:
    with open(os.path.join(tmp, "exists.json"), "w") as fh:
        fh.write("{}")
    os.symlink(os.path.join(tmp, "exists.json"), os.path.join(tmp, "link.json"))
    os.mkfifo(os.path.join(tmp, "fifo"))
    os.mkdir(os.path.join(tmp, "gone"))
    with open(os.path.join(tmp, "spoil.py"), "w") as fh:
        fh.write(SPOIL)


def _main_py(args: list[str], stdout: str) -> tuple[int, str, str]:
    cmd = [sys.executable, os.path.join(ROOT, "main.py"), *args]
    if stdout == "pipe":
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
        return out.returncode, out.stdout, out.stderr
    if stdout == "closed":  # as the issue typed it: the shell's >&-, so there is no fd 1
        proc = subprocess.run(["/bin/sh", "-c", 'exec "$0" "$@" >&-', *cmd], cwd=ROOT,
                              stderr=subprocess.PIPE, text=True, timeout=60)
        return proc.returncode, "", proc.stderr
    read, write = os.pipe()
    os.close(read)  # a reader that has already gone: every write fails with EPIPE
    try:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=write, stderr=subprocess.PIPE, text=True,
                              timeout=60)
    finally:
        os.close(write)
    return proc.returncode, "", proc.stderr


@pytest.mark.parametrize("case", BAD, ids=[" ".join(r.args) + (f" [stdout {r.stdout}]"
                                                                 if r.stdout != "pipe" else "")
                                           for r in BAD])
def test_bad_input_and_faults_are_one_line_and_an_exit_code(case, tmp_path, monkeypatch):
    if case.needs:
        pytest.importorskip(case.needs)
    if "/proc/" in " ".join(case.args) and not os.path.isdir("/proc/self"):
        pytest.skip("no /proc here")
    tmp = str(tmp_path)
    _prepare(tmp)
    args = [a.replace("{tmp}", tmp) for a in case.args]
    if case.via == "cli":
        monkeypatch.chdir(ROOT)  # relative task paths, as a user in the checkout would type
        out, err = io.StringIO(), io.StringIO()
        code, stdout, stderr = cli.main(args, out, err), out.getvalue(), err.getvalue()
    else:
        code, stdout, stderr = _main_py(args, case.stdout)
    assert code == case.code, (stdout, stderr)
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 if case.code == 2 else lines, stderr
    problem = [ln for ln in lines if ln.startswith("corescope: error: ")]
    assert problem and case.fragment.replace("{tmp}", tmp) in problem[0], stderr
    if case.code == 2:
        assert stdout == ""  # nothing ran: not even the header was printed
