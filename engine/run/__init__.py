"""Running a workload: the run thread, its bookkeeping, and what it measures alongside.

Lives here: ``config`` (``RunConfig`` and the checks that refuse bad settings), ``runner``
(``Run``, ``execute``), ``state`` (the ``RunContext`` backends report to), ``fixtures`` (temp
dir, local HTTP server), ``machine`` (cores, Python), ``monitor`` and ``sampler`` (CPU
sampling, in a process of its own during a run), ``leftovers`` (what a run or a killed app
leaves behind), ``gil`` and ``gil_probe`` (who holds the GIL, read by py-spy from outside),
``lesson_plan`` (a lesson's checked runs).

May import: the engine's core (``engine.records``, ``engine.workload``, ``engine.tasks``,
``engine.backends``) and ``engine.figures`` for the result. Nothing here imports Qt, and
``engine.figures`` / ``engine.files`` never import this package's thread machinery.
Kept empty: the sampler runs as a script, and nothing should pay for importing the runner to
reach ``engine.run.machine``.
"""
