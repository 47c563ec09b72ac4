"""Answers every GET with "<pod name> on <node name>" (scripts/k8s-smoke.sh), on port 8080."""

import http.server
import os
import signal
import socket
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    """Says which pod and node answered."""

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        """Answers with the pod's and the node's names."""
        body = f"{socket.gethostname()} on {os.environ.get('NODE_NAME', '?')}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        """Quiet: the probes would fill the pod's log."""


def main() -> None:
    """Serves until SIGTERM (as PID 1 a signal's default action would be ignored)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    http.server.ThreadingHTTPServer(("", 8080), Handler).serve_forever()


if __name__ == "__main__":
    main()
