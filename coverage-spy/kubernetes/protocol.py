"""What the shipper (shipper.py) and the collector (collector.py) agree on: the paths and the file names they move.

On Kubernetes each pod of a measured service keeps its data in its own emptyDir, laid out as the data volume is on
Docker (runs/<run id>/<service>/, see site/_coverage_spy/records.py). Its sidecar, the shipper, sends the files of
that folder to the collector over HTTP; the collector writes them under the same path on the stack's data volume:

    PUT    /runs/<run id>/<service>/<file name>   body: the file's bytes   -> 200 {"ok": true, "bytes": N}
    DELETE /runs/<run id>/<service>/<file name>                            -> 200 {"ok": true, "removed": bool}
    GET    /healthz                                                        -> 200 {"ok": true}
    a path or name the spy does not write -> 400 {"error": why}

Only the spy's own files travel: coverage.py's data files and the spy's records (names below). Every part of a path
is checked whole against these patterns, so no path can leave the run's folder on the volume.
The host in the names is the pod's name (a pod's host name), so the files of pods on different nodes never collide.
"""

from __future__ import annotations

import os
import re
import sys

# The spy's record format and folder layout, from the spy's own folder (coverage-spy/site, next to this one).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "site"))
from _coverage_spy import records  # noqa: E402

RUNS = records.RUNS

# A run id as the component allows it (components/options/validation.ts, RUN_ID).
RUN_ID = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}")
# A service name as the component allows it (validation.ts: a Docker name of at most 63 characters).
SERVICE = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}")

# A host as the names carry it: a pod's name (DNS labels), its dots replaced by "_" (records.host_name).
_HOST = r"[A-Za-z0-9_-]{1,253}"
# coverage.py 7.11+'s data file: .coverage.<host>.pid<pid>.X<6 random>x, .H<10 hash>h added once written
# (coverage/sqldata.py filename_suffix, SUFFIX_PATTERN); the 7.10 build for Python 3.9 and 3.10 writes
# .coverage.<host as is>.<pid>.X<6 letters>x.
_HASHED = re.compile(rf"(?P<stem>\.coverage\.{_HOST}\.pid\d{{1,10}}\.X[A-Za-z0-9]{{6}}x)(\.H[A-Za-z0-9]{{10}}h)?")
_NAMES = (
    _HASHED.pattern,
    r"\.coverage\.[A-Za-z0-9_.-]{1,253}\.\d{1,10}\.X[A-Za-z]{6}x",
    rf"\.({'|'.join(records.KINDS)})\.{_HOST}\.pid\d{{1,10}}\.json",
    rf"\.{records.FULL}\.{_HOST}\.pid\d{{1,10}}",
)
_SPY_FILE = re.compile("|".join(f"(?:{name})" for name in _NAMES))
DATA_FILE_PREFIX = ".coverage."

NAMES_HELP = (
    ".coverage.<host>.pid<pid>.X<random>x[.H<hash>h] (coverage.py's data files), .start|saves|end.<host>.pid<pid>.json"
    " and .full.<host>.pid<pid> (the spy's records)"
)


class BadPath(ValueError):
    """A path the collector refuses; the message says which part and why."""


def is_spy_file(name: str) -> bool:
    """Whether a file name is one the spy writes into a service's data folder, and so one that is shipped."""
    return _SPY_FILE.fullmatch(name) is not None


def is_data_file(name: str) -> bool:
    """Whether a spy file is one of coverage.py's data files (a SQLite database), not a record."""
    return name.startswith(DATA_FILE_PREFIX)


def data_file_stem(name: str) -> str | None:
    """The name a coverage.py 7.11+ data file had before the hash of its data went into it, or None for another file.

    coverage.py renames its data file when a save changed the data (a new hash), so the names with one stem are the
    states of one process's one data file, and the newest holds everything the older ones held.
    """
    match = _HASHED.fullmatch(name)
    return match["stem"] if match else None


def file_path(run_id: str, service: str, name: str) -> str:
    """The URL path of one file of one service's folder in one run."""
    return f"/{RUNS}/{run_id}/{service}/{name}"


def parse_file_path(path: str) -> tuple[str, str, str]:
    """(run id, service, file name) of a URL path, each part checked whole; BadPath says what is wrong."""
    parts = path.split("/")
    if len(parts) != 5 or parts[0] != "" or parts[1] != RUNS:
        raise BadPath(f"expected /{RUNS}/<run id>/<service>/<file name> (4 parts), got {path!r}")
    _, _, run_id, service, name = parts
    if not RUN_ID.fullmatch(run_id):
        raise BadPath(f'run id {run_id!r} must be 1-64 letters, digits, "_", ".", "-", the first a letter or digit')
    if not SERVICE.fullmatch(service):
        raise BadPath(f'service {service!r} must be 1-63 letters, digits, "_", ".", "-", the first a letter or digit')
    if not is_spy_file(name):
        raise BadPath(f"file name {name!r} is not one the spy writes: {NAMES_HELP}")
    return run_id, service, name
