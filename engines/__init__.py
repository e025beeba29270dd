"""PaperZoo engines: Qt-free model code (torch, numpy, cv2). Never imports PySide6 or desktop."""
