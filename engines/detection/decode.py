"""From head rows to detections: threshold, map to source pixels, per-class NMS (OpenCV's)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from engines.base import frozen_array


@dataclass(frozen=True)
class Detections:
    """boxes: float32[N, 4] xyxy in source pixels; scores: float32[N] in [0, 1]; class_ids: int32[N]."""

    boxes: np.ndarray
    scores: np.ndarray
    class_ids: np.ndarray
    labels: tuple[str, ...]
    image_hw: tuple[int, int]
    infer_ms: float = 0.0

    def __len__(self) -> int:
        return len(self.scores)

    def to_json(self) -> dict:
        return {
            "image_hw": list(self.image_hw),
            "detections": [
                {"box_xyxy": [round(float(v), 2) for v in b], "label": lab, "class_id": int(c),
                 "score": round(float(s), 4)}
                for b, lab, c, s in zip(self.boxes, self.labels, self.class_ids, self.scores)
            ],
        }


def empty_detections(image_hw: tuple[int, int]) -> Detections:
    return Detections(frozen_array(np.zeros((0, 4), np.float32)), frozen_array(np.zeros(0, np.float32)),
                      frozen_array(np.zeros(0, np.int32)), (), image_hw)


def decode_rows(
    rows: np.ndarray,
    image_hw: tuple[int, int],
    names: list[str],
    conf: float = 0.25,
    nms: float = 0.45,
    classes: frozenset[int] | None = None,
) -> Detections:
    """rows: (N, 5+C) = (cx, cy, w, h) normalised to the network input, objectness, class scores.

    The network input is a plain resize of the source, so normalised coordinates map straight to
    source pixels. Class score = objectness x class probability; a row keeps its best class.
    """
    h, w = image_hw
    scores_all = rows[:, 5:]
    class_ids = scores_all.argmax(1)
    scores = scores_all[np.arange(len(rows)), class_ids]
    keep = scores > conf
    if classes is not None:
        keep &= np.isin(class_ids, np.fromiter(classes, np.int64, len(classes)))
    if not keep.any():
        return empty_detections(image_hw)
    r, scores, class_ids = rows[keep], scores[keep], class_ids[keep]
    xyxy = np.empty((len(r), 4), np.float32)
    xyxy[:, 0] = (r[:, 0] - r[:, 2] / 2) * w
    xyxy[:, 1] = (r[:, 1] - r[:, 3] / 2) * h
    xyxy[:, 2] = (r[:, 0] + r[:, 2] / 2) * w
    xyxy[:, 3] = (r[:, 1] + r[:, 3] / 2) * h
    np.clip(xyxy, 0, [w, h, w, h], out=xyxy)
    xywh = np.column_stack([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]])
    idx = np.asarray(cv2.dnn.NMSBoxesBatched(xywh.tolist(), scores.tolist(), class_ids.tolist(), conf, nms),
                     dtype=np.int64).reshape(-1)
    idx = idx[np.argsort(-scores[idx], kind="stable")]
    ids = class_ids[idx].astype(np.int32)
    return Detections(
        boxes=frozen_array(xyxy[idx]),
        scores=frozen_array(scores[idx].astype(np.float32)),
        class_ids=frozen_array(ids),
        labels=tuple(names[i] if i < len(names) else str(i) for i in ids),
        image_hw=image_hw,
    )


def draw_detections(image: np.ndarray, det: Detections) -> np.ndarray:
    """Return a copy of a BGR image with boxes and "label score" tags drawn (for PNG export / CLI)."""
    out = image.copy()
    for (x1, y1, x2, y2), lab, cid, s in zip(det.boxes.astype(int), det.labels, det.class_ids, det.scores):
        color = class_color(int(cid))
        cv2.rectangle(out, (x1, y1), (x2, y2), color, 2)
        text = f"{lab} {s:.2f}"
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.5, 1)
        cv2.rectangle(out, (x1, max(0, y1 - th - 6)), (x1 + tw + 4, y1), color, -1)
        cv2.putText(out, text, (x1 + 2, y1 - 4), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return out


def class_color(class_id: int) -> tuple[int, int, int]:
    """A stable, bright BGR colour per class id."""
    hue = (class_id * 47) % 180
    bgr = cv2.cvtColor(np.uint8([[[hue, 200, 255]]]), cv2.COLOR_HSV2BGR)[0, 0]
    return int(bgr[0]), int(bgr[1]), int(bgr[2])
