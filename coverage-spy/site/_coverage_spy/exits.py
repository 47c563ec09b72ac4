"""The ways a measured process leaves, each made to save the data and write the end record first.

Like coverage.py's patch.py ([run] patch = _exit, execv) and its [run] sigterm option, whose wrappers and handlers
the spy's sit in front of: normal exit (atexit), os._exit, os.execv and os.execve (every exec* and spawn* call
ends in one of them) and SIGTERM. The spy's run first, so the saver is stopped before anyone saves.

Saving once: coverage.py's own exit handlers save too, after the spy's: atexit (Coverage._atexit, which saves
because process_startup turns auto-save on), the _exit and execv patches, and the SIGTERM handler. Each of those
saves again what the spy has just saved (with coverage.py 7.11+, every save also hashes the whole data file).
So once the spy's last save succeeded, skip_later_saves makes that Coverage object's save() do nothing;
coverage.py's handlers still do the rest (stop, close the data, pass the environment on to an exec, die by the
signal). If the spy's save failed, coverage.py's still runs. If an exec fails, allow_saves undoes it.
"""

from __future__ import annotations

import atexit
import os
import signal
from typing import Any, Callable, NoReturn

# The exec functions coverage.py's execv patch wraps too.
EXECS = ("execv", "execve")


def patch__exit(finish: Callable[[str], None]) -> None:
    """Makes os._exit finish the process first (it skips atexit: gunicorn's workers, multiprocessing's children)."""
    original_exit = os._exit

    def spy_os_exit(status: int) -> NoReturn:
        """os._exit, after the spy's last save and end record."""
        finish("os._exit")
        original_exit(status)

    os._exit = spy_os_exit


def patch_execv(finish: Callable[[str], None], resume: Callable[[], None]) -> None:
    """Makes the exec functions finish the process first, and measure on if the exec fails.

    The exec'd program keeps the pid: when it is a measured Python, its start record replaces this end record.
    """
    for name in EXECS:
        original = getattr(os, name, None)
        if original is not None:
            setattr(os, name, _exec_wrapper(name, original, finish, resume))


def _exec_wrapper(
    name: str, original: Callable[..., Any], finish: Callable[[str], None], resume: Callable[[], None]
) -> Callable[..., Any]:
    """The wrapper of one exec function."""

    def spy_exec(*args: Any, **kwargs: Any) -> Any:
        """The exec function, after the spy's last save and end record."""
        finish(name)
        try:
            return original(*args, **kwargs)
        except BaseException:
            # The exec failed and the process goes on: measure on, and let the app see the exec's error.
            resume()
            raise

    return spy_exec


def patch_sigterm(cov: Any, finish: Callable[[str], None]) -> None:
    """Makes coverage.py's SIGTERM handler ([run] sigterm = true) finish the process first.

    coverage.py saves on SIGTERM and then dies by the signal, skipping atexit: without this, no end record.
    Nothing to do when coverage.py has no handler there (sigterm is off, or it started outside the main thread).
    """
    handler = signal.getsignal(signal.SIGTERM)
    if getattr(handler, "__self__", None) is not cov:
        return

    def on_sigterm(signum: int, frame: Any) -> None:
        """coverage.py's SIGTERM handler, after the spy's last save and end record."""
        finish("sigterm")
        handler(signum, frame)

    signal.signal(signal.SIGTERM, on_sigterm)


def register_atexit(finish: Callable[[str], None]) -> None:
    """Makes a normal exit finish the process.

    Registered after coverage.py's own exit handler (process_startup registered it), so it runs before it: the
    saver stops first, and the app's exit handlers, registered later still, have run.
    """
    atexit.register(finish, "exit")


def skip_later_saves(cov: Any) -> None:
    """After the spy's last save: the Coverage object's save() does nothing, for coverage.py's exit handlers."""
    cov.save = _saved_already


def allow_saves(cov: Any) -> None:
    """Undoes skip_later_saves: the process did not leave after all."""
    vars(cov).pop("save", None)


def _saved_already() -> None:
    """Coverage.save once the spy has made the process's last save: nothing is left to save."""
