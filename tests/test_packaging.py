"""The desktop bundle (packaging/): build files only, never a Python package; assets found when frozen."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_packaging_folder_is_not_a_python_package() -> None:
    assert not (ROOT / "packaging" / "__init__.py").exists(), "packaging/ must hold build files only"
    # From the repo root ('' first on sys.path) `import packaging` is still the library pip and setuptools use.
    out = subprocess.run([sys.executable, "-c", "import packaging, packaging.version; print(packaging.__file__)"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60, check=True).stdout.strip()
    assert out and Path(out).parent != ROOT / "packaging" and "site-packages" in out, out
    import packaging

    assert packaging.__file__ is not None and Path(packaging.__file__).parent != ROOT / "packaging"


def test_frozen_bundle_serves_shipped_assets_until_the_user_has_a_copy(tmp_path, monkeypatch) -> None:
    from engines import assets

    bundle, data = tmp_path / "_internal", tmp_path / "data"
    (bundle / "assets" / "fetched").mkdir(parents=True)
    (bundle / "assets" / "fetched" / "vtest.avi").write_bytes(b"shipped")
    monkeypatch.setenv("PAPERZOO_DATA_DIR", str(data))
    assert assets.asset_path("vtest.avi") == data / "assets" / "vtest.avi"  # not frozen: the data dir only
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    assert assets.asset_path("vtest.avi") == bundle / "assets" / "fetched" / "vtest.avi"
    assert assets.require("vtest.avi").read_bytes() == b"shipped"
    assert assets.asset_path("messi5.jpg") == data / "assets" / "messi5.jpg"  # not shipped: where fetch puts it
    (data / "assets").mkdir(parents=True)
    (data / "assets" / "vtest.avi").write_bytes(b"user")
    assert assets.asset_path("vtest.avi") == data / "assets" / "vtest.avi"  # the user's own copy wins


def test_repo_relative_assets_resolve_inside_the_bundle_layout() -> None:
    """The code finds assets/ as Path(__file__).parents[2] of engines/<paper>/<module>.py (desktop/tabs too);
    PyInstaller sets __file__ to _MEIPASS/<module path>, so the spec puts assets/ at _MEIPASS/assets."""
    spec = (ROOT / "packaging" / "paperzoo.spec").read_text()
    for folder in ("weights", "media", "icons"):
        assert f'"assets/{folder}"' in spec
        assert (ROOT / "assets" / folder).is_dir()


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_build_and_run_the_bundle(tmp_path) -> None:
    """Builds the bundle (minutes) and runs it offscreen in a clean environment on the demo clip."""
    subprocess.run(["bash", str(ROOT / "packaging" / "build.sh")], cwd=ROOT, check=True, timeout=3600)
    exe = ROOT / "dist" / "paperzoo" / "paperzoo"
    shot = tmp_path / "b.png"
    env = {"HOME": str(tmp_path / "home"), "QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"}
    subprocess.run([str(exe), "--tab", "detection", "--source", "demo", "--screenshot", str(shot),
                    "--quit-after-ms", "15000", "--wait-for-result"], env=env, check=True, timeout=300)
    assert shot.stat().st_size > 10_000
