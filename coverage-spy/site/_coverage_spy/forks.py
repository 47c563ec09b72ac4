"""fork() with the spy's threads: they never cross a fork, and a fork never warns because of them.

The threads are the saver's (saver.py) and, with per-test contexts, the context listener's (contexts.py). Python
3.12+ warns in os.fork()/os.forkpty() when the process has more than one thread. On Linux it reads the kernel's
count (/proc/self/stat) in the parent after fork(): 3.12 before the after_in_parent hooks run, 3.13 (and 3.14
until the gh-137109 fix of 2025-11) after them, so it counts a thread the hook restarted. So the threads must be
gone from the kernel when fork() returns (wait_until_gone), and in the parent they may only come back once
os.fork() has returned (ForkGuard.wrap_fork). Without the wrapper (before 3.12, or a fork by C code) the
after_in_parent hook restarts them. The child starts its own, with a start record (and a socket) of its own.
"""

from __future__ import annotations

import functools
import operator
import os
import sys
import threading
import time
import types
from typing import TYPE_CHECKING, Callable, Protocol, TypeVar

from _coverage_spy.problems import warn_once

if TYPE_CHECKING:
    from _coverage_spy.saver import SaverThread

T = TypeVar("T")
# The functions that fork and return in the parent and in the child.
FORKS = ("fork", "forkpty")
# How long before_fork waits for the kernel to forget a stopped thread.
GONE_TIMEOUT = 0.5
# time.sleep as it was when the spy started: gevent's monkey-patching makes time.sleep switch greenlets, which
# must not happen inside a fork hook.
_sleep = time.sleep


class Guarded(Protocol):
    """What ForkGuard stops and restarts: the saver (saver.Saver), the context listener (contexts.ContextListener)."""

    # The running thread, or None.
    thread: SaverThread | None

    def start(self) -> None:
        """Starts the thread, unless it runs (or the owner has nothing to run it for)."""

    def stop(self) -> SaverThread | None:
        """Stops the thread; returns it (joined), or None when none ran."""

    def new_process(self) -> None:
        """In a forked child, before start(): starts the owner's state afresh for the new process."""


class ForkGuard:
    """Stops the spy's threads before every fork and restarts them after, in the parent and in the child."""

    def __init__(self, *guarded: Guarded, in_child: Callable[[], None]) -> None:
        """Guards the saver and any other `guarded` thread owners; `in_child` is called in every forked child.

        In the child, each one's new_process() is called in this order (the saver first: the context listener
        switches under the child's new saver lock), then `in_child`, then the threads that ran start again.
        """
        self.guarded = guarded
        self.in_child = in_child
        # The owners whose thread ran when the fork began: it runs again after it, in both processes.
        self.was_running: list[Guarded] = []
        # Whether this fork came through our os.fork/os.forkpty wrapper, which then restarts the parent's threads.
        self.deferred = False
        # The thread that called the wrapper, until the at-fork hook has seen the fork.
        self.forking_thread: int | None = None
        # The real fork functions, by name, as the wrapper calls them.
        self.fork_target: types.SimpleNamespace | None = None
        # In the parent until the wrapper's fork has returned: the owners whose thread it then restarts.
        self.restart_pending: list[Guarded] = []

    def install(self) -> None:
        """Registers the at-fork hooks and, on the Pythons that warn about forking with threads, the wrapper."""
        if not hasattr(os, "register_at_fork"):
            return
        os.register_at_fork(
            before=self.before_fork, after_in_parent=self.after_fork_in_parent, after_in_child=self.after_fork_in_child
        )
        if sys.version_info >= (3, 12):  # the Pythons that warn about forking with threads
            try:
                self.wrap_fork()
            except Exception as exc:  # noqa: BLE001 - the hooks alone still stop and restart the threads
                # Without the wrapper the parent's threads restart in the after_in_parent hook, and 3.13 may then
                # warn about a fork with threads: say why once.
                warn_once(f"os.fork could not be wrapped ({exc!r}); a fork may warn about threads")

    def before_fork(self) -> None:
        """The before-fork hook: stops the threads and waits until the kernel no longer counts them."""
        self.deferred = self.forking_thread is not None and self.forking_thread == threading.get_ident()
        self.forking_thread = None
        # A thread a failed fork left stopped (its restart was pending) counts as running.
        pending, self.restart_pending = self.restart_pending, []
        self.was_running = [g for g in self.guarded if g.thread is not None or g in pending]
        stopped = [g.stop() for g in self.guarded]
        for thread in stopped:
            if thread is not None:
                wait_until_gone(thread)

    def after_fork_in_parent(self) -> None:
        """The parent's after-fork hook: restarts the threads now, or leaves it to the wrapper once fork() returned."""
        if not self.was_running:
            return
        if self.deferred:
            self.restart_pending = list(self.was_running)  # done by fork_returned, after CPython counted the threads
        else:
            # A fork that did not go through os.fork (C code, a reference taken before the spy started): restart
            # now, else this process would save (and follow the tests) no more.
            for guarded in self.was_running:
                guarded.start()

    def after_fork_in_child(self) -> None:
        """The child's after-fork hook: a new process, with its own state, start record and threads."""
        self.restart_pending = []
        for guarded in self.guarded:
            guarded.new_process()
        self.in_child()
        for guarded in self.was_running:
            guarded.start()

    def fork_starting(self) -> types.SimpleNamespace | None:
        """Called by the wrapper just before the real fork; returns what it calls the fork on (never None)."""
        self.forking_thread = threading.get_ident()
        return self.fork_target

    def fork_returned(self, result: T) -> T:
        """Called by the wrapper with what the real fork returned, in the parent and in the child; returns it."""
        pid = result[0] if isinstance(result, tuple) else result
        if pid and self.restart_pending:
            pending, self.restart_pending = self.restart_pending, []
            for guarded in pending:
                try:
                    guarded.start()
                except Exception as exc:  # noqa: BLE001 - the app's fork succeeded: it must not raise because of us
                    # Only the saver's start() raises (the context listener reports its own problems).
                    warn_once(f"the saver did not restart after a fork ({exc!r}); this process saves at exit only")
        return result

    def wrap_fork(self) -> None:
        """Makes os.fork and os.forkpty restart the parent's threads after they return.

        The wrapper is built from C callables only: no Python frame of ours is on the stack while the real fork
        runs, so a warning the app earns by its own threads keeps the app's file and line (and its once-per-line
        filtering), exactly as without the spy. fork() -> next(map(returned, map(call "fork", iter(starting))))).
        If the real fork raises (fork failed), the threads restart at the next fork.
        """
        originals = {name: getattr(os, name) for name in FORKS if hasattr(os, name)}
        if not originals:
            return
        self.fork_target = types.SimpleNamespace(**originals)
        for name, original in originals.items():
            chain = map(self.fork_returned, map(operator.methodcaller(name), iter(self.fork_starting, None)))
            wrapper = ForkWrapper(next, chain)
            for attribute in ("__name__", "__qualname__", "__doc__", "__module__"):
                # The wrapper prints and introspects as the function it replaces; a builtin without one of these
                # attributes leaves it out, which changes nothing but that.
                if hasattr(original, attribute):
                    setattr(wrapper, attribute, getattr(original, attribute))
            wrapper.__wrapped__ = original
            setattr(os, name, wrapper)


class ForkWrapper(functools.partial):
    """functools.partial (called in C, so no Python frame of ours) that prints as the function it wraps."""

    def __repr__(self) -> str:
        """The wrapped function's repr."""
        return repr(self.__wrapped__)


def wait_until_gone(thread: SaverThread, timeout: float = GONE_TIMEOUT) -> None:
    """Waits until the kernel no longer counts a joined thread (at most `timeout` seconds).

    join() returns before the OS thread has exited (3.12 and older wait for the thread state only, 3.13's
    pthread_join for the tid cleared on exit): the kernel keeps counting it for some microseconds, and a fork
    then would still be "multi-threaded".
    """
    native_id = getattr(thread, "native_id", None)
    if not native_id or thread.is_alive():
        return
    path = f"/proc/self/task/{native_id}"
    deadline = time.monotonic() + timeout
    while os.path.exists(path) and time.monotonic() < deadline:
        _sleep(0.0001)
