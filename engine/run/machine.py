"""Facts about this machine and interpreter that explain a run's numbers."""

from __future__ import annotations

import os
import platform
import sys
import sysconfig

import psutil

from engine.records import MachineInfo


def usable_cores() -> int:
    """CPUs this process may run on (affinity and cgroup-limited where the OS says so)."""
    counter = getattr(os, "process_cpu_count", None)  # 3.13+
    if counter is not None:
        return int(counter() or 1)
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def free_threaded_build() -> bool:
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def gil_enabled() -> bool:
    check = getattr(sys, "_is_gil_enabled", None)  # 3.13+; the GIL can be re-enabled at run time
    return True if check is None else bool(check())


def machine_info() -> MachineInfo:
    return MachineInfo(
        logical_cores=psutil.cpu_count(logical=True) or 1,
        physical_cores=psutil.cpu_count(logical=False),
        usable_cores=usable_cores(),
        python=platform.python_version(),
        implementation=platform.python_implementation(),
        platform=f"{platform.system()} {platform.release()} {platform.machine()}",
        free_threaded_build=free_threaded_build(),
        gil_enabled=gil_enabled(),
    )


def interpreter_line(info: MachineInfo | None = None) -> str:
    """One line on what bounds a run here, e.g. ``Python 3.13.1 · GIL off · free-threaded: yes ·
    16 usable cores`` (the window's status bar shows it, so the room knows at a glance whether
    threads can use more than one core)."""
    m = info or machine_info()
    name = "Python" if m.implementation == "CPython" else m.implementation
    cores = f"{m.usable_cores} usable core{'s' if m.usable_cores != 1 else ''}"
    return (f"{name} {m.python} · GIL {'on' if m.gil_enabled else 'off'} · "
            f"free-threaded: {'yes' if m.free_threaded_build else 'no'} · {cores}")
