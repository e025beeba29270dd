"""GAN lab command line: train (tiny, 2-D ring) -> export -> sample round trip, a bad flag, and one DDP step on two
gloo processes whose replicas agree."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engines.gan.cli import main
from tests.ddp_support import free_port, gloo_group


def test_train_export_sample_round_trip(tmp_path):
    run = tmp_path / "run"
    assert main(["train", "--dataset", "ring8", "--variant", "wgan-gp", "--steps", "3", "--batch-size", "8",
                 "--width", "8", "--latent-dim", "4", "--eval-every", "0", "--run-dir", str(run),
                 "--export", str(tmp_path / "g.pt")]) == 0
    assert (tmp_path / "g.pt").is_file()
    assert main(["export", str(run / "last.pt"), str(tmp_path / "e.pt")]) == 0
    assert main(["sample", str(tmp_path / "e.pt"), str(tmp_path / "view.png")]) == 0
    import cv2

    assert cv2.imread(str(tmp_path / "view.png")).shape == (320, 320, 3)


def test_bad_flag_value_is_an_error(tmp_path):
    assert main(["train", "--variant", "nope", "--run-dir", str(tmp_path / "r")]) == 2


def _worker(rank: int, world: int, port: int, out: str) -> None:
    import torch

    with gloo_group(rank, world, port):
        from engines.gan.config import GANConfig
        from engines.gan.task import GANTrainTask

        pics = np.random.default_rng(0).uniform(-1, 1, (32, 1, 32, 32)).astype(np.float32)
        task = GANTrainTask(GANConfig.tiny("dcgan"), pics, rank=rank, world=world)
        params = lambda: torch.cat([p.detach().flatten() for m in (task.G, task.D) for p in m.parameters()])  # noqa: E731
        before = params().clone()
        losses = task.train_step(1)
        torch.save({"before": before, "after": params(), "loss": losses["d_loss"]}, Path(out) / f"rank{rank}.pt")


def test_two_process_gloo_ddp_step(tmp_path: Path):
    import torch
    import torch.multiprocessing as mp

    mp.spawn(_worker, args=(2, free_port(), str(tmp_path)), nprocs=2, join=True)
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    torch.testing.assert_close(r0["before"], r1["before"])
    assert not torch.equal(r0["before"], r0["after"])
    torch.testing.assert_close(r0["after"], r1["after"])  # all-reduced gradients: replicas agree
    assert r0["loss"] != r1["loss"]  # each rank saw its own half of the batch


def test_compare_averages_each_run_over_the_steps_both_evaluated(tmp_path, capsys):
    import json

    def run(name: str, evals: dict[int, float]) -> str:
        folder = tmp_path / name
        folder.mkdir()
        rows = [{"step": s, "losses": {}, "metrics": {"precision": p, "recall": 1 - p}} for s, p in evals.items()]
        rows.append({"step": 999, "losses": {}, "metrics": {}})  # a training row without an evaluation
        (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        return str(folder)

    a = run("gamma07", {250: 0.8, 500: 0.6, 750: 0.1})
    b = run("gamma09", {250: 0.4, 500: 0.2})
    assert main(["compare", a, b, "--metrics", "precision,recall"]) == 0
    out = capsys.readouterr().out
    assert "2 evaluations, steps 250-500" in out
    assert "gamma07  precision 0.7000  recall 0.3000" in out and "gamma09  precision 0.3000  recall 0.7000" in out
    assert main(["compare", a, b, "--from-step", "750"]) == 1


def test_export_score_writes_the_figures_into_the_file(tmp_path, monkeypatch, capsys):
    """`export --score` puts `score`'s figures (FD, coverage, precision, recall) into the file, and the tab's
    status line reads its FD from there; a scorer from random pictures and an untrained classifier stands in for
    the shipped one."""
    import torch

    from engines.gan import metrics
    from engines.gan.config import GANConfig
    from engines.gan.engine import GANEngine
    from engines.gan.task import GANTrainTask
    from engines.training import save_checkpoint

    real = np.random.default_rng(0).uniform(-1, 1, (64, 1, 32, 32)).astype(np.float32)
    torch.manual_seed(0)
    scorer = metrics.SampleScorer(metrics.FDNet(10).eval(), real)
    monkeypatch.setattr(metrics.SampleScorer, "for_dataset", classmethod(lambda cls, d, n=1000: scorer))
    task = GANTrainTask(GANConfig.tiny("began").with_(began_skip=True), real)
    save_checkpoint(tmp_path / "last.pt", {"task": {**task.state_dict(), "dataset": "fashion-mnist-train"}})
    assert main(["export", str(tmp_path / "last.pt"), str(tmp_path / "g.pt"), "--score"]) == 0
    saved = torch.load(tmp_path / "g.pt", weights_only=True)
    assert set(saved["metrics"]) == {"fd_classifier", "classes_covered", "class_kl", "precision", "recall"}
    assert saved["config"]["began_skip"] is True
    engine = GANEngine()
    engine.load(tmp_path / "g.pt")
    assert f"FD {saved['metrics']['fd_classifier']:.3g} on our classifier's features" in engine.describe()
    assert main(["score", str(tmp_path / "g.pt")]) == 0 and "precision" in capsys.readouterr().out


def test_claim_ranks_a_loss_curve_against_an_evaluation_metric(tmp_path, capsys):
    import json

    rows = []
    for step in range(1, 301):
        row = {"step": step, "losses": {"M": 1.0 / step}, "metrics": {}}
        if step % 50 == 0:  # M falls while precision rises and FD falls
            row["metrics"] = {"precision": step / 300, "fd_classifier": 300.0 / step}
        rows.append(row)
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["claim", str(tmp_path), "--curve", "M", "--against", "precision"]) == 0
    assert "Spearman(M, precision) = -1.000 over 6 evaluations" in capsys.readouterr().out
    assert main(["claim", str(tmp_path), "--curve", "M"]) == 0
    assert "Spearman(M, fd_classifier) = 1.000" in capsys.readouterr().out
    assert main(["claim", str(tmp_path), "--curve", "M", "--against", "recall"]) == 1
