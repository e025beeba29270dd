"""`python -m engines PAPER COMMAND ...`: see engines.cli."""

import sys

from engines.cli import paper_main

raise SystemExit(paper_main(sys.argv[1:]))
