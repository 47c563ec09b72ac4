"""The snapshot and reset signals: their handlers only ask the saver, which does the work in its own thread.

The signal helper (signal_processes.py) sends them, with the numbers the start record says this process installed
(SIGRTMIN differs between glibc and musl), and waits for the saves record to count the request as done.
"""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING, Any

from _coverage_spy.saver import RESET, SNAPSHOT

if TYPE_CHECKING:
    from _coverage_spy.saver import Saver
    from _coverage_spy.settings import Settings


def install(saver: Saver, settings: Settings) -> None:
    """Installs the handlers of the signals the settings name (none for "off").

    Python only lets the main thread install signal handlers: a process whose spy started in another thread has none.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for kind, signum in ((SNAPSHOT, settings.snapshot_signal), (RESET, settings.reset_signal)):
        if signum is not None:
            signal.signal(signum, _Handler(saver, kind))


class _Handler:
    """The handler of one signal: asks the saver for its kind of request."""

    def __init__(self, saver: Saver, kind: str) -> None:
        """Asks `saver` for `kind` (snapshot or reset)."""
        self.saver = saver
        self.kind = kind

    def __call__(self, signum: int, frame: Any) -> None:
        """Runs in the main thread, between two bytecodes of the app: only flags the request and wakes the saver."""
        self.saver.request(self.kind)
