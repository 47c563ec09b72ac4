r"""Per-test contexts in a measured process: it switches coverage.py's dynamic context when the relay says so.

A test runner on the host tells the relay (coverage-spy/contexts_relay.py) when each test starts and ends; the relay
tells every measured process of the run, each through its own unix socket, and answers the runner once all have
switched, so the lines of the next test are recorded under its name. The protocol the relay and the processes share:

    <run folder>/.context                          {"context": NAME, "seq": N}, replaced atomically by the relay
                                                   before each broadcast; absent: OUTSIDE, seq 0
    <service folder>/.ctx.<host>.pid<pid>.sock     one listening AF_UNIX stream socket per measured process
    wire                                           the relay sends "<seq> <name>\n"; the process switches, answers
                                                   "ok <seq>\n" and closes

The run folder is the parent of the service folder, which holds COVERAGE_FILE. With `contexts = true` in the
[coverage_spy] section, ContextListener binds the socket first, then reads .context and switches to it, then serves
the socket from a background thread: a relay that lists the sockets after writing .context either finds this one
(and tells it) or was done before the read (which then sees its context). The socket is bound under a temporary
name and renamed once it listens, so the relay never finds a live process's socket refusing. Forked children
(forks.py) bind their own socket and read .context again; at exit the socket file is removed (spy.py).

Like the saver, the thread and the sockets are made from what _thread and _socket were when the spy started:
gevent's monkey-patching replaces socket.socket and _thread's functions, and a listener made of those would be a
greenlet whose accept() serves only while the app's hub runs (saver.py tells what else went wrong with such
threads). The relay and the harvester (outside any measured process) import what they share with this side from
here: OUTSIDE, CONTEXT_FILE, EVENT_LOG, SOCKET_PREFIX, SOCKET_SUFFIX, SOCKET_GLOB, TEMP_SUFFIX, SUN_PATH_MAX,
ANSWER_TIMEOUT; socket_name, socket_path, socket_owner, run_folder_of; load_context, read_context, write_context;
bind_unix, connect_unix; the wire's request_line, parse_request, answer_line. Standard library only; nothing here
raises into the app.
"""

from __future__ import annotations

import _socket
import contextlib
import json
import os
import re
import sys
from typing import TYPE_CHECKING, Any, Callable

from _coverage_spy import records
from _coverage_spy.problems import warn_once
from _coverage_spy.saver import STOP_TIMEOUT, SaverThread

if TYPE_CHECKING:
    from _coverage_spy.saver import Saver

# The context of every line run at start-up, between tests, or when no runner speaks.
OUTSIDE = "(no test)"
# In the run folder: the current context, for the processes that start (or fork) after it was broadcast.
CONTEXT_FILE = ".context"
# In the run folder: the relay's event log, one JSON object per line (read by the harvester's contexts_index.py).
EVENT_LOG = "contexts.jsonl"
# <service folder>/.ctx.<host>.pid<pid>.sock, <host> as the record names carry it (records.host_name()).
SOCKET_PREFIX = ".ctx."
SOCKET_SUFFIX = ".sock"
SOCKET_GLOB = f"{SOCKET_PREFIX}*.pid*{SOCKET_SUFFIX}"
# A process binds its socket under its name with this added, and renames it once it listens.
TEMP_SUFFIX = ".tmp"
_SOCKET_NAME = re.compile(r"\.ctx\.(?P<host>[^/]+)\.pid(?P<pid>\d+)\.sock\Z")
# sun_path holds 108 bytes on Linux, the terminating NUL included: longer paths go through /proc/self/fd.
SUN_PATH_MAX = 107
# How long the relay waits for a process's answer; also how long the process waits for the relay's line.
ANSWER_TIMEOUT = 2.0
# The longest request line read: a context name is a test's name, never this long.
MAX_LINE = 1 << 16
# Connections the kernel queues while the thread is busy or stopped around a fork (the relay sends one at a time).
BACKLOG = 64
# The cores that DISABLE a line after its first event (sys.monitoring), by the names the spy knows them under.
SYSMON_CORES = {"SysMonitor", "sysmon"}
# coverage.py's warning when a context is switched under sysmon, which the restart_events() makes needless.
SYSMON_CONTEXT_WARNING = "no-sysmon-context"
# The listener's problems have their own "once" (problems.py): one must not silence a later report that the spy
# failed, nor the other way round.
WARN_TOPIC = "contexts"

# The real socket type, taken before the app can monkey-patch the socket module (_socket itself is never patched).
_socket_type = _socket.socket
_monitoring = getattr(sys, "monitoring", None)  # Python 3.12+


def socket_name(host: str, pid: int) -> str:
    """The file name of the listening socket of process `pid` on `host` (as records.host_name() gives it)."""
    return f"{SOCKET_PREFIX}{host}.pid{pid}{SOCKET_SUFFIX}"


def socket_path(folder: str, host: str, pid: int) -> str:
    """The path of the listening socket of process `pid` on `host`, in its service folder `folder`."""
    return os.path.join(folder, socket_name(host, pid))


def socket_owner(name: str) -> tuple[str, int] | None:
    """(host, pid) of a socket file name (its base name); None for any other name."""
    match = _SOCKET_NAME.match(name)
    return (match["host"], int(match["pid"])) if match else None


def run_folder_of(service_folder: str) -> str:
    """The run folder of a service folder: the one holding .context and the event log."""
    return os.path.dirname(os.path.abspath(service_folder))


def load_context(run_folder: str) -> tuple[str, int]:
    """The run's current (context, seq) from its .context file; (OUTSIDE, 0) when there is none.

    Raises OSError when it cannot be read, ValueError when it is not what the relay writes.
    """
    try:
        with open(os.path.join(run_folder, CONTEXT_FILE), encoding="utf-8") as f:
            current = json.load(f)
    except FileNotFoundError:
        return OUTSIDE, 0
    if not isinstance(current, dict) or not isinstance(current.get("context"), str):
        raise ValueError(f"{CONTEXT_FILE} holds no context name: {current!r}")
    seq = current.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool):
        raise ValueError(f"{CONTEXT_FILE} holds no seq number: {current!r}")
    return current["context"], seq


def read_context(run_folder: str) -> tuple[str, int]:
    """The run's current (context, seq); (OUTSIDE, 0) when there is no .context or it cannot be read."""
    try:
        return load_context(run_folder)
    except (OSError, ValueError):
        return OUTSIDE, 0


def write_context(run_folder: str, context: str, seq: int) -> None:
    """Replaces the run's .context atomically (temp file + rename), readable by every app user."""
    # Before the run's first process: made as that process would make it, so the services can still make theirs.
    records.ensure_folder(run_folder)
    path = os.path.join(run_folder, CONTEXT_FILE)
    temp = f"{path}.tmp{os.getpid()}"
    with open(temp, "w", encoding="utf-8") as f:
        json.dump({"context": context, "seq": seq}, f)
    os.chmod(temp, 0o644)
    os.replace(temp, path)


def request_line(seq: int, context: str) -> bytes:
    r"""What the relay sends a process: "<seq> <context>\n" in UTF-8."""
    if "\n" in context:
        raise ValueError(f"a context name holds no newline: {context!r}")
    return f"{seq} {context}\n".encode()


def parse_request(line: bytes) -> tuple[int, str]:
    r"""(seq, context) of a request line "<seq> <context>\n"; ValueError when it is not one."""
    text = line.decode("utf-8")
    seq, sep, context = text.partition(" ")
    if not sep or not text.endswith("\n") or not (seq.isascii() and seq.isdigit()):
        raise ValueError(f"not a context request: {line[:100]!r}")
    return int(seq), context[:-1]


def answer_line(seq: int) -> bytes:
    r"""What a process answers once switched: "ok <seq>\n"."""
    return f"ok {seq}\n".encode()


def bind_unix(sock: Any, path: str) -> None:
    """sock.bind(path), through /proc/self/fd/<dir fd>/<name> when `path` is too long for sun_path."""
    _through_folder(sock.bind, path)


def connect_unix(sock: Any, path: str) -> None:
    """sock.connect(path), through /proc/self/fd/<dir fd>/<name> when `path` is too long for sun_path."""
    _through_folder(sock.connect, path)


def _through_folder(call: Callable[[str], None], path: str) -> None:
    """call(path), or call() on the same file named through an open descriptor of its folder when it is too long."""
    if len(os.fsencode(path)) <= SUN_PATH_MAX:
        call(path)
        return
    folder, name = os.path.split(path)
    # The kernel resolves the /proc link to the folder itself: the socket file is made (or found) in it.
    dir_fd = os.open(folder or os.curdir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        call(f"/proc/self/fd/{dir_fd}/{name}")
    finally:
        os.close(dir_fd)


class ContextListener:
    """One per process: its socket, the thread serving it, and the switching. Re-armed in forked children.

    It has the saver's start/stop/new_process/thread, so forks.ForkGuard stops and restarts both alike.
    """

    def __init__(self, cov: Any, saver: Saver, folder: str, core: str | None) -> None:
        """Switches `cov`'s context (a started coverage.Coverage measuring with `core`); socket in `folder`.

        Every switch takes `saver`'s lock (looked up each time: a forked child's saver has a new one).
        """
        self.cov = cov
        self.saver = saver
        self.folder = folder
        # sys.monitoring DISABLEs each line's event after its first one: a line seen in an earlier context would
        # never be recorded in a later one. restart_events() after a switch turns them all on again.
        self.restart = core in SYSMON_CORES and _monitoring is not None
        if self.restart:
            _quiet_sysmon_context_warning(cov)
        # Whether this process listens: from install() until close().
        self.active = False
        self.sock: Any = None
        self.path: str | None = None
        self.thread: SaverThread | None = None
        # The context it switched to last, and the seq that asked for it (0: read from .context, or none yet).
        self.context: str | None = None
        self.seq = 0

    def install(self) -> None:
        """Binds the socket, switches to the run's current context, then serves the socket. Never raises."""
        self.active = True
        self.open()
        self.start()

    def open(self) -> None:
        """Binds this process's socket (first), then switches to the context .context names. Never raises."""
        self._bind()
        try:
            context, seq = load_context(run_folder_of(self.folder))
        except (OSError, ValueError) as exc:
            warn_once(f"the current test context cannot be read ({exc!r}); lines count as {OUTSIDE}", WARN_TOPIC)
            context, seq = OUTSIDE, 0
        self.switch(context, seq)

    def _bind(self) -> None:
        """Makes this process's listening socket, replacing a stale file of the same name. Never raises."""
        path = socket_path(self.folder, records.host_name(), os.getpid())
        # Bound and listening under a name the relay does not list, then renamed: the relay never finds a socket
        # of a live process that refuses (it takes those for dead and removes them).
        temp = path + TEMP_SUFFIX
        try:
            sock = _socket_type(_socket.AF_UNIX, _socket.SOCK_STREAM)
            try:
                # accept() blocks: not the default timeout an app may have set with socket.setdefaulttimeout.
                sock.settimeout(None)
                # Our pid and host in the name: a file there was left by a killed process of a recycled pid, or by
                # this pid's program before an exec. bind() would fail on it; the rename replaces it.
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temp)
                bind_unix(sock, temp)
                sock.listen(BACKLOG)
                os.replace(temp, path)
            except BaseException:
                sock.close()
                with contextlib.suppress(OSError):
                    os.unlink(temp)
                raise
        except Exception as exc:  # noqa: BLE001 - the process is measured on, in one context
            warn_once(f"cannot listen for test contexts on {path} ({exc!r}); its lines stay in one context", WARN_TOPIC)
            return
        self.sock, self.path = sock, path

    def switch(self, context: str, seq: int = 0) -> bool:
        """Records the lines run from now on under `context`. Returns whether it did. Never raises."""
        try:
            # Under the saver's lock: a save flushes the lines collected so far into the current context, and must
            # not interleave with a switch that flushes them and changes it.
            with self.saver.lock:
                if self.saver.finished:
                    return False
                self.cov.switch_context(context)
                if self.restart:
                    _monitoring.restart_events()
        except Exception as exc:  # noqa: BLE001 - anything coverage.py raises: report it, measure on
            warn_once(f"the test context could not be switched to {context!r} ({exc!r})", WARN_TOPIC)
            return False
        self.context, self.seq = context, seq
        return True

    def start(self) -> None:
        """Serves the socket from a background thread, unless it runs or this process does not listen. Never raises."""
        if self.thread is not None or not self.active:
            return
        if self.sock is None:
            # Shut down by stop() (its file was gone), or never bound: bind anew, and catch up on the broadcasts
            # missed meanwhile.
            self.open()
            if self.sock is None:
                return
        sock = self.sock
        thread = SaverThread(lambda: self._serve(sock, thread))
        self.thread = thread
        try:
            thread.start()
        except Exception as exc:  # noqa: BLE001 - no thread: the process is measured on, without following tests
            self.thread = None
            warn_once(f"the test context listener did not start ({exc!r}); lines stay in one context", WARN_TOPIC)

    def _serve(self, sock: Any, thread: SaverThread) -> None:
        """The thread's body: answers one connection at a time until stop() or close() replaced `thread`."""
        while self.thread is thread:
            try:
                fd, _ = sock._accept()
            except OSError as exc:
                if self.thread is thread:  # else: shut down by stop() or close(), as asked
                    warn_once(f"the test context listener stopped ({exc!r}); lines stay in one context", WARN_TOPIC)
                return
            try:
                conn = _socket_type(_socket.AF_UNIX, _socket.SOCK_STREAM, 0, fd)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    os.close(fd)
                warn_once(f"a test context request failed ({exc!r})", WARN_TOPIC)
                continue
            try:
                self._answer(conn)
            except Exception as exc:  # noqa: BLE001 - a thread of ours: an exception would print a traceback
                # A relay that gave up (its 2 s passed) or sent something else: it counts this process as failed.
                warn_once(f"a test context request failed ({exc!r})", WARN_TOPIC)
            finally:
                with contextlib.suppress(OSError):
                    conn.close()

    def _answer(self, conn: Any) -> None:
        """Reads one request from `conn`, switches, answers. Nothing for the empty connection of stop()'s wake-up."""
        conn.settimeout(ANSWER_TIMEOUT)
        line = b""
        while b"\n" not in line and len(line) < MAX_LINE:
            chunk = conn.recv(4096)
            if not chunk:
                break
            line += chunk
        if not line:
            return
        head, newline, _ = line.partition(b"\n")
        seq, context = parse_request(head + newline)
        if self.switch(context, seq):
            conn.sendall(answer_line(seq))

    def stop(self) -> SaverThread | None:
        """Stops the thread (a request in progress is answered first, within STOP_TIMEOUT); returns it, or None.

        The socket stays bound: the relay's connections wait in its backlog until start() serves them again.
        """
        thread, self.thread = self.thread, None
        if thread is not None:
            shut = self._wake(thread)
            thread.join(STOP_TIMEOUT)
            if shut is not None:
                with contextlib.suppress(OSError):
                    shut.close()
        return thread

    def _wake(self, thread: SaverThread) -> Any:
        """Makes the thread's blocking accept() return: by connecting (and hanging up), or by shutting it down.

        Returns the socket it shut down, for the caller to close once the thread is gone; None when it connected.
        """
        if not thread.is_alive() or self.sock is None or self.path is None:
            return None
        try:
            waker = _socket_type(_socket.AF_UNIX, _socket.SOCK_STREAM)
            try:
                waker.setblocking(False)
                connect_unix(waker, self.path)
            finally:
                waker.close()
        except BlockingIOError:
            pass  # a full backlog: accept() returns at once anyway, and the thread then sees it was stopped
        except OSError:
            # The file is gone (or is no longer a socket of ours): shut the socket down, which wakes accept() at
            # once but ends the socket for good; start() binds a new one.
            sock, self.sock = self.sock, None
            with contextlib.suppress(OSError):
                sock.shutdown(_socket.SHUT_RDWR)
            return sock
        return None

    def new_process(self) -> None:
        """In a forked child (before start()): its own socket for its own pid, and the run's current context.

        The inherited socket is the parent's: its descriptor is closed, and neither its file is removed nor is it
        shut down (that would end the parent's too). Never raises.
        """
        self.thread = None
        inherited, self.sock = self.sock, None
        if inherited is not None:
            with contextlib.suppress(OSError):
                inherited.close()
        if self.active:
            self.open()

    def close(self) -> None:
        """The process leaves: stops serving, closes the socket and removes its file. Never raises."""
        self.active = False
        thread, self.thread = self.thread, None
        sock, self.sock = self.sock, None
        path, self.path = self.path, None
        if path is not None:
            # First: a relay listing the sockets now finds none rather than one that refuses.
            with contextlib.suppress(OSError):
                os.unlink(path)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(_socket.SHUT_RDWR)  # wakes accept() at once; nothing is left to answer
            if thread is not None:
                thread.join(STOP_TIMEOUT)
            with contextlib.suppress(OSError):
                sock.close()

    def reopen(self) -> None:
        """Listens again after close(), when the process did not leave after all (its exec failed). Never raises."""
        if self.active:
            return
        self.active = True
        self.open()
        self.start()


def _quiet_sysmon_context_warning(cov: Any) -> None:
    """Turns off coverage.py's "Dynamic contexts aren't supported with core=sysmon" warning for `cov`.

    It warns because of the DISABLEd lines, which the listener's restart_events() turns on again after each switch.
    coverage.py reads [run] disable_warnings into a private set once it has warned about anything: add it to both.
    """
    try:
        disabled = cov.config.disable_warnings
        if SYSMON_CONTEXT_WARNING not in disabled:
            disabled.append(SYSMON_CONTEXT_WARNING)
        slugs = getattr(cov, "_no_warn_slugs", None)
        if isinstance(slugs, set) and slugs:
            slugs.add(SYSMON_CONTEXT_WARNING)
    except Exception:  # noqa: BLE001, S110
        # Another coverage.py release without these attributes: it then warns once per process, and measures right.
        pass
