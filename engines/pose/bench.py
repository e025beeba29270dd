"""Pose timings: `python -m engines.pose.bench [--threads 1 2] [--rounds 20]` (also used by engines.bench).

BlazePose full on one real 256x256 crop, every runtime measured in alternation in one process:
  opencv        cv2.dnn.readNetFromTFLite, whole graph (5 outputs)
  torch_full    our importer, whole graph, NCHW (the same work OpenCV does)
  torch         our importer as the engine runs it: segmentation branch pruned, channels_last
  litert        ai-edge-litert with XNNPACK (whole graph)
Each record carries `x_opencv` = opencv_ms / ms (above 1 = faster than OpenCV). Then the
Stacked Hourglass (2 stacks) at 256x256, paper width and the distilled student, on the CPU and,
when present, on CUDA.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable

import numpy as np

from engines.timing import alternate as _alternate


def _crop() -> np.ndarray:
    """RGB uint8 (256, 256, 3): the player in basketball1.png (a real person)."""
    import cv2

    from engines import assets

    img = cv2.imread(str(assets.require("basketball1.png")))
    return cv2.cvtColor(cv2.resize(img[40:220, 0:180], (256, 256)), cv2.COLOR_BGR2RGB)


def blazepose_records(threads: int, rounds: int) -> list[dict]:
    import cv2
    import torch

    from engines.importers.tflite import load_tflite
    from engines.pose.backends import OpenCVBlaze, TorchBlaze, litert_available
    from engines.pose.engine import default_weights

    path = default_weights()
    rgb = _crop()
    blob = torch.from_numpy((rgb.astype(np.float32) / 255).transpose(2, 0, 1)[None].copy())
    full = load_tflite(path)
    engine_torch = TorchBlaze(path, "cpu")
    ocv = OpenCVBlaze(path)
    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)

    def torch_full() -> object:
        with torch.inference_mode():
            return full(blob)

    fns: dict[str, Callable[[], object]] = {
        "opencv": lambda: ocv.run(rgb),
        "torch_full": torch_full,
        "torch": lambda: engine_torch.run(rgb),
    }
    if litert_available():
        from engines.pose.backends import LiteRTBlaze

        lite = LiteRTBlaze(path, threads=threads)
        fns["litert"] = lambda: lite.run(rgb)
    times = _alternate(fns, rounds)
    base = statistics.median(times["opencv"])
    out = []
    for name, ts in times.items():
        med = statistics.median(ts)
        out.append(
            {
                "name": f"pose/blazepose_full/{name}",
                "device": "cpu",
                "threads": threads,
                "median_ms": round(med, 2),
                "p90_ms": round(float(np.percentile(ts, 90)), 2),
                "x_opencv": round(base / med, 3),
                "rounds": rounds,
                "input": "1x256x256x3",
            }
        )
    return out


def _flops(model: object, x: object) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as fc:
        model(x)
    return fc.get_total_flops() / 1e9


def hourglass_records(threads: int, rounds: int) -> list[dict]:
    """2-stack Hourglass at 256x256 (paper width 256) and the student, fp32 NCHW vs channels_last."""
    import torch

    from engines.pose.config import HourglassConfig, student_config
    from engines.pose.model import StackedHourglassNet, count_parameters

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    out = []
    for label, cfg in (("paper_256", HourglassConfig()), ("student", student_config())):
        net = StackedHourglassNet(cfg).eval()
        x = torch.rand(1, 3, cfg.input_size, cfg.input_size)
        with torch.inference_mode():
            gflops = _flops(net, x)
        cl = StackedHourglassNet(cfg).eval().to(memory_format=torch.channels_last)
        cl.load_state_dict(net.state_dict())
        xc = x.contiguous(memory_format=torch.channels_last)

        def run(m: object, inp: object) -> Callable[[], object]:
            def fn() -> object:
                with torch.inference_mode():
                    return m(inp)

            return fn

        n = max(3, rounds // (4 if label == "paper_256" else 1))
        times = _alternate({"nchw": run(net, x), "channels_last": run(cl, xc)}, n, warmup=1)
        for layout, ts in times.items():
            out.append(
                {
                    "name": f"pose/hourglass_{label}/{layout}",
                    "device": "cpu",
                    "threads": threads,
                    "median_ms": round(statistics.median(ts), 2),
                    "gflops": round(gflops, 2),
                    "params": count_parameters(net),
                    "input": f"1x3x{cfg.input_size}x{cfg.input_size}",
                    "stacks": cfg.stacks,
                    "features": cfg.features,
                    "rounds": n,
                }
            )
        if torch.cuda.is_available():
            out.append(_cuda_record(label, net, cfg.input_size, rounds, gflops))
    return out


def _cuda_record(label: str, net: object, size: int, rounds: int, gflops: float) -> dict:
    import torch

    gpu = net.to("cuda").half().to(memory_format=torch.channels_last)
    x = torch.rand(1, 3, size, size, device="cuda").half().contiguous(memory_format=torch.channels_last)

    def fn() -> object:
        with torch.inference_mode():
            y = gpu(x)
        torch.cuda.synchronize()
        return y

    ts = _alternate({"cuda": fn}, rounds * 5, warmup=10)["cuda"]
    return {
        "name": f"pose/hourglass_{label}/cuda_fp16",
        "device": torch.cuda.get_device_name(0),
        "median_ms": round(statistics.median(ts), 3),
        "gflops": round(gflops, 2),
        "input": f"1x3x{size}x{size}",
    }


def bench_records(threads: tuple[int, ...] = (1, 2), rounds: int = 20, backends: bool = True) -> list[dict]:
    """All pose records: BlazePose runtimes compared, then the Hourglass, then the shipped student on every
    CPU backend (engines.pose.cpu_backend); {name, device, median_ms, ...}."""
    records: list[dict] = []
    for t in threads:
        records += blazepose_records(t, rounds)
    for t in threads:
        records += hourglass_records(t, rounds)
    if backends:
        from engines.pose.cpu_backend import STUDENT, backend_records

        if STUDENT.is_file():
            records += backend_records(threads, rounds)
    return records
