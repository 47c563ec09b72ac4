"""The saver: a background thread that saves the coverage data while the process runs.

It saves every `save_interval` seconds (0: never on its own), so a SIGKILL or the OOM killer loses at most that
slice, and at once when the snapshot or reset signal asks: snapshot saves, reset saves and then discards what
was collected. After each save it writes the process's saves record, which is how the signal helper learns that
its request was done. The thread is a daemon: it never keeps the process alive. forks.py stops it around fork().

The thread and its locks are made from the _thread functions as they were when the spy started, so gevent's
monkey-patching (gunicorn's gevent worker, an app's patch_all()) cannot change them. A threading.Thread saver
went wrong in a patched process: one started after the patching (after a fork) became a greenlet, so each fork
waited 0.5 s for its "thread" to leave the kernel; one started before it printed a KeyError when it ended (the
patched threading.get_ident no longer finds it); one restarted in a forked child broke gevent's own fork hook (an
AssertionError printed per fork). The app's threading module never sees this thread.

The thread blocks every signal but the faults a thread raises itself (see SaverThread.start): a signal sent to the
process must reach one of the app's threads, so that its main thread runs the handler.
"""

from __future__ import annotations

import _thread
import contextlib
import signal
import sys
from typing import TYPE_CHECKING, Any, Callable

from _coverage_spy import records
from _coverage_spy.problems import warn_once

if TYPE_CHECKING:
    from collections.abc import Iterator

    from _coverage_spy.settings import Settings

# The requests a signal can make (settings: snapshot_signal, reset_signal).
SNAPSHOT = "snapshot"
RESET = "reset"
# How long stop() waits for a save in progress: a stuck save must not hang the app.
STOP_TIMEOUT = 5.0

# The real thread functions, taken before the app can monkey-patch them.
_start_new_thread = _thread.start_new_thread
_allocate_lock = _thread.allocate_lock
_get_native_id = getattr(_thread, "get_native_id", None)  # Python 3.8+, not on every platform
_pthread_sigmask = getattr(signal, "pthread_sigmask", None)  # not on Windows

# The signals a thread raises at itself (a fault in its own code, abort()): the kernel sends them to that thread,
# blocked or not, so they stay unblocked and Python's faulthandler still reports the thread that faulted.
FAULT_SIGNALS = ("SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL", "SIGABRT", "SIGTRAP", "SIGSYS")


class Saver:
    """The saving of one process's data: the background thread, the signal requests and the last save."""

    def __init__(
        self, cov: Any, settings: Settings, folder: str, unfollowed: Callable[[], list[str]] = lambda: []
    ) -> None:
        """Saves `cov` (a started coverage.Coverage) into `folder`, which also holds the records.

        `unfollowed` says which concurrency libraries the process ran that its core does not follow (for the saves
        record); it must not raise.
        """
        self.cov = cov
        self.settings = settings
        self.folder = folder
        self.unfollowed = unfollowed
        self.new_process()

    def new_process(self) -> None:
        """Starts this process's state afresh: at start, and in a forked child (whose copied lock may be held)."""
        self.lock = _allocate_lock()
        self.wake = Wake()
        self.thread: SaverThread | None = None
        self.stopping = False
        # Set by close(): the process leaves, nothing saves any more.
        self.finished = False
        # Requests made by signals, and the ones done (with the number of saves).
        self.requests = {SNAPSHOT: 0, RESET: 0}
        self.counts = {"saves": 0, SNAPSHOT: 0, RESET: 0}
        self._free_data_lock()

    def _free_data_lock(self) -> None:
        """Gives coverage.py's data a new lock when a thread that is gone holds it.

        That happens only in a forked child whose parent forked while a save was stuck (stop() waits STOP_TIMEOUT):
        the thread holding the lock does not exist in the child, so its first save, and its exit, would wait forever.
        """
        data = getattr(self.cov, "_data", None)
        lock = getattr(data, "_lock", None)
        if lock is None:
            return
        if lock.acquire(False):
            lock.release()
        else:
            data._lock = _thread.RLock()

    def save(self, reset: bool = False) -> None:
        """Saves the data collected so far (then discards it with `reset`); nothing once the process left."""
        with self.lock, self._data_lock():
            if self.finished:
                return
            self.cov.save()
            if reset:
                self._discard_collected()

    def save_retrying(self, reset: bool = False) -> None:
        """save(), tried once more when another thread dropped this thread's database connection meanwhile.

        Holding the data's lock (_data_lock) keeps coverage.py's locked methods from reaping the connection in the
        middle of a save, but its unlocked paths (CoverageData._connect's check-then-read, touch_files) can still meet
        another thread's reap of the connections of threads threading.enumerate() does not list, as the saver's is
        not (seen in a gevent-patched process that forks): a KeyError of this thread's id. The second try connects
        anew; lines and arcs are sets, so saving them again loses and doubles nothing.
        """
        try:
            self.save(reset=reset)
        except KeyError:
            self.save(reset=reset)

    def _data_lock(self) -> contextlib.AbstractContextManager[Any]:
        """coverage.py's own lock of the data (CoverageData._lock), held for a whole save.

        coverage.py keeps one database connection per thread and, when a thread first touches the data, drops the
        connections of threads threading.enumerate() does not list (CoverageData._reap_dead_thread_dbs, under that
        lock): the saver's _thread thread is never listed, so without the lock another thread could drop its
        connection in the middle of a save (a KeyError of the thread's id). Holding it makes the other thread wait
        until the save is done; coverage.py's locked methods take it again freely (it is an RLock).
        """
        lock = getattr(getattr(self.cov, "_data", None), "_lock", None)
        return lock if lock is not None else contextlib.nullcontext()

    def _discard_collected(self) -> None:
        """Starts the data afresh, after a save: the process is alive and measured, with nothing collected yet.

        The data file is deleted and an empty one written (which says the process is alive), and sys.monitoring
        reports again the lines it had switched off once seen.
        """
        data = self.cov.get_data()
        data.erase()
        if self.settings.branch:
            data.add_arcs({})
        else:
            data.add_lines({})
        data.write()
        monitoring = getattr(sys, "monitoring", None)
        if monitoring is not None:
            monitoring.restart_events()

    def request(self, kind: str) -> None:
        """Asks the thread for a snapshot or a reset. Called by the signal handlers: only flags and wakes."""
        self.requests[kind] += 1
        self.wake.set()

    def _loop(self) -> None:
        """The thread's body: waits for the interval or a request, saves, counts, writes the saves record."""
        interval = self.settings.save_interval if self.settings.save_interval > 0 else None
        while True:
            self.wake.wait(interval)
            self.wake.clear()
            if self.stopping:
                return
            reset = self.requests[RESET] > self.counts[RESET]
            snapshot = self.requests[SNAPSHOT] > self.counts[SNAPSHOT]
            try:
                self.save_retrying(reset=reset)
            except Exception as exc:  # noqa: BLE001 - anything coverage.py raises: report it, keep measuring
                report_failure(self.folder, "a background save failed", exc)
                continue
            self.counts["saves"] += 1
            if reset:
                self.counts[RESET] = self.requests[RESET]
            if snapshot:
                self.counts[SNAPSHOT] = self.requests[SNAPSHOT]
            try:
                records.write(self.folder, records.SAVES, records.saves_record(self.counts, self.unfollowed()))
            except OSError as exc:
                # The data is saved; without the record a killed process shows no last save time, and the signal
                # helper names this process as silent.
                report_failure(self.folder, "could not write a saves record", exc)

    def start(self) -> None:
        """Starts the thread, unless it runs or the process has left."""
        if self.thread is not None or self.finished:
            return
        self.stopping = False
        self.thread = SaverThread(self._loop)
        self.thread.start()

    def stop(self) -> SaverThread | None:
        """Stops the thread (a save in progress finishes first, within STOP_TIMEOUT); returns it, or None."""
        thread, self.thread = self.thread, None
        if thread is not None:
            self.stopping = True
            self.wake.set()
            thread.join(STOP_TIMEOUT)
            self.wake.clear()
        return thread

    def close(self) -> bool:
        """The last save: stops the thread, saves, and saves no more. Returns whether the data was saved."""
        self.stop()
        try:
            self.save()
            saved = True
        except Exception as exc:  # noqa: BLE001 - the process is leaving: report, never raise into its exit
            report_failure(self.folder, "the last save before the process left failed", exc)
            saved = False
        self.finished = True
        return saved

    def reopen(self) -> None:
        """Measures on after close(), when the process did not leave after all (its exec failed)."""
        self.finished = False
        self.start()


def report_failure(folder: str, what: str, exc: BaseException) -> None:
    """Says on stderr that `what` failed with `exc`; a full volume as such, with the mark the harvest counts.

    The FULL mark (records.mark_full) lets the harvest name the full volume instead of taking the process for killed.
    """
    if not records.is_disk_full(exc):
        warn_once(f"{what} ({exc!r})")
        return
    records.mark_full(folder)
    warn_once(
        f"{what}: the coverage data volume is full ({exc}), so this process's coverage is incomplete; the harvest"
        " names the volume and its free space. Make room where the Docker engine keeps its volumes (`docker system"
        " df`) and run again",
        topic=records.FULL,
    )


class Wake:
    """threading.Event's set, clear and wait(timeout), on one real lock: held while there is nothing to wake for.

    set() may be called by a signal handler, from any thread: it never blocks.
    """

    def __init__(self) -> None:
        """Not set."""
        self._lock = _allocate_lock()
        self._lock.acquire()

    def set(self) -> None:
        """Wakes the waiter, or the next wait() returns at once."""
        # RuntimeError: set already, and one wake-up is all a waiter needs.
        with contextlib.suppress(RuntimeError):
            self._lock.release()

    def clear(self) -> None:
        """Undoes a set() no wait() has taken."""
        self._lock.acquire(False)

    def wait(self, timeout: float | None = None) -> bool:
        """Waits until set (then clears it) or `timeout` seconds pass (None: no limit). Returns whether it was set."""
        return self._lock.acquire(True, -1 if timeout is None else timeout)


class SaverThread:
    """A daemon thread started with _thread, as the app's threading module cannot see or patch it."""

    def __init__(self, target: Callable[[], None]) -> None:
        """A thread that will run `target`."""
        self.target = target
        # The kernel's id of the thread once it runs (forks.py waits for the kernel to forget it).
        self.native_id: int | None = None
        # Held while the thread runs.
        self._running = _allocate_lock()

    def start(self) -> None:
        """Starts the thread, with every signal but the faults blocked from its first instruction on."""
        self._running.acquire()
        try:
            with signals_blocked():
                _start_new_thread(self._run, ())
        except BaseException:
            self._running.release()
            raise

    def _run(self) -> None:
        """The thread's body: `target`, then say it ended."""
        try:
            if _get_native_id is not None:
                self.native_id = _get_native_id()
            self.target()
        finally:
            self._running.release()

    def join(self, timeout: float | None = None) -> None:
        """Waits until the thread's body returned, at most `timeout` seconds (None: no limit)."""
        if self._running.acquire(True, -1 if timeout is None else timeout):
            self._running.release()

    def is_alive(self) -> bool:
        """Whether the thread's body still runs."""
        if self._running.acquire(False):
            self._running.release()
            return False
        return True


@contextlib.contextmanager
def signals_blocked() -> Iterator[None]:
    """Blocks every signal but the faults in the calling thread for the block; a thread started in it inherits that.

    The kernel gives a signal sent to the process (kill, the kubelet's or `docker stop`'s SIGTERM, the snapshot
    signal) to any one of its threads that does not block it. Python runs the handler in the main thread only, once
    that thread runs Python code again: a signal one of the spy's threads took while the main thread waited in a
    read (an app reading stdin, a server in accept()) was handled only when that read returned, and never if it did
    not, so the process outlived SIGTERM. Blocked here, such signals go to the app's threads, as without the spy.
    A signal that comes meanwhile waits, and is delivered when the block ends.
    """
    if _pthread_sigmask is None:
        yield
        return
    faults = {getattr(signal, name) for name in FAULT_SIGNALS if hasattr(signal, name)}
    before = _pthread_sigmask(signal.SIG_BLOCK, set(signal.valid_signals()) - faults)
    try:
        yield
    finally:
        _pthread_sigmask(signal.SIG_SETMASK, before)
