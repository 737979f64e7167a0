"""The window's pages (Live, Compare, Sweep) and the flows that run behind them.

Lives here: ``live`` (time controls over the live plots; what the view follows), ``compare``
and ``compare_row`` (one workload on several backends, a row each), ``sweep`` (one knob over
values), ``base`` (``SequencePage``: what Compare and Sweep both are to the controller),
``controller`` (starts a page's runs as one sequence and hands it each step), ``sequence``
(several runs one after another on the bridge), ``stop_flow`` (Stop, and tasks that ignore
it).

Pages may import ``engine``, ``gui.bridge``, ``gui.palette``, ``gui.settings``, ``gui.plots``
and ``gui.panels``; never the window (``gui.main_window``, ``gui.session_files``, ``gui.app``).
"""
