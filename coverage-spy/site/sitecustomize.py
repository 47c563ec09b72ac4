"""coverage-spy: starts coverage.py in every Python process of an instrumented service.

Python imports this module at start-up because coverage-spy puts its folder first on PYTHONPATH.
It must never break the app: if coverage cannot start, it says so once on stderr and the app runs on.
"""
import os
import sys

_WARNED = "COVERAGE_SPY_WARNED"


def _warn_once(message):
    # Children inherit the environment, so a broken setup is reported once, not by every worker.
    if not os.environ.get(_WARNED):
        os.environ[_WARNED] = "1"
        sys.stderr.write("coverage-spy: %s\n" % message)


def _command_line():
    try:
        with open("/proc/self/cmdline", "rb") as f:
            return [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return list(getattr(sys, "argv", []))


def _write_start_record():
    """Leaves a small record next to the data files, so the harvester can name a process that saved nothing."""
    try:
        import json
        import socket
        import time

        folder = os.path.dirname(os.path.abspath(os.environ["COVERAGE_FILE"]))
        host, pid = socket.gethostname(), os.getpid()
        record = {"pid": pid, "host": host, "command": _command_line(), "python": sys.version.split()[0], "started": time.time()}
        path = os.path.join(folder, ".start.%s.pid%d.json" % (host, pid))
        with open(path + ".tmp", "w") as f:
            json.dump(record, f)
        os.replace(path + ".tmp", path)
    except Exception as exc:
        _warn_once("could not write a start record (%r)" % (exc,))


def _start_coverage():
    if not os.environ.get("COVERAGE_PROCESS_START"):
        return
    try:
        import coverage
    except Exception as exc:
        _warn_once("coverage.py cannot be imported (%r); the app runs without coverage" % (exc,))
        return
    try:
        cov = coverage.process_startup()
    except Exception as exc:
        _warn_once("coverage.py did not start (%r); the app runs without coverage" % (exc,))
        return
    # None when something started coverage before us (coverage's own subprocess .pth): still measured.
    if cov is None:
        cov = coverage.Coverage.current()
    if cov is not None and os.environ.get("COVERAGE_FILE"):
        _write_start_record()
        # Forked children (pre-fork workers) keep measuring without running this module again: record them too.
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=_write_start_record)


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
