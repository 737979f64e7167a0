"""The one clock every CoreScope timestamp is read from.

Task records are written in worker processes and compared in the parent, so the clock must be
shared by every process on the machine. ``time.perf_counter`` is: on Linux it reads
CLOCK_MONOTONIC (system-wide), on Windows QueryPerformanceCounter, on macOS mach_absolute_time.
``time.monotonic`` would do on Linux but ticks at 15.6 ms on Windows before Python 3.13.

Code that needs time takes a ``Clock`` argument (trio's MockClock idea) so tests can drive it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]

now: Clock = time.perf_counter
