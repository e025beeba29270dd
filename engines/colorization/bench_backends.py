"""The colorization network at 256 on every CPU backend: one record per (model, backend, precision, threads).

Torch (the engine's model), OpenCV DNN (the same ONNX file, when it imports), OpenVINO f32/bf16/int8 and
onnxruntime f32/int8 are timed in alternation in one process on the same demo-clip frame (network only:
L in, a*b* out). agreement: mean |a*b* - torch's| in Lab units on held-out demo-clip frames (lower is better).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from engines.backends.records import Record, load_avg, make_record
from engines.timing import alternate

NAME = "colorization.net256"


def _opencv(path, x):
    """OpenCV DNN on the f32 export, or None when it cannot import the graph."""
    import cv2

    try:
        net = cv2.dnn.readNetFromONNX(str(path))

        def run():
            for k, v in x.items():
                net.setInput(v, k)
            return net.forward()
        run()
        return run
    except cv2.error:
        return None


def backend_records(threads: Sequence[int] = (1, 2), rounds: int = 30, size: int = 256) -> list[Record]:
    import cv2
    import torch

    from engines.backends import backend_devices, parse_device
    from engines.backends.frames import demo_frames
    from engines.colorization.cpu_backend import build_backend, net_inputs, torch_ab
    from engines.colorization.engine import ColorizationEngine

    engine = ColorizationEngine()
    engine.load(None)
    model, g = engine._model, engine.config.global_size
    frames = demo_frames(16, step=15)
    x = net_inputs(frames[1], size, g)
    gates: dict = {}
    out: list[Record] = []
    for t in threads:
        torch.set_num_threads(t)
        cv2.setNumThreads(t)
        fns = {"torch-f32": lambda: torch_ab(model, x)}
        for device in backend_devices():
            built = build_backend(model, size, g, parse_device(device, t), frames)
            gates.setdefault(device, built.gate)
            fns[device] = (lambda b=built: b.ab(x))
            if device == "openvino-f32" and _opencv(built.path, x) is not None:
                fns["opencv-f32"] = _opencv(built.path, x)
        before = load_avg()
        times = alternate(fns, rounds, warmup=3)
        loads = (before, load_avg())
        ref = {k: statistics.median(times[f"{k}-f32"]) if f"{k}-f32" in times else None for k in ("opencv", "torch")}
        for key, ts in times.items():
            backend, precision = key.split("-")
            gate = gates.get(key)
            agreement = 0.0 if backend == "torch" else getattr(gate, "agreement", None)
            extra = {"device": "cpu", "input": f"{size}x{size}", "global_input": f"{g}x{g}",
                     "agreement_measure": "mean |a*b* error| (Lab units)"}
            if gate is not None:
                extra.update(gate_passed=gate.passed, gate_reason=gate.reason, gate_frames=gate.frames)
            out.append(make_record(NAME, backend, precision, t, ts, ref, agreement, loads, **extra))
    return out


def engine_records(threads: Sequence[int] = (1, 2), rounds: int = 20) -> list[Record]:
    """The whole ColorizationEngine.infer on a 256x256 demo-clip frame (Lab conversion, net, compositing):
    torch vs the app's CPU default (load "auto": the fastest backend passing its gate), alternated."""
    import os

    import cv2
    import torch

    from engines.backends.frames import demo_frames
    from engines.colorization.engine import ColorizationEngine

    frame = cv2.resize(demo_frames(1)[0], (256, 256), interpolation=cv2.INTER_AREA)
    out: list[Record] = []
    for t in threads:
        torch.set_num_threads(t)
        saved = os.environ.get("PAPERZOO_BACKEND_THREADS")
        os.environ["PAPERZOO_BACKEND_THREADS"] = str(t)
        try:
            ref, fast = ColorizationEngine(), ColorizationEngine()
            ref.load(None, "cpu")
            fast.load(None, "auto")
            torch.set_num_threads(t)  # load() set the app's default (cores-1)
        finally:
            if saved is None:
                os.environ.pop("PAPERZOO_BACKEND_THREADS", None)
            else:
                os.environ["PAPERZOO_BACKEND_THREADS"] = saved
        before = load_avg()
        times = alternate({"torch": lambda e=ref: e.infer(frame), fast.device: lambda e=fast: e.infer(frame)}, rounds)
        loads = (before, load_avg())
        err = float(abs(fast.infer(frame).ab - ref.infer(frame).ab).mean())
        torch_ms = statistics.median(times["torch"])
        for key, ts in times.items():
            backend, _, precision = key.partition("-")
            out.append(make_record("colorization.infer256", backend, precision or "f32", t, ts,
                                   {"opencv": None, "torch": torch_ms}, 0.0 if key == "torch" else round(err, 4),
                                   loads, agreement_measure="mean |a*b* error| (Lab units)", scope="engine.infer"))
    return out
