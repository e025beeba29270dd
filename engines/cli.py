"""The command line of every paper, from the registry: `python -m engines PAPER COMMAND ...`.

    python -m engines detection infer INPUT.jpg --out ANNOTATED.png     # = paperzoo infer detection ...
    python -m engines sketch train --dataset icons --minutes 5
    python -m engines train sketch --steps 20 --json out.json          # = paperzoo train sketch ...
Each paper's cli module (PaperInfo.cli) has main(argv) -> exit code with its own subcommands.
"""

from __future__ import annotations

import importlib
import os
import sys

from engines.registry import default_registry


def paper_main(argv: list[str]) -> int:
    """argv: [PAPER, COMMAND, ...]; `--help` or no paper lists the papers."""
    if len(argv) >= 2 and argv[0] == "train":  # `train PAPER ...` reads as the paper's `train ...`
        argv = [argv[1], "train", *argv[2:]]
    registry = default_registry()
    with_cli = [info.key for info in registry if info.cli]
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in with_cli:
        print("usage: python -m engines PAPER COMMAND ... (PAPER COMMAND --help for its options)\n"
              f"papers: {', '.join(with_cli)}", file=sys.stderr if argv and argv[0] not in ("-h", "--help") else
              sys.stdout)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    try:
        return int(importlib.import_module(registry[argv[0]].cli).main(argv[1:]) or 0)
    except Exception as exc:  # a damaged input the reader did not name: one line, never a traceback
        if os.environ.get("PAPERZOO_DEBUG"):
            raise
        print(f"error: {exc} ({type(exc).__name__}; PAPERZOO_DEBUG=1 shows where)", file=sys.stderr)
        return 2


def infer_main(argv: list[str]) -> int:
    """`paperzoo infer PAPER INPUT ...`: the paper's own `infer` command."""
    if not argv:
        return paper_main([])
    return paper_main([argv[0], "infer", *argv[1:]])
