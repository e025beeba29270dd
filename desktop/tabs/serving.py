"""ServingTab: a paper tab whose model answers the user's requests (sketch completions, GAN grids) rather than
a live source. One worker serves them: the newest request waits in a LatestSlot (an older one not yet taken is
dropped) and the shared live loop runs it; requests carry a serial number so the tab can ignore replies to
requests it has superseded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop.tabs.base import PaperTab
from desktop.workers import Worker
from engines.frames import LatestSlot

# made on the worker thread: (the engine, answer(request) -> reply)
ServeFactory = Callable[[], tuple[Any, Callable[[Any], Any]]]


class ServingTab(PaperTab):
    """Subclasses call start_serving / stop_serving from activate / deactivate and implement _on_reply."""

    def __init__(self, info, options: dict[str, Any] | None = None, parent=None) -> None:
        super().__init__(info, options, parent)
        self.slot = LatestSlot()
        self.worker: Worker | None = None
        self.serial = 0

    def serving(self) -> bool:
        return self.worker is not None and self.worker.is_running()

    def start_serving(self, make: ServeFactory, failure: str) -> None:
        """Start the worker: make() builds the engine on it, then each request in the slot is answered."""
        self.slot = LatestSlot()
        slot = self.slot

        def serve(stop):
            from engines.pipeline import live_loop

            engine, answer = make()
            yield from live_loop(slot, answer, stop, lambda: getattr(engine, "device", "cpu"))

        self.worker = self.run_task("serve", serve, self._on_reply, failure=failure)

    def stop_serving(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.slot.close()
            self.worker.wait()
            self.worker = None

    def _on_reply(self, item: object) -> None:
        raise NotImplementedError
