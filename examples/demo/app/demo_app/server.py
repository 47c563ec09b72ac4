"""A pre-forking HTTP server: the master opens the socket and forks workers that serve it, as gunicorn does."""
import contextlib
import http.server
import os
import signal
import socket
import sys
import threading

from demo_app import handlers


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        status, body = handlers.route(self.path)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        sys.stderr.write("[worker %d] %s\n" % (os.getpid(), format % args))


def serve(listener):
    """A worker: serves the shared socket until SIGTERM, then returns so the process exits normally."""
    server = http.server.HTTPServer(listener.getsockname(), Handler, bind_and_activate=False)
    server.socket = listener

    def stop(signum, frame):
        # shutdown() waits for serve_forever to return, so it must run outside the loop's thread.
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever(poll_interval=0.1)


def main():
    port = int(os.environ.get("PORT", "8000"))
    count = int(os.environ.get("DEMO_WORKERS", "3"))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", port))
    listener.listen(64)
    # Every worker wakes up for each connection and only one wins accept(): the others must not block in it,
    # or they would never see the stop signal.
    listener.setblocking(False)
    workers = set()
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            serve(listener)
            sys.exit(0)
        workers.add(pid)
    sys.stderr.write("[master %d] serving on port %d with %d workers\n" % (os.getpid(), port, count))

    def forward(signum, frame):
        # One worker may be gone already: this handler can run right after os.wait() below reaped it and before
        # the loop discarded its pid (a worker killed just before the stop, on a busy machine). Skip it and
        # signal the others, as gunicorn's kill_worker does: if the error escaped, the master would exit
        # without stopping them, and the end of the container would SIGKILL them before they saved.
        for worker in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while workers:
        pid, _ = os.wait()
        workers.discard(pid)
    sys.stderr.write("[master %d] all workers stopped\n" % os.getpid())


if __name__ == "__main__":
    main()
