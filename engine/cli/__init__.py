"""The headless command line: ``list``, ``run``, ``compare``, ``sweep`` and ``gui``'s checks.

Lives here: ``commands`` (the commands, ``main``), ``arguments`` (the parser and the checks
that refuse bad input before anything runs), ``running`` (following runs, writing outputs,
the exit code), ``exit_codes`` (the contract, one place), ``report`` (the text it prints),
``signals`` (stop signals counted, not raised).

May import anything in ``engine``; nothing imports it but ``main.py`` and the window's entry
(``gui.app``, for the exit codes and the ``gui`` checks). Never imports Qt.
"""
