"""`python -m engines.device_check --device cuda --json OUT.json`: every tab's engine on one device at 720p.

Issue 13 asks for every tab >= 60 FPS at 720p input on one GPU. Each engine is loaded on `--device` and fed
real frames of the app's demo clip (assets/media/demo_street.webm) scaled to 1280x720, the same frames for
every engine. Engines whose fetched files are absent (YOLOv3-tiny, BlazePose, the style network) are
recorded as errors; the in-repo YOLOv2 street model then finds the people for pose. A record per engine:
{name, device, input, median_ms, p90_ms, fps, frames} or {name, device, error}. One engine failing does not
stop the others. The same command on "cpu" checks the script itself on a machine without a GPU.

On a lent GPU machine (no network there; carry the fetched files, see tests/manual/gpu_check.sh).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / "assets" / "weights"


def frames_720p(count: int) -> list[np.ndarray]:
    """The first `count` frames of the demo clip (engines.backends.frames), as BGR uint8 (720, 1280, 3)."""
    import cv2

    from engines.backends.frames import demo_frames

    clip = demo_frames(count, step=1)
    if not clip:
        raise RuntimeError("the demo clip (assets/media/demo_street.webm) gave no frames")
    return [cv2.resize(f, (1280, 720), interpolation=cv2.INTER_LINEAR) for f in clip]


def _detector(device: str, model: str):
    """A loaded DetectionEngine: model "yolov3-tiny" (fetched) or "yolov2-street" (in the repo)."""
    from engines.detection.engine import DarknetWeights, DetectionEngine

    e = DetectionEngine()
    if model == "yolov3-tiny":
        e.load(None, device)
    else:
        e.load(DarknetWeights.shipped_yolov2(), device)
    return e


def _pose(device: str, student: bool) -> Callable[[np.ndarray], object]:
    from engines import assets
    from engines.pose.engine import PoseEngine

    have_v3 = not assets.missing(["yolov3-tiny.weights"])
    detector = _detector(device, "yolov3-tiny" if have_v3 else "yolov2-street")
    e = PoseEngine(backend="torch") if not student else PoseEngine()
    e.load(WEIGHTS / "pose_hourglass.pt" if student else None, device, detector=detector)
    return lambda im: e.infer(im, max_people=4)


def _colorization(device: str) -> Callable[[np.ndarray], object]:
    from engines.colorization.engine import ColorizationEngine

    e = ColorizationEngine()
    e.load(None, device)
    return e.infer


def _style(device: str) -> Callable[[np.ndarray], object]:
    from engines.style.engine import StyleEngine

    e = StyleEngine()
    e.load(None, device)
    return lambda im: e.infer(im, weights=0)


def _gan(device: str) -> Callable[[np.ndarray], object]:
    from engines.gan.engine import GANEngine

    e = GANEngine()
    e.load(WEIGHTS / "gan_dcgan_fashion-mnist.pt", device)
    return lambda _im: e.grid(64)  # the tab's 64-sample grid; the frame is not an input


ENGINES: dict[str, Callable[[str], Callable[[np.ndarray], object]]] = {
    "detection.yolov3-tiny": lambda d: _detector(d, "yolov3-tiny").infer,
    "detection.yolov2-street": lambda d: _detector(d, "yolov2-street").infer,
    "pose.blazepose_4people": lambda d: _pose(d, student=False),
    "pose.student_4people": lambda d: _pose(d, student=True),
    "colorization": _colorization,
    "style.multistyle26": _style,
    "gan.dcgan_grid64": _gan,
}


def time_engine(name: str, device: str, frames: list[np.ndarray], warmup: int = 5) -> dict:
    """Load `name` on `device`, run `warmup` frames, then time every frame (ms; the result is numpy on the host,
    so a GPU's work is finished when infer returns)."""
    record: dict = {"name": name, "device": device, "input": "1280x720"}
    try:
        run = ENGINES[name](device)
        for im in frames[:warmup]:
            run(im)
        ms = []
        for im in frames:
            t0 = time.perf_counter()
            run(im)
            ms.append((time.perf_counter() - t0) * 1000)
    except Exception as exc:  # noqa: BLE001 (a report: one engine's failure is its record, the others go on)
        return {**record, "error": f"{type(exc).__name__}: {exc}"}
    ms.sort()
    med = statistics.median(ms)
    return {**record, "median_ms": round(med, 2), "p90_ms": round(ms[int(0.9 * (len(ms) - 1))], 2),
            "fps": round(1000 / med, 1), "frames": len(ms)}


def gpu_name(device: str) -> str:
    if device.startswith("cuda"):
        import torch

        return torch.cuda.get_device_name(0)
    return "cpu"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m engines.device_check", description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda")
    p.add_argument("--frames", type=int, default=60, help="timed frames per engine")
    p.add_argument("--only", choices=list(ENGINES), action="append")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    frames = frames_720p(args.frames)
    records = []
    for name in args.only or list(ENGINES):
        r = {**time_engine(name, args.device, frames), "hardware": gpu_name(args.device)}
        print(json.dumps(r), flush=True)
        records.append(r)
    if args.json:
        args.json.write_text(json.dumps(records, indent=2))
    return 0 if all("error" not in r for r in records) else 1


if __name__ == "__main__":
    raise SystemExit(main())
