"""sketch-rnn (Ha & Eck, "A Neural Representation of Sketch Drawings") in PyTorch.

Shapes: B batch, N = max_seq_len, M mixtures, Nz latent size. Sequences are stroke-5 in
normalised offset units (offsets divided by the dataset's scale factor). A batch is
float32[B, N + 1, 5] whose row 0 is the start token S_0 = (0, 0, 1, 0, 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from engines.sketch.config import SketchRNNConfig

LOG_2PI = math.log(2 * math.pi)
WEIGHTS_FORMAT = "paperzoo-sketch-rnn-1"


class DropConnectLSTM(nn.Module):
    """nn.LSTM whose hidden-to-hidden weights are dropped (one mask per forward) while training.

    This keeps the fused LSTM kernel; see SketchRNNConfig.recurrent_dropout.
    """

    def __init__(self, input_size: int, hidden: int, bidirectional: bool = False, weight_drop: float = 0.0):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden, batch_first=True, bidirectional=bidirectional)
        self.weight_drop = weight_drop

    def forward(self, x, hx=None):  # noqa: ANN001, ANN201 - same contract as nn.LSTM
        if not (self.training and self.weight_drop > 0):
            return self.lstm(x, hx)
        params = dict(self.lstm.named_parameters())
        for name in [n for n in params if n.startswith("weight_hh")]:
            params[name] = F.dropout(params[name], self.weight_drop, training=True)
        return torch.func.functional_call(self.lstm, params, (x, hx))


def gmm_params(y: torch.Tensor, num_mixture: int) -> tuple[torch.Tensor, ...]:
    """Split decoder outputs y (..., 6M + 3) into the paper's eq. (2)-(4) parameters.

    Returns (log_pi, mu_x, mu_y, log_sx, log_sy, rho, q_logits): log_pi (..., M) log-softmax
    mixture weights, mu_* and log_s* (..., M), rho = tanh(.) in (-1, 1), q_logits (..., 3).
    """
    m = num_mixture
    pi_hat, mu_x, mu_y, s_x, s_y, rho_hat = torch.split(y[..., : 6 * m], m, dim=-1)
    return (F.log_softmax(pi_hat, dim=-1), mu_x, mu_y, s_x, s_y, torch.tanh(rho_hat), y[..., 6 * m :])


def gmm_log_prob(
    dx: torch.Tensor,
    dy: torch.Tensor,
    log_pi: torch.Tensor,
    mu_x: torch.Tensor,
    mu_y: torch.Tensor,
    log_sx: torch.Tensor,
    log_sy: torch.Tensor,
    rho: torch.Tensor,
) -> torch.Tensor:
    """log sum_j pi_j N(dx, dy | mu_j, sigma_j, rho_j) (paper eq. 3 inside the log). dx, dy: (...)."""
    dx, dy = dx.unsqueeze(-1), dy.unsqueeze(-1)
    zx = (dx - mu_x) * torch.exp(-log_sx)
    zy = (dy - mu_y) * torch.exp(-log_sy)
    one_m_rho2 = (1 - rho * rho).clamp_min(1e-6)
    z = zx * zx + zy * zy - 2 * rho * zx * zy
    log_n = -LOG_2PI - log_sx - log_sy - 0.5 * torch.log(one_m_rho2) - z / (2 * one_m_rho2)
    return torch.logsumexp(log_pi + log_n, dim=-1)


def reconstruction_loss(
    y: torch.Tensor,
    target: torch.Tensor,
    lengths: torch.Tensor,
    num_mixture: int,
    norm_len: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(L_s, L_p) of the paper: offsets NLL over the N_s real points, pen cross-entropy over all N.

    y: (B, N, 6M + 3) decoder outputs; target: (B, N, 5) the strokes S_1..S_N; lengths: (B,) N_s.
    Both sums are divided by B * N_max (norm_len, default N). A batch cut to its longest drawing
    (plus one end row) then gives the same L_s and nearly the same L_p as one padded to N_max.
    """
    b, n, _ = target.shape
    denom = b * (norm_len or n)
    log_pi, mu_x, mu_y, log_sx, log_sy, rho, q_logits = gmm_params(y, num_mixture)
    logp = gmm_log_prob(target[..., 0], target[..., 1], log_pi, mu_x, mu_y, log_sx, log_sy, rho)
    mask = (torch.arange(n, device=y.device)[None, :] < lengths[:, None]).to(logp.dtype)
    l_s = -(logp * mask).sum() / denom
    l_p = -(target[..., 2:] * F.log_softmax(q_logits, dim=-1)).sum() / denom
    return l_s, l_p


class SketchRNN(nn.Module):
    """Bi-LSTM encoder -> (mu, sigma_hat) -> z -> LSTM decoder -> GMM + pen softmax per step."""

    def __init__(self, config: SketchRNNConfig):
        super().__init__()
        c = self.config = config
        out = 6 * c.num_mixture + 3
        if c.conditional:
            self.encoder = DropConnectLSTM(5, c.enc_size, bidirectional=True, weight_drop=c.recurrent_dropout)
            self.fc_mu = nn.Linear(2 * c.enc_size, c.z_size)
            self.fc_sigma = nn.Linear(2 * c.enc_size, c.z_size)
            self.fc_init = nn.Linear(c.z_size, 2 * c.dec_size)
        self.decoder = DropConnectLSTM(5 + self.z_dim, c.dec_size, weight_drop=c.recurrent_dropout)
        self.fc_out = nn.Linear(c.dec_size, out)

    @property
    def z_dim(self) -> int:
        return self.config.z_size if self.config.conditional else 0

    def encode(self, strokes: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """strokes (B, N, 5) without start token, lengths (B,) -> mu, sigma_hat (B, Nz).

        sigma = exp(sigma_hat / 2).
        """
        packed = nn.utils.rnn.pack_padded_sequence(
            strokes, lengths.clamp_min(1).cpu(), batch_first=True, enforce_sorted=False
        )
        _, (h_n, _) = self.encoder(packed)  # h_n (2, B, enc): forward and backward final states
        h = torch.cat([h_n[0], h_n[1]], dim=-1)  # (B, 2 * enc)
        return self.fc_mu(h), self.fc_sigma(h)

    def initial_state(self, z: torch.Tensor | None, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Decoder (h0, c0), each (1, B, dec): tanh(W z + b) for the VAE, zeros for decoder-only."""
        d = self.config.dec_size
        if z is None or not self.config.conditional:
            zeros = torch.zeros(1, batch, d, device=self.fc_out.weight.device)
            return zeros, zeros.clone()
        h0, c0 = torch.tanh(self.fc_init(z)).split(d, dim=-1)
        return h0.unsqueeze(0).contiguous(), c0.unsqueeze(0).contiguous()

    def decode(
        self,
        inputs: torch.Tensor,
        z: torch.Tensor | None,
        state: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, tuple]:
        """inputs (B, T, 5) previous points -> y (B, T, 6M + 3) and the final LSTM state.

        z (B, Nz) is appended to every input (VAE); the initial state comes from z unless given.
        """
        b, t, _ = inputs.shape
        if state is None:
            state = self.initial_state(z, b)
        if self.config.conditional:
            inputs = torch.cat([inputs, z[:, None, :].expand(b, t, z.shape[-1])], dim=-1)
        h, state = self.decoder(inputs, state)
        return self.fc_out(h), state

    def forward(self, batch: torch.Tensor, lengths: torch.Tensor) -> dict[str, torch.Tensor]:
        """batch (B, T + 1, 5) with start token, T <= N_max; lengths (B,). Returns L_s, L_p, L_R, L_KL."""
        target = batch[:, 1:]
        z = None
        if self.config.conditional:
            mu, sigma_hat = self.encode(target, lengths)
            z = mu + torch.exp(sigma_hat / 2) * torch.randn_like(mu)  # reparameterisation trick
            l_kl = -0.5 * torch.mean(1 + sigma_hat - mu * mu - torch.exp(sigma_hat))  # paper eq. 5
        else:
            l_kl = batch.new_zeros(())
        y, _ = self.decode(batch[:, :-1], z)
        l_s, l_p = reconstruction_loss(y, target, lengths, self.config.num_mixture, self.config.max_seq_len)
        return {"L_s": l_s, "L_p": l_p, "L_R": l_s + l_p, "L_KL": l_kl}


def kl_weight_at(config: SketchRNNConfig, step: int) -> float:
    """w_KL * eta_step, eta_step = 1 - (1 - eta_min) R^step (the paper's KL annealing)."""
    eta = 1.0 - (1.0 - config.kl_weight_start) * config.kl_decay_rate**step
    return config.kl_weight * eta


def total_loss(losses: dict[str, torch.Tensor], config: SketchRNNConfig, step: int) -> torch.Tensor:
    """L_R + w_KL * eta_step * max(L_KL, KL_min): the floor stops the KL term pushing below KL_min."""
    if not config.conditional:
        return losses["L_R"]
    return losses["L_R"] + kl_weight_at(config, step) * torch.clamp(losses["L_KL"], min=config.kl_tolerance)


# ---------------------------------------------------------------------- weights format
def weights_payload(
    model: SketchRNN,
    config: SketchRNNConfig,
    scale: float,
    dataset: str,
    licence: str,
    step: int,
    metrics: Mapping[str, float],
) -> dict[str, Any]:
    """What SketchEngine.load reads: tensors and plain values only (weights_only-safe)."""
    from engines.sketch.data import BOX

    return {
        "format": WEIGHTS_FORMAT,
        "config": config.to_dict(),
        "scale_factor": float(scale),
        "canvas": {"size": BOX, "origin": [BOX / 2, BOX / 2]},
        "dataset": dataset,
        "licence": licence,
        "step": int(step),
        "metrics": {k: float(v) for k, v in metrics.items()},
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
    }


def export_weights(payload: dict[str, Any], path: str | Path) -> Path:
    """Write a weights_payload() atomically (adds the checkpoint format key, which load ignores)."""
    from engines.training import save_checkpoint

    save_checkpoint(Path(path), payload)
    return Path(path)


def load_weights_payload(path: str | Path) -> dict[str, Any]:
    """Read a sketch-rnn weights file (torch.load weights_only=True); EngineError on a wrong or damaged file."""
    from engines.base import EngineError

    path = Path(path)
    if not path.is_file():
        raise EngineError(f"sketch weights {path} do not exist")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise EngineError(f"{path.name} is damaged or not a PyTorch weights file ({type(exc).__name__})") from exc
    if not isinstance(payload, dict) or payload.get("format") != WEIGHTS_FORMAT:
        hint = (
            " (a training checkpoint: export it with `python -m engines.sketch.cli export`)"
            if isinstance(payload, dict) and "task" in payload
            else ""
        )
        raise EngineError(f"{path.name} is not a sketch-rnn weights file{hint}")
    return payload


# ---------------------------------------------------------------------- contract-test cases
def tiny_cases() -> list:
    """The tiny VAE and decoder-only models on a fixed random stroke-5 batch (eval mode: no DropConnect)."""
    from engines.base import ModelCase

    b = 3

    def example() -> tuple:
        c = SketchRNNConfig.tiny()
        x = torch.randn(b, c.max_seq_len + 1, 5)
        pen = torch.randint(0, 3, (b, c.max_seq_len + 1))
        x[..., 2:] = F.one_hot(pen, 3).float()
        x[:, 0] = torch.tensor([0.0, 0.0, 1.0, 0.0, 0.0])
        return x, torch.tensor([c.max_seq_len, 5, 1])

    def case(name: str, conditional: bool) -> ModelCase:
        return ModelCase(
            name=name,
            build=lambda: SketchRNN(SketchRNNConfig.tiny().with_(conditional=conditional)).eval(),
            example=example,
            forward=lambda m, x: m(*x),
            shapes={"L_s": (), "L_p": (), "L_R": (), "L_KL": ()},
            loss=None if conditional else (lambda out: out["L_R"]),
        )

    return [case("sketch-rnn-vae", True), case("sketch-rnn-decoder", False)]
