"""Headless inference: `paperzoo infer detection INPUT --out ANNOTATED.png --json RESULT.json`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from engines.base import EngineError


def infer_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="paperzoo infer", description="Run a paper's model on one image.")
    p.add_argument("paper", choices=["detection"])
    p.add_argument("input", type=Path)
    p.add_argument("--out", type=Path, help="annotated PNG")
    p.add_argument("--json", type=Path, help="result as JSON")
    p.add_argument("--device", default="cpu")
    p.add_argument("--conf", type=float, default=0.25)
    p.add_argument("--nms", type=float, default=0.45)
    p.add_argument("--cfg", type=Path, help="a Darknet .cfg (with --weights) instead of the pretrained model")
    p.add_argument("--weights", type=Path)
    args = p.parse_args(argv)
    try:
        return _detect(args)
    except EngineError as exc:
        print(f"error: {exc}")
        return 2


def _detect(args: argparse.Namespace) -> int:
    import cv2

    from engines.detection.decode import draw_detections
    from engines.detection.engine import DarknetWeights, DetectionEngine

    image = cv2.imread(str(args.input), cv2.IMREAD_COLOR)
    if image is None:
        raise EngineError(f"{args.input} is not an image PaperZoo can read")
    weights = None
    if args.cfg or args.weights:
        if not (args.cfg and args.weights):
            raise EngineError("--cfg and --weights go together")
        weights = DarknetWeights(args.cfg, args.weights, args.weights.with_suffix(".names"))
    engine = DetectionEngine()
    engine.load(weights, args.device)
    det = engine.infer(image, args.conf, args.nms)
    record = {"input": str(args.input), "model": engine.weights.label if engine.weights else "",
              "device": engine.device, "infer_ms": round(det.infer_ms, 2), **det.to_json()}
    if args.out:
        cv2.imwrite(str(args.out), draw_detections(image, det))
    if args.json:
        args.json.write_text(json.dumps(record, indent=2))
    for d in record["detections"]:
        print(f"{d['label']:>14s} {d['score']:.2f} {d['box_xyxy']}")
    return 0
