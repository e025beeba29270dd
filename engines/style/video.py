"""Video mode after Ruder et al. ("Artistic Style Transfer for Videos"), for a feed-forward network.

The paper initialises each frame's optimisation with the previous stylised frame warped along the
optical flow, and adds a temporal loss on the pixels where the flow is trustworthy. A live network has no
optimisation to initialise, so here the warped previous output is blended into the new one on those
pixels: out = c * (lam * warped + (1 - lam) * current) + (1 - c) * current.

c (the paper's per-pixel weights) is 0 where the forward-backward flows disagree (disocclusion, eq. 6
of the paper: |w~ + b|^2 > 0.01 (|w~|^2 + |b|^2) + 0.5) or at motion boundaries (|grad b|^2 >
0.01 |b|^2 + 0.002), 1 elsewhere. Flicker = mean |out_t - warp(out_{t-1})| over trusted pixels (0..255).
Flow: OpenCV DIS (ultrafast preset) on grey frames at `flow_side` px on the short side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Temporal:
    """out: uint8 (H, W, 3) BGR; flicker: mean |out - warped previous out| over trusted pixels (0..255),
    None on the first frame; trusted: fraction of pixels with c = 1; ms: flow + warp + blend time."""

    out: np.ndarray
    flicker: float | None
    trusted: float
    ms: float


def _warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Sample `image` at x + flow(x) (flow (H, W, 2) in px): the previous frame moved onto the current one."""
    import cv2

    h, w = flow.shape[:2]
    grid = flow + np.stack(np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)), -1)
    return cv2.remap(image, grid, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def trusted_pixels(forward: np.ndarray, backward: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """c (h, w) float32 in {0, 1} from the flows prev->cur (forward) and cur->prev (backward), both (h, w, 2) in
    px of their own grid; `scale` converts them to the px of the frame the thresholds are meant for."""
    w_tilde = _warp(forward, backward) * scale  # forward flow read where each current pixel came from
    backward = backward * scale
    sq = lambda f: (f ** 2).sum(-1)  # noqa: E731
    disoccluded = sq(w_tilde + backward) > 0.01 * (sq(w_tilde) + sq(backward)) + 0.5
    gy_u, gx_u = np.gradient(backward[..., 0], scale)  # derivative per full-size px
    gy_v, gx_v = np.gradient(backward[..., 1], scale)
    boundary = gx_u ** 2 + gy_u ** 2 + gx_v ** 2 + gy_v ** 2 > 0.01 * sq(backward) + 0.002
    return (~(disoccluded | boundary)).astype(np.float32)


class TemporalBlender:
    """Keeps the previous frame and output; call once per frame, in order, from one thread.

    lam: weight of the warped previous output on trusted pixels (0: frame by frame). blend=False only
    measures the flicker. A change of frame size starts over."""

    def __init__(self, lam: float = 0.6, flow_side: int = 180) -> None:
        import cv2

        if not 0.0 <= lam < 1.0:
            raise ValueError("lam must be in [0, 1)")
        self.lam, self.flow_side = lam, flow_side
        self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
        self._prev_gray: np.ndarray | None = None
        self._prev_out: np.ndarray | None = None

    def reset(self) -> None:
        self._prev_gray = self._prev_out = None

    def _trust_and_flow(self, gray: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """(c (H, W) float32, backward flow cur->prev (H, W, 2) in full-size px). The flows and c are computed
        at the flow resolution (flows in full-size px there), then resized: c nearest, the flow bilinear."""
        import cv2

        scale = size[0] / gray.shape[1]
        fw = self._dis.calc(self._prev_gray, gray, None)
        bw = self._dis.calc(gray, self._prev_gray, None)
        c = cv2.resize(trusted_pixels(fw, bw, scale), size, interpolation=cv2.INTER_NEAREST)
        return c, cv2.resize(bw, size, interpolation=cv2.INTER_LINEAR) * scale

    def __call__(self, frame: np.ndarray, stylized: np.ndarray, blend: bool = True) -> Temporal:
        """frame, stylized: uint8 (H, W, 3) BGR of the same size."""
        import time

        import cv2

        t0 = time.perf_counter()
        h, w = frame.shape[:2]
        s = self.flow_side / min(h, w)
        small = (max(8, round(w * s)), max(8, round(h * s)))
        gray = cv2.cvtColor(cv2.resize(frame, small, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
        if self._prev_gray is None or self._prev_gray.shape != gray.shape or self._prev_out.shape != stylized.shape:
            self._prev_gray, self._prev_out = gray, stylized
            return Temporal(stylized, None, 0.0, (time.perf_counter() - t0) * 1000)
        c, backward = self._trust_and_flow(gray, (w, h))
        warped = _warp(self._prev_out, backward).astype(np.float32)
        out = stylized.astype(np.float32)
        if blend and self.lam > 0:
            k = (self.lam * c)[..., None]
            out = k * warped + (1 - k) * out
        flicker = float((np.abs(out - warped).mean(-1) * c).sum() / max(c.sum(), 1.0))
        result = np.clip(out + 0.5, 0, 255).astype(np.uint8)
        self._prev_gray, self._prev_out = gray, result
        return Temporal(result, flicker, float(c.mean()), (time.perf_counter() - t0) * 1000)


def flicker_on_video(engine, path, frames: int = 60, style: int = 3, lam: float = 0.6) -> dict[str, float]:
    """Stylise the first `frames` frames of a video frame by frame and in video mode; return the mean
    flicker of each (0..255) and the mean ms per frame of each (network + temporal step)."""
    import time

    from engines.frames import video_frames

    out: dict[str, float] = {}
    for name, blend in (("frame_by_frame", False), ("video_mode", True)):
        blender, flick, ms = TemporalBlender(lam), [], []
        for _, image in video_frames(path, limit=frames):
            t0 = time.perf_counter()
            r = engine.infer(image, style)
            t = blender(image, r.stylized, blend=blend) if blend else None
            ms.append((time.perf_counter() - t0) * 1000)
            m = t if t is not None else blender(image, r.stylized, blend=False)  # measure only, untimed
            if m.flicker is not None:
                flick.append(m.flicker)
        out[f"flicker_{name}"] = float(np.mean(flick))
        out[f"ms_{name}"] = float(np.median(ms))
    out["flicker_reduction"] = 1 - out["flicker_video_mode"] / out["flicker_frame_by_frame"]
    out["cost_ratio"] = out["ms_video_mode"] / out["ms_frame_by_frame"]
    return out
