"""What a finished run means: the result, its statistics, lanes, sweeps and explanations.

Lives here: ``result`` (``RunResult``), ``stats``, ``explain`` (plain-language reasons),
``lanes`` (timeline rows), ``sweep`` (runs over a knob).

May import: the engine's core (``engine.records``, ``engine.workload``, ``engine.tasks``,
``engine.hosts``), ``engine.run.machine`` for plain machine facts and ``engine.run.config``
(a sweep plans runs as settings) — never the run thread (``engine.run.runner``,
``engine.run.state``), the files layer, the CLI or Qt (``tests/test_layers.py`` holds it to
that). Pure functions of recorded values, so a session file and a live run read the same:
what a result needs to know about its backend is recorded on it, never looked up.
"""
