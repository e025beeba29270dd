"""`python -m tests.engines.bombs`: peak memory of a fresh process loading the largest "bomb" of each kind.

Each bomb is a small file declaring something huge. One child process per bomb imports the loader,
records its peak RSS (VmHWM, MiB), loads the file, and reports the peak again, the time, and the
message it got. `sandbox` is ru_maxrss of a sandboxed parser child (QuickDraw .npz), if one ran: an
upper bound, as Linux starts a child's ru_maxrss at its parent's RSS when it forks.
The child runs under RLIMIT_AS = 8 GiB as a safety net (a hit shows as MemoryError or a crash).
"""

from __future__ import annotations

import argparse
import json
import struct
import subprocess
import sys
import tempfile
import textwrap
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEIGHTS = ROOT / "assets" / "weights"

BOMB_CONV = "[net]\nwidth=64\nheight=64\nchannels=3\n\n" + (
    "[convolutional]\nfilters=16000\nsize=15\nstride=1\npad=1\nactivation=leaky\n\n" * 2)
BOMB_NET = "[net]\nwidth=20000\nheight=20000\nchannels=3\n\n[convolutional]\nfilters=8\nsize=3\nstride=1\npad=1\n"


def _png(path: Path, side: int) -> Path:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 4096))
                     + chunk(b"IEND", b""))
    return path


def _checkpoint(path: Path, shipped: str, change) -> Path:
    import torch

    from engines.training import save_checkpoint

    payload = torch.load(WEIGHTS / shipped, map_location="cpu", weights_only=True)
    payload.pop("format", None)
    change(payload["config"])
    return save_checkpoint(path, payload)


def _npy_header(descr: str, n: int) -> bytes:
    """A version-1.0 .npy header for a 1-D array of n elements (128 bytes)."""
    text = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({n},), }}".ljust(117).encode() + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text


def _npz_member(path: Path) -> Path:
    """A 4 GiB 'train.npy' of zeros, deflated to about 4 MB."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("train.npy", "w", force_zip64=True) as f:
        f.write(_npy_header("<i2", 2 << 30))
        block = b"\0" * (1 << 24)
        for _ in range(256):
            f.write(block)
    return path


class _Bomb:
    """Pickles as numpy's own object-array reconstruction, declaring `n` elements and giving none."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __reduce__(self):
        import numpy as np

        reconstruct = np.ndarray.__reduce__(np.empty(1, object))[0]
        return reconstruct, (np.ndarray, (0,), b"b"), (1, (self.n,), np.dtype(object), False, [])


def _npz_shape(path: Path) -> Path:
    """A 'train' object array declaring 2e9 elements (a 16 GB pointer table) in a 300-byte member."""
    import pickle

    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("train.npy", _npy_header("|O", 2_000_000_000) + pickle.dumps(_Bomb(2_000_000_000), protocol=3))
    return path


def _tflite(path: Path) -> Path:
    """pose_landmark_full.tflite with one weight tensor (conv2d_35, 288x1x1x864) declared 288x60000x60000x864."""
    import tflite

    from engines import assets

    buf = bytearray(assets.require("pose_landmark_full.tflite").read_bytes())
    graph = tflite.Model.GetRootAsModel(buf, 0).Subgraphs(0)
    tensor = next(graph.Tensors(i) for i in range(graph.TensorsLength())
                  if graph.Tensors(i).Name() == b"model_1/model/conv2d_35/Conv2D")
    start = tensor._tab.Vector(tensor._tab.Offset(4))
    struct.pack_into("<4i", buf, start, 288, 60000, 60000, 864)
    path.write_bytes(bytes(buf))
    return path


def _avi(path: Path) -> Path:
    from engines import assets

    data = bytearray(assets.require("vtest.avi").read_bytes())
    avih, strf = data.find(b"avih"), data.find(b"strf")
    struct.pack_into("<II", data, avih + 8 + 32, 16000, 16000)
    struct.pack_into("<ii", data, strf + 8 + 4, 16000, 16000)
    path.write_bytes(bytes(data))
    return path


# kind, bomb, file maker, set-up (imports; not counted), loader call on `path`
BOMBS = [
    ("darknet cfg", "two 16000-filter 15x15 convs (171 B)", lambda d: _write(d / "conv.cfg", BOMB_CONV),
     "from engines.importers.darknet import load_darknet", "load_darknet(path)"),
    ("darknet cfg", "[net] width=height=20000", lambda d: _write(d / "net.cfg", BOMB_NET),
     "from engines.importers.darknet import load_darknet", "load_darknet(path)"),
    ("pose .pt", "hourglass features=4096, stacks=8",
     lambda d: _checkpoint(d / "pose.pt", "pose_hourglass.pt", lambda c: c.update(features=4096, stacks=8)),
     "from engines.pose.model import load_student", "load_student(path)"),
    ("colorization .pt", "infer_size=30000",
     lambda d: _checkpoint(d / "col.pt", "colorization.pt", lambda c: c.update(infer_size=30000)),
     "import torch; from engines.colorization.engine import ColorizationEngine", "ColorizationEngine().load(path)"),
    ("image", "PNG header 20000x20000 (<1 KB)", lambda d: _png(d / "20k.png", 20000),
     "from engines.images import read_image", "read_image(path)"),
    ("image", "PNG header 60000x60000 (<1 KB)", lambda d: _png(d / "60k.png", 60000),
     "from engines.images import read_image", "read_image(path)"),
    ("QuickDraw .npz", "4 GiB zip member (~4 MB file)", lambda d: _npz_member(d / "member.npz"),
     "from engines.sketch.data import load_quickdraw", "load_quickdraw(path)"),
    ("QuickDraw .npz", "object array declaring 2e9 elements", lambda d: _npz_shape(d / "shape.npz"),
     "from engines.sketch.data import load_quickdraw", "load_quickdraw(path)"),
    ("TFLite", "a weight tensor declared 288x60000x60000x864", lambda d: _tflite(d / "huge.tflite"),
     "from engines.importers.tflite import load_tflite", "load_tflite(path)"),
    ("video", "vtest.avi declaring 16000x16000 frames", lambda d: _avi(d / "huge.avi"),
     "import cv2; from engines import assets; from engines.frames import video_frames; "
     "cv2.VideoCapture(str(assets.require('vtest.avi'))).release()  # FFmpeg loaded", "next(video_frames(path))"),
    ("tabler icons", "circle r=1e9", lambda d: _write(d / "icons.json", json.dumps(
        {"ring": [["circle", {"cx": "12", "cy": "12", "r": "1e9"}]]})),
     "from engines.sketch.data import build_icons", "build_icons(path)"),
]

CHILD = textwrap.dedent("""
    import json, resource, sys, time
    from pathlib import Path
    resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))
    {imports}
    from engines.base import EngineError
    def hwm():  # VmHWM restarts at exec; ru_maxrss would start from the parent's RSS at fork
        return int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
    path, base, t0 = Path(sys.argv[1]), hwm(), time.perf_counter()
    try:
        {call}
        outcome, message = "loaded", ""
    except EngineError as exc:
        outcome, message = "EngineError", str(exc)
    except BaseException as exc:
        outcome, message = type(exc).__name__, str(exc)
    sandbox = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({{"base": base, "peak": hwm(), "sandbox": sandbox, "s": time.perf_counter() - t0,
                      "outcome": outcome, "message": message[:200]}}))
""")


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def measure(kind: str, name: str, make, imports: str, call: str, tmp: Path) -> dict:
    path = make(tmp)
    code = CHILD.format(imports=imports, call=call)
    row = {"kind": kind, "bomb": name, "file_bytes": path.stat().st_size}
    try:
        out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return {**row, "outcome": "timeout (300 s)"}
    if out.returncode != 0:
        return {**row, "outcome": f"exit {out.returncode}", "message": out.stderr.strip()[-200:]}
    return {**row, **json.loads(out.stdout.strip().splitlines()[-1])}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.engines.bombs")
    p.add_argument("--json", type=Path)
    p.add_argument("-k", default="", help="only bombs whose kind or description contains this")
    args = p.parse_args(argv)
    rows = []
    print("| kind | bomb | file | peak RSS (MiB) | of which after import | sandbox child (MiB) | s | result |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for kind, name, make, imports, call in BOMBS:
            if args.k.lower() not in f"{kind} {name}".lower():
                continue
            r = measure(kind, name, make, imports, call, Path(tmp))
            rows.append(r)
            size = f"{r['file_bytes'] / 1e6:.1f} MB" if r["file_bytes"] > 1e5 else f"{r['file_bytes']} B"
            grow = f"{r['peak'] - r['base']:+.0f}" if "peak" in r else "-"
            sandbox = f"{r['sandbox']:.0f}" if r.get("sandbox") else "-"
            print(f"| {kind} | {name} | {size} | {r.get('peak', float('nan')):.0f} | {grow} | {sandbox} | "
                  f"{r.get('s', float('nan')):.2f} | {r['outcome']}: {r.get('message', '')} |", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
