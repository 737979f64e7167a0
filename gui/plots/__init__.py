"""The plots: widgets that draw runs, and what they draw with.

Lives here: one module per plot (``cpu`` per core, ``hosts`` a cluster's hosts, ``workers``
CPU per worker, ``timeline`` tasks per worker, ``gil`` the "GIL held by" band,
``gil_strips`` the timeline's per-lane GIL strips), ``stack`` (the Live page's four plots on one
time axis and which sample goes to which), ``time_axis`` (follow, window, reset), ``style``
(the look every plot shares, the left-axis width), ``axes`` (a left axis naming rows),
``bars`` (the timeline's bar item), ``buffers`` (numpy rings and growable arrays), ``replay``
(a finished run turned back into the events the plots are fed).

Plots take engine records and samples and update themselves from numpy arrays; they know
nothing of runs, pages or the window. They may import ``engine``, ``gui.palette`` and each
other; never ``gui.pages``, ``gui.panels``, ``gui.bridge`` or the window.
"""

from __future__ import annotations

from engine.records import CpuSample, GilSample, HostCpuSample, TaskFinished, TaskStarted

#: What the timeline and the worker plot are fed, in the order it happened.
TaskEvent = TaskStarted | TaskFinished
#: What the plots above the timeline are fed: this machine's CPU samples, a cluster host's, or
#: a reading of who held the GIL.
Sample = CpuSample | HostCpuSample | GilSample
