"""Reading a user's image safely: the size its header declares is checked before anything is decoded.

A 425 KB PNG can declare 20000x20000 pixels (1.2 GB as BGR, more inside the engines); OpenCV would
decode it, or fail with a raw assertion. `read_image` refuses past a pixel budget with a message.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from engines.base import EngineError

MAX_PIXELS = 100_000_000  # 100 MP: a 12,000 x 8,000 photo; 300 MB as BGR uint8

_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def image_size(path: str | Path) -> tuple[int, int] | None:
    """(width, height) from a PNG, JPEG, BMP, GIF or WebP header without decoding; None if not recognised."""
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
            return struct.unpack(">II", head[16:24])
        if head[:2] == b"BM" and len(head) >= 26:
            w, h = struct.unpack("<ii", head[18:26])
            return abs(w), abs(h)
        if head[:6] in (b"GIF87a", b"GIF89a"):
            return struct.unpack("<HH", head[6:10])
        if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            return _webp_size(head)
        if head[:2] == b"\xff\xd8":
            f.seek(2)
            return _jpeg_size(f)
    return None


def _webp_size(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8X":
        w = int.from_bytes(head[24:27], "little") + 1
        h = int.from_bytes(head[27:30], "little") + 1
        return w, h
    if chunk == b"VP8 ":
        w, h = struct.unpack("<HH", head[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L":
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _jpeg_size(f) -> tuple[int, int] | None:
    for _ in range(10_000):  # markers until the frame header; a bounded walk over a hostile file
        marker = f.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            return None
        kind = marker[1]
        if kind in (0xD8, 0x01) or 0xD0 <= kind <= 0xD7:
            continue
        length_bytes = f.read(2)
        if len(length_bytes) < 2:
            return None
        length = struct.unpack(">H", length_bytes)[0]
        if kind in _JPEG_SOF:
            data = f.read(5)
            if len(data) < 5:
                return None
            h, w = struct.unpack(">HH", data[1:5])
            return w, h
        f.seek(length - 2, 1)
    return None


def read_image(path: str | Path, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """A BGR uint8 (H, W, 3) image; EngineError if it is missing, too large for the budget, or not an image."""
    import cv2

    path = Path(path)
    if not path.is_file():
        raise EngineError(f"{path} does not exist")
    try:
        size = image_size(path)
    except OSError as exc:
        raise EngineError(f"{path.name} cannot be read ({exc})") from exc
    if size is not None and size[0] * size[1] > max_pixels:
        raise EngineError(f"{path.name} declares {size[0]} x {size[1]} pixels ({size[0] * size[1] / 1e6:.0f} MP); "
                          f"the limit is {max_pixels / 1e6:.0f} MP - downscale it first")
    try:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    except cv2.error as exc:
        raise EngineError(f"{path.name} is damaged or too large to decode") from exc
    if image is None:
        raise EngineError(f"{path.name} is not an image OpenCV can read (or it is damaged)")
    if image.shape[0] * image.shape[1] > max_pixels:  # a format whose header we do not parse
        raise EngineError(f"{path.name} has {image.shape[1]} x {image.shape[0]} pixels; the limit is "
                          f"{max_pixels / 1e6:.0f} MP")
    return image
