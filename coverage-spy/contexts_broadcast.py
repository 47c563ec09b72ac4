r"""Telling the measured processes of one run folder to switch their test context: the relay's side of the wire.

The measured processes listen each on its own unix socket, <run folder>/<service>/.ctx.<host>.pid<pid>.sock
(site/_coverage_spy/contexts.py, their side). A switch connects to every one at once, sends "<seq> <context>\n" and
waits at most ANSWER_TIMEOUT for "ok <seq>\n" from each; sockets nobody listens on any more (the process died without
removing its socket) are removed and skipped; a process that does not answer in time is named in the failures, and is
given LAGGING_TIMEOUT only at the next switch, until it answers in time again (a hung process costs 2 s once, not per
test).

Used where the processes' sockets are reachable as files: by the relay on Docker (contexts_relay.py, on the data
volume every service shares) and, on Kubernetes, by each measured pod's contexts sidecar
(kubernetes/contexts_pod.py, on the pod's data folder), so both tell the processes with the same code.
Standard library only, Python 3.11+.
"""

from __future__ import annotations

import os
import selectors
import socket
import sys
import time
from typing import cast

# The measured processes' side of the protocol (names, wire), from the spy's own folder, next to this one.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "site"))
from _coverage_spy.contexts import (  # noqa: E402
    ANSWER_TIMEOUT,
    SOCKET_PREFIX,
    SOCKET_SUFFIX,
    answer_line,
    connect_unix,
    request_line,
)

LAGGING_TIMEOUT = 0.1  # ANSWER_TIMEOUT, for a process that did not answer the previous switch in time


def process_sockets(run_folder: str) -> list[tuple[str, str]]:
    """(service folder, socket file name) of every process listening in the run: <run>/<service>/.ctx.*.sock."""
    found = []
    try:
        services = [entry.path for entry in os.scandir(run_folder) if entry.is_dir()]
    except FileNotFoundError:
        return []  # no run folder yet: no process either
    for folder in services:
        try:
            names = os.listdir(folder)
        except OSError:
            continue  # removed meanwhile, or not ours to read: no process of ours can listen there
        found.extend((folder, n) for n in names if n.startswith(SOCKET_PREFIX) and n.endswith(SOCKET_SUFFIX))
    return sorted(found)


def connect(path: str) -> socket.socket:
    """A blocking socket connected to the unix socket `path` (however long), with ANSWER_TIMEOUT."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(ANSWER_TIMEOUT)
        connect_unix(sock, path)
        return sock
    except BaseException:
        sock.close()
        raise


class _Pending:
    """A process told, whose answer is awaited."""

    def __init__(self, path: str, label: str, started: float, timeout: float) -> None:
        """The process at socket `path` (named `label`) has `timeout` s from `started` (time.monotonic()) to answer."""
        self.path = path
        self.label = label
        self.timeout = timeout
        self.deadline = started + timeout
        self.got = b""


class Broadcast:
    """One context switch told to every process of the run at once: connect and send to each, then wait for all."""

    def __init__(self, run_folder: str, seq: int, context: str) -> None:
        r"""Prepares the line "<seq> <context>\n" for the processes of `run_folder`."""
        self.run_folder = run_folder
        self.line = request_line(seq, context)
        self.expected = answer_line(seq)
        self.switched = 0
        self.failed: dict[str, str] = {}  # socket name (service/file) -> why
        self.timed_out: set[str] = set()  # socket paths of the processes that did not answer in time
        self.unremovable: list[tuple[str, str]] = []  # dead sockets this user may not delete: (path, why)

    def run(self, skip: dict[str, int], lagging: set[str]) -> None:
        """Tells every process and waits for their answers.

        skip: dead sockets this user cannot remove (path -> inode), not asked again while the file is the same.
        lagging: sockets whose process did not answer the previous switch in time: told, but given LAGGING_TIMEOUT
        only, so one hung process costs ANSWER_TIMEOUT once, not at every test.
        """
        waiting: dict[socket.socket, _Pending] = {}
        started = time.monotonic()
        for folder, name in process_sockets(self.run_folder):
            path = os.path.join(folder, name)
            if path in skip and skip[path] == inode(path):
                continue
            timeout = LAGGING_TIMEOUT if path in lagging else ANSWER_TIMEOUT
            self._send(_Pending(path, f"{os.path.basename(folder)}/{name}", started, timeout), waiting)
        self._collect(waiting)

    def _send(self, pending: _Pending, waiting: dict[socket.socket, _Pending]) -> None:
        """Connects to one process and sends the line; then its answer is awaited, unless it is gone or failed."""
        try:
            sock = connect(pending.path)
        except FileNotFoundError:
            return  # removed by its process since the listing: it has exited
        except ConnectionRefusedError:
            # Nobody listens: the process died without removing its socket (a live one listens before its socket
            # file has its name, see contexts.py).
            self._remove_dead(pending)
            return
        except OSError as e:  # a full backlog that stays full (TimeoutError), a file that is no socket, ...
            self.failed[pending.label] = f"cannot connect: {e.strerror or e}"
            return
        try:
            sock.sendall(self.line)
            sock.setblocking(False)
        except OSError as e:
            sock.close()
            self.failed[pending.label] = f"cannot send: {e.strerror or e}"
            return
        waiting[sock] = pending

    def _remove_dead(self, pending: _Pending) -> None:
        """Removes the socket of a process that is gone, so no later event asks it again."""
        try:
            os.unlink(pending.path)
        except FileNotFoundError:
            pass  # its process removed it meanwhile: gone all the same
        except OSError as e:
            self.unremovable.append((pending.path, e.strerror or str(e)))

    def _collect(self, waiting: dict[socket.socket, _Pending]) -> None:
        """Reads every answer until each process said "ok <seq>", closed, or its time was up."""
        with selectors.DefaultSelector() as selector:
            for sock in waiting:
                selector.register(sock, selectors.EVENT_READ)
            while waiting:
                now = time.monotonic()
                for sock, pending in list(waiting.items()):
                    if pending.deadline <= now:
                        self._done(selector, waiting, sock, f"no answer in {pending.timeout:g} s", timed_out=True)
                if not waiting:
                    break
                for key, _ in selector.select(min(p.deadline for p in waiting.values()) - now):
                    self._read(selector, waiting, cast(socket.socket, key.fileobj))

    def _read(
        self, selector: selectors.BaseSelector, waiting: dict[socket.socket, _Pending], sock: socket.socket
    ) -> None:
        """Reads what one process sent; once its line is complete (or it closed), it is done."""
        pending = waiting[sock]
        try:
            chunk = sock.recv(256)
        except BlockingIOError:
            return
        except OSError as e:
            self._done(selector, waiting, sock, f"connection lost: {e.strerror or e}")
            return
        if not chunk:
            self._done(selector, waiting, sock, f"closed after {pending.got!r}" if pending.got else "closed, no answer")
            return
        pending.got += chunk
        if b"\n" in pending.got or len(pending.got) >= 256:
            answer = pending.got.partition(b"\n")[0] + b"\n"
            why = None if answer == self.expected else f"answered {pending.got!r}, not {self.expected!r}"
            self._done(selector, waiting, sock, why)

    def _done(
        self,
        selector: selectors.BaseSelector,
        waiting: dict[socket.socket, _Pending],
        sock: socket.socket,
        why: str | None,
        timed_out: bool = False,
    ) -> None:
        """One process is done: switched (why None) or failed, for `why` (`timed_out`: it did not answer in time)."""
        pending = waiting.pop(sock)
        selector.unregister(sock)
        sock.close()
        if why is None:
            self.switched += 1
        else:
            self.failed[pending.label] = why
        if timed_out:
            self.timed_out.add(pending.path)


def inode(path: str) -> int | None:
    """The file's inode, or None when it is gone."""
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


class RunProcesses:
    """The measured processes of one run folder, told switch after switch: who lagged, which dead sockets stay."""

    def __init__(self, run_folder: str) -> None:
        """The processes listening in the service folders of `run_folder`."""
        self.run_folder = run_folder
        self.unremovable: dict[str, int] = {}  # dead sockets this user may not delete: path -> inode
        self.lagging: set[str] = set()  # sockets whose process did not answer the last switch in time

    def switch(self, seq: int, context: str) -> tuple[Broadcast, list[str]]:
        """Tells every process to switch to `context` (sequence `seq`); the broadcast and what is newly wrong.

        What is wrong: the dead sockets this user cannot remove, each said once (then no longer asked). The processes
        that did not switch are the broadcast's `failed`.
        """
        broadcast = Broadcast(self.run_folder, seq, context)
        broadcast.run(self.unremovable, self.lagging)
        self.lagging = broadcast.timed_out
        problems = []
        for path, why in broadcast.unremovable:
            found = inode(path)
            if found is not None and path not in self.unremovable:
                self.unremovable[path] = found
                problems.append(f"cannot remove the dead socket {path} ({why}): no longer asked")
        return broadcast, problems
