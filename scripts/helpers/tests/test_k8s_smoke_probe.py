"""The smoke check's web server and probe (images/kind-node/smoke), run here against each other on localhost."""

import contextlib
import http.server
import io
import os
import socket
import sys
import threading
import unittest
from collections.abc import Iterator
from unittest import mock

SMOKE = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))),
    "images",
    "kind-node",
    "smoke",
)
sys.path.insert(0, SMOKE)
import probe  # noqa: E402
import serve  # noqa: E402


@contextlib.contextmanager
def web_server() -> Iterator[str]:
    """serve.py's handler on a free localhost port; yields its URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), serve.Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def run_probe(url: str, expected: list[str]) -> tuple[int, str, str]:
    """probe.main's exit status, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = probe.main(url, expected)
    return status, out.getvalue(), err.getvalue()


class SmokeProbeTest(unittest.TestCase):
    def test_server_names_its_pod_and_node(self) -> None:
        with mock.patch.dict(os.environ, {"NODE_NAME": "worker-7"}), web_server() as url:
            status, out, _ = run_probe(url, [])
        self.assertEqual(status, 0)
        self.assertEqual(out, f"  {url} -> {socket.gethostname()} on worker-7\n")

    def test_expected_pod_seen(self) -> None:
        with web_server() as url:
            status, out, err = run_probe(url, [socket.gethostname()])
        self.assertEqual(status, 0)
        self.assertEqual(out.count("->"), 1, "each distinct answer is printed once")
        self.assertEqual(err, "")

    def test_missing_pod_fails_naming_it(self) -> None:
        with web_server() as url:
            status, _, err = run_probe(url, [socket.gethostname(), "web-other-pod"])
        self.assertEqual(status, 1)
        self.assertIn(f"no answer from web-other-pod in {probe.ATTEMPTS} requests", err)
        self.assertNotIn(socket.gethostname() + ",", err)


if __name__ == "__main__":
    unittest.main()
