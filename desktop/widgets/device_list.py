"""The Device control of a live tab: torch devices this machine has and the CPU backends (OpenVINO /
onnxruntime at a precision). A backend the accuracy gate refused stays listed, marked "refused", with the
reason in its tooltip; the running backend's tooltip gives its gate figure; the list follows where the engine
actually runs (an "auto" start shows the backend it chose)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox

from engines.pipeline import DeviceState


def device_label(device: str) -> str:
    """How the list names a device: "cpu" -> "torch cpu", "openvino-bf16" -> "OpenVINO bf16"."""
    names = {"openvino": "OpenVINO", "onnxruntime": "onnxruntime"}
    backend, _, precision = device.partition("-")
    if backend in names:
        return f"{names[backend]} {precision}"
    return device if device == "auto" else f"torch {device}"


def device_facts(engine) -> dict:
    """On the worker thread: the devices this machine offers and where `engine` runs (DeviceList.apply_facts)."""
    from engines.backends import backend_devices
    from engines.pipeline import device_state
    from engines.runtime import available_devices  # imports torch: fine on a worker

    return {"devices": available_devices() + backend_devices(), "state": device_state(engine)}


class DeviceList(QComboBox):
    """chosen(device) when the user picks an entry; show_state(DeviceState) after the engine moved."""

    chosen = Signal(str)

    def __init__(self, first: str = "auto", tooltip: str = "") -> None:
        super().__init__()
        self.devices: list[str] = []
        self.state = DeviceState(first, {})
        self.addItem(device_label(first), first)
        self.setToolTip(tooltip)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.activated.connect(lambda _i: self.chosen.emit(self.current_device()))

    def current_device(self) -> str:
        return str(self.currentData() or self.currentText())

    def apply_facts(self, facts: dict) -> None:
        """A freshly loaded engine's device_facts (GUI thread)."""
        if "devices" in facts:
            self.devices = list(facts["devices"])
        self.show_state(facts.get("state", self.state))

    def set_devices(self, devices: list[str]) -> None:
        """The devices to offer (e.g. runtime.available_devices() + backends.backend_devices())."""
        self.devices = list(devices)
        self.show_state(self.state)

    def show_state(self, state: DeviceState) -> None:
        """Refill with refusals marked (reasons in tooltips) and select the device the engine runs on."""
        self.state = state
        if self.devices:
            self.blockSignals(True)
            self.clear()
            for device in self.devices:
                refused = state.refused.get(device)
                self.addItem(device_label(device) + (" - refused" if refused else ""), device)
                tip = f"refused: {refused}" if refused else ""
                if device == state.device and state.gate:
                    tip = f"gate: {state.gate}"
                self.setItemData(self.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
            self.blockSignals(False)
        index = self.findData(state.device)
        if index >= 0:
            self.setCurrentIndex(index)
