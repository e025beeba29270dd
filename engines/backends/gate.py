"""Accuracy gates: a non-exact backend (bf16, int8) is used only if it agrees with the torch reference on
frames it was not calibrated on. Detection: >= 98% of reference boxes matched (same class, IoU >= 0.7)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

BOX_IOU = 0.7
BOX_NEED = 0.98
MIN_REFERENCE_BOXES = 8  # fewer and 98% cannot be judged


@dataclass(frozen=True)
class GateResult:
    """passed; agreement: fraction of reference boxes matched, or an error (lower is better) per `measure`."""

    passed: bool
    agreement: float
    measure: str
    frames: int
    reason: str = ""  # why it was refused ("" when passed)

    def summary(self) -> str:
        return f"{self.measure} {self.agreement:.4g} on {self.frames} held-out frames"


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of xyxy boxes a (N, 4) and b (M, 4) -> (N, M)."""
    a, b = np.asarray(a, np.float64).reshape(-1, 4), np.asarray(b, np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area = lambda x: np.clip(x[:, 2:] - x[:, :2], 0, None).prod(-1)  # noqa: E731
    return inter / np.maximum(area(a)[:, None] + area(b)[None, :] - inter, 1e-12)


def matched_boxes(ref_boxes: np.ndarray, ref_cls: np.ndarray, boxes: np.ndarray, cls: np.ndarray,
                  iou: float = BOX_IOU) -> int:
    """How many reference boxes have their own candidate box of the same class at IoU >= iou (greedy,
    highest IoU first, one-to-one)."""
    if len(ref_boxes) == 0 or len(boxes) == 0:
        return 0
    m = iou_matrix(ref_boxes, boxes)
    m[np.asarray(ref_cls)[:, None] != np.asarray(cls)[None, :]] = 0.0
    count = 0
    while True:
        i, j = np.unravel_index(int(np.argmax(m)), m.shape)
        if m[i, j] < iou:
            return count
        count += 1
        m[i, :], m[:, j] = 0.0, 0.0


def box_gate(pairs: Iterable[tuple[object, object]], need: float = BOX_NEED, iou: float = BOX_IOU) -> GateResult:
    """pairs: (reference Detections, candidate Detections) per held-out frame (boxes xyxy, class_ids)."""
    total = hit = frames = 0
    for ref, got in pairs:
        frames += 1
        total += len(ref.boxes)
        hit += matched_boxes(ref.boxes, ref.class_ids, got.boxes, got.class_ids, iou)
    measure = f"boxes matched at IoU>={iou}"
    if total < MIN_REFERENCE_BOXES:
        return GateResult(False, 0.0, measure, frames,
                          f"only {total} reference boxes on {frames} frames: too few to judge")
    frac = hit / total
    reason = "" if frac >= need else f"{hit}/{total} reference boxes matched ({frac:.1%} < {need:.0%})"
    return GateResult(frac >= need, frac, measure, frames, reason)


def error_gate(refs: Sequence[np.ndarray], outs: Sequence[np.ndarray], limit: float, measure: str,
               reduce: str = "max") -> GateResult:
    """Passes if the `reduce` ("max" or "mean") absolute difference over all frames is <= limit."""
    errs = [np.abs(np.asarray(o, np.float64) - np.asarray(r, np.float64)) for r, o in zip(refs, outs)]
    if not errs:
        return GateResult(False, float("inf"), measure, 0, "no frames to judge")
    err = float(max(e.max() for e in errs)) if reduce == "max" else float(np.mean([e.mean() for e in errs]))
    ok = bool(np.isfinite(err) and err <= limit)
    return GateResult(ok, err, measure, len(errs), "" if ok else f"{measure} {err:.4g} > {limit:.4g}")
