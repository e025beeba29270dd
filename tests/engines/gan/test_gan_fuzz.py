"""Damaged GAN lab files: seeded truncations, bit flips and byte runs of a gan.pt, a classifier .pt, an idx.gz and
a digits JSON each load or raise EngineError -- never another exception."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import torch

from engines.base import EngineError
from engines.gan.config import GANConfig
from engines.gan.data import parse_digits_json, read_idx_gz
from engines.gan.engine import GANEngine
from engines.gan.metrics import FDNet, load_classifier, save_classifier
from engines.gan.model import build_generator, export_weights, weights_payload


def _damaged(raw: bytes, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    b = bytearray(raw)
    kind = seed % 3
    if kind == 0:
        return bytes(b[: int(rng.integers(0, len(b)))])
    if kind == 1:
        for i in rng.integers(0, len(b), 8):
            b[i] ^= 1 << int(rng.integers(0, 8))
        return bytes(b)
    start = int(rng.integers(0, len(b)))
    b[start: start + 64] = bytes([int(rng.integers(0, 256))]) * len(b[start: start + 64])
    return bytes(b)


def _files(tmp_path):
    torch.manual_seed(0)
    cfg = GANConfig.tiny()
    gan = export_weights(weights_payload(cfg, build_generator(cfg), None, dataset="x", step=1), tmp_path / "g.pt")
    cls = save_classifier(FDNet(10), tmp_path / "c.pt", "x", 0.5)
    head = bytes([0, 0, 8, 3]) + (4).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2
    idx = tmp_path / "i.gz"
    idx.write_bytes(gzip.compress(head + bytes(4 * 28 * 28)))
    digits = tmp_path / "d.json"
    digits.write_bytes(b'{"data": [' + b",".join([b"0.25"] * 784 * 2) + b"]}")
    return {"gan": (gan, lambda p: GANEngine().load(p)), "classifier": (cls, load_classifier),
            "idx": (idx, read_idx_gz), "digits": (digits, lambda p: parse_digits_json(p.read_bytes(), p.name))}


@pytest.mark.parametrize("fmt", ["gan", "classifier", "idx", "digits"])
def test_damaged_files_load_or_raise_engine_error(tmp_path, fmt):
    path, load = _files(tmp_path)[fmt]
    raw = path.read_bytes()
    for seed in range(12):
        bad = tmp_path / f"bad{seed}{path.suffix}"
        bad.write_bytes(_damaged(raw, seed))
        try:
            load(bad)
        except EngineError:
            pass
