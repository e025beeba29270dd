"""SketchEngine: sample, complete, encode, decode and interpolate drawings with a trained sketch-rnn.

Units and frames. "Canvas units" are the training box's units (KanjiVG's 109x109 box, y down;
icons are drawn in the same box). Stroke-5 arrays given to and returned by the engine hold
offsets in canvas units; the first row's offset is measured from `engine.origin` (the box
centre). `Sketch.polylines()` gives absolute canvas coordinates. Internally the model works in
offsets divided by `engine.scale_factor`.

Randomness comes only from a numpy Generator (`seed`), so equal seeds give equal drawings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engines.base import EngineError, frozen_array
from engines.sketch.sampling import NumpyDecoder, sample_step, slerp
from engines.sketch.strokes import (
    polylines_to_stroke3,
    simplify_polylines,
    stroke3_to_stroke5,
    stroke5_to_polylines,
)

END = np.array([0, 0, 0, 0, 1], dtype=np.float32)


@dataclass(frozen=True)
class Sketch:
    """One drawing. strokes: float32[T, 5] stroke-5 offsets in canvas units, no start token and no
    end row (the last row has p2 = 1). prefix_len: leading rows that were given (completions).
    finished: the model emitted end-of-drawing within the step budget. z: float32[Nz] or None.
    """

    strokes: np.ndarray
    origin: tuple[float, float]
    tau: float
    prefix_len: int = 0
    finished: bool = True
    z: np.ndarray | None = None

    def polylines(self) -> list[np.ndarray]:
        """Absolute canvas coordinates, one float32[n, 2] per pen-down stroke."""
        return stroke5_to_polylines(self.strokes, self.origin)


class SketchEngine:
    """Loads weights written by model.export_weights (a run's sketch.pt) and draws with them (one thread at a time)."""

    def __init__(self) -> None:
        self.model: Any = None
        self.device = "cpu"
        self.scale_factor = 1.0
        self.origin: tuple[float, float] = (0.0, 0.0)
        self.canvas_size = 0.0
        self.info: dict[str, Any] = {}

    # ------------------------------------------------------------------ loading
    def load(self, weights: str | Path, device: str = "cpu") -> None:
        """Read a sketch-rnn .pt (torch.load weights_only=True); EngineError on a wrong or damaged file."""
        import math

        from engines.runtime import require_finite, set_cpu_threads
        from engines.sketch.config import SketchRNNConfig
        from engines.sketch.model import SketchRNN, load_weights_payload

        set_cpu_threads()
        path = Path(weights)
        payload = load_weights_payload(path)
        try:  # everything is read and checked into locals first: a bad file leaves this engine as it was
            config = SketchRNNConfig.from_dict(payload["config"])
            require_finite(payload["model"], path.name)
            model = SketchRNN(config)
            model.load_state_dict(payload["model"])
            scale_factor = float(payload["scale_factor"])
            canvas = payload.get("canvas", {})
            canvas_size = float(canvas.get("size", 0.0))
            origin = tuple(float(v) for v in canvas.get("origin", (0.0, 0.0)))
        except (KeyError, ValueError, RuntimeError, TypeError, AttributeError) as exc:
            raise EngineError(f"{path.name} does not match the sketch-rnn model ({type(exc).__name__}: {exc})") from exc
        if not (math.isfinite(scale_factor) and scale_factor > 0 and math.isfinite(canvas_size) and len(origin) == 2):
            raise EngineError(f"{path.name} has an invalid scale_factor or canvas ({scale_factor}, {canvas_size})")
        self.model = model.to(device).eval()
        self.device = device
        self.scale_factor, self.canvas_size, self.origin = scale_factor, canvas_size, origin  # type: ignore[assignment]
        self.info = {k: payload.get(k) for k in ("dataset", "licence", "step", "metrics")}

    @classmethod
    def from_model(cls, model: Any, scale_factor: float, canvas_size: float) -> SketchEngine:
        """An engine drawing with an in-memory SketchRNN (e.g. a training preview); the model is used as is."""
        eng = cls()
        eng.model = model.eval()
        eng.scale_factor = float(scale_factor)
        eng.canvas_size = float(canvas_size)
        eng.origin = (canvas_size / 2, canvas_size / 2)
        return eng

    @property
    def config(self) -> Any:
        self._require()
        return self.model.config

    @property
    def conditional(self) -> bool:
        return bool(self.config.conditional)

    def _require(self) -> None:
        if self.model is None:
            raise EngineError("no sketch-rnn weights loaded yet")

    # ------------------------------------------------------------------ conversions
    def strokes_from_polylines(self, polylines: Sequence[np.ndarray], epsilon: float = 1.0) -> np.ndarray:
        """Absolute canvas polylines (e.g. the user's pen) -> stroke-5 float32[T, 5] offsets (RDP first)."""
        return stroke3_to_stroke5(polylines_to_stroke3(simplify_polylines(polylines, epsilon), self.origin))

    def _normalise(self, strokes: np.ndarray) -> np.ndarray:
        s = np.asarray(strokes, dtype=np.float32)
        if s.ndim != 2 or s.shape[1] not in (3, 5):
            raise ValueError(f"strokes must be float[T, 3] or float[T, 5], got shape {s.shape}")
        if s.shape[1] == 3:
            s = stroke3_to_stroke5(s)
        ends = np.flatnonzero(s[:, 4] > 0.5)
        s = s[: ends[0]] if len(ends) else s
        s = s.copy()
        s[:, :2] /= self.scale_factor
        return s

    def _sketch(self, rows: np.ndarray, tau: float, prefix_len: int, finished: bool, z: np.ndarray | None) -> Sketch:
        out = rows.copy()
        out[:, :2] *= self.scale_factor
        if len(out):
            out[-1, 2:] = (0, 1, 0)
        return Sketch(
            frozen_array(out),
            self.origin,
            float(tau),
            prefix_len,
            bool(finished),
            None if z is None else frozen_array(z.astype(np.float32)),
        )

    # ------------------------------------------------------------------ the decoder loop
    def _generate(
        self,
        prefix: np.ndarray,
        z: np.ndarray | None,
        steps: int,
        tau: float,
        rng: np.random.Generator,
        until_end: bool = True,
        min_strokes: int = 0,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Run B decoders over [S_0, prefix...] then sample `steps` points in one batch.

        prefix: (B, T, 5) normalised; z: (B, Nz) or None. Returns rows (B, steps, 5) and lengths (B,).
        until_end=False keeps stepping after every drawing ended (benchmarks time all `steps`).
        min_strokes: end-of-drawing is excluded from the pen softmax (the pen state is drawn from
        p1/p2 alone) until a row has drawn that many new strokes (>= 2 points each); `steps` caps it.
        """
        import torch

        if not 0.0 < tau <= 1.0:
            raise ValueError(f"tau must be in (0, 1], got {tau}")
        if min_strokes < 0:
            raise ValueError(f"min_strokes must be >= 0, got {min_strokes}")
        model, b = self.model, prefix.shape[0]
        m = model.config.num_mixture
        start = np.zeros((b, 1, 5), dtype=np.float32)
        start[:, 0, 2] = 1.0
        inputs = torch.from_numpy(np.concatenate([start, prefix], axis=1)).to(self.device)
        zt = None if z is None or not model.config.conditional else torch.from_numpy(z).to(self.device)
        rows = np.tile(END, (b, steps, 1))
        lengths = np.full(b, steps)
        finished = np.zeros(b, dtype=bool)
        drawn = np.zeros(b, dtype=int)  # new strokes finished per row
        pen_down = np.zeros(b, dtype=bool)  # the previous point was pen-down (a stroke is open)
        with torch.inference_mode():
            y, state = model.decode(inputs, zt)
            y_last = y[:, -1].cpu().numpy()
            if prefix.shape[1] == 0:  # every training drawing has a point: no end before the first one
                y_last[:, -1] = -np.inf
            fast = NumpyDecoder(model, z, state) if self.device == "cpu" else None
            for t in range(steps):
                short = drawn < min_strokes
                if short.any():  # resample the pen state without "end" for rows still short of strokes
                    y_last = np.array(y_last, copy=True)
                    y_last[short, -1] = -np.inf
                point = sample_step(y_last, m, tau, rng)
                drawn += (point[:, 3] > 0.5) & pen_down
                pen_down = point[:, 2] > 0.5
                done = (point[:, 4] > 0.5) & ~finished
                lengths[done] = t
                finished |= done
                point[finished] = END
                rows[:, t] = point
                if until_end and finished.all():
                    break
                if fast is not None:
                    y_last = fast.step(point)
                    continue
                x = torch.from_numpy(point)[:, None, :].to(self.device)
                if zt is not None:
                    x = torch.cat([x, zt[:, None, :]], dim=-1)
                h, state = model.decoder.lstm(x, state)
                y_last = model.fc_out(h[:, 0]).cpu().numpy()
        return rows, lengths

    def _z(self, n: int, z: np.ndarray | None, rng: np.random.Generator) -> np.ndarray | None:
        if not self.conditional:
            return None
        if z is None:
            return rng.standard_normal((n, self.config.z_size)).astype(np.float32)
        z = np.asarray(z, dtype=np.float32).reshape(-1, self.config.z_size)
        return np.repeat(z, n, axis=0) if len(z) == 1 and n > 1 else z

    # ------------------------------------------------------------------ public API
    def sample(
        self,
        n: int = 1,
        tau: float = 0.5,
        steps: int = 250,
        z: np.ndarray | None = None,
        seed: int | None = None,
    ) -> tuple[Sketch, ...]:
        """n drawings from nothing in one batch. z: float[Nz] or float[n, Nz]; default z ~ N(0, I).

        The first point may not be end-of-drawing (no training drawing is empty).
        """
        self._require()
        rng = np.random.default_rng(seed)
        zs = self._z(n, z, rng)
        b = n if zs is None else len(zs)
        rows, lengths = self._generate(np.zeros((b, 0, 5), np.float32), zs, steps, tau, rng)
        return tuple(
            self._sketch(rows[i, : lengths[i]], tau, 0, lengths[i] < steps, None if zs is None else zs[i])
            for i in range(b)
        )

    def complete(
        self,
        prefix_strokes: np.ndarray,
        n_completions: int = 6,
        tau: float = 0.5,
        steps: int = 250,
        seed: int | None = None,
        latent: str = "prefix",
        min_strokes: int = 0,
    ) -> tuple[Sketch, ...]:
        """Finish a started drawing n ways in ONE batched decoder call.

        prefix_strokes: float[T, 5] (or stroke-3 [T, 3]) in canvas units. For a VAE, latent="prefix"
        encodes the prefix and draws one z per completion from N(mu, sigma); latent="prior" draws
        z ~ N(0, I) (more varied). A decoder-only model just continues. Each Sketch holds
        prefix + continuation; prefix_len = T. min_strokes: each continuation keeps drawing until it
        added at least that many strokes (end-of-drawing is resampled away), at most `steps` points.
        """
        self._require()
        if latent not in ("prefix", "prior"):
            raise ValueError(f"latent must be 'prefix' or 'prior', got {latent!r}")
        rng = np.random.default_rng(seed)
        prefix = self._normalise(prefix_strokes)
        zs = None
        if self.conditional and latent == "prior":
            zs = rng.standard_normal((n_completions, self.config.z_size)).astype(np.float32)
        elif self.conditional:
            mu, sigma = (
                self._encode_stats(prefix)
                if len(prefix)
                else (np.zeros(self.config.z_size, np.float32), np.ones(self.config.z_size, np.float32))
            )
            zs = (mu + sigma * rng.standard_normal((n_completions, len(mu)))).astype(np.float32)
        batch = np.repeat(prefix[None], n_completions, axis=0)
        rows, lengths = self._generate(batch, zs, steps, tau, rng, min_strokes=min_strokes)
        return tuple(
            self._sketch(
                np.concatenate([prefix, rows[i, : lengths[i]]]),
                tau,
                len(prefix),
                lengths[i] < steps,
                None if zs is None else zs[i],
            )
            for i in range(n_completions)
        )

    def _encode_stats(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import torch

        n = self.config.max_seq_len
        s = s[:n]
        padded = np.tile(END, (1, n, 1))
        padded[0, : len(s)] = s
        if len(s):
            padded[0, len(s) - 1, 2:] = (0, 1, 0)
        with torch.inference_mode():
            mu, sigma_hat = self.model.encode(torch.from_numpy(padded).to(self.device), torch.tensor([max(1, len(s))]))
        return mu[0].cpu().numpy(), np.exp(sigma_hat[0].cpu().numpy() / 2)

    def encode(self, strokes: np.ndarray) -> np.ndarray:
        """A drawing (float[T, 5] or [T, 3], canvas units; first N_max rows used) -> z = mu, float32[Nz]."""
        self._require()
        if not self.conditional:
            raise EngineError("this is a decoder-only sketch-rnn: it has no encoder (load a VAE model)")
        s = self._normalise(strokes)
        if not len(s):
            raise ValueError("cannot encode an empty drawing")
        return self._encode_stats(s)[0].astype(np.float32)

    def decode(self, z: np.ndarray, tau: float = 0.1, steps: int = 250, seed: int | None = None) -> tuple[Sketch, ...]:
        """Draw from latent vectors z: float[Nz] or float[K, Nz] (one batched call)."""
        self._require()
        z = np.asarray(z, dtype=np.float32).reshape(-1, self.config.z_size)
        return self.sample(len(z), tau, steps, z, seed)

    def interpolate(
        self,
        z1: np.ndarray,
        z2: np.ndarray,
        k: int = 8,
        tau: float = 0.1,
        steps: int = 250,
        seed: int | None = None,
    ) -> tuple[Sketch, ...]:
        """k drawings along the spherical interpolation (slerp) from z1 to z2, both ends included."""
        return self.decode(slerp(np.asarray(z1, np.float32), np.asarray(z2, np.float32), k), tau, steps, seed)

    def infer(self, strokes: np.ndarray) -> tuple[Sketch, ...]:
        """Engine protocol entry point: six completions of `strokes` at tau 0.5."""
        return self.complete(strokes, 6, 0.5)


def shipped_weights() -> dict[str, Path]:
    """Shipped weights that exist: {'kanji': .../assets/weights/sketch_kanji.pt, 'icons': ...}."""
    root = Path(__file__).resolve().parents[2] / "assets" / "weights"
    return {n: root / f"sketch_{n}.pt" for n in ("kanji", "icons") if (root / f"sketch_{n}.pt").is_file()}
