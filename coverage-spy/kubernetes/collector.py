r"""coverage-spy's collector on Kubernetes: takes the data files and records the pods' shippers send.

    collector.py --data-dir D --port P

One per stack, in a pod that mounts the stack's data volume (a claim) at D, where the harvest reads it. Every
measured pod has a shipper (shipper.py) in a sidecar, which sends the spy's files of its emptyDir here while the pod
runs and once more when it stops; this writes each at D/runs/<run id>/<service>/<file name>, so the harvest finds
the data of every pod of every node as it finds a Docker volume's. HTTP/1.1 on 0.0.0.0:P (P = 0: any free port,
said in the start-up line), a thread per connection; the paths and names are protocol.py's:

    PUT    /runs/<run id>/<service>/<file name>   -> 200 {"ok": true, "bytes": N}
    DELETE /runs/<run id>/<service>/<file name>   -> 200 {"ok": true, "removed": bool}
    GET    /healthz                               -> 200 {"ok": true}   (the readiness probe)
    a path or file name the spy does not write -> 400 {"error"}; no room on the volume -> 507 {"error"}

A PUT replaces the file whole (a temporary file, flushed, renamed over the name): the harvest reads the previous
copy or the new one, never part of one, and a body cut short is never renamed. A later shipping of the same name
is a later state of the same process's file; so is a data file's later name (coverage.py renames its file when a save
changed the data), and a PUT of one removes the older names (protocol.data_file_stem), which a shipper started again
after a crash cannot know to remove. Temporary files a killed collector left are removed at start.
Standard library only. Quiet: one start-up line on stderr, then a line only when something is wrong. SIGTERM exits
0 at once: every answered PUT is on the volume, and a shipper whose PUT was cut sends it again.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import glob
import json
import os
import signal
import sys
import tempfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from protocol import RUNS, BadPath, data_file_stem, parse_file_path, records

# Bigger than any data file of a real service (a large app's are a few MB), small enough to refuse nonsense early.
MAX_BODY = 1 << 31
CHUNK = 1 << 20
# Temporary files of a PUT in progress: never a name the harvest or the spy's readers pick up.
TEMP_PREFIX = ".collector-"
TEMP_SUFFIX = ".tmp"


def log(message: str) -> None:
    """One line on stderr, where `kubectl logs` shows it."""
    print(f"coverage-spy collector: {message}", file=sys.stderr, flush=True)


class BadRequest(Exception):
    """A request refused with a status and a message saying why."""

    def __init__(self, status: int, message: str) -> None:
        """Refused with `status`, for `message`."""
        super().__init__(message)
        self.status = status


class Handler(BaseHTTPRequestHandler):
    """One shipper's connection: PUT, DELETE, and GET /healthz."""

    server: CollectorServer
    protocol_version = "HTTP/1.1"  # a shipper sends a round's files on one connection
    server_version = "coverage-spy-collector"
    disable_nagle_algorithm = True  # an answer's headers and body leave at once: no delayed-ACK stall per file
    timeout = 60  # a shipper gone quiet mid-request does not hold a thread for ever

    def do_GET(self) -> None:  # noqa: N802  (http.server's naming)
        """GET /healthz: the collector is up (the readiness probe)."""
        if self.path == "/healthz":
            self.answer(200, {"ok": True})
        else:
            self.answer(404, {"error": f"no such path {self.path!r}: GET /healthz, PUT|DELETE /{RUNS}/..."})

    def do_PUT(self) -> None:  # noqa: N802
        """PUT /runs/<run id>/<service>/<file name>: writes the body there, whole."""
        try:
            run_id, service, name = parse_file_path(self.path)
            length = self.content_length()
        except BadPath as e:
            self.refuse(400, str(e))
            return
        except BadRequest as e:
            self.refuse(e.status, str(e))
            return
        try:
            written = self.store(run_id, service, name, self.body(length))
        except BadRequest as e:
            self.refuse(e.status, str(e))
            return
        self.answer(200, {"ok": True, "bytes": written})

    def do_DELETE(self) -> None:  # noqa: N802
        """DELETE /runs/<run id>/<service>/<file name>: the pod's process renamed or removed its file."""
        try:
            run_id, service, name = parse_file_path(self.path)
        except BadPath as e:
            self.refuse(400, str(e))
            return
        try:
            os.remove(os.path.join(self.server.folder(run_id, service), name))
            removed = True
        except FileNotFoundError:
            removed = False  # removed already: a shipper that retries is told it is done
        except OSError as e:
            self.refuse(500, f"cannot remove {name}: {e.strerror or e}")
            return
        self.answer(200, {"ok": True, "removed": removed})

    def content_length(self) -> int:
        """The body's length, which a PUT must give."""
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            raise BadRequest(411, "a PUT needs a Content-Length header") from None
        if not 0 <= length <= MAX_BODY:
            raise BadRequest(413, f"Content-Length must be 0..{MAX_BODY}, got {length}")
        return length

    def body(self, length: int) -> Any:
        """The body's chunks, read as they are written out: a data file is never held whole in memory."""
        left = length
        while left:
            chunk = self.rfile.read(min(left, CHUNK))
            if not chunk:
                self.close_connection = True
                raise BadRequest(400, f"the body ended after {length - left} of {length} bytes")
            left -= len(chunk)
            yield chunk

    def store(self, run_id: str, service: str, name: str, chunks: Any) -> int:
        """Writes one file whole (temporary file, fsync, rename); returns its size. BadRequest when it cannot."""
        folder = self.server.folder(run_id, service)
        written = 0
        try:
            records.ensure_folder(folder)
            fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=folder)
        except OSError as e:
            raise self.volume_error(name, e) from None
        try:
            with os.fdopen(fd, "wb") as f:
                for chunk in chunks:
                    f.write(chunk)
                    written += len(chunk)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(temp, 0o644)
            os.replace(temp, os.path.join(folder, name))
        except BaseException as e:
            with contextlib.suppress(OSError):
                os.remove(temp)
            if isinstance(e, OSError):
                raise self.volume_error(name, e) from None
            raise
        remove_older_states(folder, name)
        return written

    def volume_error(self, name: str, error: OSError) -> BadRequest:
        """The answer, and the log line, for a file the data volume did not take."""
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            message = f"the data volume is full, {name} not written: give the stack's data claim more room"
            log(message)
            return BadRequest(507, message)
        message = f"cannot write {name} on the data volume: {error.strerror or error}"
        log(message)
        return BadRequest(500, message)

    def refuse(self, status: int, message: str) -> None:
        """Answers an error. A refused PUT's body may be unread, or read in part: its connection closes."""
        if self.command == "PUT":
            self.close_connection = True
        self.answer(status, {"error": message})

    def answer(self, status: int, body: dict[str, Any]) -> None:
        """Sends a JSON answer."""
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (http.server's signature)
        """Quiet: a line only for what is wrong (refusals are answered to the shipper, which logs them)."""


def remove_older_states(folder: str, name: str) -> None:
    """Removes the older names of a data file just written: its process renamed it since they were shipped.

    The shipper asks for their removal too, but a shipper started again (its sidecar restarted) never knew them.
    """
    stem = data_file_stem(name)
    if stem is None:
        return
    for path in [os.path.join(folder, stem), *glob.glob(os.path.join(glob.escape(folder), f"{glob.escape(stem)}.H*h"))]:
        if os.path.basename(path) != name:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)


class CollectorServer(ThreadingHTTPServer):
    """http.server's thread-per-connection server, writing under one data volume."""

    daemon_threads = True

    def __init__(self, port: int, data_dir: str, handler: type[Handler] = Handler) -> None:
        """Listens on 0.0.0.0:port, writing under data_dir/runs."""
        self.data_dir = data_dir
        super().__init__(("0.0.0.0", port), handler)  # noqa: S104  (the pods reach it through its Service)
        self.port = self.server_address[1]

    def folder(self, run_id: str, service: str) -> str:
        """A service's folder in a run on the volume (parts checked by protocol.parse_file_path)."""
        return os.path.join(self.data_dir, RUNS, run_id, service)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A request that failed outside the handler's own answers (a shipper that hung up, say): one line."""
        log(f"a request from {client_address[0]} failed: {sys.exc_info()[1]!r}")


def prepare(data_dir: str) -> None:
    """Makes the volume's runs/ folder as harvest.py init does, if missing; removes what a killed collector left."""
    runs = os.path.join(data_dir, RUNS)
    if not os.path.isdir(runs):
        mask = os.umask(0)
        try:
            os.makedirs(runs, records.SHARED_FOLDER_MODE, exist_ok=True)
        finally:
            os.umask(mask)
    remove_leftovers(data_dir)


def remove_leftovers(data_dir: str) -> None:
    """Removes the temporary files of PUTs a killed collector never finished."""
    for path in glob.glob(os.path.join(data_dir, RUNS, "*", "*", f"{TEMP_PREFIX}*{TEMP_SUFFIX}")):
        with contextlib.suppress(OSError):
            os.remove(path)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: --data-dir D --port P, both required and checked."""
    parser = argparse.ArgumentParser(description="coverage-spy's collector of the pods' coverage data")
    parser.add_argument("--data-dir", required=True, help="the stack's data volume (its claim's mount)")
    parser.add_argument("--port", required=True, type=int, help="the HTTP port (0: any free one)")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.data_dir):
        parser.error(f"--data-dir {args.data_dir} is no folder: mount the stack's data volume there")
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be 0..65535, got {args.port}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Serves until SIGTERM (or SIGINT), which exit 0 at once."""
    args = parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: os._exit(0))
    try:
        prepare(args.data_dir)
    except OSError as e:
        log(f"cannot prepare {os.path.join(args.data_dir, RUNS)}: {e.strerror or e}: mount the data volume writable")
        return 1
    try:
        server = CollectorServer(args.port, args.data_dir)
    except OSError as e:
        log(f"cannot listen on port {args.port}: {e.strerror or e}: give it a free port")
        return 1
    log(f"listening on 0.0.0.0:{server.port}, writing under {os.path.join(args.data_dir, RUNS)}")
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
