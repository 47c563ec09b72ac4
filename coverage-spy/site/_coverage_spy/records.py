"""The record files the spy leaves next to coverage.py's data files: the one definition of their format.

The spy writes them in every measured process (spy.py, saver.py); the harvester (harvest.py) and the signal helper
(signal_processes.py) read them. One JSON object per file, one file per process and kind:

    .start.<host>.pid<pid>.json   when measuring starts (also in forked children, and again after an exec):
                                  pid, host, command, executable, python, started, core, coverage, saveInterval,
                                  signals {snapshot, reset} (the numbers this process's libc gives them)
    .saves.<host>.pid<pid>.json   after every save while running: pid, saves, snapshot, reset (answered counts),
                                  lastSave, unfollowedConcurrency
    .end.<host>.pid<pid>.json     when the process left through exit, os._exit, SIGTERM or exec, data saved:
                                  pid, how, ended, unfollowedConcurrency
    .full.<host>.pid<pid>         empty: a save or a record of the process failed because the volume was full

unfollowedConcurrency lists the concurrency libraries the process ran that its core measured wrongly, because
[run] concurrency does not name them (greenlets.py): [] or ["gevent"]. Records of older spies lack it.

Times are Unix times. <host> is the host name with its dots replaced by "_", as coverage.py 7.11+ writes it in
its data file names (.coverage.<host>.pid<pid>.X<random>x), so a record pairs with its process's data files.
A record is written whole (a temporary file renamed over the name), so a reader never sees part of one.

Also here: where a run's data lives on the data volume (runs/<run id>/<service>/), which the harvester creates
and the signal helper reads. Standard library only: this module is imported inside measured apps too.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import json
import os
import re
import socket
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only for annotations: every measured process imports this module
    from collections.abc import Iterable

START = "start"
SAVES = "saves"
END = "end"
KINDS = (START, SAVES, END)

# The data volume: one folder per run, one sub-folder per service, which holds the data files and the records.
RUNS = "runs"

# A process: (host as in the record names, pid).
ProcessKey = tuple[str, int]
Record = dict[str, Any]

# How coverage.py's parallel data file names begin. 7.11+: ".coverage.<host with dots as _>.pid<pid>.X<random>x"
# (".H<hash>h" added once written); 7.10, the spy lib's build for Python 3.9 and 3.10:
# ".coverage.<host>.<pid>.X<random>x". Only the beginning: SQLite's "-journal" file of a data file is the process's too.
_DATA_FILE = re.compile(r"\.coverage\.(?P<host>[^.]+)\.pid(?P<pid>\d+)\.")
_LEGACY_DATA_FILE = re.compile(r"\.coverage\.(?P<host>.+)\.(?P<pid>\d+)\.X")


def host_name() -> str:
    """The host name as the record names carry it (and coverage.py's data file names): dots replaced by "_"."""
    return socket.gethostname().replace(".", "_")


def service_folder(data_dir: str, run_id: str, service: str) -> str:
    """The folder of one service's data files and records in one run, under the data volume `data_dir`."""
    return os.path.join(data_dir, RUNS, run_id, service)


#: A run's and a service's data folders: any app user may write there (services run as any user); sticky, so no
#: process deletes another's files.
SHARED_FOLDER_MODE = 0o1777


def ensure_folder(folder: str) -> None:
    """Creates a service's data folder, and its run's, if no process made them yet (the first process of a run does).

    Each level is made whole with its mode (the umask cleared while it is made), so a process of another user that
    finds it never finds it unwritable. `runs/` itself must exist: the data volume's one-time set-up makes it.
    """
    if os.path.isdir(folder):
        return
    mask = os.umask(0)
    try:
        for level in (os.path.dirname(folder), folder):
            with contextlib.suppress(FileExistsError):
                os.mkdir(level, SHARED_FOLDER_MODE)
    finally:
        os.umask(mask)


def record_name(kind: str, key: ProcessKey) -> str:
    """The file name of one process's record of one kind."""
    host, pid = key
    return f".{kind}.{host}.pid{pid}.json"


def this_process() -> ProcessKey:
    """The key of the calling process."""
    return host_name(), os.getpid()


def write(folder: str, kind: str, record: Record) -> None:
    """Writes this process's record of one kind whole: a reader sees the old record or the new one, never part."""
    path = os.path.join(folder, record_name(kind, this_process()))
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(record, f)
    os.replace(tmp, path)


def remove(folder: str, kind: str) -> None:
    """Removes this process's record of one kind, if there is one."""
    # None to remove is what the caller wants too.
    with contextlib.suppress(FileNotFoundError):
        os.remove(os.path.join(folder, record_name(kind, this_process())))


def read_all(folder: str, kind: str) -> dict[ProcessKey, Record]:
    """Every record of one kind in a folder, by process."""
    found = {}
    for path in glob.glob(os.path.join(folder, f".{kind}.*.pid*.json")):
        host, _, pid = os.path.basename(path)[len(kind) + 2 : -len(".json")].rpartition(".pid")
        try:
            with open(path) as f:
                found[(host, int(pid))] = json.load(f)
        except (OSError, ValueError):
            # Gone since the glob (a reset deletes ended processes' records, a start record its old end record) or
            # not a record of ours (the pid is no number): either way no record of a process to report.
            continue
    return found


# An empty file a process leaves when it found the data volume full (a save or a record failed for want of space):
# .full.<host>.pid<pid>. Empty, as making it needs no space the full volume no longer has; the harvest counts them.
FULL = "full"
# SQLite's primary result code for "database or disk is full" (SQLITE_FULL), which coverage.py's data file raises.
_SQLITE_FULL = 13


def is_disk_full(error: BaseException) -> bool:
    """Whether an error, or one it was raised from, says the filesystem is full (ENOSPC, EDQUOT, SQLITE_FULL)."""
    seen: set[int] = set()
    found: BaseException | None = error
    while found is not None and id(found) not in seen:
        seen.add(id(found))
        if isinstance(found, OSError) and found.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        code = getattr(found, "sqlite_errorcode", None)
        if isinstance(code, int) and code & 0xFF == _SQLITE_FULL:
            return True
        found = found.__cause__ or found.__context__
    return False


def full_mark_name(key: ProcessKey) -> str:
    """The file name of one process's FULL mark."""
    host, pid = key
    return f".{FULL}.{host}.pid{pid}"


def mark_full(folder: str) -> None:
    """Leaves this process's empty FULL mark in `folder`. Never raises: the volume may not take even that."""
    with contextlib.suppress(OSError):
        os.close(os.open(os.path.join(folder, full_mark_name(this_process())), os.O_WRONLY | os.O_CREAT, 0o666))


def full_marks(folder: str) -> list[ProcessKey]:
    """The processes that left a FULL mark in a folder."""
    found = []
    for path in glob.glob(os.path.join(folder, f".{FULL}.*.pid*")):
        host, _, pid = os.path.basename(path)[len(FULL) + 2 :].rpartition(".pid")
        if pid.isdigit():
            found.append((host, int(pid)))
    return sorted(found)


def data_file_owner(name: str) -> ProcessKey | None:
    """The process that wrote a coverage.py data file (its base name), or None for any other file name."""
    match = _DATA_FILE.match(name) or _LEGACY_DATA_FILE.match(name)
    if match is None:
        return None
    return match["host"].replace(".", "_"), int(match["pid"])


#: The host of a killed process set aside (set_aside_killed): its host with "-k<n>" added, a valid host in the names.
KILLED_SUFFIX = "-k"


def set_aside_killed(folder: str) -> ProcessKey | None:
    """Gives the files of a killed earlier process with this process's key a key of their own; returns that key.

    A container restarted in place (the kubelet restarts a pod's SIGKILLed or OOM-killed container in the same pod,
    whose data folder outlives it) starts its processes with the killed ones' host name and, in a new pid namespace,
    often their pids. Without this, the new process's records would replace the killed one's, which would then be
    counted as the new one: its data kept, but no longer reported interrupted. An earlier process that wrote its end
    record (the same process before an exec, or a recycled pid of one that ended) is replaced as before: None.
    """
    host, pid = key = this_process()
    start = os.path.join(folder, record_name(START, key))
    if not os.path.exists(start) or os.path.exists(os.path.join(folder, record_name(END, key))):
        return None
    n = 1
    while os.path.exists(os.path.join(folder, record_name(START, (f"{host}{KILLED_SUFFIX}{n}", pid)))):
        n += 1
    aside = (f"{host}{KILLED_SUFFIX}{n}", pid)
    # Its data files first and its start record last: a reader in between sees a process with data, never without.
    for name in os.listdir(folder):
        match = _DATA_FILE.match(name) or _LEGACY_DATA_FILE.match(name)
        if match is not None and data_file_owner(name) == key:
            moved = f"{name[: match.end('host')]}{KILLED_SUFFIX}{n}{name[match.end('host') :]}"
            os.replace(os.path.join(folder, name), os.path.join(folder, moved))
    for name, moved in (
        (full_mark_name(key), full_mark_name(aside)),
        (record_name(SAVES, key), record_name(SAVES, aside)),
    ):
        with contextlib.suppress(FileNotFoundError):
            os.replace(os.path.join(folder, name), os.path.join(folder, moved))
    os.replace(start, os.path.join(folder, record_name(START, aside)))
    return aside


def process_files(folder: str, keys: Iterable[ProcessKey]) -> list[str]:
    """The paths of every file some processes left in a folder: their data files, records and FULL marks.

    The folder is listed once, whatever the number of processes: after a reset of a service that started a
    thousand of them, one per process took seconds.
    """
    wanted = set(keys)
    names = {record_name(kind, key) for kind in KINDS for key in wanted} | {full_mark_name(key) for key in wanted}
    return sorted(
        os.path.join(folder, name) for name in os.listdir(folder) if name in names or data_file_owner(name) in wanted
    )


def start_record(core: str | None, save_interval: float, signals: dict[str, int | None]) -> Record:
    """The start record of the calling process, measured with `core` by the coverage.py it imported."""
    return {
        "pid": os.getpid(),
        "host": host_name(),
        "command": command_line(),
        "executable": sys.executable,
        "python": sys.version.split()[0],
        "started": time.time(),
        "core": core,
        "coverage": getattr(sys.modules.get("coverage"), "__version__", None),
        "saveInterval": save_interval,
        "signals": signals,
    }


def saves_record(counts: dict[str, int], unfollowed: list[str] | None = None) -> Record:
    """The saves record of the calling process: how many saves, and how many snapshot and reset requests it did.

    `unfollowed`: the concurrency libraries it ran that its core did not follow, so far.
    """
    return dict(counts, pid=os.getpid(), lastSave=time.time(), unfollowedConcurrency=list(unfollowed or []))


def end_record(how: str, unfollowed: list[str] | None = None) -> Record:
    """The end record of the calling process, which leaves through `how` ("exit", "os._exit", "sigterm", ...).

    `unfollowed`: the concurrency libraries it ran that its core did not follow.
    """
    return {"pid": os.getpid(), "how": how, "ended": time.time(), "unfollowedConcurrency": list(unfollowed or [])}


def unfollowed_concurrency(*found: Record | None) -> list[str]:
    """The concurrency libraries one process's core did not follow, as its records say, in the order first named.

    `found`: its saves and end records, None for one it has not written.
    """
    libraries: list[str] = []
    for record in found:
        for name in (record or {}).get("unfollowedConcurrency") or []:
            if name not in libraries:
                libraries.append(name)
    return libraries


def command_line() -> list[str]:
    """The calling process's command line as the kernel has it (with the interpreter), or sys.argv without /proc."""
    try:
        with open("/proc/self/cmdline", "rb") as f:
            return [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return list(getattr(sys, "argv", []))
