"""YOLOv2 through the shared loop: exact resume, the NaN guard, refused checkpoints, RECIPE, data readers."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from engines.base import EngineError, Preparing
from engines.detection.config import YoloV2TrainConfig
from engines.detection.data import read_detection_folder, read_voc_folder, read_yolo_folder
from engines.detection.task import RECIPE, YoloV2TrainTask, run
from engines.training import LoopSettings, load_checkpoint, run_training
from tests.engines.detection._train_data import make_yolo_set


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return make_yolo_set(tmp_path_factory.mktemp("yolo") / "set", n_train=6, n_val=2)


def _config(data_dir: Path, **kw) -> YoloV2TrainConfig:
    return YoloV2TrainConfig.tiny(data=str(data_dir), crop_min=64, crop_max=96, **kw)


def test_recipe_and_config_validation():
    assert RECIPE.paper == "detection" and RECIPE.config_type is YoloV2TrainConfig
    fields = {f.name: f.type for f in dataclasses.fields(YoloV2TrainConfig)}
    assert all(t in ("int", "float", "str", "bool") for t in fields.values())
    for bad in (dict(input_size=100), dict(variant="v9"), dict(crop_min=256, crop_max=128), dict(batch_size=0)):
        with pytest.raises(ValueError):
            YoloV2TrainConfig(**bad)
    with pytest.raises(EngineError):
        next(run(dataclasses.replace(YoloV2TrainConfig.tiny(), data="/nonexistent-never-made"),
                 run_dir=Path("/nonexistent-never-made")))
    default = run(YoloV2TrainConfig.tiny(), run_dir=Path("/nonexistent-never-made"))
    first = next(default)
    default.close()  # nothing was built: prepare() yields its note before it starts the work
    assert isinstance(first, Preparing) and "demo clip" in first.what  # no data chosen: the demo clip, labelled


def test_resume_gives_the_same_next_step(data_dir: Path, tmp_path: Path):
    torch.set_num_threads(1)
    config = _config(data_dir, steps=4, checkpoint_every=0, eval_every_epochs=100)
    full = {s.step: dict(s.losses) for s in run(config, run_dir=tmp_path / "full")}
    stops = iter([False, False, False, True])  # run_training asks stop() twice per step: stop after step 2
    cut = list(run(config, run_dir=tmp_path / "cut", stop=lambda: next(stops, True)))
    assert cut[-1].step == 2 and (tmp_path / "cut" / "last.pt").is_file()
    assert (tmp_path / "cut" / "yolov2.weights").is_file()  # exported with the checkpoint
    resumed = {s.step: dict(s.losses) for s in run(config, run_dir=tmp_path / "resumed",
                                                    resume=tmp_path / "cut" / "last.pt")}
    assert sorted(resumed) == [3, 4]
    assert resumed[3] == full[3] and resumed[4] == full[4]  # bit-exact
    final = [s for s in run(config, run_dir=tmp_path / "again")][-1]
    assert final.evaluated and "mAP50" in final.metrics


class _NanAt:
    """A real task whose loss turns NaN at one step."""

    def __init__(self, task: YoloV2TrainTask, bad_step: int):
        self.task, self.bad_step, self.steps_per_epoch = task, bad_step, task.steps_per_epoch

    def train_step(self, step):
        out = dict(self.task.train_step(step))
        if step == self.bad_step:
            out["box"] = float("nan")
            out["loss"] = float("nan")
        return out

    def __getattr__(self, name):
        return getattr(self.task, name)


def test_nan_guard_stops_and_keeps_last_good_checkpoint(data_dir: Path, tmp_path: Path):
    task = YoloV2TrainTask(_config(data_dir, steps=6))
    steps = list(run_training(_NanAt(task, 3), LoopSettings(6, checkpoint_every=2), tmp_path, lambda: False))
    assert [s.step for s in steps] == [1, 2, 3]
    assert "NaN" in steps[-1].message and "last.pt" in steps[-1].message
    payload = load_checkpoint(tmp_path / "last.pt")
    assert payload["step"] == 2
    assert all(torch.isfinite(v).all() for v in payload["task"]["model"].values() if v.is_floating_point())


def test_corrupt_or_foreign_checkpoint_is_refused(data_dir: Path, tmp_path: Path):
    config = _config(data_dir, steps=2)
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint at all" * 10)
    with pytest.raises(EngineError, match="damaged or not a PaperZoo checkpoint"):
        list(run(config, run_dir=tmp_path / "r1", resume=bad))
    good = [s for s in run(config, run_dir=tmp_path / "r2")][-1].checkpoint
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(Path(good).read_bytes()[:2000])
    with pytest.raises(EngineError):
        list(run(config, run_dir=tmp_path / "r3", resume=truncated))
    other = make_yolo_set(tmp_path / "other", n_train=4, n_val=1)
    (other / "classes.txt").write_text("cat\ndog\n")
    with pytest.raises(EngineError, match="classes"):
        list(run(dataclasses.replace(config, data=str(other)), run_dir=tmp_path / "r4", resume=good))


def test_yolo_and_voc_readers(data_dir: Path, tmp_path: Path):
    data = read_yolo_folder(data_dir)
    assert data.names == ["red", "blue"] and len(data.train) == 6 and len(data.val) == 2
    assert all(s.boxes.shape[1] == 4 and len(s.boxes) == len(s.classes) for s in data.train)
    voc = tmp_path / "voc"
    (voc / "Annotations").mkdir(parents=True)
    (voc / "JPEGImages").mkdir()
    (voc / "Annotations" / "a.xml").write_text(
        "<annotation><filename>a.jpg</filename><size><width>200</width><height>100</height></size>"
        "<object><name>dog</name><difficult>0</difficult><bndbox><xmin>10</xmin><ymin>20</ymin>"
        "<xmax>50</xmax><ymax>60</ymax></bndbox></object>"
        "<object><name>cat</name><difficult>1</difficult><bndbox><xmin>0</xmin><ymin>0</ymin>"
        "<xmax>5</xmax><ymax>5</ymax></bndbox></object></annotation>")
    got = read_detection_folder(voc)
    assert got.names == ["dog"] and len(got.train) == 1
    np.testing.assert_allclose(got.train[0].boxes, [[0.15, 0.4, 0.2, 0.4]], rtol=1e-6)
    assert read_voc_folder(voc).train[0].image == voc / "JPEGImages" / "a.jpg"


def test_multiscale_crop_sizes(data_dir: Path):
    task = YoloV2TrainTask(YoloV2TrainConfig.tiny(data=str(data_dir), crop_min=64, crop_max=160,
                                                  multiscale_every=3))
    sizes = {s: task.crop_size(s) for s in range(1, 61)}
    assert set(sizes.values()) <= {64, 96, 128, 160} and len(set(sizes.values())) > 1
    assert all(sizes[s] == sizes[s - s % 3] for s in range(3, 61))  # steps 3k..3k+2 share one size
