"""An HTTP server (one process, threads) whose /spawn?n=N&parallel=K runs N short-lived Python subprocesses.

At most K run at once (default 4), so even N=1000 stays bounded in memory and time. Each subprocess is
`python3 -m scale_app.child I`: under coverage-spy each one is measured and leaves one data file.
GET /healthz answers {"ok": true}; GET /spawn answers {"spawned": N, "failed": F, "ms": M} once all have exited.
"""

from __future__ import annotations

import concurrent.futures
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse

MAX_PARALLEL = 16


def run_child(number: int) -> bool:
    """Runs one child process to its end; whether it succeeded."""
    result = subprocess.run(
        [sys.executable, "-m", "scale_app.child", str(number)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(f"child {number} exited with {result.returncode}: {result.stderr.decode(errors='replace')}")
    return result.returncode == 0


def spawn(count: int, parallel: int) -> dict[str, int]:
    """Runs `count` children, `parallel` at a time; how many ran, how many failed and how long it took."""
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=parallel) as pool:
        failed = sum(1 for ok in pool.map(run_child, range(count)) if not ok)
    return {"spawned": count, "failed": failed, "ms": round((time.monotonic() - started) * 1000)}


def parse_int(query: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    """One integer query parameter, or ValueError naming it and its bounds."""
    text = query.get(name, [str(default)])[0]
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}")
    return int(text)


class Handler(http.server.BaseHTTPRequestHandler):
    """The two routes: /healthz and /spawn."""

    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        """Answers one request with JSON."""
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/healthz":
            self.answer(200, {"ok": True})
        elif url.path == "/spawn":
            query = urllib.parse.parse_qs(url.query)
            try:
                count = parse_int(query, "n", 10, 0, 100_000)
                parallel = parse_int(query, "parallel", 4, 1, MAX_PARALLEL)
            except ValueError as error:
                self.answer(400, {"error": str(error)})
                return
            self.answer(200, spawn(count, parallel))
        else:
            self.answer(404, {"error": f"no route {url.path}"})

    def answer(self, status: int, body: dict[str, object]) -> None:
        """Sends a JSON response."""
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """One line per request on stderr."""
        sys.stderr.write(f"[scale {os.getpid()}] {format % args}\n")


def main() -> None:
    """Serves until SIGTERM or SIGINT, then returns, so the process exits normally and coverage.py saves."""
    server = http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8000"))), Handler)

    def stop(signum: int, frame: object) -> None:
        """shutdown() waits for serve_forever to return, so it runs in another thread."""
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stderr.write(f"[scale {os.getpid()}] serving on port {server.server_address[1]}\n")
    server.serve_forever(poll_interval=0.1)
    server.server_close()


if __name__ == "__main__":
    main()
