"""Starting coverage.py in a measured process, as the spy's environment asks, and the spy with it."""

from __future__ import annotations

import os
from typing import Any

from _coverage_spy import records
from _coverage_spy.problems import warn_once
from _coverage_spy.settings import Settings, choose_core
from _coverage_spy.spy import Spy
from _coverage_spy.spylib import select_coverage_lib


def start() -> Spy | None:
    """Starts coverage in this process if COVERAGE_PROCESS_START names the spy's rcfile. Returns the Spy, or None.

    Whatever fails, the app runs on: without coverage (reported once) when coverage.py cannot start, without
    periodic saves and snapshots when only the spy cannot.
    """
    rcfile = os.environ.get("COVERAGE_PROCESS_START")
    if not rcfile:
        return None
    try:
        settings = Settings(rcfile)
        problem = select_coverage_lib()
    except Exception as exc:  # noqa: BLE001 - any unreadable setting or manifest: the app runs without coverage
        warn_once(f"the spy's settings in {rcfile} cannot be read ({exc!r}); the app runs without coverage")
        return None
    if problem:
        warn_once(f"{problem}; the app runs without coverage")
        return None
    try:
        # Imported here, not at the top: only now is the build for this Python on sys.path, and it may still fail.
        import coverage
    except Exception as exc:  # noqa: BLE001 - a broken or missing coverage.py: the app runs without coverage
        warn_once(f"coverage.py cannot be imported ({exc!r}); the app runs without coverage")
        return None
    data_file = os.environ.get("COVERAGE_FILE")
    if data_file:
        try:
            records.ensure_folder(os.path.dirname(os.path.abspath(data_file)))
        except OSError as exc:
            warn_once(
                f"cannot create the data folder of {data_file} ({exc!r}): the data volume's runs/ folder must exist"
                " and be writable by any user (the stack's prepare container makes it so); the app runs without"
                " coverage"
            )
            return None
    core = os.environ.get("COVERAGE_CORE") or choose_core(settings)
    try:
        cov = _process_startup(coverage, core)
    except Exception as exc:  # noqa: BLE001 - e.g. a config coverage.py rejects: the app runs without coverage
        warn_once(f"coverage.py did not start ({exc!r}); the app runs without coverage")
        return None
    # None when something started coverage before us (coverage's own subprocess .pth): still measured.
    if cov is None:
        cov = coverage.Coverage.current()
    if cov is None or not os.environ.get("COVERAGE_FILE"):
        return None
    spy = Spy(cov, settings, os.path.dirname(os.path.abspath(os.environ["COVERAGE_FILE"])), _actual_core(cov, core))
    try:
        spy.install()
    except Exception as exc:  # noqa: BLE001 - coverage.py runs and saves at exit; only the spy's extras are off
        warn_once(f"periodic saves and snapshots are off ({exc!r})")
    return spy


def _process_startup(coverage: Any, core: str | None) -> Any:
    """coverage.process_startup(), with COVERAGE_CORE set to `core` while it reads its configuration."""
    if not core or os.environ.get("COVERAGE_CORE"):
        return coverage.process_startup()
    # Only for this process's config: a child of another Python version chooses for itself.
    os.environ["COVERAGE_CORE"] = core
    try:
        return coverage.process_startup()
    finally:
        del os.environ["COVERAGE_CORE"]


def _actual_core(cov: Any, asked: str | None) -> str | None:
    """The core coverage.py measures with ("CTracer", "PyTracer", "SysMonitor"), or the one asked for."""
    try:
        return cov._collector.tracer_name()
    except Exception:  # noqa: BLE001
        # A private attribute, which another coverage.py release may not have: the core asked for (None: its
        # default) is the next best thing to record.
        return asked
