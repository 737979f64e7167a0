"""How process backends start their workers: the public names the CLI and the window use."""

from __future__ import annotations

import multiprocessing


def default_start_method() -> str:
    """spawn: safe under a running Qt app (fork can deadlock there) and leaves no helper process
    behind, unlike forkserver, whose server outlives the run."""
    return "spawn"


def split_entry(key: str) -> tuple[str, str | None]:
    """A comparison entry as ``--backends``, lessons and the compare page write it:
    ``"process-pool@forkserver"`` -> ("process-pool", "forkserver"); a bare name -> (name, None)."""
    backend, _, method = key.partition("@")
    return backend, method or None


def valid_start_methods() -> list[str]:
    """The start methods this platform offers, in multiprocessing's order."""
    return multiprocessing.get_all_start_methods()
