"""`paperzoo train PAPER --steps N --json OUT`: the panel's recipe and defaults, headless."""

from __future__ import annotations

import json

from engines.cli import paper_main


def test_train_colorization_from_the_defaults(tmp_path):
    out = tmp_path / "summary.json"
    code = paper_main(["train", "colorization", "--steps", "2", "--json", str(out), "--run-dir", str(tmp_path / "run")])
    summary = json.loads(out.read_text())
    assert code == 0 and summary["ok"] and summary["finite"], summary
    assert summary["step"] == summary["total_steps"] == 2
    assert "colorization.pt" in summary["exported"]


def test_a_failed_start_exits_2_and_leaves_no_run_folder(tmp_path, capsys):
    run_dir = tmp_path / "run"
    code = paper_main(["train", "colorization", "--steps", "2", "--device", "tpu", "--run-dir", str(run_dir)])
    assert code == 2 and "tpu" in capsys.readouterr().err
    assert not run_dir.exists()
