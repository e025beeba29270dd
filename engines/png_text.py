"""PNG text chunks: write a snapshot's settings into the file itself (tEXt, Latin-1 keys, UTF-8 via iTXt),
and read them back with a bounded, checked parser (a damaged file gives EngineError, never a crash)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from engines.base import EngineError

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_MAX_TEXT = 1 << 20  # 1 MiB of text per chunk is plenty for settings


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def add_png_text(path: Path, fields: dict[str, str]) -> None:
    """Insert one iTXt chunk per field before IEND (keys: 1-79 Latin-1 characters); rewrites the file atomically."""
    data = Path(path).read_bytes()
    if not data.startswith(_SIGNATURE) or data[-12:-8] != b"\x00\x00\x00\x00" or data[-8:-4] != b"IEND":
        raise EngineError(f"{path} is not a PNG ending in IEND")
    chunks = b""
    for key, value in fields.items():
        k = key.encode("latin-1")[:79]
        chunks += _chunk(b"iTXt", k + b"\x00\x00\x00\x00\x00" + str(value).encode("utf-8"))
    tmp = Path(path).with_suffix(Path(path).suffix + ".part")
    tmp.write_bytes(data[:-12] + chunks + data[-12:])
    tmp.replace(path)


def read_png_text(path: Path) -> dict[str, str]:
    """Every tEXt / uncompressed iTXt field of a PNG (later keys win)."""
    data = Path(path).read_bytes()
    if not data.startswith(_SIGNATURE):
        raise EngineError(f"{path} is not a PNG")
    out, pos = {}, len(_SIGNATURE)
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if len(body) != length:
            raise EngineError(f"{path} is truncated inside a {kind!r} chunk")
        if kind in (b"tEXt", b"iTXt") and length <= _MAX_TEXT:
            key, _, rest = body.partition(b"\x00")
            if kind == b"tEXt":
                out[key.decode("latin-1")] = rest.decode("latin-1")
            elif rest[:1] == b"\x00":  # uncompressed iTXt: flag, method, language\0, translated key\0, text
                _lang, _, rest = rest[2:].partition(b"\x00")
                _tkey, _, text = rest.partition(b"\x00")
                out[key.decode("latin-1")] = text.decode("utf-8", errors="replace")
        if kind == b"IEND":
            break
        pos += 12 + length
    return out
