"""Training sketch-rnn: a TrainTask for the shared loop, weight export, and a headless CLI.

    python -m engines.sketch.train --dataset kanji --minutes 25 --export assets/weights/sketch_kanji.pt
    python -m engines.sketch.train --dataset kanji --minutes 10 --resume RUN_DIR/last.pt   # go on
    python -m engines.sketch.train --export-from RUN_DIR/last.pt --export out.pt           # export only

Resume is exact: the batch order is a seeded permutation per epoch plus a position, augmentation
noise is seeded by (seed, step), and the torch RNG state travels in the checkpoint.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engines.base import EngineError, TrainStep
from engines.sketch.config import SketchRNNConfig
from engines.sketch.data import BOX, StrokeSet, load_dataset
from engines.sketch.model import SketchRNN, kl_weight_at, total_loss
from engines.sketch.strokes import stroke3_to_stroke5

WEIGHTS_FORMAT = "paperzoo-sketch-rnn-1"


def make_batch(
    drawings: Sequence[np.ndarray],
    scale: float,
    max_len: int,
    rng: np.random.Generator | None = None,
    random_scale: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """stroke-3 drawings (canvas units) -> (float32[B, max_len + 1, 5] with start token, int64[B] lengths).

    Offsets are divided by `scale`; with `rng`, x and y of each drawing are stretched independently
    by a factor in [1 - random_scale, 1 + random_scale] (the paper's augmentation).
    """
    out = np.zeros((len(drawings), max_len + 1, 5), dtype=np.float32)
    out[:, 0, 2] = 1.0  # S_0 = (0, 0, 1, 0, 0)
    lengths = np.zeros(len(drawings), dtype=np.int64)
    for i, s in enumerate(drawings):
        s5 = stroke3_to_stroke5(s[:max_len], max_len)
        s5[:, :2] /= scale
        if rng is not None and random_scale > 0:
            s5[:, :2] *= rng.uniform(1 - random_scale, 1 + random_scale, size=2).astype(np.float32)
        out[i, 1:] = s5
        lengths[i] = min(len(s), max_len)
    return out, lengths


class SketchTrainTask:
    """One optimisation step per call on a StrokeSet; see engines.training.TrainTask."""

    def __init__(
        self, config: SketchRNNConfig, data: StrokeSet, device: str = "cpu", scale_factor: float | None = None
    ):
        self.config = config
        self.data = data.filtered(config.max_seq_len)
        if not self.data.drawings["train"]:
            raise EngineError(f"no training drawings of at most {config.max_seq_len} points in {data.name}")
        self.scale = float(scale_factor or self.data.scale_factor())
        self.device = torch.device(device)
        torch.manual_seed(config.seed)
        self.model = SketchRNN(config).to(self.device)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=config.learning_rate)
        n = len(self.data.drawings["train"])
        self.steps_per_epoch = max(1, n // config.batch_size)
        self.epoch, self.position, self.step = 0, 0, 0
        self._order = self._permutation(0)

    def _permutation(self, epoch: int) -> np.ndarray:
        """This epoch's order: shuffled, then sorted by length inside pools of 20 batches, cut into
        batches whose order is shuffled again (similar lengths per batch: shorter padded batches)."""
        rng = np.random.default_rng([self.config.seed, epoch])
        lengths = np.array([len(s) for s in self.data.drawings["train"]])
        b = self.config.batch_size
        perm = rng.permutation(len(lengths))
        perm = perm[: max(b, len(perm) // b * b)]
        pools = [perm[i : i + 20 * b] for i in range(0, len(perm), 20 * b)]
        pools = [p[np.argsort(lengths[p], kind="stable")] for p in pools]
        order = np.concatenate(pools)
        batches = [order[i : i + b] for i in range(0, len(order), b)]
        return np.concatenate([batches[i] for i in rng.permutation(len(batches))])

    def _next_indices(self) -> np.ndarray:
        b = self.config.batch_size
        if self.position + b > len(self._order):
            self.epoch, self.position = self.epoch + 1, 0
            self._order = self._permutation(self.epoch)
        idx = self._order[self.position : self.position + b]
        self.position += b
        return idx

    def lr(self) -> float:
        c = self.config
        return (c.learning_rate - c.min_lr) * c.decay_rate**self.step + c.min_lr

    def train_step(self, step: int) -> Mapping[str, float]:
        """One Adam step on a batch; returns loss (total), L_R, L_KL, L_s, L_p and kl_weight."""
        self.step = step
        train = self.data.drawings["train"]
        idx = self._next_indices()
        rng = np.random.default_rng([self.config.seed, step, 1])
        batch, lengths = make_batch(
            [train[i] for i in idx], self.scale, self.config.max_seq_len, rng, self.config.random_scale
        )
        batch = batch[:, : min(self.config.max_seq_len, int(lengths.max()) + 1) + 1]  # keep one end row
        self.model.train()
        for g in self.opt.param_groups:
            g["lr"] = self.lr()
        losses = self.model(torch.from_numpy(batch).to(self.device), torch.from_numpy(lengths).to(self.device))
        loss = total_loss(losses, self.config, step)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.opt.step()
        out = {k: float(v.detach()) for k, v in losses.items()}
        return {"loss": float(loss.detach()), **out, "kl_weight": kl_weight_at(self.config, step)}

    @torch.no_grad()
    def evaluate(self, split: str = "valid") -> dict[str, float]:
        """Mean L_R, L_KL, L_s, L_p over a split (no augmentation, z noise from a fixed seed)."""
        drawings = self.data.drawings[split] or self.data.drawings["train"][: self.config.batch_size]
        self.model.eval()
        sums: dict[str, float] = {}
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(1234)
            for a in range(0, len(drawings), self.config.batch_size):
                part = drawings[a : a + self.config.batch_size]
                batch, lengths = make_batch(part, self.scale, self.config.max_seq_len)
                losses = self.model(torch.from_numpy(batch).to(self.device), torch.from_numpy(lengths).to(self.device))
                for k, v in losses.items():
                    sums[k] = sums.get(k, 0.0) + float(v) * len(part)
        return {f"valid_{k}": v / len(drawings) for k, v in sums.items()}

    def state_dict(self) -> dict[str, Any]:
        return {
            "model": self.model.state_dict(),
            "optimizer": self.opt.state_dict(),
            "epoch": self.epoch,
            "position": self.position,
            "step": self.step,
            "torch_rng": torch.get_rng_state(),
            "scale_factor": self.scale,
            "config": self.config.to_dict(),
            "dataset": self.data.name,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["optimizer"])
        self.epoch, self.position, self.step = int(state["epoch"]), int(state["position"]), int(state["step"])
        self._order = self._permutation(self.epoch)
        self.scale = float(state["scale_factor"])
        torch.set_rng_state(state["torch_rng"])

    def weights_payload(self, metrics: Mapping[str, float] | None = None) -> dict[str, Any]:
        return weights_payload(
            self.model, self.config, self.scale, self.data.name, self.data.licence, self.step, metrics or {}
        )


def weights_payload(
    model: SketchRNN,
    config: SketchRNNConfig,
    scale: float,
    dataset: str,
    licence: str,
    step: int,
    metrics: Mapping[str, float],
) -> dict[str, Any]:
    """What SketchEngine.load reads: tensors and plain values only (weights_only-safe)."""
    return {
        "format": WEIGHTS_FORMAT,
        "config": config.to_dict(),
        "scale_factor": float(scale),
        "canvas": {"size": BOX, "origin": [BOX / 2, BOX / 2]},
        "dataset": dataset,
        "licence": licence,
        "step": int(step),
        "metrics": {k: float(v) for k, v in metrics.items()},
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
    }


def export_weights(payload: dict[str, Any], path: str | Path) -> Path:
    from engines.training import save_checkpoint

    save_checkpoint(Path(path), payload)  # atomic; adds the checkpoint format key, which load ignores
    return Path(path)


def train_iter(
    dataset: str | StrokeSet,
    config: SketchRNNConfig,
    stop: Callable[[], bool],
    total_steps: int,
    eval_every: int = 250,
    checkpoint_every: int = 200,
    run_dir: Path | None = None,
    resume: str | Path | None = None,
    device: str = "cpu",
    preview_every: int = 0,
) -> Iterator[TrainStep]:
    """Train live (for the tab): yields TrainStep with losses loss, L_R, L_KL, L_s, L_p, kl_weight.

    Evaluated steps carry valid_* metrics; with preview_every > 0, every preview_every-th step
    carries a BGR uint8 preview of four samples at tau 0.5. When the run ends (or `stop()`), the
    weights are exported to run_dir/sketch.pt, which SketchEngine.load reads; the last TrainStep's
    `checkpoint` names that file.
    """
    from dataclasses import replace

    from engines.training import LoopSettings, new_run_dir, run_training

    data = load_dataset(dataset) if isinstance(dataset, str) else dataset
    task = SketchTrainTask(config, data, device)
    run_dir = Path(resume).parent if resume else Path(run_dir) if run_dir else new_run_dir("sketch")
    settings = LoopSettings(total_steps, eval_every, checkpoint_every)
    last: TrainStep | None = None
    for ts in run_training(task, settings, run_dir, stop, config, resume):
        if preview_every and ts.step % preview_every == 0:
            ts = replace(ts, preview=_preview(task))
        if last is not None:
            yield last
        last = ts
    if last is not None:
        out = export_weights(task.weights_payload(last.metrics), run_dir / "sketch.pt")
        yield replace(last, checkpoint=str(out), message=(last.message + f" weights: {out}").strip())


def _preview(task: SketchTrainTask) -> np.ndarray:
    """Four samples (tau 0.5) of the model being trained, as one BGR image."""
    from engines.sketch.engine import SketchEngine
    from engines.sketch.render import grid, render

    eng = SketchEngine()
    eng.model = SketchRNN(task.config)
    eng.model.load_state_dict(task.model.state_dict())
    eng.model.eval()
    eng.scale_factor, eng.origin, eng.canvas_size = task.scale, (BOX / 2, BOX / 2), BOX
    return grid([render(s.polylines(), 96, box=(0, 0, BOX, BOX)) for s in eng.sample(4, 0.5, 150, seed=0)], 4)


def _bar(frac: float, width: int = 24) -> str:
    n = int(max(0.0, min(1.0, frac)) * width)
    return "[" + "#" * n + "." * (width - n) + "]"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m engines.sketch.train", description="Train sketch-rnn headless.")
    p.add_argument("--dataset", default="kanji", help="kanji | icons | PATH.npz (QuickDraw)")
    p.add_argument("--minutes", type=float, default=25.0, help="wall-clock budget of this invocation")
    p.add_argument("--steps", type=int, default=1_000_000, help="stop after this many steps in total")
    p.add_argument("--enc", type=int, default=128)
    p.add_argument("--dec", type=int, default=256)
    p.add_argument("--nz", type=int, default=64)
    p.add_argument("--max-len", type=int, default=None, help="N_max (default 80; 250 for a QuickDraw .npz)")
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--decoder-only", action="store_true", help="the unconditional model (no encoder, no z)")
    p.add_argument("--kl-weight", type=float, default=0.5)
    p.add_argument("--kl-decay", type=float, default=0.999)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--checkpoint-every", type=int, default=200)
    p.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest for these LSTMs on CPU)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--run-dir", default=None, help="default: <data dir>/runs/sketch/<time>")
    p.add_argument("--resume", default=None, help="a last.pt to continue from (its run dir is reused)")
    p.add_argument("--export", default=None, help="write the final weights here (what SketchEngine loads)")
    p.add_argument("--export-from", default=None, help="only export this checkpoint's weights, no training")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from engines.training import LoopSettings, load_checkpoint, new_run_dir, run_training

    args = _parse(argv)
    torch.set_num_threads(args.threads)
    ckpt = load_checkpoint(args.resume or args.export_from) if (args.resume or args.export_from) else None
    if ckpt is not None:
        config = SketchRNNConfig.from_dict(ckpt["task"]["config"])
        dataset = str(ckpt["task"]["dataset"]) if args.dataset == "kanji" and args.export_from else args.dataset
    else:
        config = SketchRNNConfig(
            enc_size=args.enc,
            dec_size=args.dec,
            z_size=args.nz,
            max_seq_len=args.max_len or (250 if args.dataset.endswith(".npz") else 80),
            batch_size=args.batch,
            conditional=not args.decoder_only,
            kl_weight=args.kl_weight,
            kl_decay_rate=args.kl_decay,
            seed=args.seed,
        )
        dataset = args.dataset
    try:
        data = load_dataset(dataset)
    except EngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    task = SketchTrainTask(config, data, args.device)
    if args.export_from:
        task.load_state_dict(ckpt["task"])
        metrics = task.evaluate()
        export_weights(task.weights_payload(metrics), args.export)
        print(f"exported {args.export}: " + " ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
        return 0
    run_dir = Path(args.resume).parent if args.resume else Path(args.run_dir) if args.run_dir else new_run_dir("sketch")
    deadline = time.monotonic() + args.minutes * 60
    settings = LoopSettings(args.steps, args.eval_every, args.checkpoint_every)
    print(
        f"sketch-rnn on {data.name}: {len(task.data.drawings['train'])} train drawings, "
        f"scale {task.scale:.2f}, "
        f"{sum(p.numel() for p in task.model.parameters()):,} params, run dir {run_dir}",
        flush=True,
    )
    t0, last, metrics = time.monotonic(), None, {}
    for ts in run_training(task, settings, run_dir, lambda: time.monotonic() > deadline, config, args.resume):
        last = ts
        metrics = dict(ts.metrics) or metrics
        if ts.step % 25 == 0 or ts.evaluated or ts.message:
            elapsed = (time.monotonic() - t0) / 60
            ev = " | " + " ".join(f"{k} {v:.3f}" for k, v in ts.metrics.items()) if ts.metrics else ""
            print(
                f"{_bar(elapsed / args.minutes)} step {ts.step} ep {ts.epoch:.1f} L_R {ts.losses['L_R']:.3f} "
                f"L_KL {ts.losses['L_KL']:.3f} w_KL {ts.losses['kl_weight']:.3f} lr {ts.lr:.2e} "
                f"{elapsed:.1f}/{args.minutes:g} min{ev} {ts.message}",
                flush=True,
            )
    if last is None or (last.message and "NaN" in last.message):
        return 1
    metrics = {k: v for k, v in task.evaluate().items() if not math.isnan(v)}
    print("final " + " ".join(f"{k} {v:.4f}" for k, v in metrics.items()), flush=True)
    if args.export:
        export_weights(task.weights_payload(metrics), args.export)
        print(f"exported {args.export}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
