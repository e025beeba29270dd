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


def test_resume_without_a_run_dir_goes_on_in_the_runs_own_folder(tmp_path, monkeypatch):
    """Before, it made an empty dated folder, printed it as the checkpoint's place and wrote elsewhere."""
    monkeypatch.setenv("PAPERZOO_DATA_DIR", str(tmp_path / "data"))
    run = tmp_path / "run"
    base = ["train", "gan", "--dataset", "ring8", "--preview-every", "0", "--eval-every", "0"]
    assert paper_main([*base, "--steps", "2", "--run-dir", str(run)]) == 0
    out = tmp_path / "summary.json"
    assert paper_main([*base, "--steps", "4", "--resume", str(run / "last.pt"), "--json", str(out)]) == 0
    summary = json.loads(out.read_text())
    assert summary["run_dir"] == str(run) and summary["step"] == 4
    assert not (tmp_path / "data" / "runs").exists()


def test_resume_keeps_the_runs_own_settings_unless_a_flag_changes_one(tmp_path):
    """`train --resume RUN/last.pt --steps N` goes on with the run's nets: before, flags left out took the form's
    defaults and a run of other sizes failed on a size mismatch."""
    run = tmp_path / "run"
    base = ["train", "gan", "--preview-every", "0", "--eval-every", "0"]
    assert paper_main([*base, "--dataset", "ring8", "--width", "12", "--latent-dim", "3", "--batch-size", "8",
                       "--steps", "2", "--run-dir", str(run)]) == 0
    out = tmp_path / "summary.json"
    assert paper_main([*base, "--steps", "3", "--resume", str(run / "last.pt"), "--json", str(out)]) == 0
    summary = json.loads(out.read_text())
    assert summary["ok"] and summary["step"] == 3
    kept = json.loads((run / "config.json").read_text())
    assert (kept["dataset"], kept["width"], kept["latent_dim"], kept["batch_size"]) == ("ring8", 12, 3, 8)


def test_a_checkpoint_kept_outside_its_run_folder_resumes_into_a_fresh_one(tmp_path):
    from engines.training import resume_run_dir

    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.jsonl").write_text("")
    assert resume_run_dir(run / "last.pt", "gan", tmp_path / "runs") == run
    fresh = resume_run_dir(tmp_path / "Downloads" / "last.pt", "gan", tmp_path / "runs")
    assert fresh.parent == tmp_path / "runs" / "gan" and fresh.is_dir() and not (tmp_path / "Downloads").exists()
