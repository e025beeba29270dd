"""Colorization on the command line: `python -m engines.colorization.cli COMMAND ...`.

    train       the panel's recipe headless (also under torchrun): the photo set, or --video V to fine-tune
                self-supervised on a video; --init W starts from a weights file; --export FILE copies the
                run's colorization.pt
    build-data  download the photo packages and build the photo set (index.json)
    add-folder  add a folder of your own colour photos to the set
    evaluate    validation figures of weights files next to the gray / mean-chroma baselines
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engines.base import EngineError


def _parser() -> argparse.ArgumentParser:
    from engines.colorization.task import RECIPE
    from engines.training_cli import add_train_parser

    p = argparse.ArgumentParser(prog="python -m engines.colorization.cli", description="Let there be Color!")
    sub = p.add_subparsers(dest="cmd", required=True)
    add_train_parser(sub, RECIPE, exports=("colorization.pt",))
    b = sub.add_parser("build-data", help="download the photo packages and build the set")
    b.add_argument("--out", type=Path, help="the set's folder (default: the user data dir)")
    b.add_argument("--with-scenes", action="store_true",
                   help="also the scene photos of Ubuntu's wallpaper packages (675 photos, ~1.46 GB more)")
    a = sub.add_parser("add-folder", help="add a folder of your own colour photos to the set")
    a.add_argument("folder", type=Path)
    a.add_argument("--out", type=Path, help="the set's folder (default: the user data dir)")
    inf = sub.add_parser("infer", help="colorize one image at full resolution")
    inf.add_argument("input", type=Path)
    inf.add_argument("--out", type=Path, required=True, help="the coloured image (PNG/JPEG)")
    inf.add_argument("--weights", type=Path, default=None, help="a colorization .pt (default: the shipped model)")
    inf.add_argument("--json", type=Path, help="timing and the class head's top photo-source categories as JSON")
    inf.add_argument("--device", default="cpu")
    ev = sub.add_parser("evaluate", help="validation figures next to two baselines")
    ev.add_argument("weights", nargs="*", type=Path, help="weights files (default: the shipped model)")
    ev.add_argument("--size", type=int, default=256)
    ev.add_argument("--root", type=Path, help="the photo set's folder (default: the user data dir)")
    ev.add_argument("--samples", type=Path, help="write a picture: gray / each model / truth")
    ev.add_argument("--n-samples", type=int, default=8)
    ev.add_argument("--ensemble", action="store_true",
                    help="also score the listed models averaged (every pixel's a*b* averaged over them)")
    ev.add_argument("--json", type=Path)
    ev.add_argument("--threads", type=int, default=1)
    ev.add_argument("--stamp", action="store_true", help="store mean a*b* + figures in the first file's meta")
    ev.add_argument("--anneal-t", type=float, help="rebalanced models: the annealed-mean temperature T")
    ev.add_argument("--debias", type=float, help="rebalanced models: undo this much of the rebalancing (0-1)")
    ev.add_argument("--video", type=Path, help="score on every --every-th frame of this colour video instead "
                    "(e.g. the demo clip vtest.avi)")
    ev.add_argument("--every", type=int, default=40)
    ev.add_argument("--split-source", default="", metavar="SOURCE",
                    help="also the figures on SOURCE's photos and on the others "
                         "(a tag or a tag prefix: ifct_pictures, the food; scenes_, the scene photos)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return {"train": _train, "build-data": _build_data, "add-folder": _add_folder,
                "evaluate": _evaluate, "infer": _infer}[args.cmd](args)
    except (EngineError, ValueError) as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 2


def _train(args: argparse.Namespace) -> int:
    from engines.colorization.task import RECIPE
    from engines.training_cli import train_main

    return train_main(RECIPE, args)[0]


def _infer(args: argparse.Namespace) -> int:
    import json

    import cv2

    from engines.colorization.engine import ColorizationEngine
    from engines.images import read_image

    image = read_image(args.input)
    engine = ColorizationEngine()
    engine.load(args.weights, args.device)
    result = engine.infer(image)
    if not cv2.imwrite(str(args.out), result.colorized):
        raise EngineError(f"could not write {args.out}")
    record = {"input": str(args.input), "out": str(args.out), "ms": round(result.ms, 1),
              "photo_source_categories": [[name, round(p, 3)] for name, p in result.top_classes]}
    if args.json:
        args.json.write_text(json.dumps(record, indent=2))
    print(f"{args.out} ({image.shape[1]}x{image.shape[0]}, {result.ms:.0f} ms)")
    return 0


def _build_data(args: argparse.Namespace) -> int:
    from engines.colorization.data import ALL_SOURCES, SOURCES, build_dataset

    print(f"index written: {build_dataset(args.out, ALL_SOURCES if args.with_scenes else SOURCES)}")
    return 0


def _add_folder(args: argparse.Namespace) -> int:
    from engines.colorization.data import add_folder

    print(f"added {add_folder(args.folder, args.out)} photos from {args.folder}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    import torch

    from engines.colorization.engine import SHIPPED_WEIGHTS
    from engines.colorization.evaluate import evaluate, stamp
    from engines.frames import video_frames

    if args.ensemble and len(args.weights) < 2:
        print("error: --ensemble averages two or more weights files", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    decoding = {k: v for k, v in (("anneal_t", args.anneal_t), ("debias", args.debias)) if v is not None}
    frames = [image for _, image in video_frames(args.video, args.every)] if args.video else None
    res = evaluate(args.weights or [SHIPPED_WEIGHTS], args.size, args.root, samples=args.samples,
                   n_samples=args.n_samples, decoding=decoding, split_source=args.split_source, frames=frames,
                   ensemble=args.ensemble)
    print(f"{'method':32s} {'chroma MSE':>11s} {'vs mean':>8s} {'PSNR dB':>8s} {'colourful':>9s} {'ratio':>6s} "
          f"{'cast':>5s}")
    for name, r in res.items():
        part = name.partition(" | ")[2]  # a split row compares with the baseline on the same photos
        base = res[f"mean chroma | {part}" if part else "mean chroma"]["chroma_mse"]
        print(f"{name:32s} {r['chroma_mse']:11.5f} {100 * (r['chroma_mse'] / base - 1):+7.1f}% "
              f"{r['psnr_db']:8.2f} {r['colourfulness']:9.2f} {r['colourfulness_ratio']:6.2f} {r['cast_share']:5.2f}")
    what = f"frames of {args.video.name}" if args.video else "validation photos"
    print(f"({res['gray']['n']:.0f} {what} at {args.size}x{args.size})")
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    if args.stamp and not args.video:
        stamp(args.weights[0] if args.weights else SHIPPED_WEIGHTS, res, args.size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
