"""mAP@0.5 with pycocotools' COCOeval, restricted to one IoU threshold (0.5), all areas, 100 detections/image.

Interpolation (COCOeval's, unchanged): per class, precision is made monotone (each value replaced by
the best precision at any higher recall), then read at the 101 recall points 0, 0.01, ..., 1.00 (0
beyond the highest recall reached); AP is their mean. This is neither VOC2007's 11-point nor VOC2010's
all-point area, and usually lies within a point of the latter. mAP = mean AP over classes that have at
least one ground-truth box (COCO's convention).
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ImageBoxes:
    """One image's boxes: xyxy float[N, 4] in pixels, class ids int[N], scores float[N] (1 for truth)."""

    boxes: np.ndarray
    classes: np.ndarray
    scores: np.ndarray | None = None


def _xywh(boxes: np.ndarray) -> np.ndarray:
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    return np.column_stack([b[:, :2], b[:, 2:] - b[:, :2]])


def map50(truth: list[ImageBoxes], detections: list[ImageBoxes], names: list[str]) -> dict[str, float]:
    """{"mAP50": mean AP@0.5, "AP50/<name>": per class (classes with truth only)} over paired images.

    truth[i] and detections[i] describe the same image; detections need scores.
    """
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    if len(truth) != len(detections):
        raise ValueError("truth and detections must describe the same images")
    images, anns, results = [], [], []
    for i, (gt, det) in enumerate(zip(truth, detections), 1):
        images.append({"id": i})
        for box, c in zip(_xywh(gt.boxes), np.asarray(gt.classes).reshape(-1)):
            anns.append({"id": len(anns) + 1, "image_id": i, "category_id": int(c) + 1, "bbox": box.tolist(),
                         "area": float(box[2] * box[3]), "iscrowd": 0})
        scores = np.ones(len(det.classes)) if det.scores is None else np.asarray(det.scores).reshape(-1)
        for box, c, s in zip(_xywh(det.boxes), np.asarray(det.classes).reshape(-1), scores):
            results.append({"image_id": i, "category_id": int(c) + 1, "bbox": box.tolist(), "score": float(s),
                            "area": float(box[2] * box[3]), "id": len(results) + 1, "iscrowd": 0})
    present = sorted({a["category_id"] for a in anns})
    out: dict[str, float] = {}
    if not present:
        return {"mAP50": float("nan")}
    if not results:
        out.update({f"AP50/{names[c - 1]}": 0.0 for c in present})
        out["mAP50"] = 0.0
        return out
    cats = [{"id": k + 1, "name": n} for k, n in enumerate(names)]
    gt = COCO()
    gt.dataset = {"images": images, "annotations": anns, "categories": cats}
    dt = COCO()
    dt.dataset = {"images": images, "annotations": results, "categories": cats}
    with contextlib.redirect_stdout(io.StringIO()):  # COCO prints progress lines
        gt.createIndex()
        dt.createIndex()
        ev = COCOeval(gt, dt, "bbox")
        ev.params.iouThrs = np.array([0.5])
        ev.params.areaRng, ev.params.areaRngLbl = [[0.0, 1e10]], ["all"]
        ev.params.maxDets = [100]
        ev.evaluate()
        ev.accumulate()
    precision = ev.eval["precision"][0, :, :, 0, 0]  # (101 recall points, K classes)
    aps = []
    for k, cat_id in enumerate(ev.params.catIds):
        if cat_id not in present:
            continue
        col = precision[:, k]
        ap = float(col[col > -1].mean()) if (col > -1).any() else 0.0
        out[f"AP50/{names[cat_id - 1]}"] = ap
        aps.append(ap)
    out["mAP50"] = float(np.mean(aps))
    return out


def evaluate_darknet(weights, data_root: str, split: str = "val", input_size: int | None = None,
                     conf: float = 0.005, nms: float = 0.45) -> dict[str, float]:
    """mAP@0.5 of Darknet files run by the live DetectionEngine on a YOLO/VOC folder's split.

    weights: engines.detection.engine.DarknetWeights (None = the pretrained YOLOv3-tiny COCO, whose
    class ids are then matched by name to the folder's classes). Returns map50's dict + "images".
    """
    from engines.base import EngineError
    from engines.detection.data import ImageCache, read_detection_folder
    from engines.detection.engine import DetectionEngine

    data = read_detection_folder(data_root)
    samples = getattr(data, split)
    if not samples:
        raise EngineError(f"{data_root} has no {split} images")
    engine = DetectionEngine(input_size)
    engine.load(weights, "cpu")
    lookup = {engine.names.index(n): k for k, n in enumerate(data.names) if n in engine.names}
    cache = ImageCache()
    truth, dets = [], []
    for s in samples:
        image = cache.load(s.image)
        h, w = image.shape[:2]
        b = s.boxes
        truth.append(ImageBoxes(np.column_stack([(b[:, 0] - b[:, 2] / 2) * w, (b[:, 1] - b[:, 3] / 2) * h,
                                                 (b[:, 0] + b[:, 2] / 2) * w, (b[:, 1] + b[:, 3] / 2) * h]),
                                s.classes))
        det = engine.infer(image, conf, nms, classes=frozenset(lookup))
        dets.append(ImageBoxes(det.boxes, np.array([lookup[int(c)] for c in det.class_ids], np.int64), det.scores))
    return {**map50(truth, dets, data.names), "images": float(len(samples))}
