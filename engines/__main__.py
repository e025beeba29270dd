"""`python -m engines PAPER COMMAND ...`: see engines.cli."""

import sys

from engines.cli import paper_main

if __name__ == "__main__":
    raise SystemExit(paper_main(sys.argv[1:]))
