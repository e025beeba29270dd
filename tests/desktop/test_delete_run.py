"""Deleting a trained model from a tab's list can be undone until the app quits; a restart empties the trash."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt


def _fake_run(root, name: str):
    run = root / "sketch" / name
    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"steps": 30}))
    (run / "metrics.jsonl").write_text("".join(json.dumps({"step": s}) + "\n" for s in range(1, 8)))
    (run / "sketch.pt").write_bytes(b"not loaded by this test")
    return run


def _labels(tab) -> list[str]:
    return [tab.model_list.itemText(i) for i in range(tab.model_list.count())]


def test_delete_then_undo_brings_the_run_back_and_a_restart_empties_the_trash(qtbot, make_window, tmp_path):
    run = _fake_run(tmp_path, "2026-12-05-1200")
    tab = make_window("sketch", runs_root=tmp_path).tab_widget("sketch")
    label = next(s for s in _labels(tab) if "stopped at 7/30" in s)
    tab.delete_run(run)
    assert label not in _labels(tab) and not run.exists()
    button = tab.delete_run_button
    assert button.isEnabled() and button.text() == "Undo delete"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert label in _labels(tab) and (run / "sketch.pt").is_file()
    assert button.text() == "Delete trained model" and not button.isEnabled()  # the shipped model is selected
    tab.delete_run(run)
    make_window("sketch", runs_root=tmp_path)  # the next start
    assert not (tmp_path / ".trash").exists() and not run.exists()
