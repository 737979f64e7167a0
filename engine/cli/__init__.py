"""The headless command line: ``list``, ``run``, ``compare``, ``sweep`` and ``gui``'s checks.

Lives here: ``commands`` (arguments, the exit-code contract, the commands), ``report`` (the
text it prints), ``signals`` (stop signals counted, not raised).

May import anything in ``engine``; nothing imports it but ``main.py`` and the window's entry
(``gui.app``, for the exit codes). Never imports Qt.
"""
