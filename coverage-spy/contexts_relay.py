r"""coverage-spy's per-test contexts relay: tells every measured process of a run which test is running now.

    contexts_relay.py --data-dir D --run-id R --port P [--pods-port Q]

The test runner on the host says when each test starts and ends (coverage-spy/runner/coverage_spy_runner.py, or
any HTTP client); the relay passes it on to every measured process of every service of run R, through the unix
socket each one listens on in its data folder, and answers once every live process has switched its dynamic
context (coverage.py's switch_context), so the runner's call returns only when the lines of the next test will be
recorded under its name. HTTP on 0.0.0.0:P (P = 0: any free port, said in the start-up line), one request at a time:

    GET  /healthz      -> 200 {"ok": true}
    POST /tests/start  {"test": NAME, "runner": ID (optional, default "default"), "ends": PREVIOUS (optional)}
    POST /tests/end    {"test": NAME, "runner": ID (optional)}
      -> 200 {"context", "seq", "processes" (switched), "failed" (socket names), "ms", "parallel"}
    A malformed body -> 400 {"error"}.

start switches to the test's name; end to OUTSIDE, "(no test)", unless another runner still has a test open (then
to the newest of those). A start with "ends" also ends the runner's test PREVIOUS, in the same switch: one boundary
instead of two, for runners that know nothing of theirs runs between two tests (the runner's pytest plugin always,
its unittest runner between two tests of one class), so nothing would be recorded under OUTSIDE between them.
"parallel" is true when another runner has a test open at the event: tests that overlap in time cannot be told
apart by time, and that is said in the answer, in the event log and once on stderr.

It writes, in the run folder D/runs/R:
- .context: {"context": NAME, "seq": N}, replaced atomically before each broadcast; a process that starts later
  reads it (absent: OUTSIDE, seq 0). seq goes on from it when the relay restarts.
- contexts.jsonl: one line per event, {"event", "test", "runner", "time", "seq", "context", "processes", "failed"
  (a count), "ms", "parallel"}, and "ended" (PREVIOUS) on a start that ended it.
For each event it connects to every <service>/.ctx.<host>.pid<pid>.sock, sends "<seq> <context>\n" and waits at most
2 s for "ok <seq>\n", to all processes at once; sockets nobody listens on any more (the process died without
removing its socket) are removed and skipped; a process that does not answer in time is named in "failed", and
is given 0.1 s only at the next event, until it answers in time again (a hung process costs 2 s once, not per test).
That part is contexts_broadcast.py, which the pods' sidecars use as well.

On a Kubernetes cluster the processes are in pods on several nodes: --pods-port Q makes the relay listen on TCP Q
for the contexts sidecar of every measured pod (kubernetes/contexts_sidecar.py), which tells the processes of its own
pod as above and answers; an event is answered once every connected pod did, its processes counted as if local
(contexts_pods.py). A pod that connects is told the current context at once.

The names, files and wire it shares with the measured processes come from their side,
site/_coverage_spy/contexts.py (mounted next to this script). Standard library only, Python 3.11+ (the harvester
image). Quiet: one start-up line on stderr, then a line only when something is wrong (a process that did not
switch, an end without its start, parallel runners). SIGTERM exits 0 at once: every event is complete on disk as
soon as it is answered.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

# The measured processes' side of the protocol (names, files, wire) and the record format, from the spy's own
# folder: mounted with this script (coverage-spy/site).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "site"))
from _coverage_spy.contexts import EVENT_LOG, OUTSIDE, read_context, write_context  # noqa: E402
from _coverage_spy.records import RUNS  # noqa: E402
from contexts_broadcast import RunProcesses  # noqa: E402
from contexts_pods import Pods  # noqa: E402

DEFAULT_RUNNER = "default"
MAX_BODY = 1 << 20
START, END = "start", "end"


def log(message: str) -> None:
    """One line on stderr, where the container's log keeps it."""
    print(f"coverage-spy contexts relay: {message}", file=sys.stderr, flush=True)


def append_event(run_folder: str, event: dict[str, Any]) -> None:
    """Appends one event as a line of the run's contexts.jsonl."""
    with open(os.path.join(run_folder, EVENT_LOG), "a", encoding="utf-8") as f:
        f.write(json.dumps(event) + "\n")


class Relay:
    """The state of one run's relay: the open test of each runner, the sequence number, what was said already."""

    def __init__(self, run_folder: str, pods: Pods | None = None) -> None:
        """A relay for the run folder `run_folder`; seq goes on from its .context, if any.

        pods: on a cluster, the measured pods' sidecars, told each switch after the processes of `run_folder`.
        """
        self.run_folder = run_folder
        self.seq = read_context(run_folder)[1]
        self.open_tests: dict[str, str] = {}  # runner -> its open test, oldest start first
        self.said_parallel = False
        self.processes = RunProcesses(run_folder)
        self.pods = pods

    def start(self, test: str, runner: str, ends: str | None = None) -> dict[str, Any]:
        """A runner's test starts: every process switches to its name. `ends`: the runner's test that just ended."""
        problems = self._close(ends, runner) if ends is not None else []
        if runner in self.open_tests:
            problems.append(f"runner {runner!r} had not ended {self.open_tests[runner]!r}")
            del self.open_tests[runner]
        others = sorted(self.open_tests)
        self.open_tests[runner] = test
        if others and not self.said_parallel:
            self.said_parallel = True
            log(
                f"runner {runner!r} started a test while {', '.join(map(repr, others))} had one open: tests that run "
                "at the same time cannot be told apart by time; their events are marked parallel (contexts.jsonl, "
                "the answers)"
            )
        return self._switch(START, test, runner, test, bool(others), problems, ends)

    def end(self, test: str, runner: str) -> dict[str, Any]:
        """A runner's test ends: back to OUTSIDE, or to the newest test another runner still has open."""
        problems = self._close(test, runner)
        context = next(reversed(self.open_tests.values()), OUTSIDE)
        parallel = any(other != runner for other in self.open_tests)
        return self._switch(END, test, runner, context, parallel, problems)

    def _close(self, test: str, runner: str) -> list[str]:
        """Closes the runner's open test `test`; what was wrong, if anything."""
        current = self.open_tests.get(runner)
        if current == test:
            del self.open_tests[runner]
        elif current is None:
            # Started under another runner id (two separate `coverage_spy_runner start/end` commands, say): the
            # test is closed all the same, the newest of that name.
            owner = next((r for r, t in reversed(self.open_tests.items()) if t == test), None)
            if owner is None:
                return [f"no test of runner {runner!r} was open"]
            del self.open_tests[owner]
        else:
            return [f"runner {runner!r} has {current!r} open, not this one: it stays open"]
        return []

    def _switch(
        self,
        event: str,
        test: str,
        runner: str,
        context: str,
        parallel: bool,
        problems: list[str],
        ended: str | None = None,
    ) -> dict[str, Any]:
        """Writes .context, tells every process, logs the event; the answer to the runner."""
        when = time.time()
        self.seq += 1
        write_context(self.run_folder, context, self.seq)
        started = time.perf_counter()
        broadcast, wrong = self.processes.switch(self.seq, context)
        problems.extend(wrong)
        switched, failed = broadcast.switched, dict(broadcast.failed)
        if self.pods is not None:
            told = self.pods.switch(self.seq, context)
            switched += told.switched
            failed.update(told.failed)
        ms = round((time.perf_counter() - started) * 1000, 3)
        record = {
            "event": event,
            "test": test,
            "runner": runner,
            "time": when,
            "seq": self.seq,
            "context": context,
            "processes": switched,
            "failed": len(failed),
            "ms": ms,
            "parallel": parallel,
        }
        if ended is not None:
            record["ended"] = ended
        append_event(self.run_folder, record)
        if failed:
            why = "; ".join(f"{label}: {reason}" for label, reason in sorted(failed.items()))
            problems.append(f"{len(failed)} of {switched + len(failed)} processes did not switch ({why})")
        if problems:
            log(f"{event} {test!r} (runner {runner!r}, seq {self.seq}): {'; '.join(problems)}")
        return {
            "context": context,
            "seq": self.seq,
            "processes": switched,
            "failed": sorted(failed),
            "ms": ms,
            "parallel": parallel,
        }


class BadRequest(Exception):
    """A request the relay refuses with 400; the message says why."""


def parse_body(raw: bytes) -> tuple[str, str, str | None]:
    """(test, runner, ends) from a POST body {"test": str, "runner": str, "ends": str (both optional)}.

    BadRequest when malformed.
    """
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as e:
        raise BadRequest(f"the body is not JSON: {e}") from None
    if not isinstance(body, dict):
        raise BadRequest('the body must be a JSON object: {"test": NAME, "runner": ID}')
    test = body.get("test")
    runner = body.get("runner", DEFAULT_RUNNER)
    ends = body.get("ends")
    for key, value in (("test", test), ("runner", runner), ("ends", ends)):
        if key == "ends" and value is None:
            continue
        if not isinstance(value, str) or not value:
            raise BadRequest(f'"{key}" must be a non-empty string, got {value!r}')
        if "\n" in value:
            raise BadRequest(f'"{key}" must not hold a newline, got {value!r}')
    return test, runner, ends  # type: ignore[return-value]  # checked to be str above


class Handler(BaseHTTPRequestHandler):
    """The relay's HTTP side: one connection per request (HTTP/1.0), so no client can hold the relay idle."""

    server: RelayServer
    server_version = "coverage-spy-contexts-relay"
    disable_nagle_algorithm = True  # headers and body leave at once: no delayed-ACK stall per test
    timeout = 5  # a client that stops mid-request does not hold the relay (and every other runner) for long

    def do_GET(self) -> None:  # noqa: N802  (http.server's naming)
        """GET /healthz: the relay is up."""
        if self.path.split("?")[0] == "/healthz":
            self.answer(200, {"ok": True})
        else:
            self.answer(404, {"error": f"no such path {self.path!r}: GET /healthz, POST /tests/start|end"})

    def do_POST(self) -> None:  # noqa: N802
        """POST /tests/start or /tests/end."""
        path = self.path.split("?")[0]
        if path not in ("/tests/start", "/tests/end"):
            self.answer(404, {"error": f"no such path {self.path!r}: POST /tests/start or /tests/end"})
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
            if not 0 <= length <= MAX_BODY:
                raise BadRequest(f"Content-Length must be 0..{MAX_BODY}, got {length}")
        except ValueError:
            self.answer(400, {"error": "a Content-Length header is required"})
            return
        except BadRequest as e:
            self.answer(400, {"error": str(e)})
            return
        try:
            test, runner, ends = parse_body(self.rfile.read(length))
            if ends is not None and path != "/tests/start":
                raise BadRequest('"ends" belongs to /tests/start: the test that ended as this one starts')
        except BadRequest as e:
            self.answer(400, {"error": str(e)})
            return
        relay = self.server.relay
        try:
            self.answer(200, relay.start(test, runner, ends) if path == "/tests/start" else relay.end(test, runner))
        except OSError as e:  # the data volume: .context or the event log could not be written
            log(f"{path} {test!r}: {e}")
            self.answer(500, {"error": f"the relay could not write the run's files: {e}"})

    def answer(self, status: int, body: dict[str, Any]) -> None:
        """Sends a JSON answer."""
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (http.server's signature)
        """Quiet: the relay logs only what is wrong (see Relay)."""


class RelayServer(HTTPServer):
    """http.server's one-request-at-a-time server, holding the relay."""

    def __init__(self, port: int, relay: Relay) -> None:
        """Listens on 0.0.0.0:port."""
        self.relay = relay
        super().__init__(("0.0.0.0", port), Handler)  # noqa: S104  (published on the host's loopback only)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A request that failed outside the relay's own handling (a runner that hung up, say): one line."""
        log(f"a request from {client_address[0]} failed: {sys.exc_info()[1]!r}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: --data-dir D --run-id R --port P, all required."""
    parser = argparse.ArgumentParser(description="coverage-spy's per-test contexts relay")
    parser.add_argument("--data-dir", required=True, help="the coverage-data volume")
    parser.add_argument("--run-id", required=True, help="the run whose processes it tells")
    parser.add_argument("--port", required=True, type=int, help="the HTTP port (0: any free one)")
    parser.add_argument("--pods-port", type=int, help="on a cluster: the TCP port the pods' sidecars connect to")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Serves until SIGTERM (or SIGINT), which exit 0 at once."""
    args = parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: os._exit(0))
    run_folder = os.path.join(args.data_dir, RUNS, args.run_id)
    pods = None
    if args.pods_port is not None:
        pods = Pods(args.pods_port, read_context(run_folder), log)
        pods.start()
    server = RelayServer(args.port, Relay(run_folder, pods))
    told = f"the processes in {run_folder}" + (f" and the pods connecting to port {pods.port}" if pods else "")
    log(f"run {args.run_id}: listening on 0.0.0.0:{server.server_address[1]}, telling {told}")
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
