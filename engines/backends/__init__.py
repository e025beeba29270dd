"""CPU inference backends for torch models: ONNX export (cached), OpenVINO / onnxruntime runners, int8
calibration and accuracy gates. Torch stays the engine on CUDA/MPS and the reference everywhere.

A backend device string names a runtime and a precision: "openvino-f32", "openvino-bf16", "openvino-int8",
"onnxruntime-f32", "onnxruntime-int8" (see choice.py).
"""

from engines.backends.choice import BackendChoice, backend_devices, is_backend_device, parse_device

__all__ = ["BackendChoice", "backend_devices", "is_backend_device", "parse_device"]
