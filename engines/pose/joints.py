"""Joint names, skeletons, the BlazePose -> MPII mapping and mirror-aware left/right helpers.

BlazePose's landmark model gives 39 points: the 33 documented body landmarks, then 6 auxiliary
points MediaPipe uses to place the next frame's crop (they are not body joints). MPII has 16
joints; the Stacked Hourglass student predicts those.
"""

from __future__ import annotations

import numpy as np

BLAZEPOSE_BODY = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)
BLAZEPOSE_NAMES = BLAZEPOSE_BODY + tuple(f"auxiliary_{i}" for i in range(6))
"""39 names, in the order of the model's landmark and heatmap channels."""

BLAZEPOSE_EDGES = (
    (11, 12),
    (11, 13),
    (13, 15),
    (15, 17),
    (15, 19),
    (15, 21),
    (17, 19),
    (12, 14),
    (14, 16),
    (16, 18),
    (16, 20),
    (16, 22),
    (18, 20),
    (11, 23),
    (12, 24),
    (23, 24),
    (23, 25),
    (24, 26),
    (25, 27),
    (26, 28),
    (27, 29),
    (28, 30),
    (29, 31),
    (30, 32),
    (27, 31),
    (28, 32),
    (0, 1),
    (1, 2),
    (2, 3),
    (3, 7),
    (0, 4),
    (4, 5),
    (5, 6),
    (6, 8),
    (9, 10),
)

MPII_NAMES = (
    "right_ankle",
    "right_knee",
    "right_hip",
    "left_hip",
    "left_knee",
    "left_ankle",
    "pelvis",
    "thorax",
    "upper_neck",
    "head_top",
    "right_wrist",
    "right_elbow",
    "right_shoulder",
    "left_shoulder",
    "left_elbow",
    "left_wrist",
)
"""The 16 MPII joints in the dataset's own order."""

MPII_EDGES = (
    (0, 1),
    (1, 2),
    (2, 6),
    (3, 6),
    (3, 4),
    (4, 5),
    (6, 7),
    (7, 8),
    (8, 9),
    (10, 11),
    (11, 12),
    (12, 7),
    (7, 13),
    (13, 14),
    (14, 15),
)

# MPII joint -> the BlazePose landmark it is, where one exists.
_DIRECT = {0: 28, 1: 26, 2: 24, 3: 23, 4: 25, 5: 27, 10: 16, 11: 14, 12: 12, 13: 11, 14: 13, 15: 15}


def blazepose_to_mpii(points: np.ndarray, conf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Map BlazePose points (K>=33, 2) + confidences (K,) to the 16 MPII joints.

    Pelvis = mid-hips; thorax = mid-shoulders; upper neck = halfway from thorax to mid-mouth;
    head top = eye midpoint + 1.5 x (eye midpoint - mouth midpoint). Derived joints take the
    smallest confidence of their sources. Returns (float32 (16, 2) same frame, float32 (16,)).
    """
    p = np.asarray(points, dtype=np.float32)[:, :2]
    c = np.asarray(conf, dtype=np.float32)
    out = np.zeros((16, 2), np.float32)
    oc = np.zeros(16, np.float32)
    for j, b in _DIRECT.items():
        out[j], oc[j] = p[b], c[b]
    hips, shoulders = (p[23] + p[24]) / 2, (p[11] + p[12]) / 2
    mouth, eyes = (p[9] + p[10]) / 2, (p[2] + p[5]) / 2
    out[6], oc[6] = hips, min(c[23], c[24])
    out[7], oc[7] = shoulders, min(c[11], c[12])
    out[8], oc[8] = shoulders + 0.5 * (mouth - shoulders), min(c[11], c[12], c[9], c[10])
    out[9], oc[9] = eyes + 1.5 * (eyes - mouth), min(c[2], c[5], c[9], c[10])
    return out, oc


def swap_permutation(names: tuple[str, ...] | list[str]) -> np.ndarray:
    """Index permutation that exchanges every left_* joint with its right_* twin (others stay).

    Use it after flipping an image horizontally: `kps_flipped = kps[perm]` with x -> W - 1 - x.
    """
    index = {n: i for i, n in enumerate(names)}
    perm = np.arange(len(names))
    for i, n in enumerate(names):
        for a, b in (("left", "right"), ("right", "left")):
            twin = n.replace(a, b, 1) if n.startswith(a) or f"_{a}" in n else None
            if twin is not None and twin in index:
                perm[i] = index[twin]
                break
    return perm


def display_name(name: str, mirrored: bool) -> str:
    """The label to show for `name` when the *input* frame was mirrored before inference.

    A mirrored frame shows the person's left side where their right would be, so the model's
    "left" is the person's right: swap the words (keeps the label true to the person's body).
    """
    if not mirrored:
        return name
    if "left" in name:
        return name.replace("left", "right", 1)
    if "right" in name:
        return name.replace("right", "left", 1)
    return name


def mirror_keypoints(points: np.ndarray, width: int) -> np.ndarray:
    """Keypoints (K, 2) of an unmirrored frame, as they appear in the frame flipped left-right.

    Positions move to x' = width - 1 - x; names stay attached to the same body joints, so the
    returned array keeps the original joint order (right_wrist is still the person's right wrist).
    """
    out = np.array(points, dtype=np.float32, copy=True)
    out[:, 0] = (width - 1) - out[:, 0]
    return out
