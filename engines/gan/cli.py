"""The GAN lab from the command line: train a variant, render a sample grid or interpolation strip.

    python -m engines.gan.cli train --variant dcgan --dataset fashion-mnist [--minutes M] [--export F.pt]
    python -m engines.gan.cli train --resume RUN_DIR/last.pt --minutes 10        # go on
    python -m engines.gan.cli export RUN_DIR/last.pt OUT.pt                      # a checkpoint's weights
    python -m engines.gan.cli sample WEIGHTS.pt OUT.png [--seed N] [--interpolate]
    python -m engines.gan.cli classifier --dataset fashion-mnist [--steps 900]     # the FD classifier
    python -m engines.gan.cli score WEIGHTS.pt                                     # FD, coverage, precision, recall
    python -m engines.gan.cli compare RUN_A RUN_B [--from-step S]                  # runs' metrics side by side
    python -m engines.gan.cli backends WEIGHTS.pt                                  # grid: torch vs CPU backends
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
    ex = sub.add_parser("export", help="write a training checkpoint's generator (and a 2-D D) as a gan.pt")
    ex.add_argument("checkpoint", help="a last.pt of a run")
    ex.add_argument("out")
    ex.add_argument("--score", action="store_true", help="write `score`'s figures into the file (the tab shows its FD)")
    cl = sub.add_parser("classifier", help="train the small classifier whose features give our FD; ship it")
    cl.add_argument("--dataset", default="fashion-mnist", choices=("fashion-mnist", "mnist"))
    cl.add_argument("--steps", type=int, default=900)
    sc = sub.add_parser("score", help="FD on our classifier's features (1,000 test pictures vs 1,000 samples)")
    sc.add_argument("weights")
    sc.add_argument("--dataset", default="fashion-mnist", choices=("fashion-mnist", "mnist"))
    cv = sub.add_parser("claim", help="Spearman correlation of a loss curve with FD over a run's evaluations")
    cv.add_argument("run_dir")
    cv.add_argument("--curve", default="critic_estimate", help="a loss key of metrics.jsonl (e.g. d_loss)")
    cv.add_argument("--window", type=int, default=50, help="steps averaged before each evaluation")
    cv.add_argument("--from-step", type=int, default=0, help="leave out evaluations before this step")
    cv.add_argument("--against", default="fd_classifier", help="the evaluation metric (e.g. precision, recall)")
    cp = sub.add_parser("compare", help="runs side by side: each evaluation metric averaged over the steps all of "
                                        "them evaluated (e.g. BEGAN at two gammas)")
    cp.add_argument("run_dirs", nargs="+")
    cp.add_argument("--metrics", default="fd_classifier,classes_covered,precision,recall")
    cp.add_argument("--from-step", type=int, default=0)
    cp.add_argument("--to-step", type=int, default=10**9)
    bk = sub.add_parser("backends", help="time the 64-tile grid on torch and the CPU backends (gated first)")
    bk.add_argument("weights")
    bk.add_argument("--rounds", type=int, default=20)
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


def _classifier(args: argparse.Namespace) -> int:
    import time

    from engines.gan.data import load_images, to_training
    from engines.gan.metrics import accuracy, classifier_path, save_classifier, train_classifier

    t0 = time.perf_counter()
    train, test = load_images(args.dataset, "train"), load_images(args.dataset, "test")
    net = train_classifier(to_training(train.images), train.labels, args.steps,
                           log=lambda s, loss: print(f"step {s}: loss {loss:.3f}", file=sys.stderr))
    acc = accuracy(net, to_training(test.images), test.labels)
    out = save_classifier(net, classifier_path(args.dataset), args.dataset, acc)
    print(f"wrote {out}: test accuracy {acc:.4f} on {len(test.images)} pictures, "
          f"{time.perf_counter() - t0:.0f} s")
    return 0


def _figures(weights: str, dataset: str) -> dict[str, float]:
    """`score`'s figures of a weights file: 1,000 samples (seed 99) against 1,000 test pictures; {} when the data
    set has no classifier."""
    from engines.gan.engine import GANEngine
    from engines.gan.metrics import SampleScorer

    scorer = SampleScorer.for_dataset(dataset.removesuffix("-train"))
    if scorer is None:
        return {}
    eng = GANEngine()
    eng.load(weights)
    x = eng.sample(1000, seed=99).pictures[:, None].astype("float32") / 127.5 - 1  # the [-1, 1] frame
    return {k: round(v, 4) for k, v in scorer.score(x).items()}


def _score(args: argparse.Namespace) -> int:
    from engines.base import EngineError

    try:
        figures = _figures(args.weights, args.dataset)
    except EngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not figures:
        print(f"error: no classifier for {args.dataset}; run `classifier` first", file=sys.stderr)
        return 1
    print(" ".join(f"{k} {v:.4f}" for k, v in figures.items()) + f"  ({args.weights})")
    return 0


def _backends(args: argparse.Namespace) -> int:
    import json

    from engines.gan.bench import backend_records

    for record in backend_records(args.weights, args.rounds):
        print(json.dumps(record))
    return 0


def _claim(args: argparse.Namespace) -> int:
    from pathlib import Path

    from engines.gan.metrics import curve_vs_metric, spearman

    steps, curve, fd = curve_vs_metric(Path(args.run_dir) / "metrics.jsonl", args.curve, args.window, args.against)
    keep = steps >= args.from_step
    steps, curve, fd = steps[keep], curve[keep], fd[keep]
    if len(steps) < 3:
        print(f"error: {len(steps)} evaluations with {args.against} in {args.run_dir}; need at least 3",
              file=sys.stderr)
        return 1
    for s, c, f in zip(steps, curve, fd):
        print(f"step {s:6d}  {args.curve} {c:9.4f}  {args.against} {f:9.3f}")
    print(f"Spearman({args.curve}, {args.against}) = {spearman(curve, fd):.3f} over {len(steps)} evaluations")
    return 0


def _compare(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    names = [m for m in args.metrics.split(",") if m]
    runs = {}
    for run in args.run_dirs:
        rows = [json.loads(line) for line in (Path(run) / "metrics.jsonl").read_text().splitlines() if line.strip()]
        runs[run] = {r["step"]: r["metrics"] for r in rows
                     if args.from_step <= r["step"] <= args.to_step and all(m in r.get("metrics", {}) for m in names)}
    common = sorted(set.intersection(*(set(evals) for evals in runs.values())))
    if not common:
        print("error: the runs share no evaluated step in that range with all those metrics", file=sys.stderr)
        return 1
    print(f"mean over {len(common)} evaluations, steps {common[0]}-{common[-1]}")
    for run, evals in runs.items():
        means = {m: sum(evals[s][m] for s in common) / len(common) for m in names}
        print(f"{Path(run).name:>28}  " + "  ".join(f"{m} {v:.4f}" for m, v in means.items()))
    return 0


def _export(args: argparse.Namespace) -> int:
    from engines.base import EngineError
    from engines.gan.config import GANConfig
    from engines.gan.model import build_discriminator, build_generator, export_weights, weights_payload
    from engines.runtime import require_finite
    from engines.training import load_checkpoint

    try:
        task = load_checkpoint(args.checkpoint)["task"]
        config = GANConfig.from_dict(dict(task["config"]))
        require_finite(task["G"], args.checkpoint)
        G, D = build_generator(config), build_discriminator(config)
        G.load_state_dict(task["G"])
        D.load_state_dict(task["D"])
    except (EngineError, KeyError, ValueError, RuntimeError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    payload = weights_payload(config, G, None if config.image else D, dataset=str(task.get("dataset")),
                              step=int(task["step"]), metrics={})
    export_weights(payload, args.out)
    if args.score:
        payload["metrics"] = _figures(args.out, str(task.get("dataset")))
        export_weights(payload, args.out)
    print(f"exported {args.out}: {config.variant} step {int(task['step'])} {payload['metrics']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "train":
        from engines.gan.task import RECIPE
        from engines.training_cli import train_main

        return train_main(RECIPE, args)[0]
    return {"export": _export, "sample": _sample, "classifier": _classifier, "score": _score,
            "claim": _claim, "compare": _compare, "backends": _backends}[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
