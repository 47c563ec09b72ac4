"""The per-test oracle: the application and its test suite in ONE process, with coverage.py's own contexts.

    python3 context_oracle.py --app demo|fastapi --tests DIR --out FILE

Runs inside the example's own image (its Python, its framework), coverage.py from the spy's lib folder on
PYTHONPATH. The app serves from a thread of this process; the suite (unittest, from DIR) runs against it; before
each test coverage.py's Coverage.switch_context(test id) — what pytest-cov's --cov-context=test does. A subprocess a
test starts is measured by coverage.process_startup() (a sitecustomize.py this script writes) with coverage.py's
static context ([run] context) set to the test's id. Writes {test id: {file relative to /app: [lines]}} as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import tempfile
import threading
import time
import unittest
import urllib.request
from typing import Any, Callable

import coverage

APP = "/app"


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve_demo(port: int) -> None:
    """examples/demo's request handler, served from a thread (the pre-fork master is start-up code, not a test's)."""
    import http.server

    from demo_app import server

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), server.Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()


def serve_fastapi(port: int) -> None:
    """examples/fastapi's app under uvicorn, in a thread with its own event loop."""
    import uvicorn
    from orders_api.main import app

    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    threading.Thread(target=uvicorn.Server(config).run, daemon=True).start()


SERVERS: dict[str, tuple[Callable[[int], None], str]] = {
    "demo": (serve_demo, "COVERAGE_SPY_DEMO_URL"),
    "fastapi": (serve_fastapi, "COVERAGE_SPY_API_URL"),
}


def wait_until_served(url: str) -> None:
    """Waits (60 s at most: the machine may be busy) until the app answers /healthz."""
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class SubprocessContext:
    """Makes the subprocesses a test starts measure under that test's id, as coverage.py's static context."""

    def __init__(self, work: str) -> None:
        """Writes the sitecustomize.py a measured subprocess starts coverage.py with."""
        self.work = work
        site = os.path.join(work, "site")
        os.makedirs(site)
        with open(os.path.join(site, "sitecustomize.py"), "w") as f:
            f.write("import coverage\ncoverage.process_startup()\n")
        os.environ["PYTHONPATH"] = os.pathsep.join([site, os.environ.get("PYTHONPATH", "")])
        self.count = 0

    def enter(self, context: str) -> None:
        """From now on a subprocess measures under `context`."""
        self.count += 1
        rcfile = os.path.join(self.work, f"rc{self.count}")
        with open(rcfile, "w") as f:
            f.write(f"[run]\nparallel = true\nsource =\n    {APP}\ncontext = {context}\n")
        os.environ["COVERAGE_PROCESS_START"] = rcfile


def main(argv: list[str] | None = None) -> int:
    """Serves the app, runs the suite test by test with a context each, writes the lines of each test."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--app", choices=sorted(SERVERS), required=True)
    parser.add_argument("--tests", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    work = tempfile.mkdtemp()
    data_file = os.path.join(work, ".coverage")
    os.environ["COVERAGE_FILE"] = data_file
    cov = coverage.Coverage(data_file=data_file, source=[APP], data_suffix=True)
    subprocesses = SubprocessContext(work)
    subprocesses.enter("")
    cov.start()
    port = free_port()
    serve, url_variable = SERVERS[args.app]
    serve(port)
    os.environ[url_variable] = f"http://127.0.0.1:{port}"
    wait_until_served(os.environ[url_variable])

    class ContextResult(unittest.TextTestResult):
        """Switches coverage.py's context to each test's id while it runs (none between tests)."""

        def startTest(self, test: Any) -> None:  # noqa: N802 - unittest's name
            cov.switch_context(test.id())
            subprocesses.enter(test.id())
            super().startTest(test)

        def stopTest(self, test: Any) -> None:  # noqa: N802 - unittest's name
            super().stopTest(test)
            cov.switch_context("")
            subprocesses.enter("")

    # The module under test reads its URL at import: imported after the app serves.
    # Test ids as `python3 -m unittest discover` from the example's folder gives them: a tests package is a package.
    package = os.path.exists(os.path.join(args.tests, "__init__.py"))
    top = os.path.dirname(args.tests.rstrip("/")) if package else args.tests
    suite = unittest.defaultTestLoader.discover(args.tests, top_level_dir=top)
    unittest.TextTestRunner(resultclass=ContextResult, verbosity=2).run(suite)
    cov.stop()
    cov.save()
    combined = coverage.Coverage(data_file=data_file)
    combined.combine([work])
    data = combined.get_data()
    lines: dict[str, dict[str, list[int]]] = {}
    for path in data.measured_files():
        for line, contexts in data.contexts_by_lineno(path).items():
            for context in contexts:
                if context:
                    by_file = lines.setdefault(context, {}).setdefault(os.path.relpath(path, APP), [])
                    by_file.append(line)
    with open(args.out, "w") as out:
        json.dump({c: {f: sorted(ls) for f, ls in files.items()} for c, files in lines.items()}, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
