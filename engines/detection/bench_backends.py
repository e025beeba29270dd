"""YOLOv3-tiny 416 on every CPU backend: one record per (model, backend, precision, threads).

All contenders (OpenCV DNN, our torch engine, OpenVINO f32/bf16/int8, onnxruntime f32/int8) are timed in
alternation in one process (A B C A B C ...) after warm-ups, on the same demo-clip frame; medians. Each record
carries the gate's agreement (fraction of torch-reference boxes matched at IoU >= 0.7 on held-out demo-clip
frames, never the calibration ones) and the load average before and after its timings.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Sequence

from engines.backends.records import RECORD_KEYS, load_avg, make_record  # noqa: F401 (RECORD_KEYS re-exported)
from engines.timing import alternate

Record = dict


def _contenders(engine, image, size: int, threads: int, gates: dict) -> dict:
    """name -> zero-argument callable, for OpenCV, torch and every backend that builds here."""
    import cv2
    import torch

    from engines import assets
    from engines.backends import backend_devices, parse_device
    from engines.detection import cpu_backend

    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)
    net = cv2.dnn.readNetFromDarknet(str(assets.require("yolov3-tiny.cfg")), str(assets.require("yolov3-tiny.weights")))
    names = net.getUnconnectedOutLayersNames()
    blob = cv2.dnn.blobFromImage(image, 1 / 255, (size, size), swapRB=True)
    rgb = engine.blob(image)
    x = cpu_backend.to_input(image, size)

    def opencv():
        net.setInput(blob)
        return net.forward(names)

    fns = {"opencv-f32": opencv, "torch-f32": lambda: engine.forward_rows(rgb)}
    frames, refs = engine.gate_set()
    for device in backend_devices():
        try:
            built = cpu_backend.build_backend(engine._master, engine.names, parse_device(device, threads), size,
                                              frames, references=refs)
        except Exception as exc:  # a backend that cannot build here gets an error record, the others run
            gates[device] = exc
            continue
        gates.setdefault(device, built.gate)
        fns[device] = (lambda b=built: b.rows(x))
    return fns


def load_records(engine, image, size: int, rounds: int, gates: dict) -> list[Record]:
    """Each contender at 1 and 2 threads, alternated, with one busy process per core running
    (engines.backends.threads.busy_load): 'speed_vs_1_thread' >= 0.9 is the issue's bar for 2 threads."""
    from engines.backends.threads import under_load

    fns: dict = {}
    for t in (1, 2):
        fns.update({f"{k}@{t}": f for k, f in _contenders(engine, image, size, t, gates).items()})
    before = load_avg()
    times = under_load(fns, rounds)
    load = (before, load_avg())
    out = []
    for key, ts in times.items():
        name, t = key.split("@")
        backend, precision = name.split("-")
        ref = {k: statistics.median(times[f"{k}-f32@{t}"]) for k in ("opencv", "torch")}
        one = statistics.median(times[f"{name}@1"])
        gate = gates.get(name)
        agreement = 1.0 if backend == "torch" else getattr(gate, "agreement", None)
        out.append(make_record("detection.yolov3-tiny.under_load", backend, precision, int(t), ts, ref, agreement,
                               load, busy_processes=os.cpu_count(),
                               speed_vs_1_thread=round(one / statistics.median(ts), 3)))
    return out


def backend_records(threads: Sequence[int] = (1, 2), rounds: int = 30, load: bool = False) -> list[Record]:
    """Records for YOLOv3-tiny at 416 on the CPU at each thread count (see the module docstring)."""
    from engines.detection.cpu_backend import demo_frames
    from engines.detection.engine import DetectionEngine

    engine = DetectionEngine()
    engine.load(None, "cpu")
    size = int(engine.input_size or 416)
    image = demo_frames(1, step=1)[0]
    gates: dict = {}
    out: list[Record] = []
    for t in threads:
        fns = _contenders(engine, image, size, t, gates)
        before = load_avg()
        times = alternate(fns, rounds, warmup=3)
        loads = (before, load_avg())
        ref = {"opencv": statistics.median(times["opencv-f32"]), "torch": statistics.median(times["torch-f32"])}
        for key, ts in times.items():
            backend, precision = key.split("-")
            gate = gates.get(key)
            agreement = 1.0 if backend == "torch" else (gate.agreement if gate is not None else None)
            extra = {"device": "cpu", "input": f"{size}x{size}"}
            if gate is not None:
                extra.update(gate_passed=gate.passed, gate_reason=gate.reason, gate_frames=gate.frames)
            out.append(make_record("detection.yolov3-tiny", backend, precision, t, ts, ref, agreement, loads, **extra))
        for key, exc in list(gates.items()):
            if isinstance(exc, Exception):
                backend, precision = key.split("-")
                out.append({"name": "detection.yolov3-tiny", "backend": backend, "precision": precision,
                            "threads": t, "median_ms": None, "error": f"{type(exc).__name__}: {exc}"})
    if load:
        out += load_records(engine, image, size, rounds, gates)
    return out
