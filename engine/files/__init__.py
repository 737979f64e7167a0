"""What a run becomes on disk: sessions, the ``--json`` export, Chrome traces, tables.

Lives here: ``session``, ``session_fields`` and ``session_reader`` (the versioned session
format and its strict, bounded loader), ``export`` (``--json`` documents, atomic writes),
``trace`` (Chrome trace for Perfetto), ``tables`` (text, CSV, Markdown), ``outputs`` (where CLI
outputs may go).

May import: ``engine.records``, ``engine.figures`` and the engine's core — never the run thread
(``engine.run.runner``), the CLI or Qt. Opening a file never runs code.
"""
