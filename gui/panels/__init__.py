"""The panels on the window's left: what to run, and what the last run came to.

Lives here: ``workload`` (task, parameters, count, backend, workers: validated by the
engine's own checks as the user types), ``params`` (one editor per task parameter),
``backend_list`` (the checkable backends of the Compare and Sweep pages), ``run_box`` (Run,
Stop, progress), ``summary`` (the headline figures, and the failed tasks), ``side`` (the
left column that holds them all).

Panels are plain widgets over engine values: they may import ``engine``, ``gui.palette`` and
each other; never ``gui.pages``, ``gui.plots``, ``gui.bridge`` or the window.
"""
