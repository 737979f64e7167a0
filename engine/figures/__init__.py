"""What a finished run means: the result, its statistics, lanes, sweeps and explanations.

Lives here: ``result`` (``RunResult``), ``stats``, ``explain`` (plain-language reasons),
``lanes`` (timeline rows), ``sweep`` (runs over a knob).

May import: ``engine.records``, ``engine.workload``, ``engine.tasks`` (task facts), and
``engine.run.machine`` for plain machine facts — never the run thread (``engine.run.runner``,
``engine.run.state``), the files layer, the CLI or Qt. Pure functions of recorded values, so
a session file and a live run read the same.
"""
