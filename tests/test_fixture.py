"""The leak check itself: a leak fails the test that made it, once, and never the next test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import psutil

HERE = os.path.dirname(os.path.abspath(__file__))

LEAKY_TESTS = textwrap.dedent('''
    import subprocess, sys, threading, time

    def test_leaks_a_process():
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])

    def test_after_the_process_leak():
        pass

    def test_leaks_a_thread():
        threading.Thread(target=time.sleep, args=(5,), name="leaky", daemon=True).start()

    def test_after_the_thread_leak():
        pass
''')


def test_a_leak_fails_only_the_test_that_made_it_and_is_cleaned_up(tmp_path):
    shutil.copy(os.path.join(HERE, "conftest.py"), tmp_path / "conftest.py")
    (tmp_path / "test_leaky.py").write_text(LEAKY_TESTS)
    env = {**os.environ, "CORESCOPE_TEST_GRACE_S": "0.5"}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-p", "no:randomly", str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    out = proc.stdout
    assert "4 passed, 2 errors" in out, out
    assert "ERROR at teardown of test_leaks_a_process" in out, out
    assert "ERROR at teardown of test_leaks_a_thread" in out, out
    assert "child process" in out and "thread leaky" in out, out
    # The leaked sleeper was killed by the fixture, not left for the machine.
    sleepers = [p for p in psutil.process_iter(["cmdline"])
                if p.info["cmdline"] and "time.sleep(60)" in " ".join(p.info["cmdline"])]
    assert not sleepers
