"""CoreScope — see Python concurrency.

    python main.py                 open the window
    python main.py gui [...]       open the window with a workload preselected (and started)
    python main.py list|run|compare ...   headless; see --help

Worker processes started with spawn re-import this file as ``__mp_main__``, so it imports
nothing heavy at the top: Qt loads only when the window is actually opened.
"""

from __future__ import annotations

import sys


def _no_display() -> str | None:
    """Why a window cannot open here, or None. Qt itself would abort with a core dump."""
    import os

    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return ("no display to open the window on (DISPLAY is not set); the headless CLI works "
            "anywhere: python main.py --help")


def main(argv: list[str]) -> int:
    from engine import cli

    if argv and argv[0] not in ("gui",):
        return cli.main(argv)
    try:
        request = cli.parse_gui_args(argv[1:] if argv else [])
    except cli.UsageError as exc:
        sys.stderr.write(f"corescope: error: {exc}\n")
        return cli.EXIT_USAGE
    if argv[:1] == ["-h"] or "--help" in argv:
        return 0
    problem = _no_display()
    if problem:
        sys.stderr.write(f"corescope: error: {problem}\n")
        return cli.EXIT_USAGE
    from gui.app import run_app

    return run_app(request.config, request.start, request.screenshot, request.exit_after_run,
                   session=request.session)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
