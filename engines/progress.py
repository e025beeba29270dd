"""One text progress bar for every command line (downloads, labelling, training)."""

from __future__ import annotations

import sys
from typing import TextIO


class TextBar:
    """`label [####....] done/total extra`, redrawn in place on a terminal; on a log file, one line per quarter.

    done/total are in any unit; `scale` divides both for display (1e6: bytes shown as MB). total 0 = unknown.
    """

    def __init__(self, label: str = "", width: int = 24, scale: float = 1.0, unit: str = "",
                 stream: TextIO | None = None) -> None:
        self.label, self.width, self.scale, self.unit = label, width, scale, unit
        self.stream = stream or sys.stderr
        self._quarter: dict[str, int] = {}  # per label: the last quarter printed to a log file

    def __call__(self, done: float, total: float, extra: str = "", label: str | None = None) -> None:
        label = self.label if label is None else label
        frac = min(1.0, done / total) if total else 0.0
        amount = f"{self._num(done)}/{self._num(total)}{self.unit}"
        if not self.stream.isatty():
            quarter = int(frac * 4)
            if done < total and self._quarter.get(label) == quarter:
                return
            self._quarter[label] = quarter
            print(f"{label} {amount} {extra}".strip(), file=self.stream, flush=True)
            return
        n = int(self.width * frac)
        print(f"\r{label} [{'#' * n}{'.' * (self.width - n)}] {amount} {extra}".lstrip(),
              end="\n" if total and done >= total else "", file=self.stream, flush=True)

    def _num(self, x: float) -> str:
        x = x / self.scale
        return f"{x:.1f}" if self.scale != 1 or not float(x).is_integer() else f"{int(x)}"
