"""coverage-spy: starts coverage.py in every Python process of an instrumented service.

Python imports this module at start-up because coverage-spy puts its folder first on PYTHONPATH.
The work is in the _coverage_spy package next to it, imported only when COVERAGE_PROCESS_START is set. It must
never break the app: if coverage cannot start, it says so once on stderr and the app runs on.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys


def _start_coverage() -> None:
    """Starts the spy when the spy's environment asks for it."""
    if not os.environ.get("COVERAGE_PROCESS_START"):
        return
    try:
        import _coverage_spy  # here: a process the spy does not measure never loads it

        _coverage_spy.start()
    except Exception as exc:  # noqa: BLE001 - whatever the spy raises, the app runs on (and is told why)
        sys.stderr.write(f"coverage-spy: the spy failed ({exc!r}); the app runs on\n")


def _chain_to_image_sitecustomize() -> None:
    """Runs the image's own sitecustomize, which ours shadows by coming first on sys.path."""
    try:
        here = os.path.dirname(os.path.abspath(__file__))
        rest = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
        spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
        if spec is None or spec.loader is None:
            return
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - the image's sitecustomize failing must not stop its app either
        sys.stderr.write(f"coverage-spy: the image's own sitecustomize failed: {exc!r}\n")


_start_coverage()
_chain_to_image_sitecustomize()
