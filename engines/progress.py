"""One text progress bar for every command line (downloads, labelling, training)."""

from __future__ import annotations

import sys
from typing import TextIO


def text_bar(done: float, total: float, label: str = "", extra: str = "", width: int = 24,
             stream: TextIO | None = None) -> None:
    """Redraw `label [####....] done/total extra` in place on a terminal; on a log file, print a line per quarter.

    done/total: any unit (steps, frames, MB); total 0 means unknown.
    """
    out = stream or sys.stderr
    frac = min(1.0, done / total) if total else 0.0
    if not out.isatty():
        quarter = int(frac * 4)
        last = getattr(text_bar, "_quarters", {})
        if done < total and last.get(label) == quarter:
            return
        last[label] = quarter
        text_bar._quarters = last  # type: ignore[attr-defined]
        print(f"{label} {_num(done)}/{_num(total)} {extra}".strip(), file=out, flush=True)
        return
    n = int(width * frac)
    print(f"\r{label} [{'#' * n}{'.' * (width - n)}] {_num(done)}/{_num(total)} {extra}".lstrip(),
          end="\n" if total and done >= total else "", file=out, flush=True)


def _num(x: float) -> str:
    return f"{x:.1f}" if isinstance(x, float) and not x.is_integer() else f"{int(x)}"
