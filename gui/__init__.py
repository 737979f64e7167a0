"""CoreScope's desktop window (PySide6 + pyqtgraph). Entry point: ``gui.app.run_app``.

    app ─► main_window ─┬─► session_files   File menu: sessions, recent files, exports
                        ├─► bridge          the one place engine events become Qt signals
                        ├─► pages/          Live, Compare, Sweep; the sequence and stop flows
                        │     ├─► plots/    the plots and what they draw with
                        │     └─► panels/   workload, parameters, run box, summary
                        └─► settings, menus, palette   (leaves: import nothing of gui)

Arrows are imports, and they only point down: nothing imports the window but ``app``, pages
never import the window, plots and panels never import pages (``tests/test_gui_layers.py``
checks this, and that there are no import circles). The window composes the parts and routes
the bridge's signals to them; the parts take engine values and update themselves.
"""
