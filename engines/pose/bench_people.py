"""Pose for everyone, timed: `python -m engines.pose.cli bench --only people`.

Frame 160 of the demo street clip (8 people BlazePose confirms), the pose engine at max_people 1 and 4, with
its person detector on torch and on the fastest CPU backend ("auto"), alternated in one process. Records:
{name, device, threads, people, median_ms, fps, load_avg}.
"""

from __future__ import annotations

import os

import numpy as np

from engines.timing import alternate


def street_frame(index: int = 160) -> np.ndarray:
    """BGR uint8 (576, 768, 3) frame `index` of vtest.avi."""
    import cv2

    from engines import assets

    cap = cv2.VideoCapture(str(assets.require("vtest.avi")))
    cap.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, frame = cap.read()
    cap.release()
    if not ok:
        raise RuntimeError(f"vtest.avi has no frame {index}")
    return frame


def people_records(threads: int, rounds: int = 10) -> list[dict]:
    from engines.pose.engine import PoseEngine

    frame = street_frame()
    fns, meta = {}, {}
    for det_device in ("cpu", "auto"):
        pose = PoseEngine()
        pose.load(detector_device=det_device)  # its own person detector, on torch or the fastest backend
        det = pose.detector
        for people in (1, 4):
            key = f"pose.people{people}.detector_{det.device}"
            fns[key] = (lambda p=pose, n=people: p.infer(frame, max_people=n))
            meta[key] = (det.device, people)
    times = alternate(fns, rounds, warmup=2)
    load = [round(v, 2) for v in os.getloadavg()]
    out = []
    for key, ms in times.items():
        median = float(np.median(ms))
        out.append({"name": key, "device": meta[key][0], "threads": threads, "people": meta[key][1],
                    "median_ms": round(median, 1), "fps": round(1000 / median, 1), "load_avg": load})
    return out
