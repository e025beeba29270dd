"""Teacher labels are made once per (video, frame_step, max_frames, input_size) and read back after."""

from __future__ import annotations

import numpy as np

from engines.pose.config import PoseDistillSettings
from engines.pose.data import DistillData
from engines.pose.task import cached_labels


def test_labels_are_made_once_and_a_damaged_cache_is_rebuilt(tmp_path, monkeypatch):
    import engines.assets as assets

    monkeypatch.setattr(assets, "data_dir", lambda: tmp_path / "data")
    video = tmp_path / "clip.avi"
    video.write_bytes(b"frames")
    made = []

    def make():
        made.append(1)
        return DistillData(np.zeros((2, 8, 8, 3), np.uint8), np.ones((2, 16, 2), np.float32),
                           np.ones((2, 16), np.float32), np.array([0, 4], np.int32), "clip")

    settings = PoseDistillSettings()
    first = cached_labels(video, settings, make)
    again = cached_labels(video, settings, make)
    assert len(made) == 1 and np.array_equal(first.frame, again.frame) and again.source == "clip"
    other = cached_labels(video, PoseDistillSettings(frame_step=2), make)  # other settings: other labels
    assert len(made) == 2 and len(other) == 2
    for cache in (tmp_path / "data" / "datasets").glob("pose-labels-*.npz"):
        cache.write_bytes(b"damaged")
    cached_labels(video, settings, make)
    assert len(made) == 3
