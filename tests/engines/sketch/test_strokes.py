"""Stroke formats, SVG conversion, fixed splits and the preprocessed cache."""

from __future__ import annotations

import numpy as np
import pytest

from engines.sketch import data, strokes
from engines.sketch.svgpaths import element_polylines, path_polylines

POLYLINES = [
    np.array([[10, 10], [20, 15], [30, 40]], np.float32),
    np.array([[5, 50]], np.float32),
    np.array([[60, 60], [70, 80]], np.float32),
]

KANJI_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="109" height="109" viewBox="0 0 109 109">
<g id="kvg:StrokePaths_04e8c"><g id="kvg:04e8c" kvg:element="二">
<path id="kvg:04e8c-s1" kvg:type="㇐" 
 d="M28.5,30.75c1.81,0.37,4.75,0.5,6.5,0.25c10.5-1.5,30.5-3.25,43.5-3.5"/>
<path id="kvg:04e8c-s2" kvg:type="㇐" d="M12,76.25c2.5,0.62,5,0.75,8,0.5c20-1.5,52-3.75,74-3.75"/>
</g></g></svg>"""


def test_polylines_stroke3_round_trip():
    s3 = strokes.polylines_to_stroke3(POLYLINES, origin=(54.5, 54.5))
    assert s3.shape == (6, 3) and s3.dtype == np.float32
    assert s3[:, 2].tolist() == [0, 0, 1, 1, 0, 1]
    back = strokes.stroke3_to_polylines(s3, origin=(54.5, 54.5))
    assert len(back) == 3
    for a, b in zip(POLYLINES, back, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4)


def test_stroke3_stroke5_round_trip_and_padding():
    s3 = strokes.polylines_to_stroke3(POLYLINES)
    s5 = strokes.stroke3_to_stroke5(s3, max_len=10)
    assert s5.shape == (10, 5)
    np.testing.assert_array_equal(s5[:6, 2] + s5[:6, 3], 1)  # one-hot pen on real rows
    np.testing.assert_array_equal(s5[6:], np.tile([0, 0, 0, 0, 1], (4, 1)))
    np.testing.assert_array_equal(strokes.stroke5_to_stroke3(s5), s3)
    for a, b in zip(POLYLINES, strokes.stroke5_to_polylines(s5), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4)
    with pytest.raises(ValueError):
        strokes.stroke3_to_stroke5(s3, max_len=3)


def test_rdp_keeps_corners_drops_collinear():
    line = np.array([[0, 0], [1, 0.01], [2, 0], [2, 5]], np.float32)
    out = strokes.rdp(line, 0.5)
    np.testing.assert_allclose(out, [[0, 0], [2, 0], [2, 5]])


def test_path_subpaths_become_strokes():
    lines = path_polylines("M3 16v-5.5a2.5 2.5 0 0 1 5 0v5.5m0 -4h-5 M12 6l0 12")
    assert len(lines) == 3  # the arc stroke, the "m" bar, the separate line
    np.testing.assert_allclose(lines[1], [[8, 12], [3, 12]], atol=1e-5)
    np.testing.assert_allclose(lines[0][0], [3, 16]) and np.testing.assert_allclose(lines[0][-1], [8, 16])


def test_shapes_and_invisible_frame():
    assert element_polylines("path", {"d": "M0 0h24v24H0z", "stroke": "none"}) == []
    circle = element_polylines("circle", {"cx": "12", "cy": "12", "r": "3"})[0]
    np.testing.assert_allclose(np.hypot(circle[:, 0] - 12, circle[:, 1] - 12), 3, atol=1e-5)
    rect = element_polylines("rect", {"x": "1", "y": "2", "width": "3", "height": "4"})[0]
    assert rect.shape == (5, 2) and rect[0].tolist() == rect[-1].tolist()


def test_kanji_svg_to_stroke3_in_order():
    s3 = data.kanji_svg_to_stroke3(KANJI_SVG)
    lines = strokes.stroke3_to_polylines(s3, data.CENTRE)
    assert len(lines) == 2  # two strokes, in document (stroke) order
    np.testing.assert_allclose(lines[0][0], [28.5, 30.75], atol=1e-4)
    np.testing.assert_allclose(lines[1][-1], [94, 73], atol=1e-4)
    assert 4 <= len(s3) <= 20  # sampled every 2 units, then RDP eps 1.0


def test_icon_nodes_scaled_to_box():
    s3 = data.icon_nodes_to_stroke3([["path", {"d": "M12 6l0 12"}], ["circle", {"cx": "12", "cy": "12", "r": "9"}]])
    lines = strokes.stroke3_to_polylines(s3, data.CENTRE)
    np.testing.assert_allclose(lines[0], [[54.5, 6 * data.ICON_SCALE], [54.5, 18 * data.ICON_SCALE]], atol=1e-3)
    assert len(lines) == 2 and len(lines[1]) >= 8


def test_splits_are_fixed_and_variants_share_them():
    assert data.split_of("04e00") == data.split_of("04e00")
    counts = {s: 0 for s in data.SPLITS}
    for i in range(4000):
        counts[data.split_of(f"{i:05x}")] += 1
    assert 0.03 < counts["test"] / 4000 < 0.07 and 0.03 < counts["valid"] / 4000 < 0.07
    ss = data._assemble("k", ["04e00", "04e00-Kaisho"], ["04e00", "04e00"], [np.ones((2, 3), np.float32)] * 2, "")
    assert sum(len(v) == 2 for v in ss.drawings.values()) == 1


def test_cache_round_trip_without_pickles(tmp_path):
    s3 = strokes.polylines_to_stroke3(POLYLINES)
    ss = data.StrokeSet(
        "t",
        {"train": [s3, s3[:2]], "valid": [s3], "test": []},
        {"train": ["a", "b"], "valid": ["c"], "test": []},
        "MIT",
    )
    path = data.save_cache(ss, tmp_path / "t.npz")
    back = data.load_cache(path, "t")  # np.load(allow_pickle=False) inside
    assert back.names == ss.names and back.licence == "MIT"
    for split in data.SPLITS:
        for a, b in zip(ss.drawings[split], back.drawings[split], strict=True):
            np.testing.assert_array_equal(a, b)
    assert back.scale_factor() == pytest.approx(ss.scale_factor())
    assert len(back.filtered(3).drawings["train"]) == 1
