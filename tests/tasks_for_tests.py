"""Top-level functions for custom-task tests (top level so they pickle under spawn)."""

import time


def add(a=1, b=2):
    """Add two numbers."""
    return a + b


def uninterruptible(seconds=1.0):
    """Sleeps in one call: no checkpoint, so a thread running it cannot be stopped early."""
    time.sleep(seconds)
    return seconds


def boom():
    raise RuntimeError("custom failure")


NOT_CALLABLE = 42


def talky(lines=200):
    """Prints to stdout and stderr, as user code does: none of it may reach a run's pipes."""
    import sys

    for i in range(int(lines)):
        print(f"line {i} " * 20)
        print(f"err {i}", file=sys.stderr)
    return lines
