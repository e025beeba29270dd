"""sketch-rnn from the command line: train, export a checkpoint's weights, render a sample sheet.

    python -m engines.sketch.cli train --dataset kanji|icons|FILE.npz [--minutes M] [--export F]
    python -m engines.sketch.cli train --resume RUN_DIR/last.pt --minutes 10        # go on
    python -m engines.sketch.cli export RUN_DIR/last.pt OUT.pt                      # a checkpoint's weights
    python -m engines.sketch.cli render WEIGHTS.pt OUT.png [--seed N]               # a sample sheet
"""

from __future__ import annotations

import argparse
import sys


def _parser() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    from engines.sketch.task import RECIPE
    from engines.training_cli import add_train_parser

    p = argparse.ArgumentParser(prog="python -m engines.sketch.cli", description="sketch-rnn (Ha & Eck).")
    sub = p.add_subparsers(dest="command", required=True)
    train = add_train_parser(sub, RECIPE, exports=("sketch.pt",))
    ex = sub.add_parser("export", help="write a training checkpoint's weights (evaluated on the valid split)")
    ex.add_argument("checkpoint", help="a last.pt of a run")
    ex.add_argument("out", help="the weights file to write")
    ex.add_argument("--dataset", default=None, help="the run's data (default: the one in the checkpoint)")
    ex.add_argument("--device", default="cpu")
    rd = sub.add_parser("render", help="write a sample sheet (rows of samples at three temperatures)")
    rd.add_argument("weights")
    rd.add_argument("out")
    rd.add_argument("--seed", type=int, default=0)
    return p, train


def _train(args: argparse.Namespace) -> int:
    from engines.sketch.task import RECIPE
    from engines.training_cli import train_main

    return train_main(RECIPE, args)[0]


def _export(args: argparse.Namespace) -> int:
    from engines.base import EngineError
    from engines.sketch.config import SketchRNNConfig
    from engines.sketch.data import load_dataset
    from engines.sketch.model import export_weights
    from engines.sketch.task import SketchTrainTask
    from engines.training import load_checkpoint

    try:
        ckpt = load_checkpoint(args.checkpoint)
        config = SketchRNNConfig.from_dict(ckpt["task"]["config"])
        data = load_dataset(args.dataset or str(ckpt["task"]["dataset"]))
    except EngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    task = SketchTrainTask(config, data, args.device)
    task.load_state_dict(ckpt["task"])
    metrics = task.evaluate()
    export_weights(task.weights_payload(metrics), args.out)
    print(f"exported {args.out}: " + " ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
    return 0


def _render(args: argparse.Namespace) -> int:
    import cv2

    from engines.base import EngineError
    from engines.sketch.engine import SketchEngine
    from engines.sketch.render import label, sample_sheet

    eng = SketchEngine()
    try:
        eng.load(args.weights)
    except EngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    sheet = sample_sheet(eng, seed=args.seed)
    info = eng.info
    cv2.imwrite(args.out, label(sheet, f"sketch-rnn {info.get('dataset')} step {info.get('step')}"))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser()[0].parse_args(argv)
    return {"train": _train, "export": _export, "render": _render}[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
