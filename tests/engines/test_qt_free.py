"""engines/ must never load Qt: import every engines module in a fresh interpreter and check."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import engines

ROOT = Path(engines.__file__).parent


def all_engine_modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages([str(ROOT)], prefix="engines.")]


def test_every_engines_module_imports_without_qt():
    mods = all_engine_modules()
    assert "engines.detection.engine" in mods
    code = (
        "import importlib, sys\n"
        f"for m in {mods!r}:\n"
        "    importlib.import_module(m)\n"
        "qt = ('PySide6', 'pyqtgraph', 'superqt', 'desktop', 'shiboken6')\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in qt]\n"
        "print('QT:' + ','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("QT:"), out.stdout


def test_desktop_never_imports_torch_directly():
    desktop = ROOT.parent / "desktop"
    offenders = [p for p in desktop.rglob("*.py")
                 if any(line.strip().startswith(("import torch", "from torch")) for line in p.read_text().splitlines())]
    assert not offenders, offenders
