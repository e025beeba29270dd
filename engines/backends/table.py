"""`python -m engines.backends.table BENCH.json [...]`: the backend records of engines.bench as a markdown table
(the README's CPU backend rows are pasted from it)."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _fmt(v, digits: int = 2) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def rows(records: list[dict]) -> list[str]:
    """One markdown row per record that has a backend (others are skipped)."""
    out = ["| model | backend | precision | threads | median ms | vs OpenCV | vs torch | agreement | gate | load avg |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        if "backend" not in r or r.get("median_ms") is None:
            continue
        gate = "" if "gate_passed" not in r else ("passed" if r["gate_passed"] else "refused")
        speed = f" ({r['speed_vs_1_thread']:.2f}x its 1 thread)" if "speed_vs_1_thread" in r else ""
        load = "-".join(f"{x:.1f}" for x in r.get("load_avg", []))
        out.append(f"| {r['name']} | {r['backend']} | {r['precision']} | {r['threads']} | {_fmt(r['median_ms'], 1)}"
                   f"{speed} | {_fmt(r.get('ratio_vs_opencv'))} | {_fmt(r.get('ratio_vs_torch'))} | "
                   f"{_fmt(r.get('agreement'), 4)} | {gate} | {load} |")
    return out


def main(argv: list[str] | None = None) -> int:
    records = [r for p in (argv if argv is not None else sys.argv[1:]) for r in json.loads(Path(p).read_text())]
    print("\n".join(rows(records)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
