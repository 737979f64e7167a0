"""Every registered backend as pytest parameters: the one list the backend suites share.

A backend is tested the moment it is registered; one that cannot run here (interpreters before
Python 3.14, dask or joblib not installed) shows up as *skipped, with its reason* rather than
vanishing from the report. Process backends can be crossed with start methods: the behaviour
suite (``test_backends.py``) runs each under spawn and forkserver; suites that test something
else pass one start method, which keeps the whole run's time in check.

    @pytest.mark.parametrize("case", backend_matrix(processes=True))
    def test_x(case):
        result = execute(case.config(build_workload(["primes"], 2), workers=2))
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from engine.backends.registry import BACKENDS
from engine.backends.start_methods import default_start_method
from engine.run.runner import RunConfig
from engine.workload import Workload

#: The start methods the behaviour suite crosses process backends with (never fork: see
#: engine.backends.start_methods).
START_METHODS = ("spawn", "forkserver")


@dataclass(frozen=True)
class BackendCase:
    """One backend (and, for a process backend, one start method) to run a test on."""

    name: str
    start_method: str | None = None  # None: the backend's default (and all a thread backend has)

    @property
    def uses_processes(self) -> bool:
        return BACKENDS[self.name].uses_processes

    @property
    def id(self) -> str:
        return self.name if self.start_method is None else f"{self.name}-{self.start_method}"

    def config(self, workload: Workload, **options: Any) -> RunConfig:
        """The run of ``workload`` on this backend; ``options`` are RunConfig's others."""
        return RunConfig(workload, self.name, start_method=self.start_method, **options)

    def __str__(self) -> str:
        return self.id


def _why_not(case: BackendCase) -> str | None:
    avail = BACKENDS[case.name].availability()
    if not avail.ok:
        return f"{case.name} is unavailable here: {avail.reason}"
    if case.start_method is not None and \
            case.start_method not in multiprocessing.get_all_start_methods():
        return f"start method {case.start_method} does not exist on this platform"
    return None


def backend_matrix(*, processes: bool | None = None,
                   start_methods: Sequence[str] | None = None,
                   only: Collection[str] | None = None,
                   exclude: Collection[str] = ()) -> list[Any]:
    """``pytest.param`` per backend in registry order (× start method for process backends).

    Args:
        processes: True for process backends only, False for in-process ones, None for all.
        start_methods: crossed with every process backend that starts its workers through
            multiprocessing (loky, joblib's, starts its own and takes none); None: the default
            start method alone, named in the id as the suite would run it.
        only: these backends only (still in registry order); a name not registered is an error
            in the test file, not a silent gap.
        exclude: leave these out (the test explains why beside its call).
    """
    for name in (*(only or ()), *exclude):
        if name not in BACKENDS:
            raise ValueError(f"backend_matrix: {name!r} is not a registered backend")
    params = []
    for name, cls in BACKENDS.items():
        if (only is not None and name not in only) or name in exclude:
            continue
        if processes is not None and cls.uses_processes != processes:
            continue
        if not cls.uses_processes:
            methods: Sequence[str | None] = (None,)
        elif not cls.takes_start_method:
            methods = (default_start_method(),)
        else:
            methods = start_methods or (default_start_method(),)
        for method in methods:
            case = BackendCase(name, method)
            reason = _why_not(case)
            params.append(pytest.param(case, id=case.id,
                                       marks=[pytest.mark.skip(reason=reason)] if reason else []))
    return params
