"""Training the GAN lab's variants: the TrainTask for the shared loop, train_iter (live previews) and RECIPE.

Headless: `python -m engines.gan.cli train --variant dcgan --dataset fashion-mnist --minutes 20 --export F.pt`.
One train_step = n_critic D (critic) updates, then one G update. Resume is exact: the picture order is a
seeded permutation per epoch plus a position, z and measurement noise come from a torch Generator seeded by
(seed, step), and BEGAN's k_t travels in the checkpoint.
Curves (TrainStep.losses): loss (= d_loss + g_loss), d_loss, g_loss, D(x), D(G(z)) (mean probabilities; WGAN/
SN-GAN: mean scores), grad_norm_D, grad_norm_G; WGAN(-GP): critic_estimate = E[C(x)] - E[C(G(z))], gp;
BEGAN: M, k_t; InfoGAN: info.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engines.base import EngineError, StopFlag, TrainStep
from engines.distributed import average_gradients
from engines.gan import losses as L
from engines.gan.config import GANConfig, GANTrainSettings
from engines.gan.model import (
    build_discriminator,
    build_generator,
    init_began,
    init_weights,
    uses_conv,
    weights_payload,
)
from engines.training import TrainingRecipe

PREVIEW_N = 64  # an 8x8 grid of fixed z


def _grad_norm(module: torch.nn.Module) -> float:
    norms = [p.grad.detach().norm() for p in module.parameters() if p.grad is not None]
    return float(torch.stack(norms).norm()) if norms else 0.0


class GANTrainTask:
    """One G step (after n_critic D steps) per call. data: float32[N, 1, 32, 32] pictures in [-1, 1], or a toy
    set's name (points drawn fresh each step). With world > 1 each rank trains on its share of every batch."""

    def __init__(self, config: GANConfig, data: np.ndarray | str, device: str = "cpu", rank: int = 0,
                 world: int = 1, name: str = "", licence: str = "") -> None:
        self.config, self.rank, self.world = config, rank, world
        self.data, self.name, self.licence = data, name or str(data if isinstance(data, str) else "images"), licence
        self.device = torch.device(device)
        torch.manual_seed(config.seed)
        self.G = build_generator(config).to(self.device)
        self.D = build_discriminator(config).to(self.device)
        if uses_conv(config):
            init = init_began if config.variant == "began" else init_weights
            init(self.G)
            init(self.D)
        # InfoGAN's Q head trains with D (the paper's code: Q and D share the body, D's optimiser and lr)
        self.opt_d = self._optimizer(list(self.D.parameters()), config.lr_d)
        self.opt_g = self._optimizer(list(self.G.parameters()), config.lr_g)
        per_step = config.batch_size * config.n_critic
        self.steps_per_epoch = max(1, len(data) // per_step) if not isinstance(data, str) else 1000
        self.epoch, self.position, self.step, self.k_t = 0, 0, 0, 0.0
        self.m_stall = [0.0, 0, float("inf"), 0]  # BEGAN's lr decay: M sum and count of this window, best mean, step
        self.scorer: Any = None  # metrics.SampleScorer: FD on our classifier's features at each evaluation
        self.test_set: tuple[np.ndarray, np.ndarray] | None = None  # (pictures, labels): InfoGAN's code accuracy
        self.drawn: np.ndarray | None = None  # float32[k, 2]: the points of the "drawn" set (2-D lab)
        self._order = self._permutation(0)
        gen = torch.Generator().manual_seed(1234)
        self.fixed_z = self._latent(PREVIEW_N, gen, fixed=True)

    def _optimizer(self, params: list, lr: float) -> torch.optim.Optimizer:
        c = self.config
        if c.optimizer == "rmsprop":
            return torch.optim.RMSprop(params, lr=lr)
        return torch.optim.Adam(params, lr=lr, betas=(c.beta1, c.beta2))

    # ------------------------------------------------------------------ sampling
    def _latent(self, n: int, gen: torch.Generator, fixed: bool = False) -> torch.Tensor:
        """z ~ N(0, I) (n, latent_dim), with InfoGAN's codes appended (fixed: row r = category r, the first
        continuous code swept -1..1 along the 8 columns)."""
        c = self.config
        z = torch.randn(n, c.latent_dim, generator=gen)
        if c.variant != "infogan":
            return z.to(self.device)
        if fixed:
            cat = torch.arange(n) // 8 % c.info_categories
            cont = torch.zeros(n, c.info_continuous)
            if c.info_continuous:
                cont[:, 0] = torch.linspace(-1, 1, 8).repeat(n // 8 + 1)[:n]
        else:
            cat, cont = L.sample_codes(c, n, gen)
        return torch.cat([z, L.code_vector(c, cat, cont)], 1).to(self.device)

    def _permutation(self, epoch: int) -> np.ndarray:
        if isinstance(self.data, str):
            return np.zeros(0, np.int64)
        return np.random.default_rng([self.config.seed, epoch]).permutation(len(self.data))

    def _real(self, gen: torch.Generator, step: int, k: int) -> torch.Tensor:
        """A real batch (this rank's share), measured by AmbientGAN's f when a measurement is set."""
        from engines.gan.data import sample_toy

        b = self.config.batch_size
        if isinstance(self.data, str):
            rng = np.random.default_rng([self.config.seed, step, k])
            x = torch.from_numpy(sample_toy(self.data, b, rng, self.drawn))
        else:
            if self.position + b > len(self._order):
                self.epoch, self.position = self.epoch + 1, 0
                self._order = self._permutation(self.epoch)
            idx = self._order[self.position: self.position + b]
            self.position += b
            x = torch.from_numpy(self.data[np.sort(idx)])
            x = L.measure(self.config, x, gen)
        return x[self.rank:: self.world].to(self.device)

    def _fake_seen(self, fake: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """What D sees of G's output: f(G(z)) under AmbientGAN, G(z) itself otherwise (and for the baseline)."""
        c = self.config
        return L.measure(c, fake, gen) if c.measurement != "none" and c.ambient else fake

    # ------------------------------------------------------------------ one step
    def lr(self) -> float:
        return float(self.opt_g.param_groups[0]["lr"])

    def train_step(self, step: int) -> Mapping[str, float]:
        """n_critic D steps, then one G step, on batches drawn from a Generator seeded by (seed, step)."""
        self.step = step
        gen = torch.Generator().manual_seed(self.config.seed * 1_000_003 + step)
        for k in range(self.config.n_critic):
            d = self.d_step(gen, step, k)
        for j in range(self.config.n_gen):
            g = self.g_step(gen, step, j)
        l_real, l_fake = d.pop("l_real"), d.pop("l_fake")
        return {"loss": d["d_loss"] + g["g_loss"], **d, **g, **self._scores(l_real, l_fake)}

    def d_step(self, gen: torch.Generator, step: int, k: int = 0) -> dict[str, Any]:
        """One D (critic) update: d_loss, grad_norm_D (gp for WGAN-GP); l_real/l_fake: D's scores (tensors)."""
        c, out = self.config, {}
        self.G.train()
        self.D.train()
        real = self._real(gen, step, k)
        z = self._latent(c.batch_size, gen)[self.rank:: self.world]
        with torch.no_grad():
            fake = self._fake_seen(self.G(z), gen)
        l_real = self.D(real)["logit"]
        d_fake = self.D(fake)
        l_fake = d_fake["logit"]
        if c.variant == "otgan":  # the critic maximises the mini-batch energy distance
            loss_d = -self._energy_distance(gen, step, 100 + k, real, fake)
        else:
            loss_d = L.d_loss(c, l_real, l_fake, self.k_t)
        if c.variant == "wgan-gp":
            gp = L.gradient_penalty(self.D, real, fake, gen)
            out["gp"] = float(gp.detach())
            loss_d = loss_d + c.gp_lambda * gp
        if c.variant == "infogan":  # InfoGAN: min over D and Q of V(D, G) - lambda L_I(G, Q), Q on D's body
            loss_d = loss_d + c.info_lambda * self._info(d_fake["q"], z)
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        average_gradients(self.D, self.world)
        grad_d = _grad_norm(self.D)
        self.opt_d.step()
        if c.variant == "wgan":  # weight clipping to [-c, c] keeps the critic K-Lipschitz
            with torch.no_grad():
                for p in self.D.parameters():
                    p.clamp_(-c.clip, c.clip)
        return {"d_loss": float(loss_d.detach()), "grad_norm_D": grad_d, **out, "l_real": l_real, "l_fake": l_fake}

    def g_step(self, gen: torch.Generator, step: int = 0, j: int = 0) -> dict[str, float]:
        """One G update (with InfoGAN's Q head): g_loss, grad_norm_G (info for InfoGAN). step, j: which real
        batches OT-GAN's energy distance draws (the j-th G update of the step)."""
        c, out = self.config, {}
        self.G.train()
        self.D.train()
        z = self._latent(c.batch_size, gen)[self.rank:: self.world]
        fake = self._fake_seen(self.G(z), gen)
        if c.variant == "otgan":
            loss_g = self._energy_distance(gen, step, 200 + 2 * j, self._real(gen, step, 201 + 2 * j), fake)
            d_out: dict[str, torch.Tensor] = {}
        else:
            d_out = self.D(fake)
            loss_g = L.g_loss(c, d_out["logit"])
        if c.variant == "infogan":  # and over G: G makes its codes recoverable by Q (Q itself steps with D)
            info = self._info(d_out["q"], z)
            out["info"] = float(info.detach())
            loss_g = loss_g + c.info_lambda * info
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        average_gradients(self.G, self.world)
        grad_g = _grad_norm(self.G)
        self.opt_g.step()
        return {"g_loss": float(loss_g.detach()), "grad_norm_G": grad_g, **out}

    def _info(self, q: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """InfoGAN's -L_I (up to H(c)) of Q's outputs q (B, categories + continuous) for the codes in z."""
        c = self.config
        codes = z[:, c.latent_dim:]
        return L.info_loss(c, q, codes[:, : c.info_categories].argmax(1), codes[:, c.info_categories:])

    def _scores(self, l_real: torch.Tensor, l_fake: torch.Tensor) -> dict[str, float]:
        """Mean D(x), D(G(z)) of the last D step, and each variant's own curve."""
        c = self.config
        lr_, lf = float(l_real.detach().mean()), float(l_fake.detach().mean())
        if c.variant == "otgan":  # no per-sample score: d_loss is -D^2_MED
            return {}
        if c.variant in L.SIGMOID_VARIANTS:
            return {"D(x)": float(torch.sigmoid(l_real.detach()).mean()),
                    "D(G(z))": float(torch.sigmoid(l_fake.detach()).mean())}
        if c.variant == "began":  # k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z))), 0, 1); M (BEGAN eq. 4)
            balance = c.began_gamma * lr_ - lf
            self.k_t = float(min(1.0, max(0.0, self.k_t + c.began_lambda_k * balance)))
            self._decay_on_stall(lr_ + abs(balance))
            return {"L(x)": lr_, "L(G(z))": lf, "M": lr_ + abs(balance), "k_t": self.k_t}
        extra = {"critic_estimate": lr_ - lf} if c.variant in ("wgan", "wgan-gp") else {}
        return {"D(x)": lr_, "D(G(z))": lf, **extra}

    def _decay_on_stall(self, m: float) -> None:
        """BEGAN's schedule ("decayed by a factor of 2 when the measure of convergence stalls"): M is averaged over
        windows of began_lr_stall // 2 steps; when no window has beaten the best for began_lr_stall steps, lr_g and
        lr_d halve (not below began_lr_floor) and the wait starts again. The optimisers' state keeps the rate."""
        c, s = self.config, self.m_stall
        if not c.began_lr_stall:
            return
        s[0], s[1] = s[0] + m, s[1] + 1
        if s[1] < max(1, c.began_lr_stall // 2):
            return
        mean, s[0], s[1] = s[0] / s[1], 0.0, 0
        if mean < s[2]:
            s[2], s[3] = mean, self.step
        elif self.step - s[3] >= c.began_lr_stall:
            for group in self.opt_g.param_groups + self.opt_d.param_groups:
                group["lr"] = max(min(c.began_lr_floor, group["lr"]), group["lr"] / 2)  # a floor never raises it
            s[3] = self.step

    def _energy_distance(self, gen: torch.Generator, step: int, k: int, real: torch.Tensor,
                         fake: torch.Tensor) -> torch.Tensor:
        """OT-GAN's D^2_MED of (real, a second real batch) against (fake, a second generated batch)."""
        from engines.gan.otgan import energy_distance

        real2 = self._real(gen, step, k)
        fake2 = self.G(self._latent(self.config.batch_size, gen)[self.rank:: self.world])
        if not torch.is_grad_enabled() or not fake.requires_grad:
            fake2 = fake2.detach()
        return energy_distance(self.D, real, real2, fake, fake2)

    def critic_map(self, lattice: torch.Tensor, real: torch.Tensor, fake: torch.Tensor) -> np.ndarray:
        """D's scores on the 2-D view's lattice (N, 2) -> float[N] (OT-GAN: otgan.realness against real/fake)."""
        with torch.no_grad():
            if self.config.variant == "otgan":
                from engines.gan.otgan import realness

                if len(real) == 0:  # an empty drawn set: nothing to compare with
                    return np.zeros(len(lattice), np.float32)
                return realness(self.D, lattice, real, fake).cpu().numpy()
            return self.D(lattice)["logit"].cpu().numpy()

    # ------------------------------------------------------------------ evaluation, previews, state
    @torch.no_grad()
    def generate(self, z: torch.Tensor) -> np.ndarray:
        """G(z) in eval mode (BN running statistics) as float32 numpy."""
        self.G.eval()
        return self.G(z.to(self.device)).float().cpu().numpy()

    def evaluate(self) -> dict[str, float]:
        """2-D sets: modes covered and share of 2,000 samples within 3 sigma of a mode. Pictures with a shipped
        classifier: FD on its features between 1,000 test pictures and 1,000 samples, class coverage."""
        from engines.gan.data import mode_coverage

        if not isinstance(self.data, str):
            out = {} if self.scorer is None else self.scorer.score(
                self.generate(self._latent(1000, torch.Generator().manual_seed(99))))
            if self.config.variant == "infogan" and self.test_set is not None:
                out.update(self.code_accuracy(*self.test_set))
            return out
        z = self._latent(2000, torch.Generator().manual_seed(99))
        modes, share = mode_coverage(self.generate(z), self.data)
        return {"modes_covered": float(modes), "within_3_sigma": share}

    @torch.no_grad()
    def code_accuracy(self, pictures: np.ndarray, labels: np.ndarray) -> dict[str, float]:
        """InfoGAN's categorical code as an unsupervised classifier: argmax Q(c|x) on labelled test pictures,
        each category mapped to its most frequent label (code_accuracy) or one-to-one, greedily by count
        (code_accuracy_1to1, a lower bound of the best matching)."""
        from engines.gan.metrics import cluster_accuracy

        self.D.eval()
        cats = np.concatenate([self.D(torch.from_numpy(pictures[a: a + 500]).to(self.device))["q"]
                               [:, : self.config.info_categories].argmax(1).cpu().numpy()
                               for a in range(0, len(pictures), 500)])
        many, one = cluster_accuracy(cats, labels, self.config.info_categories)
        return {"code_accuracy": many, "code_accuracy_1to1": one}

    def preview(self) -> np.ndarray:
        """The fixed-z grid (pictures) or the 2-D view (points over D's decision map), BGR uint8."""
        from engines.gan.data import TOY_EXTENT, sample_toy, to_pictures
        from engines.gan.render import decision_map, heatmap_grid, sample_grid, toy_view

        fake = self.generate(self.fixed_z)
        if not isinstance(self.data, str):
            return sample_grid(to_pictures(fake))
        self.D.eval()
        real = sample_toy(self.data, 256, np.random.default_rng(7))
        lattice = torch.from_numpy(heatmap_grid(48, TOY_EXTENT[self.data])).to(self.device)
        score = self.critic_map(lattice, torch.from_numpy(real).to(self.device), torch.from_numpy(fake).to(self.device))
        return toy_view(real, fake, decision_map(self.config.variant, score, 48), extent=TOY_EXTENT[self.data])

    def state_dict(self) -> dict[str, Any]:
        return {"G": self.G.state_dict(), "D": self.D.state_dict(), "opt_g": self.opt_g.state_dict(),
                "opt_d": self.opt_d.state_dict(), "epoch": self.epoch, "position": self.position, "step": self.step,
                "k_t": self.k_t, "m_stall": list(self.m_stall), "config": self.config.to_dict(), "dataset": self.name}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.epoch, self.position, self.step = int(state["epoch"]), int(state["position"]), int(state["step"])
        self.k_t = float(state["k_t"])
        self.m_stall = list(state.get("m_stall", [0.0, 0, float("inf"), self.step]))  # older files: wait anew
        self._order = self._permutation(self.epoch)

    def weights_payload(self, metrics: Mapping[str, float] | None = None) -> dict[str, Any]:
        toy = isinstance(self.data, str)
        return weights_payload(self.config, self.G, self.D if toy else None, dataset=self.name,
                               licence=self.licence, step=self.step, metrics=dict(metrics or {}))


def load_training_data(settings: GANTrainSettings, progress: Any = None) -> tuple[np.ndarray | str, str, str]:
    """(data, name, licence): pictures float32[N, 1, 32, 32] of the train split, or the toy set's name."""
    from engines.gan.data import TOY_SETS, load_images, to_training

    if settings.dataset in TOY_SETS:
        return settings.dataset, settings.dataset, "generated (2-D toy set)"
    images = load_images(settings.dataset, "train", progress)
    if len(images.images) < settings.batch_size * max(1, settings.n_critic):
        raise EngineError(f"{images.name} has {len(images.images)} pictures: fewer than one batch")
    return to_training(images.images), images.name, images.licence


def run(settings: GANTrainSettings, *, device: str, run_dir: Path, stop: StopFlag,
        resume: str | Path | None = None, rank: int = 0, world: int = 1) -> Iterator[TrainStep]:
    """Train one variant; the last step's `checkpoint` is RUN_DIR/gan.pt, which GANEngine loads."""
    from engines.gan.data import IMAGE_SETS
    from engines.gan.model import export_weights
    from engines.runtime import resolve_device
    from engines.training import LoopSettings, load_checkpoint, prepare, run_training

    loaded = yield from prepare(f"loading {settings.dataset} (the first time: fetch)",
                                lambda p: load_training_data(settings, p), stop)
    if loaded is None:
        return
    data, name, licence = loaded
    task = GANTrainTask(settings.model_config(), data, resolve_device(device), rank, world, name, licence)
    if rank == 0 and settings.eval_every and settings.dataset in IMAGE_SETS:
        from engines.gan.metrics import SampleScorer

        task.scorer = SampleScorer.for_dataset(settings.dataset)
        if settings.variant == "infogan":
            from engines.gan.data import load_images, to_training

            test = load_images(settings.dataset, "test")
            task.test_set = (to_training(test.images), test.labels)
    run_dir = Path(run_dir)
    loop = LoopSettings(settings.steps, settings.eval_every, settings.checkpoint_every)
    last: TrainStep | None = None
    for ts in run_training(task, loop, run_dir, stop, settings, resume):
        if rank == 0 and settings.preview_every and (ts.step % settings.preview_every == 0 or ts.step == 1):
            ts = replace(ts, preview=task.preview())
        if last is not None:
            yield last
        last = ts
    if last is None:
        return
    if last.message.startswith("stopped:"):  # NaN guard: export the last good state, if there is one
        good = run_dir / "last.pt"
        if not good.is_file():
            yield last
            return
        task.load_state_dict(load_checkpoint(good)["task"])
    if rank == 0:
        out = export_weights(task.weights_payload(last.metrics), run_dir / "gan.pt")
        last = replace(last, checkpoint=str(out), message=(last.message + f" weights: {out}").strip())
    yield last


RECIPE = TrainingRecipe(paper="gan", title="GAN lab", config_type=GANTrainSettings, run=run)
