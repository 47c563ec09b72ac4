"""coverage-spy: starts coverage.py in every Python process of an instrumented service.

Python imports this module at start-up because coverage-spy puts its folder first on PYTHONPATH.
The work is in _coverage_spy.py, imported only when COVERAGE_PROCESS_START is set. It must never
break the app: if coverage cannot start, it says so once on stderr and the app runs on.
"""
import os
import sys


def _start_coverage():
    if not os.environ.get("COVERAGE_PROCESS_START"):
        return
    try:
        import _coverage_spy

        _coverage_spy.start()
    except Exception as exc:
        sys.stderr.write("coverage-spy: the spy failed (%r); the app runs on\n" % (exc,))


def _chain_to_image_sitecustomize():
    """Runs the image's own sitecustomize, which ours shadows by coming first on sys.path."""
    try:
        import importlib.machinery
        import importlib.util

        here = os.path.dirname(os.path.abspath(__file__))
        rest = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
        spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
        if spec is None or spec.loader is None:
            return
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.stderr.write("coverage-spy: the image's own sitecustomize failed: %r\n" % (exc,))


_start_coverage()
_chain_to_image_sitecustomize()
