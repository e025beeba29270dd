"""Desktop fixtures: a real MainWindow fed by a fake camera, closed (and checked) after each test."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from engines.frame_sources import SyntheticSource
from engines.frames import FrameSource


@dataclass(frozen=True)
class FakeChoice:
    """Stands in for a SourceChoice: builds any FrameSource (a fake camera by default)."""

    kind: str = "fake"
    factory: object = None
    camera: object = None

    def build(self, mirror: bool) -> FrameSource:
        return self.factory() if self.factory else SyntheticSource(mirror=mirror)

    def describe(self) -> str:
        return "fake camera"


@pytest.fixture
def make_window(qtbot):
    from desktop.main_window import MainWindow
    from desktop.sources import CameraList

    made = []

    def make(tab: str = "detection", choice=None, device: str | None = "cpu", **extra):
        options = {"cameras": CameraList(), "source_choice": choice or FakeChoice(), "device": device, **extra}
        window = MainWindow(options=options, first_tab=tab)
        qtbot.addWidget(window)
        window.show()
        window.start()
        made.append(window)
        return window

    yield make
    for window in made:
        window.close()
        for tab in window.paper_tabs.values():
            assert not tab.workers.running(), f"{tab.info.key} left workers running"
