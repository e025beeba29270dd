"""The colorization command line: every subcommand parses; a real two-step `train` on the synthetic set."""

from __future__ import annotations

from pathlib import Path

import pytest

from engines.colorization.cli import main
from engines.colorization.model import read_weights


@pytest.mark.parametrize("cmd", [[], ["train"], ["build-data"], ["add-folder"], ["evaluate"]])
def test_help_of_every_subcommand(cmd, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*cmd, "--help"])
    assert exc.value.code == 0
    assert "usage" in capsys.readouterr().out


def test_train_two_steps_and_export(photo_root: Path, tmp_path: Path):
    out = tmp_path / "exported.pt"
    code = main(["train", "--start-from-shipped", "false", "--steps", "2", "--width", "0.0625",
                 "--global-size", "64", "--local-size", "32", "--batch-size", "2", "--eval-every", "2",
                 "--checkpoint-every", "0", "--data-root", str(photo_root), "--run-dir", str(tmp_path / "run"),
                 "--device", "cpu", "--threads", "1", "--export", str(out)])
    assert code == 0
    assert (tmp_path / "run" / "last.pt").is_file()
    payload = read_weights(out)
    assert payload["config"]["width"] == 0.0625 and payload["categories"]
