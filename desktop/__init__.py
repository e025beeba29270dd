"""PaperZoo's desktop side: PySide6 + pyqtgraph. Never imports torch (engines run in workers)."""
