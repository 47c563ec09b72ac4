"""The spy in one measured process: ties the saver, the records, the exit paths, the signals, fork and contexts."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from _coverage_spy import exits, greenlets, records, signals
from _coverage_spy.contexts import ContextListener
from _coverage_spy.forks import ForkGuard
from _coverage_spy.problems import warn_once
from _coverage_spy.saver import Saver, report_failure

if TYPE_CHECKING:
    from _coverage_spy.settings import Settings


class Spy:
    """One per process, re-armed in forked children (by its ForkGuard)."""

    def __init__(self, cov: Any, settings: Settings, folder: str, core: str | None) -> None:
        """The spy of `cov` (a started coverage.Coverage, measuring with `core`), leaving records in `folder`."""
        self.cov = cov
        self.settings = settings
        self.folder = folder
        self.core = core
        self.saver = Saver(cov, settings, folder, unfollowed=self.unfollowed_concurrency)
        # With per-test contexts: the listener the relay tells each test boundary (contexts.py).
        self.contexts = ContextListener(cov, self.saver, folder, core) if settings.contexts else None
        guarded = (self.saver,) if self.contexts is None else (self.saver, self.contexts)
        self.forks = ForkGuard(*guarded, in_child=self.write_start_record)

    def install(self) -> None:
        """Writes the start record, wraps the exit paths, installs the fork hooks and signals, starts the threads."""
        self.write_start_record()
        exits.patch__exit(self.finish)
        exits.patch_execv(self.finish, self.resume)
        exits.patch_sigterm(self.cov, self.finish)
        exits.register_atexit(self.finish)
        self.forks.install()
        signals.install(self.saver, self.settings)
        if self.contexts is not None:
            self.contexts.install()
        self.saver.start()

    def write_start_record(self) -> None:
        """Says this process measures (replacing the records an earlier program of the same pid left)."""
        try:
            records.set_aside_killed(self.folder)
        except OSError as exc:
            report_failure(self.folder, "could not set aside the records of a killed earlier process of its pid", exc)
        try:
            # The same pid after exec, or a recycled pid: the old end and saves records no longer speak for it.
            records.remove(self.folder, records.END)
            records.remove(self.folder, records.SAVES)
            numbers = {"snapshot": self.settings.snapshot_signal, "reset": self.settings.reset_signal}
            record = records.start_record(self.core, self.settings.save_interval, numbers)
            records.write(self.folder, records.START, record)
        except Exception as exc:  # noqa: BLE001 - at start-up or in a fork hook: report, never raise into the app
            report_failure(self.folder, "could not write a start record", exc)

    def finish(self, how: str) -> None:
        """The process leaves through `how`: the saver stops, the data is saved a last time, the end record says so.

        Only the first call does it; coverage.py's own exit handlers, which run next, then save no more.
        """
        if self.saver.finished:
            return
        if self.contexts is not None:
            # First: no switch after the last save, and the relay no longer finds the socket.
            self.contexts.close()
        if self.saver.close():
            exits.skip_later_saves(self.cov)
        unfollowed = self.unfollowed_concurrency()
        if unfollowed:
            warn_once(unfollowed_message(unfollowed, self.core, self.settings.concurrency), topic="concurrency")
        try:
            records.write(self.folder, records.END, records.end_record(how, unfollowed))
        except OSError as exc:
            # The harvester will count this process as killed (interrupted or lost) though it saved, unless the
            # volume was full: then it names that.
            report_failure(self.folder, "could not write an end record", exc)

    def unfollowed_concurrency(self) -> list[str]:
        """The concurrency libraries this process ran that its core does not follow (greenlets.py). Never raises."""
        return greenlets.unfollowed(self.settings, self.core)

    def resume(self) -> None:
        """The process did not leave after all (its exec failed): measure on as before finish(). Never raises."""
        try:
            exits.allow_saves(self.cov)
            records.remove(self.folder, records.END)
            self.saver.reopen()
            if self.contexts is not None:
                self.contexts.reopen()
        except Exception as exc:  # noqa: BLE001 - the app must see its exec's error, not one of ours
            warn_once(f"measuring did not resume after a failed exec ({exc!r})")


def unfollowed_message(libraries: list[str], core: str | None, configured: set[str]) -> str:
    """What a process that ran greenlets its core did not follow says on stderr when it leaves."""
    names = ", ".join(libraries)
    fix = greenlets.fixed_concurrency(sorted(configured), libraries)
    return (
        f"this process ran {names} greenlets, which coverage.py's {core or 'tracer'} follows only with [run]"
        f" concurrency = {names}: lines run in greenlets may be missing or counted in the wrong file; set"
        f" coverage: {{ concurrency: {json.dumps(fix)} }} in the stack's options"
    )
