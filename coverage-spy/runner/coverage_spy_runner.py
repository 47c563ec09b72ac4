"""coverage-spy's runner side of per-test contexts: tells the contexts relay when each test starts and ends.

The relay (coverage-spy/contexts_relay.py, in its container) switches the coverage context of every measured
process of every service at once, and answers when they all have: the lines each test makes the services run are
then recorded under the test's name. Put this folder on PYTHONPATH, then:

    pytest -p coverage_spy_runner [pytest's arguments]
    python3 -m coverage_spy_runner unittest [arguments as for python3 -m unittest]
    python3 -m coverage_spy_runner start NAME [--runner R]
    python3 -m coverage_spy_runner end NAME [--runner R]
    from coverage_spy_runner import start, end   # start(name) ... end(name), from any Python test harness

The relay's URL comes from COVERAGE_SPY_CONTEXTS_URL (the test run sets it, like the services' URLs). Unset,
nothing is sent and the tests run as they would without coverage-spy. Within a test run (pytest, unittest,
start() and end()) a relay that cannot be reached or answers an error is said once on stderr, naming the URL and
the cause, and the tests go on: coverage contexts never fail a test. The start and end commands, asked explicitly,
exit 1 instead.

A runner is who runs tests one after the other: by default "<hostname>:<pid>", or the pytest-xdist worker id
(gw0, ...) or JEST_WORKER_ID when set. Tests of different runners that overlap in time cannot be told apart by
time: the relay marks such events "parallel", and this side says so once.

Standard library only, Python 3.9+.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import sys
import unittest
import urllib.error
import urllib.request
from typing import Any

URL_ENV = "COVERAGE_SPY_CONTEXTS_URL"
# Seconds to wait for the relay's answer: it waits up to 2 s for a hung process, maybe behind another runner's call.
TIMEOUT = 10.0
# The relay is on this host: never through an HTTP proxy the environment may name.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

PARALLEL_NOTE = (
    "tests of several runners overlap in time: the lines a service runs while they overlap cannot be told apart by "
    "time, so each such test's coverage may hold the others' lines; the relay marks these events as parallel "
    '(contexts.jsonl, "parallel": true)'
)
XDIST_NOTE = (
    "pytest-xdist runs tests in parallel: the measured services switch coverage context per test for all of them at "
    "once, so tests that run at the same time cannot be told apart by time and their coverage will be reported as "
    "parallel (attribution per test holds only for tests that ran alone; run with -n 0 for exact attribution)"
)


class RelayError(Exception):
    """The relay could not be told: the message names its URL and the cause."""

    def __init__(self, message: str, timed_out: bool = False) -> None:
        """`timed_out`: the relay did not answer in TIMEOUT seconds."""
        super().__init__(message)
        self.timed_out = timed_out


class _State:
    """What this process has said already, and whether it still talks to the relay."""

    said: set[str] = set()  # one per process, on purpose
    gave_up = False  # after a timeout: every later call would wait as long


def _say(key: str, message: str) -> None:
    """Says `message` on stderr, once per `key` per process."""
    if key in _State.said:
        return
    _State.said.add(key)
    print(f"coverage-spy: {message}", file=sys.stderr, flush=True)


def relay_url() -> str | None:
    """The relay's URL from COVERAGE_SPY_CONTEXTS_URL, without a trailing slash; None when unset or empty."""
    url = os.environ.get(URL_ENV, "").strip()
    return url.rstrip("/") or None


def runner_id(pid: int | None = None) -> str:
    """Who runs the tests: the pytest-xdist worker id, JEST_WORKER_ID, or "<hostname>:<pid>" (this process's)."""
    for env in ("PYTEST_XDIST_WORKER", "JEST_WORKER_ID"):
        if os.environ.get(env):
            return os.environ[env]
    return f"{socket.gethostname()}:{os.getpid() if pid is None else pid}"


def post(
    event: str, test: str, runner: str | None = None, url: str | None = None, ends: str | None = None
) -> dict[str, Any]:
    """POSTs {"test", "runner"} to <url>/tests/<event> ("start" or "end"); the relay's answer, or RelayError.

    ends (a start only): the runner's test that ended just before, ended in the same switch.
    """
    url = url or relay_url()
    if not url:
        raise RelayError(f"{URL_ENV} is not set: the test run sets it to the contexts relay's URL")
    fields = {"test": test, "runner": runner or runner_id()}
    if ends is not None:
        fields["ends"] = ends
    body = json.dumps(fields).encode()
    request = urllib.request.Request(
        f"{url}/tests/{event}", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    what = f"the contexts relay at {url} ({URL_ENV})"
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            raw = response.read()
    except urllib.error.HTTPError as e:
        raise RelayError(f"{what} refused {event} {test!r}: HTTP {e.code}: {_error_of(e)}") from None
    except urllib.error.URLError as e:
        timed_out = isinstance(e.reason, socket.timeout)
        raise RelayError(f"cannot reach {what}: {e.reason}", timed_out) from None
    except ValueError as e:  # not a URL urllib can open
        raise RelayError(f"{what} is not an http:// URL: {e}") from None
    except (OSError, http.client.HTTPException) as e:  # a timeout or a hang-up while reading the answer
        raise RelayError(f"no answer from {what}: {e!r}", isinstance(e, socket.timeout)) from None
    try:
        answer = json.loads(raw)
    except ValueError:
        raise RelayError(f"{what} answered something that is not JSON: {raw[:200]!r}") from None
    if not isinstance(answer, dict):
        raise RelayError(f"{what} answered {answer!r}, not a JSON object")
    return answer


def _error_of(error: urllib.error.HTTPError) -> str:
    """The relay's {"error"} from an HTTP error answer, else its body or reason."""
    try:
        raw = error.read()
        return str(json.loads(raw)["error"])
    except (OSError, ValueError, KeyError, TypeError):
        return str(error.reason)


def _tell(event: str, test: str, runner: str | None, ends: str | None = None) -> dict[str, Any] | None:
    """post(), for a running test suite: never raises; says a failure, failed processes and parallel tests once."""
    if _State.gave_up or not relay_url():
        return None
    try:
        answer = post(event, test, runner, ends=ends)
    except Exception as e:  # noqa: BLE001 - a RelayError, or anything else: never the user's tests' failure
        if not isinstance(e, RelayError):
            e = RelayError(f"telling the contexts relay failed: {e!r}")
        if e.timed_out:
            _State.gave_up = True
        later = "nothing more is sent to it" if e.timed_out else "later failures are not reported"
        _say(
            "relay timeout" if e.timed_out else "relay",
            f"warning: {e}. The tests go on, but the coverage of {test!r} and later tests may be recorded under "
            f"the wrong context ({later}).",
        )
        return None
    failed = answer.get("failed")
    if failed:
        _say(
            "failed",
            f"warning: at the {event} of {test!r}, {len(failed)} measured process(es) did not switch coverage "
            f"context in time ({', '.join(map(str, failed))}): their lines may be recorded under the wrong test "
            "(said once; the relay's log names each).",
        )
    if answer.get("parallel"):
        _say("parallel", PARALLEL_NOTE)
    return answer


def start(test: str, runner: str | None = None, ends: str | None = None) -> dict[str, Any] | None:
    """Test `test` starts: the relay switches every measured process to it. Its answer; None when nothing was sent.

    ends: the runner's test that ended just before and was not told yet (see Boundaries): one switch for both.
    """
    return _tell("start", test, runner, ends)


def end(test: str, runner: str | None = None) -> dict[str, Any] | None:
    """Test `test` ended: back to "(no test)" (or another runner's open test). Its answer, or None if none sent."""
    return _tell("end", test, runner)


class Boundaries:
    """A runner's test boundaries, one call to the relay per test where nothing of the suite runs between two tests.

    Each call costs a round trip to the relay and a switch of every measured process (about 2 ms): the end of a test
    is held back when the runner says nothing runs before the next test starts (`end(name, next_follows=True)`), and
    sent with that start (`ends`). Code between two tests (unittest's setUpClass, say) is run only after an end that
    was sent, so it stays outside every test. flush() sends an end held back (at the end of the run).
    """

    def __init__(self, runner: str | None = None) -> None:
        """Boundaries of `runner` (default: runner_id())."""
        self.runner = runner
        self.held: str | None = None  # a test that ended, its end not sent yet

    def start(self, test: str) -> None:
        """`test` starts; the end held back, if any, goes with it."""
        held, self.held = self.held, None
        start(test, self.runner, ends=held)

    def end(self, test: str, next_follows: bool = False) -> None:
        """`test` ended; next_follows: the next test starts with nothing run before it, so the end can wait for it."""
        if next_follows:
            self.held = test
        else:
            self.held = None
            end(test, self.runner)

    def flush(self) -> None:
        """Sends the end held back, if any."""
        if self.held is not None:
            self.end(self.held)


# --- pytest plugin: pytest -p coverage_spy_runner ----------------------------------------------------------------


class _Pytest:
    """The plugin's settings for this pytest process."""

    sending = True  # False in the pytest-xdist controller: its workers tell the relay, as they run the tests
    boundaries = Boundaries()


def pytest_configure(config: Any) -> None:
    """Under pytest-xdist: workers send with their worker id; the controller sends nothing and says why once."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        _Pytest.boundaries = Boundaries(str(workerinput.get("workerid") or runner_id()))
        _State.said.add("parallel")  # the controller says it, where the user sees it
    elif config.getoption("dist", "no") != "no" and config.getoption("tx", None):
        _Pytest.sending = False


def pytest_sessionstart(session: Any) -> None:
    """The controller of pytest-xdist says once, before the tests, that parallel tests cannot be told apart."""
    if _Pytest.sending or not relay_url():
        return
    _State.said.add("parallel")
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"coverage-spy: {XDIST_NOTE}", yellow=True)
    else:
        _say("xdist", XDIST_NOTE)


def pytest_runtest_logstart(nodeid: str) -> None:
    """A test starts (its setup is part of it)."""
    if _Pytest.sending:
        _Pytest.boundaries.start(nodeid)


def pytest_runtest_logfinish(nodeid: str) -> None:
    """A test ended (its teardown is part of it).

    Its end waits for the next test's start: pytest runs every fixture's setup and teardown, whatever its scope,
    within a test's setup and teardown, so nothing of the suite runs between two tests.
    """
    if _Pytest.sending:
        _Pytest.boundaries.end(nodeid, next_follows=True)


def pytest_sessionfinish() -> None:
    """The last test's end."""
    if _Pytest.sending:
        _Pytest.boundaries.flush()


# --- unittest: python3 -m coverage_spy_runner unittest [args] -----------------------------------------------------


def planned_order(suite: unittest.TestSuite | unittest.TestCase) -> list[Any]:
    """The tests of `suite` in the order unittest runs them (nested suites flattened)."""
    if isinstance(suite, unittest.TestSuite):
        return [test for child in suite for test in planned_order(child)]
    return [suite]


def next_classes(order: list[Any]) -> dict[tuple[int, str], type]:
    """{(id(test), test.id()): the class of the test planned after it}.

    No reference to a test is kept, so unittest can still free each test once it ran.
    """
    return {(id(test), test.id()): type(following) for test, following in zip(order, order[1:])}


class ContextTestResult(unittest.TextTestResult):
    """unittest's text result, telling the relay when each test starts and stops (by test.id())."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """As unittest's; ContextTestRunner gives it the run's planned order."""
        super().__init__(*args, **kwargs)
        self.boundaries = Boundaries()
        self.next_class: dict[tuple[int, str], type] = {}

    def startTest(self, test: unittest.TestCase) -> None:  # noqa: N802  (unittest's naming)
        """Switches to the test, then lets unittest report it."""
        self.boundaries.start(test.id())
        super().startTest(test)

    def stopTest(self, test: unittest.TestCase) -> None:  # noqa: N802
        """Lets unittest finish the test, then switches back.

        When the next test is of the same class, its start carries this end: unittest runs class and module
        fixtures (setUpClass, setUpModule and their teardowns) only between tests of different classes.
        """
        super().stopTest(test)
        following = self.next_class.get((id(test), test.id()))
        self.boundaries.end(test.id(), next_follows=following is type(test))

    def stopTestRun(self) -> None:  # noqa: N802
        """The last test's end, also when the run stopped early (-f, Ctrl-C)."""
        self.boundaries.flush()
        super().stopTestRun()


class ContextTestRunner(unittest.TextTestRunner):
    """unittest's text runner with ContextTestResult: verbosity, -f, -b, -c work as with python3 -m unittest."""

    resultclass = ContextTestResult
    next_class: dict[tuple[int, str], type] = {}

    def run(self, test: unittest.TestSuite | unittest.TestCase) -> unittest.TestResult:
        """Runs `test` as unittest does, its result knowing which test follows which."""
        self.next_class = next_classes(planned_order(test))
        return super().run(test)

    def _makeResult(self) -> unittest.TextTestResult:  # noqa: N802  (unittest's naming)
        """The result unittest makes, given the run's planned order."""
        result = super()._makeResult()
        if isinstance(result, ContextTestResult):
            result.next_class = self.next_class
        return result


def run_unittest(args: list[str]) -> None:
    """Runs unittest's main exactly as `python3 -m unittest ARGS` would (exits with its code), telling the relay."""
    unittest.main(module=None, argv=["python3 -m coverage_spy_runner unittest", *args], testRunner=ContextTestRunner)


# --- the command ----------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """python3 -m coverage_spy_runner start|end NAME [--runner R] | unittest [args]."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["unittest"]:
        run_unittest(argv[1:])
        return 0  # not reached: unittest.main exits
    parser = argparse.ArgumentParser(
        prog="python3 -m coverage_spy_runner",
        description=f"Tells coverage-spy's contexts relay (at ${URL_ENV}) that a test starts or ended.",
        epilog="python3 -m coverage_spy_runner unittest [args]: runs `python3 -m unittest [args]`, telling the relay "
        "each test's start and end.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for event in ("start", "end"):
        command = commands.add_parser(event, help=f"the test NAME {'starts' if event == 'start' else 'ended'}")
        command.add_argument("name", metavar="NAME", help="the test's name: its coverage context")
        command.add_argument(
            "--runner",
            help="who runs it (default: $PYTEST_XDIST_WORKER or $JEST_WORKER_ID when set, else <hostname>:<pid of "
            "the process that runs this command>, the same for every command a script runs)",
        )
    commands.add_parser("unittest", help="run python3 -m unittest with contexts per test", add_help=False)
    args = parser.parse_args(argv)
    try:
        answer = post(args.command, args.name, args.runner or runner_id(os.getppid()))
    except RelayError as e:
        print(f"coverage-spy: {e}", file=sys.stderr)
        return 1
    print(json.dumps(answer))
    if answer.get("failed"):
        print(
            f"coverage-spy: warning: {len(answer['failed'])} measured process(es) did not switch: "
            + ", ".join(map(str, answer["failed"])),
            file=sys.stderr,
        )
    if answer.get("parallel"):
        print(f"coverage-spy: {PARALLEL_NOTE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
