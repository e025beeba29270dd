"""The pose engine end to end: person box -> crop -> keypoints in frame pixels, backends, "no person"."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from engines import assets
from engines.pose.backends import BACKENDS, litert_available
from engines.pose.config import HourglassConfig
from engines.pose.engine import PoseEngine
from engines.pose.joints import BLAZEPOSE_NAMES, MPII_NAMES
from engines.pose.model import StackedHourglassNet, save_student
from engines.pose.result import crop_square, crop_to_frame, frame_to_crop, square_box
from engines.pose.sources import BLAZEPOSE_FULL
from tests.conftest import require_assets

DETECTOR = ("yolov3-tiny.cfg", "yolov3-tiny.weights", "coco.names")


@pytest.fixture(scope="module")
def engine() -> PoseEngine:
    require_assets(BLAZEPOSE_FULL, *DETECTOR)
    e = PoseEngine(backend="torch")
    e.load(device="cpu")
    return e


@pytest.fixture(scope="module")
def basketball() -> np.ndarray:
    require_assets("basketball1.png")
    return cv2.imread(str(assets.asset_path("basketball1.png")))


def test_crop_geometry_round_trip() -> None:
    box = square_box(np.array([100, 50, 140, 250], np.float32), 1.25)
    assert box[2] - box[0] == pytest.approx(250.0) and box[3] - box[1] == pytest.approx(250.0)
    pts = np.array([[120.0, 60.0], [0.0, 0.0]], np.float32)
    assert np.allclose(crop_to_frame(frame_to_crop(pts, box, 256), box, 256), pts, atol=1e-4)
    img = np.zeros((100, 100, 3), np.uint8)
    img[40:60, 40:60] = 255
    crop = crop_square(img, np.array([-50, -50, 150, 150], np.float32), 100)  # half outside: black border
    assert crop.shape == (100, 100, 3) and crop[0, 0].sum() == 0 and crop[50, 50].sum() == 765


def test_frame_without_people_gives_no_person(engine: PoseEngine) -> None:
    frame = np.full((360, 480, 3), 90, np.uint8)
    cv2.rectangle(frame, (50, 60), (200, 120), (20, 160, 30), -1)
    r = engine.infer(frame)
    assert not r.found and "no person" in r.message
    assert r.keypoints.shape == (39, 2) and r.heatmaps.shape == (39, 64, 64)
    assert not r.keypoints.flags.writeable


def test_person_in_photo(engine: PoseEngine, basketball: np.ndarray) -> None:
    r = engine.infer(basketball)
    assert r.found and r.presence > 0.9 and r.joint_names == BLAZEPOSE_NAMES
    x0, y0, x1, y1 = r.person_box
    body = r.keypoints[:33]
    inside = (body[:, 0] >= x0 - 20) & (body[:, 0] <= x1 + 20) & (body[:, 1] >= y0 - 20) & (body[:, 1] <= y1 + 20)
    assert inside.mean() > 0.9  # keypoints land on the person, in frame pixels
    nose, ankle = body[BLAZEPOSE_NAMES.index("nose")], body[BLAZEPOSE_NAMES.index("left_ankle")]
    assert nose[1] < ankle[1] - 150  # upright: head well above feet
    assert r.heatmaps.dtype == np.float32 and 0 <= r.heatmaps.min() and r.heatmaps.max() <= 1
    assert r.confidence.shape == (39,)


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "torch"])
def test_backends_agree(engine: PoseEngine, basketball: np.ndarray, backend: str) -> None:
    if backend == "litert" and not litert_available():
        pytest.skip("ai-edge-litert is not installed")
    ours, other = (
        PoseEngine(backend="torch", detect=False, refine=0),
        PoseEngine(backend=backend, detect=False, refine=0),
    )
    ours.load(device="cpu")
    other.load(device="cpu")
    box = np.array([16, 59, 161, 480], np.float32)
    a, b = ours.infer(basketball, box), other.infer(basketball, box)
    assert other.backend == backend and np.allclose(a.crop_box, b.crop_box)
    assert np.abs(a.keypoints - b.keypoints).max() < 0.02  # frame px (crop px x ~3.3)
    assert np.abs(a.heatmaps - b.heatmaps).max() < 1e-3


def test_student_weights_load_in_the_engine(tmp_path, basketball: np.ndarray) -> None:
    net = StackedHourglassNet(HourglassConfig.tiny())
    path = save_student(tmp_path / "student.pt", net, MPII_NAMES)
    e = PoseEngine(detect=False)
    e.load(path, device="cpu")
    r = e.infer(basketball, np.array([16, 59, 161, 480], np.float32))
    assert e.model == "hourglass" and r.joint_names == MPII_NAMES
    assert r.keypoints.shape == (16, 2) and r.heatmaps.shape == (16, 16, 16)
    assert np.isfinite(r.keypoints).all()


@pytest.mark.gpu
def test_torch_backend_on_cuda_matches_cpu(basketball: np.ndarray) -> None:
    require_assets(BLAZEPOSE_FULL)
    box = np.array([16, 59, 161, 480], np.float32)
    cpu, gpu = PoseEngine(backend="torch", detect=False, refine=0), PoseEngine(backend="torch", detect=False, refine=0)
    cpu.load(device="cpu")
    gpu.load(device="cuda")
    a, b = cpu.infer(basketball, box), gpu.infer(basketball, box)
    assert gpu.device == "cuda"
    assert np.abs(a.keypoints - b.keypoints).max() < 0.5  # cuDNN may use TF32 for convolutions
    assert np.abs(a.heatmaps - b.heatmaps).max() < 1e-2


def test_live_task_from_source_frames(engine: PoseEngine, basketball: np.ndarray) -> None:
    from engines.pose.config import DistillConfig
    from engines.pose.task import task_from_frames

    task = task_from_frames([basketball, basketball[:, ::-1].copy()], engine, DistillConfig.tiny())
    assert len(task.train_data) >= 1 and task.train_data.images.shape[1:] == (64, 64, 3)
    assert np.isfinite(task.train_step(1)["loss"])
    with pytest.raises(ValueError, match="no person"):
        task_from_frames([np.zeros((120, 160, 3), np.uint8)], engine, DistillConfig.tiny())


def test_shipped_student_finds_the_player(basketball: np.ndarray) -> None:
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "assets" / "weights" / "pose_hourglass.pt"
    if not path.is_file():
        pytest.skip("no shipped student in assets/weights")
    e = PoseEngine(detect=False)
    e.load(path, device="cpu")
    box = np.array([16, 59, 161, 480], np.float32)
    r = e.infer(basketball, box)
    assert e.crop_scale == pytest.approx(2.0) and r.heatmaps.shape == (16, 32, 32)
    sure = r.confidence > 0.3
    assert sure.sum() >= 8
    k = r.keypoints[sure]
    assert ((k[:, 0] > box[0] - 30) & (k[:, 0] < box[2] + 30) & (k[:, 1] > box[1] - 30) & (k[:, 1] < box[3] + 30)).all()
    head, ankle = r.keypoints[MPII_NAMES.index("head_top")], r.keypoints[MPII_NAMES.index("right_ankle")]
    assert head[1] < ankle[1]


def test_the_student_runs_as_a_frozen_graph_on_the_cpu_with_the_eager_models_heatmaps():
    """A frozen TorchScript graph: no per-module Python, and the interpreter lock is free while it runs (beside a
    Python thread eager took 1,282 ms, the graph 17). Same heatmaps as the eager master model."""
    from pathlib import Path

    import torch

    from engines.pose.student import StudentRunner

    runner = StudentRunner(Path(__file__).resolve().parents[3] / "assets" / "weights" / "pose_hourglass.pt", "cpu")
    assert isinstance(runner._model, torch.jit.ScriptModule)  # noqa: SLF001
    rgb = (np.random.default_rng(0).random((128, 128, 3)) * 255).astype(np.uint8)
    _, _, heat = runner.run(rgb)
    x = torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255.0
    with torch.inference_mode():
        want = runner._master.eval()(x)[0, -1].clamp(0, 1).numpy()  # noqa: SLF001
    assert np.abs(heat - want).max() < 1e-4
