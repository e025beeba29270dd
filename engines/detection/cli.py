"""Detection on the command line: `python -m engines.detection.cli COMMAND ...` (also `paperzoo infer detection`).

    train          the panel's YOLOv2 recipe headless (also under torchrun); --export STEM copies the Darknet files
    pseudo-labels  a video or image folder -> a YOLO-format set labelled by the pretrained YOLOv3-tiny
    evaluate       mAP@0.5 of Darknet files STEM.cfg/.weights/.names on a folder's held-out split
    infer          one image -> annotated PNG and JSON
    bench          timings vs OpenCV DNN on the same weights, and the live pipeline
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engines.base import EngineError


def _parser() -> argparse.ArgumentParser:
    from engines.detection.task import RECIPE
    from engines.training_cli import add_train_parser

    p = argparse.ArgumentParser(prog="python -m engines.detection.cli", description="YOLO detection.")
    sub = p.add_subparsers(dest="cmd", required=True)
    add_train_parser(sub, RECIPE, exports=("yolov2.cfg", "yolov2.weights", "yolov2.names"))
    pl = sub.add_parser("pseudo-labels", help="a labelled set from your own footage, the pretrained model as teacher")
    pl.add_argument("source", help="a video file, a folder of videos, or a folder of images (a sequence)")
    pl.add_argument("--classes", default="person,car", help="COCO class names to keep, comma separated")
    pl.add_argument("--out", required=True, help="output folder (YOLO format)")
    pl.add_argument("--val-fraction", type=float, default=0.25, help="last fraction of frames (or videos) held out")
    pl.add_argument("--gap", type=int, default=50, help="frames dropped between the train and val segments")
    pl.add_argument("--every", type=int, default=1, help="keep every N-th frame")
    pl.add_argument("--conf", type=float, default=0.3, help="teacher score threshold")
    ev = sub.add_parser("evaluate", help="mAP@0.5 on a folder's held-out split")
    ev.add_argument("stem", help="Darknet files STEM.cfg/.weights/.names, or 'teacher' for YOLOv3-tiny COCO")
    ev.add_argument("--data", required=True, help="YOLO or VOC folder")
    ev.add_argument("--split", default="val")
    ev.add_argument("--input-size", type=int, default=None)
    inf = sub.add_parser("infer", help="run the model on one image")
    inf.add_argument("input", type=Path)
    inf.add_argument("--out", type=Path, help="annotated PNG")
    inf.add_argument("--json", type=Path, help="result as JSON")
    inf.add_argument("--device", default="cpu")
    inf.add_argument("--conf", type=float, default=0.25)
    inf.add_argument("--nms", type=float, default=0.45)
    inf.add_argument("--cfg", type=Path, help="a Darknet .cfg (with --weights) instead of the pretrained model")
    inf.add_argument("--weights", type=Path)
    b = sub.add_parser("bench", help="timings (the records `python -m engines.bench` prints for detection)")
    b.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    b.add_argument("--rounds", type=int, default=30)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return {"train": _train, "pseudo-labels": _pseudo_labels, "evaluate": _evaluate, "infer": _infer,
                "bench": _bench}[args.cmd](args)
    except (EngineError, ValueError) as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 2


def _train(args: argparse.Namespace) -> int:
    from engines.detection.task import RECIPE
    from engines.training_cli import train_main

    return train_main(RECIPE, args)[0]


def _pseudo_labels(args: argparse.Namespace) -> int:
    from engines.detection.pseudo_labels import build_pseudo_labels
    from engines.progress import TextBar

    summary = build_pseudo_labels(args.source, [c.strip() for c in args.classes.split(",") if c.strip()],
                                  args.out, val_fraction=args.val_fraction, gap=args.gap, every=args.every,
                                  conf=args.conf, progress=TextBar("frames"))
    print(f"\n{json.dumps(summary['counts'])} images, {json.dumps(summary['boxes'])} boxes -> {args.out}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from engines.detection.engine import DarknetWeights
    from engines.detection.evaluate import evaluate_darknet

    stem = Path(args.stem)
    weights = None if args.stem == "teacher" else DarknetWeights(stem.with_suffix(".cfg"), stem.with_suffix(".weights"),
                                                                 stem.with_suffix(".names"))
    print(json.dumps(evaluate_darknet(weights, args.data, args.split, args.input_size), indent=2))
    return 0


def _infer(args: argparse.Namespace) -> int:
    import cv2

    from engines.detection.decode import draw_detections
    from engines.detection.engine import DarknetWeights, DetectionEngine
    from engines.images import read_image

    image = read_image(args.input)
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


def _bench(args: argparse.Namespace) -> int:
    from engines.detection.bench import bench_records

    for record in bench_records(threads=tuple(args.threads), rounds=args.rounds):
        print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
