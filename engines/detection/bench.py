"""Detection timings: our torch engine vs OpenCV DNN on the same YOLOv3-tiny weights, and the live pipeline.

CPU timings on a shared machine are noisy, so competing implementations are measured in
alternation (A B A B ...) in one process and reported with their ratio.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np

from engines.timing import alternate

Record = dict


def _median(xs: list[float]) -> float:
    return round(statistics.median(xs), 3)


def detection_records(threads: int, rounds: int, compile_: bool = False) -> list[Record]:
    """Torch (BN folded, channels_last, inference_mode) vs torch unfused vs OpenCV DNN on YOLOv3-tiny 416."""
    import cv2
    import torch

    from engines import assets
    from engines.detection.decode import decode_rows
    from engines.detection.engine import DetectionEngine
    from engines.importers.darknet import load_darknet

    cfg, weights = assets.require("yolov3-tiny.cfg"), assets.require("yolov3-tiny.weights")
    image = cv2.imread(str(assets.require("messi5.jpg")))
    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)
    engine = DetectionEngine()
    engine.load(None, "cpu")
    torch.set_num_threads(threads)  # load() applies the app's default; the bench pins its own
    rgb = engine.blob(image)
    unfused = load_darknet(cfg, weights).to(memory_format=torch.channels_last)
    x = torch.from_numpy(rgb)[None].permute(0, 3, 1, 2).float().div(255)
    net = cv2.dnn.readNetFromDarknet(str(cfg), str(weights))
    names = net.getUnconnectedOutLayersNames()
    blob = cv2.dnn.blobFromImage(image, 1 / 255, (416, 416), swapRB=True)

    def opencv():
        net.setInput(blob)
        return net.forward(names)

    def torch_unfused():
        with torch.inference_mode():
            return unfused(x)

    fns = {"opencv": opencv, "torch": lambda: engine.forward_rows(rgb), "torch_unfused": torch_unfused}
    if compile_:
        compiled = torch.compile(engine._model)
        t0 = time.perf_counter()
        with torch.inference_mode():
            compiled(x)
        first_s = time.perf_counter() - t0

        def torch_compiled():
            with torch.inference_mode():
                return compiled(x)
        fns["torch_compile"] = torch_compiled
    times = alternate(fns, rounds)
    cv_ms = _median(times["opencv"])
    out = []
    for name, ts in times.items():
        rec = {"name": f"detection.yolov3-tiny.{name}", "device": "cpu", "threads": threads,
               "median_ms": _median(ts), "p90_ms": round(float(np.percentile(ts, 90)), 3), "rounds": rounds,
               "input": "416x416"}
        if name != "opencv":
            rec["ratio_vs_opencv"] = round(cv_ms / rec["median_ms"], 3)  # > 1: faster than OpenCV
        if name == "torch_compile":
            rec["first_call_s"] = round(first_s, 1)
        out.append(rec)
    rows = engine.forward_rows(rgb)
    dec = alternate({"decode": lambda: decode_rows(rows, image.shape[:2], engine.names)}, 200)
    out.append({"name": "detection.decode_nms", "device": "cpu", "median_ms": _median(dec["decode"]),
                "rows": int(rows.shape[0])})
    return out


def _pipeline_run(engine, clip: Path, seconds: float, feed_fps: float) -> dict:
    """One run of the live pipeline: capture thread at `feed_fps` -> LatestSlot -> live_loop."""
    from engines.frame_sources import VideoFileSource
    from engines.frames import LatestSlot
    from engines.pipeline import LiveResult, live_loop

    slot = LatestSlot()
    source = VideoFileSource(clip, fps=feed_fps)
    source.start(slot)
    t_end = time.perf_counter() + seconds
    ages, lat, first = [], [], None
    for item in live_loop(slot, lambda fr: engine.infer(fr.image), lambda: time.perf_counter() > t_end,
                          lambda: "cpu"):
        if not isinstance(item, LiveResult):
            continue
        if first is None:  # start counting once the loop is warm
            first, slot.dropped, slot.delivered = item.t_finished, 0, 0
            continue
        ages.append((item.t_finished - item.frame.t_capture) * 1000)
        lat.append(item.latency_ms)
    elapsed = time.perf_counter() - first
    source.stop()
    return {"frames": len(lat), "seconds": elapsed, "ages": ages, "lat": lat,
            "dropped": slot.dropped, "delivered": slot.delivered}


def pipeline_records(threads: int, seconds: float, feed_fps: float = 30.0, rounds: int = 3,
                     device: str = "cpu") -> list[Record]:
    """The live pipeline over the demo clip fed at `feed_fps`, alternated with the same engine run back to
    back on decoded frames (rounds x [back-to-back, pipeline]), so both see the same machine load.
    device "auto": the app's default on a CPU machine (the fastest backend passing its gate), at `threads`."""
    import os

    import cv2
    import torch

    from engines.detection.engine import DetectionEngine

    clip = Path(__file__).resolve().parents[2] / "assets" / "media" / "demo_street.webm"
    engine = DetectionEngine()
    saved = os.environ.get("PAPERZOO_BACKEND_THREADS")
    os.environ["PAPERZOO_BACKEND_THREADS"] = str(threads)  # the backends' thread count, read at build
    try:
        engine.load(None, device)
    finally:
        if saved is None:
            os.environ.pop("PAPERZOO_BACKEND_THREADS", None)
        else:
            os.environ["PAPERZOO_BACKEND_THREADS"] = saved
    torch.set_num_threads(threads)
    cap = cv2.VideoCapture(str(clip))
    frames = [cap.read()[1] for _ in range(60)]
    for f in frames[:3]:
        engine.infer(f)
    b2b_frames = b2b_s = 0.0
    runs = []
    before = os.getloadavg()[0]
    for _ in range(rounds):
        t0, n = time.perf_counter(), 0
        while time.perf_counter() - t0 < seconds / 2:
            engine.infer(frames[n % len(frames)])
            n += 1
        b2b_frames, b2b_s = b2b_frames + n, b2b_s + time.perf_counter() - t0
        runs.append(_pipeline_run(engine, clip, seconds, feed_fps))
    b2b_fps = b2b_frames / b2b_s
    from engines.backends.records import load_avg

    loads = [before, load_avg()]
    n = sum(x["frames"] for x in runs)
    pipe_fps = n / sum(x["seconds"] for x in runs)
    ages = [a for x in runs for a in x["ages"]]
    lat = [v for x in runs for v in x["lat"]]
    dropped = sum(x["dropped"] for x in runs) / max(1, sum(x["dropped"] + x["delivered"] for x in runs))
    return [
        {"name": "detection.backtoback", "device": engine.device, "threads": threads, "fps": round(b2b_fps, 2),
         "median_ms": round(1000 / b2b_fps, 2), "frames": int(b2b_frames), "load_avg": loads},
        {"name": "detection.pipeline", "device": engine.device, "threads": threads, "feed_fps": feed_fps,
         "fps": round(pipe_fps, 2), "fps_ratio_vs_backtoback": round(pipe_fps / b2b_fps, 3),
         # a source slower than the engine caps the pipeline at its own rate: judge against the lower of the two
         "fps_ratio_vs_ceiling": round(pipe_fps / min(b2b_fps, feed_fps), 3),
         "median_ms": _median(lat), "median_frame_age_ms": _median(ages),
         "frame_age_over_latency": round(statistics.median(ages) / statistics.median(lat), 3),
         "dropped_fraction": round(dropped, 3), "frames": n, "rounds": rounds, "load_avg": loads},
    ]


def bench_records(threads: tuple[int, ...] = (1, 2), rounds: int = 30, seconds: float = 20.0,
                  compile_: bool = False, pipeline: bool = True, backends: bool = True,
                  load: bool = False, feed_fps: float = 30.0) -> list[Record]:
    """Every CPU backend vs OpenCV and torch at each thread count (bench_backends: one record per model,
    backend, precision, threads), or the torch-only records (backends=False, or --compile); then the live
    pipeline over the demo clip. load: also every backend at 1 and 2 threads under one busy process per core."""
    out: list[Record] = []
    if backends:
        from engines.detection.bench_backends import backend_records

        out += backend_records(threads, rounds, load)
    for t in threads:
        if compile_ or not backends:
            out += detection_records(t, rounds, compile_)
        if pipeline:
            out += pipeline_records(t, seconds, feed_fps, device="auto" if backends else "cpu")
    return out
