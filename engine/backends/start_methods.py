"""How process backends start their workers: the public names the CLI and the window use."""

from __future__ import annotations

import multiprocessing


def default_start_method() -> str:
    """spawn: safe under a running Qt app (fork can deadlock there) and leaves no helper process
    behind, unlike forkserver, whose server outlives the run."""
    return "spawn"


def valid_start_methods() -> list[str]:
    """The start methods this platform offers, in multiprocessing's order."""
    return multiprocessing.get_all_start_methods()
