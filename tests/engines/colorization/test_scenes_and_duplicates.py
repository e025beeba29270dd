"""The scene photos (Ubuntu's wallpaper .debs, zstd inside) and the one-copy-per-photo rule of the data set."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re
import tarfile
from pathlib import Path

import cv2
import numpy as np
import zstandard

from engines import assets
from engines.colorization.data import drop_duplicates, load_index, write_index
from engines.colorization.scenes import _EXCLUDED, SCENE_SOURCES
from engines.colorization.sources import _picked, iter_members
from tests.engines.colorization.conftest import synthetic_photo


def _zstd_deb(tmp_path: Path, files: dict[str, bytes]) -> Path:
    """A minimal Debian package (ar) whose data.tar is zstd-compressed, as Ubuntu builds them."""
    tar_buf = io.BytesIO()
    with tarfile.open(fileobj=tar_buf, mode="w") as tar:
        for name, blob in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    members = {
        "debian-binary": b"2.0\n",
        "control.tar.zst": zstandard.ZstdCompressor().compress(b""),
        "data.tar.zst": zstandard.ZstdCompressor().compress(tar_buf.getvalue()),
    }
    out = io.BytesIO()
    out.write(b"!<arch>\n")
    for name, body in members.items():
        out.write(f"{name + '/':<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(body):<10}`\n".encode())
        out.write(body + (b"\n" if len(body) % 2 else b""))
    path = tmp_path / "wallpapers_1.0_all.deb"
    path.write_bytes(out.getvalue())
    return path


def test_a_zstd_deb_opens_and_the_scene_rules_pick_photos_only(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PAPERZOO_DATA_DIR", str(tmp_path / "data"))
    ok, photo = cv2.imencode(".jpg", synthetic_photo(np.random.default_rng(1), 80, 120))
    render = sorted(_EXCLUDED)[0]
    deb = _zstd_deb(
        tmp_path,
        {
            "./usr/share/backgrounds/Lake_by_Someone.jpg": photo.tobytes(),
            f"./usr/share/backgrounds/{render}.jpg": photo.tobytes(),  # looked at: a render, excluded by name
            "./usr/share/xfce4/backdrops/Hills.png": photo.tobytes(),
            "./usr/share/gnome-background-properties/lake.xml": b"<xml/>",
        },
    )
    blob = deb.read_bytes()
    archive = assets.Archive("Ubuntu test", deb.as_uri(), hashlib.sha256(blob).hexdigest(), len(blob), "deb")
    source = dataclasses.replace(SCENE_SOURCES[0], archive=archive)
    picked = sorted(name for name, _ in iter_members(source))
    assert picked == ["./usr/share/backgrounds/Lake_by_Someone.jpg", "./usr/share/xfce4/backdrops/Hills.png"]


def test_scene_sources_are_pinned_and_distinct() -> None:
    tags = [s.tag for s in SCENE_SOURCES]
    assert len(tags) == len(set(tags)) == 83
    for s in SCENE_SOURCES:
        assert re.fullmatch(r"[0-9a-f]{64}", s.archive.sha256) and s.archive.size > 0
        assert s.archive.url.startswith("http://archive.ubuntu.com/ubuntu/pool/") and s.archive.kind == "deb"
        assert s.min_side == 400 and s.category("x") == "scenery"
    assert not _picked(SCENE_SOURCES[0], "./usr/share/backgrounds/Lake_by_Someone.jpg.xml")
    assert _picked(SCENE_SOURCES[0], "./usr/share/backgrounds/ubuntu-gnome/xenial/Frog.JPG")


def test_the_same_photo_under_two_names_is_kept_once(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    twin = synthetic_photo(rng, 90, 120)
    pictures = {
        "a/0000.png": twin,
        "a/0001.png": synthetic_photo(rng, 90, 120),
        "b/0000.png": cv2.resize(twin, (240, 180)),  # the same photo, stored larger, in another source
        "b/0001.png": synthetic_photo(rng, 90, 120),
    }
    rows = []
    for file, image in pictures.items():
        cv2.imwrite(str(tmp_path / file), image)
        source = file.split("/")[0]
        rows.append(
            {
                "file": file,
                "source": source,
                "member": file,
                "category": source,
                "split": "val" if file == "b/0000.png" else "train",
                "width": image.shape[1],
                "height": image.shape[0],
                "alpha": False,
            }
        )
    assert [r["file"] for r in drop_duplicates(tmp_path, rows)] == ["a/0000.png", "a/0001.png", "b/0001.png"]
    gone = {**rows[1], "file": "a/9999.png"}  # listed, but the file is not there
    assert [r["file"] for r in drop_duplicates(tmp_path, [*rows, gone])] == ["a/0000.png", "a/0001.png", "b/0001.png"]
    write_index(tmp_path, rows)  # the index never lists a val photo whose twin is in train
    index = load_index(tmp_path)
    assert [r["file"] for r in index["photos"]] == ["a/0000.png", "a/0001.png", "b/0001.png"]
    assert json.loads((tmp_path / "index.json").read_text())["categories"] == ["a", "b"]


def test_evaluate_can_split_by_a_tag_prefix() -> None:
    """`evaluate --split-source scenes_` groups the 83 scene packages against everything else."""
    from engines.colorization.evaluate import source_split

    rng = np.random.default_rng(3)
    truth = [synthetic_photo(rng, 32, 32) for _ in range(4)]
    parts = source_split(truth, truth, ["scenes_a", "ifct_pictures", "scenes_b", "gcompris"], "scenes_")
    assert parts["in scenes_"]["n"] == 2 and parts["not scenes_"]["n"] == 2
    assert source_split(truth, truth, ["scenes_a"] * 4, "ifct_pictures").keys() == {"not ifct_pictures"}
