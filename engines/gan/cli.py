"""The GAN lab from the command line: train a variant, render a sample grid or interpolation strip.

    python -m engines.gan.cli train --variant dcgan --dataset fashion-mnist [--minutes M] [--export F.pt]
    python -m engines.gan.cli train --resume RUN_DIR/last.pt --minutes 10        # go on
    python -m engines.gan.cli sample WEIGHTS.pt OUT.png [--seed N] [--interpolate]
"""

from __future__ import annotations

import argparse
import sys


def _parser() -> argparse.ArgumentParser:
    from engines.gan.task import RECIPE
    from engines.training_cli import add_train_parser

    p = argparse.ArgumentParser(prog="python -m engines.gan.cli", description="GAN lab (GAN, DCGAN, WGAN, ...).")
    sub = p.add_subparsers(dest="command", required=True)
    add_train_parser(sub, RECIPE, exports=("gan.pt",))
    sp = sub.add_parser("sample", help="write an 8x8 grid of samples (or 8 interpolation rows) as a PNG")
    sp.add_argument("weights")
    sp.add_argument("out")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--interpolate", action="store_true", help="rows go from one z to another (slerp)")
    return p


def _sample(args: argparse.Namespace) -> int:
    import cv2

    from engines.base import EngineError
    from engines.gan.engine import GANEngine

    eng = GANEngine()
    try:
        eng.load(args.weights)
    except EngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    image = eng.interpolation_sheet(rows=8, steps=8, seed=args.seed) if args.interpolate else eng.grid(64, args.seed)
    cv2.imwrite(args.out, image)
    print(f"wrote {args.out}: {eng.describe()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "train":
        from engines.gan.task import RECIPE
        from engines.training_cli import train_main

        return train_main(RECIPE, args)[0]
    return _sample(args)


if __name__ == "__main__":
    raise SystemExit(main())
