"""Entry script of the frozen bundle: PyInstaller runs this file as __main__ (the app never imports it).

In the bundle `sys.executable` is the `paperzoo` program itself, so what the app starts as a Python
(`sys.executable -m engines.colorization.cli ...`, `sys.executable -c CODE`, multiprocessing's spawned
training and sandbox children) comes back here and is dispatched the way a Python interpreter would.
"""

from __future__ import annotations

import multiprocessing
import runpy
import sys


def main() -> int:
    multiprocessing.freeze_support()  # a spawned child (training, sandbox) runs its target here and exits
    if len(sys.argv) > 2 and sys.argv[1] in ("-m", "-c"):
        flag, target = sys.argv[1], sys.argv[2]
        if flag == "-m":
            sys.argv = [target, *sys.argv[3:]]
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.argv = ["-c", *sys.argv[3:]]
            exec(compile(target, "<string>", "exec"), {"__name__": "__main__"})
        return 0
    from desktop.app import main as app_main

    return app_main()


if __name__ == "__main__":
    raise SystemExit(main())
