"""Style transfer on the command line: `python -m engines.style.cli COMMAND ...` (also `paperzoo infer style`).

    infer   IMAGE (--style N | --blend 3:0.5,12:0.5 | --style-image P) [--strength S] [--keep-colors]
            [--size PX] --out PNG [--json J]
    gallery IMAGE --out PNG          the 26 styles on one image, in a 13 x 2 sheet
    video   [VIDEO] [--frames N]     flicker and ms per frame, frame by frame vs video mode (default: vtest.avi)
    contrast IMAGE [--factor F]      output change when the input's contrast is scaled: instance norm vs fixed
                                     statistics (Ulyanov et al.)
    train   iterative Gatys optimisation (the training panel's recipe), headless; --export copies gatys.png
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engines.base import EngineError


def _parser() -> argparse.ArgumentParser:
    from engines.style.task import RECIPE
    from engines.training_cli import add_train_parser

    p = argparse.ArgumentParser(prog="python -m engines.style.cli", description="Style transfer (26 styles, "
                                "arbitrary style, iterative Gatys).")
    sub = p.add_subparsers(dest="cmd", required=True)
    inf = sub.add_parser("infer", help="stylise one image")
    inf.add_argument("image", type=Path)
    which = inf.add_mutually_exclusive_group()
    which.add_argument("--style", type=int, default=0, help="one of the 26 styles (0..25)")
    which.add_argument("--blend", help="weights of several styles, e.g. 3:0.5,12:0.5")
    which.add_argument("--style-image", type=Path, help="any painting or photo: arbitrary-style mode")
    inf.add_argument("--strength", type=float, default=1.0, help="0 keeps the photo, 1 the full style")
    inf.add_argument("--keep-colors", action="store_true", help="stylised luminance, original colours")
    inf.add_argument("--size", type=int, default=0, help="short side the network runs at (0: default)")
    inf.add_argument("--weights", type=Path, help="multistyle26.onnx or its folder (default: fetched assets)")
    inf.add_argument("--out", type=Path, required=True)
    inf.add_argument("--json", type=Path)
    gal = sub.add_parser("gallery", help="the 26 styles on one image")
    gal.add_argument("image", type=Path)
    gal.add_argument("--out", type=Path, required=True)
    gal.add_argument("--side", type=int, default=160)
    vid = sub.add_parser("video", help="flicker frame by frame vs video mode (Ruder et al.)")
    vid.add_argument("video", type=Path, nargs="?", help="a video file (default: the demo clip vtest.avi)")
    vid.add_argument("--frames", type=int, default=60)
    vid.add_argument("--style", type=int, default=3)
    vid.add_argument("--lam", type=float, default=0.6, help="weight of the warped previous output")
    vid.add_argument("--threads", type=int, default=1)
    vid.add_argument("--json", type=Path)
    con = sub.add_parser("contrast", help="instance norm vs fixed statistics under a contrast change")
    con.add_argument("image", type=Path)
    con.add_argument("--factor", type=float, default=0.5)
    con.add_argument("--styles", default="3,12,19")
    add_train_parser(sub, RECIPE, exports=("gatys.png",))
    return p


def parse_blend(text: str) -> dict[int, float]:
    """"3:0.5,12:0.5" -> {3: 0.5, 12: 0.5}; ValueError on anything else."""
    out: dict[int, float] = {}
    for part in text.split(","):
        index, _, weight = part.partition(":")
        out[int(index)] = float(weight or 1.0)
    return out


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return {"infer": _infer, "gallery": _gallery, "video": _video, "contrast": _contrast,
                "train": _train}[args.cmd](args)
    except (EngineError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _engine(weights: Path | None):  # noqa: ANN202
    from engines.style.engine import StyleEngine

    engine = StyleEngine()
    engine.load(weights)
    return engine


def _infer(args: argparse.Namespace) -> int:
    import cv2

    from engines.images import read_image

    engine = _engine(args.weights)
    image = read_image(args.image)
    vector = engine.style_vector(read_image(args.style_image)) if args.style_image else None
    weights = parse_blend(args.blend) if args.blend else args.style
    result = engine.infer(image, weights, args.strength, args.keep_colors, vector, args.size or None)
    if not cv2.imwrite(str(args.out), result.stylized):
        raise EngineError(f"cannot write {args.out}")
    summary = {"out": str(args.out), "mode": result.mode, "net_size": list(result.net_size),
               "ms": round(result.ms, 1), "strength": args.strength, "keep_colors": args.keep_colors,
               "weights": {i: round(float(w), 4) for i, w in enumerate(result.weights) if w > 0}
               if result.weights is not None else None,
               "style_image": str(args.style_image) if args.style_image else None}
    print(json.dumps(summary))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0


def _gallery(args: argparse.Namespace) -> int:
    import cv2
    import numpy as np

    from engines.images import read_image

    thumbs = _engine(None).thumbnails(read_image(args.image), args.side)
    sheet = np.vstack([np.hstack(thumbs[:13]), np.hstack(thumbs[13:])])
    cv2.imwrite(str(args.out), sheet)
    print(f"wrote {args.out}")
    return 0


def _video(args: argparse.Namespace) -> int:
    import torch

    from engines import assets
    from engines.style.video import flicker_on_video

    torch.set_num_threads(args.threads)
    path = args.video or assets.require("vtest.avi")
    res = flicker_on_video(_engine(None), path, args.frames, args.style, args.lam)
    print(json.dumps({k: round(v, 3) for k, v in res.items()}))
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    return 0


def _contrast(args: argparse.Namespace) -> int:
    from engines.images import read_image
    from engines.style.engine import contrast_effect

    engine, image = _engine(None), read_image(args.image)
    for style in (int(s) for s in args.styles.split(",")):
        res = contrast_effect(engine, image, style, args.factor)
        print(json.dumps({"style": style, **{k: round(v, 2) for k, v in res.items()}}))
    return 0


def _train(args: argparse.Namespace) -> int:
    from engines.style.task import RECIPE
    from engines.training_cli import train_main

    return train_main(RECIPE, args)[0]


if __name__ == "__main__":
    raise SystemExit(main())
