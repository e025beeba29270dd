"""Detection data sets on disk (YOLO txt folders, Pascal VOC XML folders) and training batches.

Box convention everywhere in this module: float32[N, 4] = (cx, cy, w, h) normalised to [0, 1] of the
image width/height (the YOLO txt convention); class ids int64[N] index `DetectionSet.names`.

YOLO layout read here (the pseudo-label builder writes the first one):
    DIR/classes.txt, DIR/images/{train,val}/*.jpg, DIR/labels/{train,val}/*.txt
    or DIR/{train,val}/ with images and txt side by side, or one flat DIR (no held-out split).
Each txt line: "class cx cy w h". VOC layout: DIR/Annotations/*.xml (+ DIR/JPEGImages/), split by
DIR/ImageSets/Main/{train,val}.txt when present.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from engines.base import EngineError
from engines.frames import IMAGE_SUFFIXES


@dataclass(frozen=True)
class Sample:
    """One labelled image: boxes float32[N, 4] normalised cxcywh, classes int64[N]."""

    image: Path
    boxes: np.ndarray
    classes: np.ndarray


@dataclass
class DetectionSet:
    """A labelled set: class names and train / val samples (val may be empty)."""

    names: list[str]
    train: list[Sample] = field(default_factory=list)
    val: list[Sample] = field(default_factory=list)

    def all_boxes(self) -> np.ndarray:
        """Every training box's (w, h), float32[M, 2] normalised: the input to anchor k-means."""
        parts = [s.boxes[:, 2:4] for s in self.train if len(s.boxes)]
        return np.concatenate(parts).astype(np.float32) if parts else np.zeros((0, 2), np.float32)


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def read_yolo_labels(path: Path, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Parse one YOLO txt file; a missing file means an image with no objects."""
    if not path.is_file():
        return np.zeros((0, 4), np.float32), np.zeros(0, np.int64)
    rows = [line.split() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if any(len(r) != 5 for r in rows):
        raise EngineError(f"{path}: every line must be 'class cx cy w h'")
    arr = np.array(rows, dtype=np.float64).reshape(-1, 5)
    classes = arr[:, 0].astype(np.int64)
    if len(classes) and (classes.min() < 0 or classes.max() >= n_classes):
        raise EngineError(f"{path}: class id outside 0..{n_classes - 1}")
    return np.clip(arr[:, 1:], 0.0, 1.0).astype(np.float32), classes


def write_yolo_labels(path: Path, boxes: np.ndarray, classes: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{int(c)} {b[0]:.6f} {b[1]:.6f} {b[2]:.6f} {b[3]:.6f}" for b, c in zip(boxes, classes)]
    path.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")


def _yolo_split(images: Path, labels: Path, n_classes: int) -> list[Sample]:
    return [Sample(p, *read_yolo_labels(labels / f"{p.stem}.txt", n_classes)) for p in _images_in(images)]


def read_yolo_folder(root: str | Path) -> DetectionSet:
    """Read a YOLO-format folder (see the module docstring for the layouts accepted)."""
    root = Path(root)
    names_file = next((root / n for n in ("classes.txt", "obj.names", "names.txt") if (root / n).is_file()), None)
    if names_file is None:
        raise EngineError(f"{root} has no classes.txt (one class name per line)")
    names = [n.strip() for n in names_file.read_text(encoding="utf-8").splitlines() if n.strip()]
    data = DetectionSet(names)
    if (root / "images").is_dir():
        for split in ("train", "val"):
            if (root / "images" / split).is_dir():
                setattr(data, split, _yolo_split(root / "images" / split, root / "labels" / split, len(names)))
        if not data.train:
            data.train = _yolo_split(root / "images", root / "labels", len(names))
    elif (root / "train").is_dir():
        data.train = _yolo_split(root / "train", root / "train", len(names))
        if (root / "val").is_dir():
            data.val = _yolo_split(root / "val", root / "val", len(names))
    else:
        data.train = _yolo_split(root, root, len(names))
    if not data.train:
        raise EngineError(f"{root} holds no training images")
    return data


def read_voc_xml(path: Path, names: list[str]) -> tuple[str, np.ndarray, np.ndarray]:
    """One VOC annotation -> (image file name, boxes cxcywh normalised, class ids). New names are appended."""
    root = ET.parse(path).getroot()
    size = root.find("size")
    w = float(size.findtext("width", "0")) if size is not None else 0.0
    h = float(size.findtext("height", "0")) if size is not None else 0.0
    filename = root.findtext("filename", f"{path.stem}.jpg").strip()
    boxes, classes = [], []
    for obj in root.iter("object"):
        if obj.findtext("difficult", "0").strip() == "1":
            continue
        name = obj.findtext("name", "").strip()
        bb = obj.find("bndbox")
        if not name or bb is None:
            continue
        x1, y1, x2, y2 = (float(bb.findtext(k, "0")) for k in ("xmin", "ymin", "xmax", "ymax"))
        if name not in names:
            names.append(name)
        boxes.append([x1, y1, x2, y2])
        classes.append(names.index(name))
    arr = np.array(boxes, np.float32).reshape(-1, 4)
    if len(arr) and (w <= 0 or h <= 0):
        raise EngineError(f"{path}: <size> with width and height is needed to normalise boxes")
    cxcywh = np.column_stack([(arr[:, 0] + arr[:, 2]) / 2 / max(w, 1), (arr[:, 1] + arr[:, 3]) / 2 / max(h, 1),
                              (arr[:, 2] - arr[:, 0]) / max(w, 1), (arr[:, 3] - arr[:, 1]) / max(h, 1)])
    return filename, np.clip(cxcywh, 0, 1).astype(np.float32), np.array(classes, np.int64)


def read_voc_folder(root: str | Path, names: list[str] | None = None) -> DetectionSet:
    """Read a Pascal VOC folder (Annotations/*.xml + JPEGImages/); classes in order of first appearance."""
    root = Path(root)
    ann = root / "Annotations" if (root / "Annotations").is_dir() else root
    img_dir = root / "JPEGImages" if (root / "JPEGImages").is_dir() else ann
    names = list(names or [])
    samples: dict[str, Sample] = {}
    for xml in sorted(ann.glob("*.xml")):
        filename, boxes, classes = read_voc_xml(xml, names)
        samples[xml.stem] = Sample(img_dir / filename, boxes, classes)
    if not samples:
        raise EngineError(f"{root} holds no VOC .xml annotations")
    data = DetectionSet(names)
    split_dir = root / "ImageSets" / "Main"
    if (split_dir / "train.txt").is_file():
        for split in ("train", "val"):
            f = split_dir / f"{split}.txt"
            ids = f.read_text().split() if f.is_file() else []
            setattr(data, split, [samples[i] for i in ids if i in samples])
    else:
        data.train = list(samples.values())
    return data


def read_detection_folder(root: str | Path) -> DetectionSet:
    """YOLO or VOC, whichever the folder holds."""
    root = Path(root)
    if not root.is_dir():
        raise EngineError(f"{root} is not a folder")
    if (root / "Annotations").is_dir() or (not (root / "classes.txt").exists() and any(root.glob("*.xml"))):
        return read_voc_folder(root)
    return read_yolo_folder(root)


class ImageCache:
    """Encoded image bytes kept in memory (decoding a JPEG costs ~3 ms; a step costs ~1 s)."""

    def __init__(self) -> None:
        self._bytes: dict[Path, np.ndarray] = {}

    def load(self, path: Path) -> np.ndarray:
        """BGR uint8 (H, W, 3)."""
        if path not in self._bytes:
            self._bytes[path] = np.fromfile(path, dtype=np.uint8)
        image = cv2.imdecode(self._bytes[path], cv2.IMREAD_COLOR)
        if image is None:
            raise EngineError(f"cannot decode image {path}")
        return image


def augment(image: np.ndarray, boxes: np.ndarray, rng: np.random.Generator, jitter: float,
            hsv: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random crop (each side moves by up to `jitter` of the size), horizontal flip, exposure/saturation.

    image BGR uint8 (H, W, 3); boxes cxcywh normalised. Returns (image, boxes, keep mask): boxes
    are clipped to the crop and those with under 40% of their area left are dropped.
    """
    h, w = image.shape[:2]
    dx1, dx2, dy1, dy2 = rng.uniform(-jitter, jitter, 4)
    x1, x2 = int(w * dx1), int(w * (1 - dx2))
    y1, y2 = int(h * dy1), int(h * (1 - dy2))
    pad = max(0, -x1, -y1, x2 - w, y2 - h)
    if pad:
        image = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(127, 127, 127))
    crop = image[y1 + pad:y2 + pad, x1 + pad:x2 + pad]
    cw, ch = x2 - x1, y2 - y1
    xyxy = np.column_stack([(boxes[:, 0] - boxes[:, 2] / 2) * w, (boxes[:, 1] - boxes[:, 3] / 2) * h,
                            (boxes[:, 0] + boxes[:, 2] / 2) * w, (boxes[:, 1] + boxes[:, 3] / 2) * h])
    area = np.maximum((xyxy[:, 2] - xyxy[:, 0]) * (xyxy[:, 3] - xyxy[:, 1]), 1e-9)
    xyxy -= [x1, y1, x1, y1]
    np.clip(xyxy, 0, [cw, ch, cw, ch], out=xyxy)
    keep = (xyxy[:, 2] - xyxy[:, 0]) * (xyxy[:, 3] - xyxy[:, 1]) / area > 0.4
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
        xyxy[:, [0, 2]] = cw - xyxy[:, [2, 0]]
    out = np.column_stack([(xyxy[:, 0] + xyxy[:, 2]) / 2 / cw, (xyxy[:, 1] + xyxy[:, 3]) / 2 / ch,
                           (xyxy[:, 2] - xyxy[:, 0]) / cw, (xyxy[:, 3] - xyxy[:, 1]) / ch]).astype(np.float32)
    if hsv > 0:
        gain = rng.uniform(1 - hsv, 1 + hsv, 2)
        crop = cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_BGR2HSV).astype(np.float32)
        crop[..., 1:] *= gain
        crop = cv2.cvtColor(np.clip(crop, 0, 255).astype(np.uint8), cv2.COLOR_HSV2BGR)
    return np.ascontiguousarray(crop), out.reshape(-1, 4), keep


def to_input(image: np.ndarray, size: int) -> np.ndarray:
    """BGR uint8 (H, W, 3) -> float32 (3, size, size) RGB in [0, 1]: a plain resize, as the live engine does."""
    rgb = cv2.cvtColor(cv2.resize(image, (size, size), interpolation=cv2.INTER_LINEAR), cv2.COLOR_BGR2RGB)
    return rgb.transpose(2, 0, 1).astype(np.float32) / 255.0


def make_batch(samples: list[Sample], cache: ImageCache, size: int, rng: np.random.Generator | None,
               jitter: float = 0.2, hsv: float = 0.3) -> tuple[np.ndarray, list[np.ndarray]]:
    """-> (images float32[B, 3, size, size], targets: per image float32[N, 5] = class, cx, cy, w, h).

    With rng=None the images are only resized (evaluation).
    """
    images = np.empty((len(samples), 3, size, size), np.float32)
    targets = []
    for i, s in enumerate(samples):
        image, boxes, classes = cache.load(s.image), s.boxes, s.classes
        if rng is not None:
            image, boxes, keep = augment(image, boxes, rng, jitter, hsv)
            boxes, classes = boxes[keep], classes[keep]
        images[i] = to_input(image, size)
        targets.append(np.column_stack([classes.astype(np.float32), boxes]).reshape(-1, 5))
    return images, targets


def crop_sample(image: np.ndarray, boxes: np.ndarray, classes: np.ndarray, rng: np.random.Generator, crop: int,
                base: int, scale_jitter: float, focus: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Resize the image to R x R (R = base x U(1 - scale_jitter, 1 + scale_jitter)), cut a random crop x crop
    window (grey padding when R < crop) -> (float32 (3, crop, crop) RGB [0, 1], target float32[N, 5]).

    Objects keep the pixel size they have at the eval input `base`, so a small crop trains the same
    detector at a fraction of the cost of a full frame (the net is fully convolutional).
    focus: index of a box whose centre the window must contain (else the window is uniform).
    """
    r = max(32, int(round(base * rng.uniform(1 - scale_jitter, 1 + scale_jitter))))
    resized = cv2.resize(image, (r, r), interpolation=cv2.INTER_LINEAR)
    canvas = np.full((max(r, crop), max(r, crop), 3), 127, np.uint8)
    py, px = (int(rng.integers(0, canvas.shape[0] - r + 1)), int(rng.integers(0, canvas.shape[1] - r + 1)))
    canvas[py:py + r, px:px + r] = resized
    lo_y, hi_y, lo_x, hi_x = 0, canvas.shape[0] - crop, 0, canvas.shape[1] - crop
    if focus is not None:  # keep the chosen box's centre inside the window
        fx, fy = int(px + boxes[focus, 0] * r), int(py + boxes[focus, 1] * r)
        lo_x, hi_x = max(lo_x, min(hi_x, fx - crop + 1)), max(lo_x, min(hi_x, fx))
        lo_y, hi_y = max(lo_y, min(hi_y, fy - crop + 1)), max(lo_y, min(hi_y, fy))
    y0 = int(rng.integers(lo_y, hi_y + 1))
    x0 = int(rng.integers(lo_x, hi_x + 1))
    window = canvas[y0:y0 + crop, x0:x0 + crop]
    ox, oy = px - x0, py - y0  # image origin inside the window
    xyxy = np.column_stack([(boxes[:, 0] - boxes[:, 2] / 2) * r + ox, (boxes[:, 1] - boxes[:, 3] / 2) * r + oy,
                            (boxes[:, 0] + boxes[:, 2] / 2) * r + ox, (boxes[:, 1] + boxes[:, 3] / 2) * r + oy])
    area = np.maximum((xyxy[:, 2] - xyxy[:, 0]) * (xyxy[:, 3] - xyxy[:, 1]), 1e-9)
    np.clip(xyxy, 0, crop, out=xyxy)
    keep = (xyxy[:, 2] - xyxy[:, 0]) * (xyxy[:, 3] - xyxy[:, 1]) / area > 0.4
    xyxy = xyxy[keep] / crop
    target = np.column_stack([classes[keep].astype(np.float32), (xyxy[:, 0] + xyxy[:, 2]) / 2,
                              (xyxy[:, 1] + xyxy[:, 3]) / 2, xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]])
    rgb = cv2.cvtColor(window, cv2.COLOR_BGR2RGB).transpose(2, 0, 1).astype(np.float32) / 255.0
    return rgb, target.astype(np.float32).reshape(-1, 5)


def crop_batch(samples: list[Sample], cache: ImageCache, rng: np.random.Generator, crop: int, base: int,
               scale_jitter: float = 0.25, jitter: float = 0.1, hsv: float = 0.3, focus_prob: float = 0.0,
               class_weights: np.ndarray | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
    """Augmented training batch of crops: (float32[B, 3, crop, crop], per image float32[N, 5] class, cx, cy, w, h).

    With probability focus_prob a crop is placed around one of the image's boxes, drawn with
    class_weights[class] (e.g. 1 / class frequency, so rare classes are seen as often as common ones).
    """
    images = np.empty((len(samples), 3, crop, crop), np.float32)
    targets = []
    for i, s in enumerate(samples):
        image, boxes, keep = augment(cache.load(s.image), s.boxes, rng, jitter, hsv)
        boxes, classes = boxes[keep], s.classes[keep]
        focus = None
        if len(boxes) and rng.random() < focus_prob:
            w = np.ones(len(boxes)) if class_weights is None else class_weights[classes].astype(np.float64)
            focus = int(rng.choice(len(boxes), p=w / w.sum()))
        images[i], target = crop_sample(image, boxes, classes, rng, crop, base, scale_jitter, focus)
        targets.append(target)
    return images, targets
