"""Fixtures: a synthetic colour-photo data set and tiny exported weights (no downloads)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from engines.colorization.data import split_of, write_index


def synthetic_photo(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A smooth colourful uint8 BGR (h, w, 3) picture with noise (passes for a photo)."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = [
        np.sin(xx / rng.uniform(8, 30) + rng.uniform(0, 6)) * np.cos(yy / rng.uniform(8, 30))
        for _ in range(3)
    ]
    img = (np.stack(base, -1) * 90 + 128 + rng.normal(0, 6, (h, w, 3))).clip(0, 255)
    return img.astype(np.uint8)


@pytest.fixture(scope="session")
def photo_root(tmp_path_factory) -> Path:
    """12 synthetic photos in 3 categories, with index.json (train and val both non-empty)."""
    root = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    rows = []
    (root / "synth").mkdir()
    for i in range(12):
        name = f"synth/{i:04d}.png"
        img = synthetic_photo(rng, int(rng.integers(60, 120)), int(rng.integers(60, 120)))
        if i == 5:  # one cut-out with alpha
            alpha = np.zeros(img.shape[:2], np.uint8)
            cv2.circle(alpha, (img.shape[1] // 2, img.shape[0] // 2), 25, 255, -1)
            img = np.dstack([img, alpha])
        cv2.imwrite(str(root / name), img)
        split = "val" if i in (3, 7) else split_of("synth", name)
        rows.append(
            {
                "file": name,
                "source": "synth",
                "member": name,
                "category": f"c{i % 3}",
                "split": split if i not in (0, 1, 2) else "train",
                "width": img.shape[1],
                "height": img.shape[0],
                "alpha": img.shape[2] == 4,
            }
        )
    write_index(root, rows)
    return root


def train_tiny(root: Path, out: Path, seed: int = 0, steps: int = 2) -> Path:
    """A tiny net trained `steps` steps on the photo set at `root` (torch seed `seed`), exported to `out`."""
    import torch

    from engines.colorization.config import ColorizationConfig
    from engines.colorization.task import PhotoTrainTask

    torch.manual_seed(seed)
    task = PhotoTrainTask(ColorizationConfig.tiny(), steps, data_root=root)
    for step in range(1, steps + 1):
        task.train_step(step)
    return task.export(out, {"mean_ab": [0.0, 0.0]})


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory, photo_root) -> Path:
    """Weights of a tiny net after 2 training steps, exported as ColorizationEngine reads them."""
    return train_tiny(photo_root, tmp_path_factory.mktemp("w") / "tiny.pt")


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """One intra-op thread: on a busy 2-core machine more threads only spin (5x slower here)."""
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
