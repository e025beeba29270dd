"""GAN Lab in-process: a variant training on a 2-D toy set, one D or G update at a time or in bursts, drawn as
real points, generated points with the generator's gradient arrows, and D's decision map.

Not thread-safe: one worker owns a ToyLab. Points are float32[n, 2] in data units.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from engines.base import frozen_array
from engines.gan import losses as L
from engines.gan.config import GANConfig
from engines.gan.data import DRAWN, TOY_EXTENT, mode_coverage, sample_toy
from engines.gan.render import decision_map, heatmap_grid, toy_view
from engines.gan.task import GANTrainTask

VIEW_POINTS = 256  # generated points drawn (fixed z)
MAP_SIZE = 40  # D is evaluated on a MAP_SIZE x MAP_SIZE lattice for the background
OT_ARROW_ITERS = 10  # Sinkhorn iterations for OT-GAN's arrows (training keeps 50): twice as fast; against arrows
# from 500 iterations, 83% of the 256 arrows within 25 degrees (89% with 50), the others tiny ones
FRAME_PERIOD = 1 / 25  # seconds: playing aims at 25 frames/s, training fills what drawing leaves of a frame


@dataclass(frozen=True)
class ToyFrame:
    """image: BGR uint8 (S, S, 3); d_steps / g_steps: updates so far; losses of the last update; modes and
    within_3_sigma of the VIEW_POINTS samples (see data.mode_coverage); updates_per_s: D + G updates per second
    since the previous frame; ms: time to draw the frame."""

    image: np.ndarray
    d_steps: int
    g_steps: int
    losses: dict
    modes: int
    within_3_sigma: float
    updates_per_s: float
    ms: float


class ToyLab:
    """A GANTrainTask on `dataset` (ring8, grid25, moons, or "drawn": the points given to add_points) with MLPs
    of `width` hidden units, z of `latent_dim`."""

    def __init__(self, variant: str = "gan-ns", dataset: str = "ring8", width: int = 64, latent_dim: int = 8,
                 batch_size: int = 128, seed: int = 0) -> None:
        from engines.runtime import set_cpu_threads

        set_cpu_threads()  # at torch's default (every core) OT-GAN played at 7.3 frames/s here, at cores-1 23.8
        config = GANConfig.for_variant(variant, image=False, width=width, latent_dim=latent_dim,
                                       batch_size=batch_size, seed=seed)
        self.task = GANTrainTask(config, dataset)
        self.dataset = dataset
        self.gen = torch.Generator().manual_seed(seed)
        self.d_steps = self.g_steps = 0
        self.losses: dict = {}
        self.real = (np.zeros((0, 2), np.float32) if dataset == DRAWN
                     else sample_toy(dataset, 256, np.random.default_rng(7)))
        self.fixed_z = self.task._latent(VIEW_POINTS, torch.Generator().manual_seed(5))  # noqa: SLF001
        self._rate: tuple[float, int] = (time.perf_counter(), 0)
        self._phase = 0  # position in the schedule of n_critic D updates then n_gen G updates
        self._budget = FRAME_PERIOD / 2  # seconds of training per played frame, adapted by play()
        self._last_play = 0.0

    @property
    def ready(self) -> bool:
        """False while a drawn set has fewer than 2 points (nothing to learn yet)."""
        return self.dataset != DRAWN or len(self.real) >= 2

    def add_points(self, points: np.ndarray) -> None:
        """Add float[k, 2] points (data units) to the drawn set; the view shows every one (at most 4,096)."""
        pts = np.asarray(points, np.float32).reshape(-1, 2)
        self.real = np.concatenate([self.real, pts])[-4096:]
        self.task.drawn = self.real

    def clear_points(self) -> None:
        self.real = np.zeros((0, 2), np.float32)
        self.task.drawn = None

    def step_d(self) -> dict:
        """One discriminator (critic) update (none while not ready)."""
        if not self.ready:
            return self.losses
        out = self.task.d_step(self.gen, self.d_steps + self.g_steps + 1)
        l_real, l_fake = out.pop("l_real"), out.pop("l_fake")
        self.d_steps += 1
        self.losses = {**out, **self.task._scores(l_real, l_fake)}  # noqa: SLF001
        return self.losses

    def step_g(self) -> dict:
        """One generator update (none while not ready)."""
        if not self.ready:
            return self.losses
        self.losses = {**self.losses, **self.task.g_step(self.gen, self.d_steps + self.g_steps + 1)}
        self.g_steps += 1
        return self.losses

    def train(self, seconds: float = 0.04, max_updates: int = 200) -> int:
        """Single D or G updates in the variant's schedule (n_critic D updates, then n_gen G updates, resumed
        mid-cycle where the previous call stopped) for about `seconds`, at least one; how many ran. One update at
        a time keeps a frame short when a full WGAN-GP or OT-GAN cycle is slow."""
        config, t0, n = self.task.config, time.perf_counter(), 0
        while self.ready and n < max_updates and (n == 0 or time.perf_counter() - t0 < seconds):
            if self._phase < config.n_critic:
                self.step_d()
            else:
                self.step_g()
            self._phase = (self._phase + 1) % (config.n_critic + config.n_gen)
            n += 1
        return n

    def play(self, size: int = 480, period: float = FRAME_PERIOD) -> ToyFrame:
        """One frame of playing: train, then draw. The training time per frame follows the measured time between
        frames (drawing, the GUI's share of the CPU) so that frames come every `period` seconds when they can."""
        now = time.perf_counter()
        interval = now - self._last_play
        if interval < 0.5:  # a frame just before (not after a pause): steer the budget towards the period
            self._budget = min(max(self._budget + 0.5 * (period - interval), 0.002), period)
        self._last_play = now
        self.train(self._budget)
        return self.view(size)

    def arrows(self, points: torch.Tensor) -> np.ndarray:
        """-d(G's loss)/d(point) at generated points: where G's update pushes each sample, float32[n, 2]."""
        x = points.detach().clone().requires_grad_(True)
        self.task.D.eval()
        if self.task.config.variant == "otgan":  # how D^2_MED against two real batches changes with each point
            from engines.gan.otgan import energy_distance

            rng = np.random.default_rng(self.d_steps + self.g_steps)
            real, real2 = (torch.from_numpy(sample_toy(self.dataset, len(x), rng, self.real)) for _ in range(2))
            loss = energy_distance(self.task.D, real, real2, x, x.detach().flip(0), iters=OT_ARROW_ITERS)
        else:
            loss = L.g_loss(self.task.config, self.task.D(x)["logit"])
        (grad,) = torch.autograd.grad(loss, x)
        return (-grad).numpy().astype(np.float32)

    def view(self, size: int = 480) -> ToyFrame:
        """Draw the current state (D on the lattice, G on the fixed z)."""
        t0 = time.perf_counter()
        task = self.task
        task.G.eval()
        with torch.no_grad():
            fake = task.G(self.fixed_z)
        lattice = torch.from_numpy(heatmap_grid(MAP_SIZE, TOY_EXTENT[self.dataset]))
        task.D.eval()
        score = task.critic_map(lattice, torch.from_numpy(self.real), fake)
        pts = fake.numpy()
        arrows = self.arrows(fake) if self.ready else None
        image = toy_view(self.real, pts, decision_map(task.config.variant, score, MAP_SIZE), size, arrows,
                         TOY_EXTENT[self.dataset])
        modes, share = mode_coverage(pts, self.dataset, self.real)
        now, done = time.perf_counter(), self.d_steps + self.g_steps
        rate = (done - self._rate[1]) / max(now - self._rate[0], 1e-6)
        self._rate = (now, done)
        return ToyFrame(frozen_array(image), self.d_steps, self.g_steps, dict(self.losses), modes, share, rate,
                        (time.perf_counter() - t0) * 1000)

