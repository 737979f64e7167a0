"""CoreScope's desktop window (PySide6 + pyqtgraph). Entry point: ``gui.app.run_app``."""
