r"""coverage-spy's shipper on Kubernetes: sends a pod's coverage data to the stack's collector while the pod runs.

    shipper.py --collector http://HOST:PORT --data-dir D --run-id R --service S --interval SECONDS
               --final-timeout SECONDS

It runs in a sidecar of each measured pod (a native sidecar: the kubelet stops it only after the app's containers
exited), with the pod's emptyDir mounted read-only at D. The spy in the app writes its data files and records into
D/runs/R/S/ as on Docker; every `interval` seconds this sends each of the spy's files there that is new or changed
since it last sent it to the collector (collector.py, protocol.py), and asks the collector to remove the files the
pod's processes renamed or removed (coverage.py renames its data file when the data in it changes), so the collector
holds what the folder holds. When the pod stops it gets SIGTERM after the app saved and left: one last round, tried
again for at most `final-timeout` seconds while the collector does not answer; then it exits 0, or 1 naming the
files the collector did not take. The emptyDir, and every file not shipped, goes with the pod.

A data file is a SQLite database its process may be writing at that moment: what is sent is a consistent copy, made
with SQLite's backup API from a read-only connection (the writer's locks keep it from seeing a save half done), and
checked (PRAGMA integrity_check, coverage.py's schema) before it leaves. A file that is not yet a whole data file (a
process creating it, or one killed while writing it) is tried again next round; the collector keeps the copy it had.
The records are written whole by renaming, so they are sent as they are. Nothing else in the folder is sent.

A collector that does not answer (restarting, say) is tried again next round; nothing is lost while the pod lives.
Standard library only. One line on stderr per round that shipped or removed something, with counts and bytes, one
when the collector stops answering, and a last one after SIGTERM saying how the last rounds ended; `kubectl logs`
shows them.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import pathlib
import signal
import sqlite3
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Callable

from protocol import RUN_ID, SERVICE, file_path, is_data_file, is_spy_file, records

# How long one request may take, and SQLite may wait for a writer's lock, before the round gives up on it.
REQUEST_TIMEOUT = 30.0
BUSY_TIMEOUT = 10.0
# After SIGTERM, between two tries of a collector that did not answer.
RETRY_PAUSE = 0.5
# A file changed this recently may change again within the same tick of the file system's clock without its
# size or time changing: it is shipped again next round (as git treats "racily clean" files).
RACY_NS = 1_000_000_000
# Shipped first: the data, then the records, so the collector never holds an end record without the data before it.
ORDER = ("coverage", records.START, records.SAVES, records.END, records.FULL)

# (size, modification time, inode) of a file when it was read for shipping; None: ship it again next round.
Seen = tuple[int, int, int] | None


def log(message: str) -> None:
    """One line on stderr, where `kubectl logs` shows it."""
    print(f"coverage-spy shipper: {message}", file=sys.stderr, flush=True)


class NotReady(Exception):
    """A data file that is not a whole coverage.py database yet (or any more); the message says what is wrong."""


class Vanished(Exception):
    """A file its process renamed or removed since the folder was listed: its new name is in the next listing."""


class Unreachable(Exception):
    """The collector did not answer; the message says why."""


def snapshot_database(path: str) -> bytes:
    """A consistent, checked copy of a coverage.py data file that a process may be writing; NotReady if it is none."""
    uri = pathlib.Path(os.path.abspath(path)).as_uri() + "?mode=ro"
    try:
        source = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT, isolation_level=None)
    except sqlite3.Error as e:
        raise (NotReady(str(e)) if os.path.exists(path) else Vanished(path)) from None
    try:
        # The read lock first, through SQLite's busy handler, which gives up after BUSY_TIMEOUT: the backup's own
        # wait for a writer's lock would never end while the writer holds it.
        source.execute("BEGIN")
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        copy = sqlite3.connect(":memory:")
        try:
            source.backup(copy)
            check_database(copy)
            return serialize(copy)
        finally:
            copy.close()
    except sqlite3.Error as e:
        raise (NotReady(str(e)) if os.path.exists(path) else Vanished(path)) from None
    finally:
        source.close()


def check_database(copy: sqlite3.Connection) -> None:
    """NotReady unless the copy is a whole SQLite database with coverage.py's schema in it."""
    if copy.execute("SELECT count(*) FROM sqlite_master WHERE name = 'coverage_schema'").fetchone()[0] == 0:
        raise NotReady("no coverage.py schema in it yet")
    if copy.execute("SELECT count(*) FROM coverage_schema").fetchone()[0] == 0:
        raise NotReady("no coverage.py schema in it yet")
    problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise NotReady(f"damaged ({'; '.join(problems[:3])})")


def serialize(copy: sqlite3.Connection) -> bytes:
    """The bytes of an in-memory database, through a temporary file where this SQLite cannot serialize."""
    if hasattr(copy, "serialize"):
        return copy.serialize()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "copy")
        with sqlite3.connect(path) as out:
            copy.backup(out)
        out.close()
        return pathlib.Path(path).read_bytes()


def read_record(path: str) -> bytes:
    """A record's bytes (written whole by renaming, so any read is a whole record)."""
    try:
        return pathlib.Path(path).read_bytes()
    except FileNotFoundError:
        raise Vanished(path) from None


class Collector:
    """The collector's HTTP side, one connection per round (HTTP/1.1 keeps it open across the round's files)."""

    def __init__(self, url: str) -> None:
        """The collector at http://HOST:PORT (checked by parse_args)."""
        parts = urllib.parse.urlsplit(url)
        self.url = url
        self.host = parts.hostname or ""
        self.port = parts.port or 80
        self.connection: http.client.HTTPConnection | None = None

    def open(self, timeout: float) -> None:
        """Starts a round's connection (opened on its first request); requests wait at most `timeout` s."""
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=max(timeout, 0.1))

    def close(self) -> None:
        """Ends the round's connection."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def send(self, method: str, path: str, body: bytes | None = None) -> tuple[int, str]:
        """(status, message) of one request; Unreachable when the collector did not answer."""
        assert self.connection is not None, "open() first"
        try:
            self.connection.request(method, path, body=body)
            answer = self.connection.getresponse()
            text = answer.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as e:
            self.connection.close()
            raise Unreachable(str(e) or type(e).__name__) from None
        if answer.status == 200:
            return 200, ""
        try:
            message = str(json.loads(text)["error"])
        except (ValueError, KeyError, TypeError):
            message = text[:200]
        return answer.status, message


@dataclass
class Round:
    """What one round did."""

    data: int = 0
    records: int = 0
    bytes: int = 0
    removed: int = 0
    not_ready: dict[str, str] = field(default_factory=dict)  # name -> why
    unshipped: dict[str, str] = field(default_factory=dict)  # name -> why the collector did not take it
    unreachable: str | None = None

    def summary(self, seconds: float) -> str | None:
        """The round's log line, or None when it shipped and removed nothing."""
        if not (self.data or self.records or self.removed):
            return None
        line = (
            f"shipped {self.data + self.records} file(s) ({self.data} data, {self.records} records, {self.bytes} bytes)"
            f" in {seconds:.3f} s, removed {self.removed}"
        )
        if self.not_ready:
            line += f"; {len(self.not_ready)} not complete yet, next round: {', '.join(sorted(self.not_ready))}"
        return line


class Shipper:
    """The shipping of one service folder of one pod to the collector."""

    def __init__(self, collector: Collector, folder: str, run_id: str, service: str) -> None:
        """Ships `folder` (D/runs/R/S) as run `run_id`'s service `service`."""
        self.collector = collector
        self.folder = folder
        self.run_id = run_id
        self.service = service
        self.shipped: dict[str, Seen] = {}  # name -> the file as it was when its shipped copy was read
        self.refused: set[str] = set()  # names the collector refused, said once
        self.unreachable_said = False

    def listing(self) -> list[str]:
        """The spy's files in the folder now, data first (none while no measured process made the folder)."""
        try:
            names = [entry.name for entry in os.scandir(self.folder) if entry.is_file(follow_symlinks=False)]
        except FileNotFoundError:
            return []
        return sorted((n for n in names if is_spy_file(n)), key=lambda n: (ORDER.index(n.split(".")[1]), n))

    def round(self, timeout: float = REQUEST_TIMEOUT) -> Round:
        """Ships every new or changed file, then removes from the collector what vanished from the folder."""
        done = Round()
        present = self.listing()
        self.collector.open(timeout)
        try:
            for n, name in enumerate(present):
                self.ship(name, done)
                if done.unreachable is not None:
                    # No use trying the rest now: they wait for the next round as well.
                    waiting = {rest: done.unshipped[name] for rest in present[n + 1 :] if self.changed(rest)}
                    done.unshipped.update(waiting)
                    break
            if done.unreachable is None:
                self.remove_vanished(set(present), done)
        finally:
            self.collector.close()
        return done

    def ship(self, name: str, done: Round) -> None:
        """Ships one file if it is new or changed since its shipped copy was read."""
        path = os.path.join(self.folder, name)
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            return
        seen = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
        if self.shipped.get(name) == seen:
            return
        if time.time_ns() - stat.st_mtime_ns < RACY_NS:
            seen = None
        try:
            body = snapshot_database(path) if is_data_file(name) else read_record(path)
        except Vanished:
            return
        except NotReady as e:
            done.not_ready[name] = str(e)
            return
        try:
            status, message = self.collector.send("PUT", file_path(self.run_id, self.service, name), body)
        except Unreachable as e:
            done.unreachable = str(e)
            done.unshipped[name] = f"collector unreachable: {e}"
            return
        if status != 200:
            done.unshipped[name] = f"refused with {status}: {message}"
            if name not in self.refused:
                self.refused.add(name)
                log(f"the collector refused {name} ({status}): {message}")
            return
        self.shipped[name] = seen
        done.bytes += len(body)
        if is_data_file(name):
            done.data += 1
        else:
            done.records += 1

    def remove_vanished(self, present: set[str], done: Round) -> None:
        """Removes from the collector the files shipped before that are gone from the folder.

        Not while a file of the same process is not complete: the copy shipped before is then its best data.
        """
        waiting = {records.data_file_owner(name) for name in done.not_ready}
        for name in sorted(set(self.shipped) - present):
            if is_data_file(name) and records.data_file_owner(name) in waiting:
                continue
            try:
                status, message = self.collector.send("DELETE", file_path(self.run_id, self.service, name))
            except Unreachable as e:
                done.unreachable = str(e)
                return
            if status == 200:
                del self.shipped[name]
                done.removed += 1
            else:
                log(f"the collector did not remove {name} ({status}): {message}")

    def run_round(self, timeout: float = REQUEST_TIMEOUT) -> Round:
        """A round, with its log lines."""
        started = time.monotonic()
        done = self.round(timeout)
        line = done.summary(time.monotonic() - started)
        if line is not None:
            log(line)
        if done.unreachable is None:
            self.unreachable_said = False
        elif not self.unreachable_said:
            self.unreachable_said = True
            pending = len(self.pending())
            log(f"collector unreachable at {self.collector.url} ({done.unreachable}): {pending} file(s) wait")
        return done

    def changed(self, name: str) -> bool:
        """Whether a file of the folder is not shipped as it is now (False once it is gone)."""
        try:
            stat = os.stat(os.path.join(self.folder, name))
        except FileNotFoundError:
            return False
        return self.shipped.get(name) != (stat.st_size, stat.st_mtime_ns, stat.st_ino)

    def pending(self) -> list[str]:
        """The spy's files in the folder not shipped as they are now."""
        return [name for name in self.listing() if self.changed(name)]

    def finish(self, limit: float) -> int:
        """The last rounds, after SIGTERM: until the collector took every file, at most `limit` s. The exit code."""
        deadline = time.monotonic() + limit
        done = self.run_round(min(REQUEST_TIMEOUT, limit))
        rounds, shipped = 1, done.data + done.records
        while done.unshipped and time.monotonic() + RETRY_PAUSE <= deadline:
            time.sleep(RETRY_PAUSE)
            done = self.run_round(min(REQUEST_TIMEOUT, max(deadline - time.monotonic(), 0)))
            rounds, shipped = rounds + 1, shipped + done.data + done.records
        for name, why in sorted(done.not_ready.items()):
            kept = "the collector keeps its last shipped copy" if name in self.shipped else "none was shipped"
            log(
                f"{name} is not a whole data file ({why}): its process left it unfinished (killed while writing it);"
                f" {kept}"
            )
        if not done.unshipped:
            # The last line of a stopped pod's `kubectl logs`: how its data left.
            unfinished = f", but the {len(done.not_ready)} unfinished data file(s) above" if done.not_ready else ""
            log(
                f"after SIGTERM: shipped {shipped} file(s) in {rounds} round(s); every file of {self.folder} is at the"
                f" collector {self.collector.url}{unfinished}"
            )
            return 0
        why = "; ".join(sorted(set(done.unshipped.values())))
        log(
            f"could not ship {len(done.unshipped)} file(s) of {self.folder} to {self.collector.url} within {limit:g} s"
            f" of SIGTERM ({why}): {', '.join(sorted(done.unshipped))}. They are lost with the pod: make the collector"
            " reachable from the pods (its Service, its readiness), or give the pod a longer"
            " terminationGracePeriodSeconds"
        )
        return 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, every value checked: a message naming the option and exit 2 for a bad one."""
    parser = argparse.ArgumentParser(description="coverage-spy's shipper of a pod's coverage data to the collector")
    parser.add_argument("--collector", required=True, help="the collector's URL, http://HOST:PORT")
    parser.add_argument("--data-dir", required=True, help="the pod's data volume (the emptyDir the app writes)")
    parser.add_argument("--run-id", required=True, help="the run whose data it ships")
    parser.add_argument("--service", required=True, help="the service whose pod this is")
    parser.add_argument("--interval", required=True, help="seconds between two rounds")
    parser.add_argument("--final-timeout", required=True, help="seconds to keep trying after SIGTERM")
    args = parser.parse_args(argv)
    parts = urllib.parse.urlsplit(args.collector)
    try:
        port_ok = parts.port is not None
    except ValueError:
        port_ok = False
    if parts.scheme != "http" or not parts.hostname or not port_ok or parts.path not in ("", "/") or parts.query:
        parser.error(f"--collector must be http://HOST:PORT (the collector's Service), got {args.collector!r}")
    if not RUN_ID.fullmatch(args.run_id):
        parser.error(f'--run-id {args.run_id!r} must be 1-64 letters, digits, "_", ".", "-"')
    if not SERVICE.fullmatch(args.service):
        parser.error(f'--service {args.service!r} must be 1-63 letters, digits, "_", ".", "-"')
    args.interval = seconds(parser, "--interval", args.interval, "> 0", lambda v: v > 0)
    args.final_timeout = seconds(parser, "--final-timeout", args.final_timeout, ">= 0", lambda v: v >= 0)
    if not os.path.isdir(args.data_dir):
        parser.error(f"--data-dir {args.data_dir} is no folder: mount the pod's data volume there")
    return args


def seconds(parser: argparse.ArgumentParser, option: str, text: str, rule: str, ok: Callable[[float], bool]) -> float:
    """A number of seconds given as `option`; the parser's error when it is none or breaks `rule`."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if value != value or value == float("inf") or not ok(value):
        parser.error(f"{option} must be a number of seconds {rule}, got {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    """Ships every `interval` seconds until SIGTERM (or SIGINT), then the last rounds; the exit code."""
    args = parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    folder = records.service_folder(args.data_dir, args.run_id, args.service)
    shipper = Shipper(Collector(args.collector), folder, args.run_id, args.service)
    log(f"shipping {folder} to {args.collector} every {args.interval:g} s")
    while not stop.is_set():
        shipper.run_round()
        stop.wait(args.interval)
    return shipper.finish(args.final_timeout)


if __name__ == "__main__":
    sys.exit(main())
