"""The pose engine: person box -> square crop -> pose model -> keypoints and heatmaps in frame pixels.

Models: BlazePose's landmark network (`.tflite`, 39 points, 39x64x64 heatmaps) on one of three
backends (torch = our importer, GPU-capable; litert = the reference runtime, CPU; opencv = cv2.dnn),
or our distilled Stacked Hourglass student (`.pt`, 16 MPII joints). The person is found with the
detection engine's `person` boxes unless the caller passes a box.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from engines import assets
from engines.base import EngineError, frozen_array
from engines.pose.joints import BLAZEPOSE_EDGES, BLAZEPOSE_NAMES, MPII_EDGES, MPII_NAMES
from engines.pose.result import PoseResult, crop_square, crop_to_frame, person_at, pick_person, square_box
from engines.pose.sources import BLAZEPOSE_FULL

BLAZE_INPUT = 256
BLAZE_HEATMAP = (64, 64)


class _Box:
    """A detector box seen as a person for person_at (person_box only)."""

    def __init__(self, box: np.ndarray) -> None:
        self.person_box = box


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))).astype(np.float32)


def default_weights() -> Path:
    """The fetched BlazePose full landmark model (EngineError with instructions when missing)."""
    path = assets.asset_path(BLAZEPOSE_FULL)
    if not path.is_file():
        raise EngineError(
            f"{BLAZEPOSE_FULL} is not downloaded yet. Run `python -m engines.assets fetch` once "
            "while online (it comes from the PyPI mediapipe==0.10.21 wheel), or pick a .tflite file."
        )
    return path


RETRY_MIN_HEIGHT = 0.4  # person boxes at least this share of the frame's height get the close-photo retries
# (on the street clip no box is that tall: a retry there added 1 crop a frame and found nobody new)
CLOSE_RETRIES = ((0.0, 1.25), (0.5, 1.25))
"""(extend the box downward by this share of its height, square crop scale), tried in turn on a tall box whose
2x crop found nobody. A close photo: the man cut by bus.jpg's right edge is found at 1.25x (presence 0.73); an
upper-body shot (zidane.jpg's second man, box ending at his chest) only once the box is extended down (0.96)."""


class PoseEngine:
    """Single-person pose. infer(BGR uint8 (H, W, 3), person_box=None) -> PoseResult in frame pixels.

    One worker thread calls infer(); set_device() may come from any thread (next infer uses it).
    detect=False skips the detector and uses the whole frame (or the box the caller passes).
    crop_scale: square crop side / detector box's longer side (2.0: YOLOv3-tiny boxes of small people
    are tighter than the body); refine: extra passes on a crop re-centred on the predicted body, with
    side refine_scale x the body's extent; min_presence: below it the answer is "no person"; close_retries:
    a tall box (RETRY_MIN_HEIGHT) whose crop found nobody gets the CLOSE_RETRIES crops (close photos).
    """

    def __init__(
        self,
        backend: str = "auto",
        detect: bool = True,
        crop_scale: float = 2.0,
        min_person_score: float = 0.2,
        min_presence: float = 0.5,
        refine: int = 1,
        refine_scale: float = 1.4,
        close_retries: bool = True,
    ) -> None:
        self.backend_name = backend
        self.refine = refine  # extra passes re-centring the crop on the model's own keypoints
        self.refine_scale = refine_scale
        self.close_retries = close_retries  # CLOSE_RETRIES on a tall box whose first crop found nobody
        self.max_candidates = 3  # people tried per frame before answering "no person"
        self.detect = detect
        self.crop_scale = crop_scale
        self.min_person_score = min_person_score
        self.min_presence = min_presence
        self.device = "cpu"
        self.refused: dict[str, str] = {}  # backend device -> why its gate refused it (for the UI)
        self.model = ""  # "blazepose" or "hourglass"
        self.weights: Path | None = None
        self.joint_names: tuple[str, ...] = ()
        self.edges: tuple[tuple[int, int], ...] = ()
        self.input_size = BLAZE_INPUT
        self.heatmap_hw = BLAZE_HEATMAP
        self.detector: Any = None
        self._runner: Any = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ loading
    def load(self, weights: str | Path | None = None, device: str | None = "cpu", detector: Any = None,
             detector_device: str | None = None) -> None:
        """Load a `.tflite` BlazePose landmark model (default: the fetched full model) or a `.pt` student.

        detector: a loaded DetectionEngine to share (default: a YOLOv3-tiny one built here when detect=True).
        """
        from engines.runtime import resolve_device, set_cpu_threads

        set_cpu_threads()
        path = Path(weights) if weights is not None else default_weights()
        if not path.is_file():
            raise EngineError(f"{path} does not exist")
        device = resolve_device(device)
        if path.suffix.lower() == ".pt":
            self._load_student(path, device)
        else:  # BlazePose keeps LiteRT/torch: a CPU backend device means the CPU for it
            from engines.backends import is_backend_device

            self._load_blazepose(path, "cpu" if is_backend_device(device) else device)
        self.weights = path
        if self.detect and detector is None and self.detector is None:
            from engines.detection.engine import DetectionEngine

            detector = DetectionEngine()
            detector.load(device=detector_device or device)  # "auto": the fastest CPU backend (12 vs 54 ms)
        if detector is not None:
            self.detector = detector

    def _load_blazepose(self, path: Path, device: str) -> None:
        from engines.pose.backends import auto_backend, make_backend

        name = auto_backend(device) if self.backend_name == "auto" else self.backend_name
        runner = make_backend(name, path, device)
        with self._lock:
            self._runner, self.device, self.model = runner, runner.device, "blazepose"
            self.joint_names, self.edges = BLAZEPOSE_NAMES, BLAZEPOSE_EDGES
            self.input_size, self.heatmap_hw = BLAZE_INPUT, BLAZE_HEATMAP

    def _load_student(self, path: Path, device: str) -> None:
        from engines.pose.student import StudentRunner

        runner = StudentRunner(path, device)
        size = runner.config.input_size
        self.crop_scale = float(runner.meta.get("crop_scale", self.crop_scale))  # the scale it was trained at
        with self._lock:
            self._runner, self.device, self.model = runner, device, "hourglass"
            self.joint_names, self.edges = tuple(runner.joint_names), MPII_EDGES
            self.input_size, self.heatmap_hw = size, (size // 4, size // 4)
        if len(self.joint_names) != len(MPII_NAMES):
            self.edges = ()

    def set_device(self, device: str) -> None:
        """Move the torch model (BlazePose torch backend or student) to another device."""
        with self._lock:
            runner = self._runner
        if runner is None:
            raise EngineError("load a pose model first")
        if not hasattr(runner, "set_device"):
            raise EngineError(f"the {runner.name} backend runs on the CPU only")
        from engines.backends import is_backend_device

        if is_backend_device(device) and self.model != "hourglass":
            raise EngineError(f"{device}: the CPU backends run the Hourglass student; BlazePose keeps {runner.name}")
        try:
            runner.set_device(device)
        except EngineError as exc:
            self.refused[device] = str(exc)
            raise
        self.device = device

    @property
    def backend(self) -> str:
        return getattr(self._runner, "name", "")

    # ---------------------------------------------------------------- inference
    def find_people(self, image: np.ndarray) -> list[tuple[np.ndarray, float]]:
        """`person` boxes (xyxy frame px) with scores, most prominent (score x area) first."""
        if self.detector is None:
            h, w = image.shape[:2]
            return [(np.array([0, 0, w, h], np.float32), 1.0)]
        det = self.detector.infer(image, conf=self.min_person_score)
        keep = np.flatnonzero(np.array([label == "person" for label in det.labels], bool))
        boxes, scores = det.boxes[keep].astype(np.float32), det.scores[keep]
        out = []
        while len(boxes):
            i = pick_person(boxes, scores)
            out.append((boxes[i], float(scores[i])))
            boxes, scores = np.delete(boxes, i, axis=0), np.delete(scores, i)
        return out

    def infer(self, image: np.ndarray, person_box: np.ndarray | None = None, max_people: int = 1,
              select_at: tuple[float, float] | None = None) -> PoseResult:
        """Pose of the people in a BGR uint8 frame (H, W, 3); a "no person" result if none.

        Without `person_box`, detected people are tried, most prominent first, until `max_people` are confirmed
        (presence >= min_presence; at most max_candidates + max_people - 1 misses). The result is one person
        (the one whose box holds `select_at`, frame px, else the most prominent), everyone else in `others`.
        """
        if image is None or image.ndim != 3 or image.shape[2] != 3:
            raise EngineError("expected a colour image (H, W, 3)")
        if self._runner is None:
            raise EngineError("load a pose model first")
        t0 = time.perf_counter()
        candidates = [(np.asarray(person_box, np.float32), 1.0)] if person_box is not None else self.find_people(image)
        lead = 0  # the candidate to refine: the one holding select_at, else the most prominent
        if select_at is not None and len(candidates) > 1:
            lead = max(0, person_at(tuple(_Box(b) for b, _ in candidates), select_at))
        found, last, misses = [], None, 0
        for i, (box, score) in enumerate(candidates):  # a miss (presence too low) costs a try (max_candidates)
            if len(found) >= max(1, max_people) or misses >= self.max_candidates + max(0, max_people - 1):
                break
            last = self.infer_box(image, box, score, refine=i == lead or not found and i > lead)
            if last.found:
                found.append(last)
            else:
                misses += 1
        if not found:
            result = last or PoseResult.no_person(
                image.shape[:2], self.joint_names, self.edges, self.heatmap_hw, self.model, self.backend
            )
            return replace(result, elapsed_ms=(time.perf_counter() - t0) * 1000)
        people = tuple(found)
        chosen = person_at(people, select_at) if select_at is not None else 0
        others = people[:chosen] + people[chosen + 1:]
        return replace(people[chosen], others=others, elapsed_ms=(time.perf_counter() - t0) * 1000)

    def infer_box(self, image: np.ndarray, person_box: np.ndarray, person_score: float = 1.0,
                  refine: bool = True) -> PoseResult:
        """Run the model on the square crop around `person_box` (xyxy frame px) of a BGR frame.

        With refine > 0 the crop is then re-centred on the predicted body (BlazePose's 33 points) and
        the model runs again: detector boxes of small people are often tighter than the body. With several people
        only the lead one is refined (4 people: 126 -> ~85 ms a frame here).
        """
        t0 = time.perf_counter()
        result = self._run_crop(image, person_box, square_box(person_box, self.crop_scale), person_score)
        tall = (person_box[3] - person_box[1]) >= RETRY_MIN_HEIGHT * image.shape[0]
        for extend, scale in (CLOSE_RETRIES if tall and self.close_retries and self.model == "blazepose" else ()):
            if result.found:
                break
            box = np.asarray(person_box, np.float32).copy()
            box[3] += extend * (box[3] - box[1])
            result = self._run_crop(image, person_box, square_box(box, scale), person_score)
        for _ in range(self.refine if self.model == "blazepose" and refine else 0):
            if not result.found:
                break
            body = result.keypoints[:33]
            tight = np.concatenate([body.min(axis=0), body.max(axis=0)])
            refined = self._run_crop(image, person_box, square_box(tight, self.refine_scale), person_score)
            if not refined.found:
                break
            result = refined
        return replace(result, elapsed_ms=(time.perf_counter() - t0) * 1000)

    def _run_crop(
        self, image: np.ndarray, person_box: np.ndarray, crop_box: np.ndarray, person_score: float
    ) -> PoseResult:
        import cv2

        t0 = time.perf_counter()
        rgb = cv2.cvtColor(crop_square(image, crop_box, self.input_size), cv2.COLOR_BGR2RGB)
        with self._lock:
            runner, model = self._runner, self.model
        if model == "blazepose":
            out = runner.run(rgb)
            points, conf = out.landmarks[:, :2], _sigmoid(out.landmarks[:, 3])
            heat, presence = _sigmoid(out.heatmaps), out.presence
        else:
            points, conf, heat = runner.run(rgb)
            presence = float(conf.mean())
        ms = (time.perf_counter() - t0) * 1000
        if presence < self.min_presence and model == "blazepose":
            return PoseResult.no_person(
                image.shape[:2],
                self.joint_names,
                self.edges,
                self.heatmap_hw,
                model,
                runner.name,
                ms,
                message=f"person box found, but pose presence {presence:.2f}",
            )
        return PoseResult(
            keypoints=frozen_array(crop_to_frame(points, crop_box, self.input_size)),
            confidence=frozen_array(conf.astype(np.float32)),
            heatmaps=frozen_array(heat.astype(np.float32)),
            crop_box=frozen_array(crop_box),
            person_box=frozen_array(np.asarray(person_box, np.float32)),
            joint_names=self.joint_names,
            edges=self.edges,
            image_hw=image.shape[:2],
            found=True,
            presence=float(presence),
            person_score=float(person_score),
            model=model,
            backend=runner.name,
            elapsed_ms=ms,
        )
