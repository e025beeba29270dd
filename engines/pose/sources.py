"""Where the pose tab's pretrained file comes from: the BlazePose landmark model inside a PyPI wheel.

mediapipe 0.10.21 is the last release that bundles `pose_landmark_full.tflite`. We never install
mediapipe (it pins numpy<2); the asset manager downloads the wheel once and extracts the one file.
"""

from __future__ import annotations

from pathlib import Path

from engines.assets import Archive, Asset, Progress, fetch_assets

MEDIAPIPE_WHEEL = Archive(
    name="PyPI mediapipe==0.10.21 (cp311 manylinux x86_64 wheel)",
    url="https://files.pythonhosted.org/packages/ad/83/56f760fecdc60de84c529d6c05c9dfc7d972617c6632bd254d5e021e5b16/"
    "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl",
    sha256="05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3",
    size=35622638,
    kind="wheel",
)

BLAZEPOSE_FULL = "pose_landmark_full.tflite"

ASSETS: tuple[Asset, ...] = (
    Asset(
        BLAZEPOSE_FULL,
        MEDIAPIPE_WHEEL,
        "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
        "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
        "Apache-2.0",
        "pose",
    ),
)


def fetch(progress: Progress | None = None) -> list[Path]:
    """Download (once) and verify the pose assets; returns their paths."""
    return fetch_assets(list(ASSETS), progress)
