"""GANEngine: sample from a trained generator (fixed z, seeds), interpolate between latents, set InfoGAN codes,
and draw the 2-D view (real points, samples, D's decision map) for toy sets.

z: float32[N, latent_dim + code_dim] (InfoGAN: one-hot category then continuous codes after the noise).
Pictures: uint8[N, 32, 32] grey (0 = background); points: float32[N, 2] in data units.
torch is imported inside the methods only, so the tab can import this module on the GUI thread.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engines.base import EngineError, frozen_array

WEIGHTS_DIR = Path(__file__).resolve().parents[2] / "assets" / "weights"


FIRST_SHIPPED = "dcgan_fashion-mnist"  # the tab opens on the first one: the best Fashion-MNIST samples


def shipped_weights() -> dict[str, Path]:
    """Our trained GAN checkpoints in assets/weights (gan_<variant>_<dataset>.pt), name -> path: DCGAN on
    Fashion-MNIST first (the tab shows it at once), the rest by name."""
    found = {p.stem.removeprefix("gan_"): p for p in sorted(WEIGHTS_DIR.glob("gan_*.pt"))}
    return dict(sorted(found.items(), key=lambda kv: (kv[0] != FIRST_SHIPPED, kv[0])))


@dataclass(frozen=True)
class GANSamples:
    """z float32[N, Z]; pictures uint8[N, 32, 32] (image models) or points float32[N, 2] (2-D models)."""

    z: np.ndarray
    pictures: np.ndarray | None = None
    points: np.ndarray | None = None


def slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Spherical interpolation between latents a, b (float[Z]) at fractions t (float[T]) -> float32[T, Z]."""
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    cos = float(np.dot(a, b) / max(na * nb, 1e-12))
    omega = math.acos(min(1.0, max(-1.0, cos)))
    if omega < 1e-6:
        return ((1 - t)[:, None] * a + t[:, None] * b).astype(np.float32)
    s = math.sin(omega)
    return ((np.sin((1 - t) * omega) / s)[:, None] * a + (np.sin(t * omega) / s)[:, None] * b).astype(np.float32)


class GANEngine:
    """Loads a GAN lab weights file (a run's gan.pt) and samples from it (one thread at a time)."""

    def __init__(self) -> None:
        self.config: Any = None
        self.G: Any = None
        self.D: Any = None
        self.device = "cpu"
        self.info: dict[str, Any] = {}
        self.backend: Any = None  # cpu_backend.GeneratorBackend once use_backend passed its gate
        self.runtime = "torch"  # the runtime last asked for (use_backend), whether or not its gate passed

    def load(self, weights: str | Path, device: str = "cpu") -> None:
        """Read a gan.pt (torch.load weights_only=True, config bounds, finite tensors, a test forward); a bad file
        raises EngineError naming it and leaves this engine as it was."""
        import torch

        from engines.gan.config import GANConfig
        from engines.gan.model import build_discriminator, build_generator, load_weights_payload
        from engines.runtime import require_finite, set_cpu_threads

        set_cpu_threads()  # torch's default is every core: on 2 cores the lab ran 3x slower beside the GUI
        path = Path(weights)
        payload = load_weights_payload(path)
        try:
            config = GANConfig.from_dict(dict(payload["config"]))
            require_finite(payload["generator"], path.name)
            G = build_generator(config)
            G.load_state_dict(payload["generator"])
            D = None
            if "discriminator" in payload:
                require_finite(payload["discriminator"], path.name)
                D = build_discriminator(config)
                D.load_state_dict(payload["discriminator"])
                D.eval()
            G.eval()
            with torch.no_grad():
                probe = G(torch.zeros(2, config.latent_dim + config.code_dim))
        except (KeyError, ValueError, RuntimeError, TypeError, AttributeError) as exc:
            raise EngineError(f"{path.name} does not match the GAN lab's networks "
                              f"({type(exc).__name__}: {exc})") from exc
        expected = (2, 1, 32, 32) if config.image else (2, 2)
        if tuple(probe.shape) != expected or not bool(torch.isfinite(probe).all()):
            raise EngineError(f"{path.name}: the generator gives {tuple(probe.shape)} or non-finite values")
        self.config, self.G, self.D = config, G.to(device), None if D is None else D.to(device)
        self.device, self.backend, self.runtime = device, None, "torch"
        self.info = {k: payload.get(k) for k in ("dataset", "licence", "step", "metrics")}

    def use_backend(self, device: str | None, threads: int | None = None) -> str:
        """Sample through a CPU backend ("openvino-f32", "onnxruntime-f32", "openvino-bf16"; None: torch) when
        it passes its gate against torch; a sentence saying what runs."""
        from engines.backends.choice import parse_device
        from engines.gan.cpu_backend import build_generator_backend

        self._require()
        self.backend, self.runtime = None, device or "torch"
        if not device:
            return "torch"
        built = build_generator_backend(self.G.cpu(), self.z_dim, self.config.image, parse_device(device, threads),
                                        self.latent)
        if not built.gate.passed:
            return f"{device} refused: {built.gate.reason}; torch samples"
        self.backend = built
        return f"{device} ({built.gate.summary()})"

    def _require(self) -> None:
        if self.G is None:
            raise EngineError("no GAN weights loaded yet")

    @property
    def z_dim(self) -> int:
        self._require()
        return self.config.latent_dim + self.config.code_dim

    def describe(self) -> str:
        self._require()
        c = self.config
        variant = c.variant
        if c.image and c.measurement != "none":  # trained through a measurement: AmbientGAN or its "ignore" baseline
            how = "AmbientGAN" if c.ambient else "'ignore' baseline"
            variant = f"{how} ({c.variant} nets, {c.measurement} p {c.measurement_p:g})"
        fd = (self.info.get("metrics") or {}).get("fd_classifier")
        quality = f", FD {fd:.3g} on our classifier's features" if fd is not None and c.image else ""
        return f"{variant} on {self.info.get('dataset')} (step {self.info.get('step')}, z {c.latent_dim}{quality})"

    # ------------------------------------------------------------------ latents
    def latent(self, n: int, seed: int = 0) -> np.ndarray:
        """n latents from a seed: z ~ N(0, I), InfoGAN codes drawn from their priors. float32[n, Z]."""
        self._require()
        c, rng = self.config, np.random.default_rng(seed)
        z = rng.standard_normal((n, c.latent_dim)).astype(np.float32)
        if c.variant != "infogan":
            return z
        cat = np.eye(c.info_categories, dtype=np.float32)[rng.integers(0, c.info_categories, n)]
        cont = rng.uniform(-1, 1, (n, c.info_continuous)).astype(np.float32)
        return np.concatenate([z, cat, cont], 1)

    def with_codes(self, z: np.ndarray, category: int | None = None, continuous: tuple[float, ...] = ()) -> np.ndarray:
        """InfoGAN: the same noise with the categorical code set to `category` and the continuous codes to
        `continuous` (values beyond [-1, 1] extrapolate, the paper goes to +-2). Other variants: z unchanged."""
        c = self.config
        if c is None or c.variant != "infogan":
            return z
        out = np.array(z, dtype=np.float32, copy=True)
        k = c.latent_dim
        if category is not None:
            out[:, k: k + c.info_categories] = 0
            out[:, k + int(category) % c.info_categories] = 1
        for i, v in enumerate(continuous[: c.info_continuous]):
            out[:, k + c.info_categories + i] = float(v)
        return out

    def interpolate(self, z0: np.ndarray, z1: np.ndarray, steps: int) -> np.ndarray:
        """steps latents from z0 to z1 (float[Z] each): slerp over the noise part, linear over InfoGAN codes."""
        t = np.linspace(0, 1, steps)
        k = self.config.latent_dim
        noise = slerp(np.asarray(z0[:k], np.float64), np.asarray(z1[:k], np.float64), t)
        codes = ((1 - t)[:, None] * z0[None, k:] + t[:, None] * z1[None, k:]).astype(np.float32)
        return np.concatenate([noise, codes], 1)

    def between(self, za: np.ndarray, zb: np.ndarray, t: float) -> np.ndarray:
        """Row-wise: each za[i] walked a fraction t towards zb[i] (as interpolate), float32[N, Z]; exactly za at
        t <= 0 and zb at t >= 1 (slerp's sines leave ~1e-7 there, enough to change a grey level of a picture)."""
        if t <= 0 or t >= 1:
            return np.array(za if t <= 0 else zb, np.float32)
        k, ts = self.config.latent_dim, np.array([float(t)])
        noise = np.stack([slerp(np.asarray(a[:k], np.float64), np.asarray(b[:k], np.float64), ts)[0]
                          for a, b in zip(za, zb)])
        codes = (1 - t) * np.asarray(za)[:, k:] + t * np.asarray(zb)[:, k:]
        return np.concatenate([noise, codes], 1).astype(np.float32)

    # ------------------------------------------------------------------ sampling
    def infer(self, z: np.ndarray) -> GANSamples:
        """G(z) for float32[N, Z] latents (N <= 4096)."""
        import torch

        from engines.gan.data import to_pictures

        self._require()
        z = np.asarray(z, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.z_dim or not 0 < len(z) <= 4096:
            raise ValueError(f"z must be float[N, {self.z_dim}] with 0 < N <= 4096, got {z.shape}")
        if self.backend is not None:
            out = self.backend.generate(z)
        else:
            with torch.no_grad():
                out = self.G(torch.from_numpy(z).to(self.device)).float().cpu().numpy()
        if self.config.image:
            return GANSamples(frozen_array(z), pictures=frozen_array(to_pictures(out)))
        return GANSamples(frozen_array(z), points=frozen_array(out.astype(np.float32)))

    def sample(self, n: int, seed: int = 0) -> GANSamples:
        return self.infer(self.latent(n, seed))

    def grid(self, n: int = 64, seed: int = 0, cols: int = 8) -> np.ndarray:
        """A BGR sheet of n samples from a seed (pictures), or the 2-D view (toy sets)."""
        from engines.gan.render import sample_grid

        if not self.config.image:
            return self.toy_view(seed=seed)
        return sample_grid(self.sample(n, seed).pictures, cols)

    def interpolation_sheet(self, rows: int = 8, steps: int = 8, seed: int = 0) -> np.ndarray:
        """rows x steps pictures; each row walks from one seeded latent to another (BGR)."""
        from engines.gan.render import sample_grid

        ends = self.latent(2 * rows, seed)
        z = np.concatenate([self.interpolate(ends[2 * r], ends[2 * r + 1], steps) for r in range(rows)])
        return sample_grid(self.infer(z).pictures, steps)

    def decision_map(self, size: int = 48, extent: float = 5.0) -> np.ndarray | None:
        """D on the 2-D view's lattice, float[size, size] in [0, 1] (1 = "real"); None without a D."""
        import torch

        from engines.gan.render import decision_map, heatmap_grid

        if self.D is None or self.config.image:
            return None
        lattice = torch.from_numpy(heatmap_grid(size, extent)).to(self.device)
        with torch.no_grad():
            if self.config.variant == "otgan":  # no score per point: the critic's embedding against real / samples
                from engines.gan.data import sample_toy
                from engines.gan.otgan import realness

                name = str(self.info.get("dataset"))
                real = torch.from_numpy(sample_toy(name, 256, np.random.default_rng(7))).to(self.device)
                score = realness(self.D, lattice, real, self.G(torch.from_numpy(self.latent(256, 3)).to(self.device)))
                score = score.cpu().numpy()
            else:
                score = self.D(lattice)["logit"].cpu().numpy()
        return decision_map(self.config.variant, score, size)

    def toy_view(self, n: int = 512, seed: int = 0, size: int = 320) -> np.ndarray:
        """GAN Lab's view: the data set's points, n samples and D's decision map (BGR uint8 size x size)."""
        from engines.gan.data import TOY_EXTENT, sample_toy
        from engines.gan.render import toy_view

        name = str(self.info.get("dataset"))
        extent = TOY_EXTENT.get(name, 5.0)
        real = sample_toy(name, 256, np.random.default_rng(7)) if name in TOY_EXTENT else np.zeros((0, 2), np.float32)
        return toy_view(real, self.sample(n, seed).points, self.decision_map(extent=extent), size, extent=extent)
