"""The CLI's exit codes: one contract, read by the shell, CI jobs, the window's entry and tests.

0 every task ok and every output written; 1 a task failed, a worker died or an output (a file,
or standard output itself) could not be written; 2 bad input, one line on stderr and nothing
started; 128 + the signal after SIGINT (130, Ctrl-C), SIGTERM (143) or SIGHUP (129): the run was
cancelled and what it measured was still written.

A module of its own, importing nothing, so the window's entry (``gui.app``) can use the same
numbers without loading the CLI.
"""

from __future__ import annotations

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "SIGNAL_BASE"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
SIGNAL_BASE = 128  # the shell's convention: a process ended by signal N exits 128 + N
EXIT_INTERRUPTED = SIGNAL_BASE + 2  # SIGINT (Ctrl-C) is 2 on every platform Python runs on
