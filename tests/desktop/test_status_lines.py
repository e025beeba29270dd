"""The training panel's status lines: a long message keeps the height, shows whole words and an ellipsis."""

from __future__ import annotations

from desktop.widgets.status_lines import StatusLines

LONG = ("Stopped at step 4 of 40. The live view keeps its model; this run is now in the model list "
        "(\"trained 2026-12-05 16:43 (stopped at 4/40)\"), and its checkpoint is in a folder whose name is long.")


def test_a_long_message_is_cut_at_a_word_and_kept_whole_in_the_tooltip(qtbot):
    label = StatusLines("Not started.", lines=3)
    qtbot.addWidget(label)
    label.resize(240, label.height())
    label.show()
    height = label.height()
    label.setText(LONG)
    assert label.height() == height
    shown = label.shown_text()
    assert shown.endswith("\u2026") and LONG.startswith(shown[:-2])
    assert label.text() == LONG and label.toolTip() == LONG
    label.resize(2000, height)  # wide enough: the whole text again
    assert label.shown_text() == LONG
