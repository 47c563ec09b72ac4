"""The runner side of per-test contexts (runner/coverage_spy_runner.py): the unittest entry, the command and the
pytest plugin, against a fake relay (an HTTP server in this process that records every event it is told).

The pytest plugin runs under the pytest of scripts/runner-venv.sh (pytest and pytest-xdist at pinned versions):
its python comes from COVERAGE_SPY_PYTEST_PYTHON, and those tests fail when it is not set.
"""

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests import support
from tests.test_contexts_relay import RelayProcess

RUNNER_DIR = os.path.join(support.ASSETS, "runner")
URL_ENV = "COVERAGE_SPY_CONTEXTS_URL"

SAMPLE_UNITTEST = textwrap.dedent(
    """\
    import unittest


    class Shop(unittest.TestCase):
        def test_a_price(self):
            self.assertEqual(1 + 1, 2)

        def test_b_broken(self):
            self.assertEqual(1 + 1, 3)

        @unittest.skip("not today")
        def test_c_skipped(self):
            pass
    """
)

SAMPLE_PYTEST = textwrap.dedent(
    """\
    import pytest


    def test_one():
        assert True


    @pytest.mark.parametrize("n", [1, 2, 3])
    def test_many(n):
        assert n > 0
    """
)


class FakeRelay:
    """An HTTP server on a free local port that answers like the relay and records (event, body) in order.

    `hold`: it answers nothing until closed, a relay that never answers in time however slow the client is.
    """

    def __init__(self, status=200, answer=None, hold=False):
        self.events = []
        self.lock = threading.Lock()
        self.released = threading.Event()
        if not hold:
            self.released.set()
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with relay.lock:
                    relay.events.append((self.path.rsplit("/", 1)[-1], body))
                    seq = len(relay.events)
                relay.released.wait()
                reply = {"context": body["test"], "seq": seq, "processes": 0, "failed": [], "ms": 0.1}
                reply["parallel"] = False
                reply.update(answer or {})
                if status != 200:
                    reply = {"error": "the fake relay refuses"}
                data = json.dumps(reply).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the runner gave up waiting (the timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

    def told(self):
        """[(event, test, runner), ...] in the order told, a start that ends a test as that end, then the start."""
        told = []
        for event, body in self.events:
            if "ends" in body:
                told.append(("end", body["ends"], body["runner"]))
            told.append((event, body["test"], body["runner"]))
        return told

    def by_test(self):
        """{test: [(event, runner), ...]} in the order told (see told())."""
        found = {}
        for event, test, runner in self.told():
            found.setdefault(test, []).append((event, runner))
        return found


def closed_port_url():
    """A URL where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def run(args, cwd, url=None, python=None, extra_env=None):
    """Runs `python ARGS` with the runner folder on PYTHONPATH and the relay's URL (None: unset)."""
    env = {k: v for k, v in os.environ.items() if k not in (URL_ENV, "PYTEST_XDIST_WORKER", "JEST_WORKER_ID")}
    env.pop("PYTEST_ADDOPTS", None)
    env["PYTHONPATH"] = RUNNER_DIR
    if url:
        env[URL_ENV] = url
    env.update(extra_env or {})
    return subprocess.run(
        [python or sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


class RunnerTestCase(unittest.TestCase):
    def setUp(self):
        temp = tempfile.TemporaryDirectory()
        self.addCleanup(temp.cleanup)
        self.dir = temp.name
        self.relay = FakeRelay()
        self.addCleanup(self.relay.close)

    def write(self, name, text):
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(text)


class UnittestEntryTest(RunnerTestCase):
    def test_each_test_starts_and_ends_by_its_id_and_unittest_exit_code_and_output_stay(self):
        self.write("test_sample.py", SAMPLE_UNITTEST)
        result = run(["-m", "coverage_spy_runner", "unittest", "-v"], self.dir, self.relay.url)
        self.assertEqual(result.returncode, 1, result.stderr)  # one test fails: unittest's code
        self.assertIn("test_a_price (test_sample.Shop", result.stderr)  # -v reached unittest
        self.assertIn("FAILED (failures=1, skipped=1)", result.stderr)
        self.assertNotIn("coverage-spy", result.stderr)
        names = ["test_sample.Shop.test_a_price", "test_sample.Shop.test_b_broken", "test_sample.Shop.test_c_skipped"]
        self.assertEqual([(e, test) for e, test, _ in self.relay.told()], [
            (event, name) for name in names for event in ("start", "end")
        ])  # fmt: skip
        # One call per test: the end of a test goes with the next start of its class.
        self.assertEqual([(e, b["test"], b.get("ends")) for e, b in self.relay.events], [
            ("start", names[0], None), ("start", names[1], names[0]), ("start", names[2], names[1]),
            ("end", names[2], None),
        ])  # fmt: skip
        runners = {body["runner"] for _, body in self.relay.events}
        self.assertEqual(len(runners), 1)
        host, _, pid = runners.pop().rpartition(":")
        self.assertEqual(host, socket.gethostname())
        self.assertTrue(pid.isdigit())

    def test_class_fixtures_run_after_an_end_that_was_sent(self):
        # The fake relay notes each fixture as it runs: setUpClass and tearDownClass must come outside every test.
        self.write(
            "test_classes.py",
            textwrap.dedent(
                f"""\
                import json, os, unittest, urllib.request

                def note(what):
                    request = urllib.request.Request(
                        os.environ["{URL_ENV}"] + "/fixture", data=json.dumps({{"test": what, "runner": "-"}}).encode()
                    )
                    urllib.request.urlopen(request).read()

                class A(unittest.TestCase):
                    @classmethod
                    def tearDownClass(cls):
                        note("A.tearDownClass")
                    def test_1(self):
                        pass
                    def test_2(self):
                        pass

                class B(unittest.TestCase):
                    @classmethod
                    def setUpClass(cls):
                        note("B.setUpClass")
                    def test_1(self):
                        pass
                """
            ),
        )
        result = run(["-m", "coverage_spy_runner", "unittest", "test_classes"], self.dir, self.relay.url)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual([(e, test) for e, test, _ in self.relay.told()], [
            ("start", "test_classes.A.test_1"), ("end", "test_classes.A.test_1"),
            ("start", "test_classes.A.test_2"), ("end", "test_classes.A.test_2"),
            ("fixture", "A.tearDownClass"), ("fixture", "B.setUpClass"),
            ("start", "test_classes.B.test_1"), ("end", "test_classes.B.test_1"),
        ])  # fmt: skip
        calls = [e for e, _ in self.relay.events if e != "fixture"]
        self.assertEqual(len(calls), 5)  # A.test_1's end went with A.test_2's start

    def test_a_run_stopped_early_still_ends_its_last_test(self):
        self.write("test_sample.py", SAMPLE_UNITTEST)
        result = run(["-m", "coverage_spy_runner", "unittest", "-f"], self.dir, self.relay.url)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertEqual([(e, test) for e, test, _ in self.relay.told()], [
            ("start", "test_sample.Shop.test_a_price"), ("end", "test_sample.Shop.test_a_price"),
            ("start", "test_sample.Shop.test_b_broken"), ("end", "test_sample.Shop.test_b_broken"),
        ])  # fmt: skip

    def test_arguments_pass_to_unittest(self):
        self.write("test_sample.py", SAMPLE_UNITTEST)
        result = run(
            ["-m", "coverage_spy_runner", "unittest", "test_sample.Shop.test_a_price"], self.dir, self.relay.url
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual([b["test"] for _, b in self.relay.events], ["test_sample.Shop.test_a_price"] * 2)

    def test_url_unset_sends_nothing_and_the_tests_run(self):
        self.write("test_sample.py", SAMPLE_UNITTEST)
        result = run(["-m", "coverage_spy_runner", "unittest", "-k", "price"], self.dir)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("Ran 1 test", result.stderr)
        self.assertNotIn("coverage-spy", result.stderr)
        self.assertEqual(self.relay.events, [])

    def test_relay_down_warns_once_and_never_fails_the_tests(self):
        self.write("test_sample.py", SAMPLE_UNITTEST)
        url = closed_port_url()
        result = run(["-m", "coverage_spy_runner", "unittest", "-k", "price", "-k", "skipped"], self.dir, url)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("OK (skipped=1)", result.stderr)
        self.assertEqual(result.stderr.count("coverage-spy:"), 1, result.stderr)
        self.assertIn(f"cannot reach the contexts relay at {url}", result.stderr)
        self.assertIn("Connection refused", result.stderr)

    def test_relay_error_answer_warns_once(self):
        self.relay.close()
        self.relay = FakeRelay(status=400)
        self.write("test_sample.py", SAMPLE_UNITTEST)
        result = run(["-m", "coverage_spy_runner", "unittest", "-k", "price"], self.dir, self.relay.url)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr.count("coverage-spy:"), 1, result.stderr)
        self.assertIn("HTTP 400: the fake relay refuses", result.stderr)

    def test_parallel_and_failed_processes_in_answers_are_said_once(self):
        self.relay.close()
        self.relay = FakeRelay(answer={"parallel": True, "failed": ["api/.ctx.h.pid7.sock"]})
        self.write("test_sample.py", SAMPLE_UNITTEST)
        result = run(["-m", "coverage_spy_runner", "unittest"], self.dir, self.relay.url)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertEqual(result.stderr.count("cannot be told apart"), 1, result.stderr)
        self.assertEqual(result.stderr.count("api/.ctx.h.pid7.sock"), 1, result.stderr)


class CommandTest(RunnerTestCase):
    def test_start_and_end_tell_the_relay(self):
        started = run(["-m", "coverage_spy_runner", "start", "login flow", "--runner", "ci"], self.dir, self.relay.url)
        self.assertEqual(started.returncode, 0, started.stderr)
        self.assertEqual(json.loads(started.stdout)["context"], "login flow")
        ended = run(["-m", "coverage_spy_runner", "end", "login flow", "--runner", "ci"], self.dir, self.relay.url)
        self.assertEqual(ended.returncode, 0, ended.stderr)
        self.assertEqual(
            self.relay.events,
            [("start", {"test": "login flow", "runner": "ci"}), ("end", {"test": "login flow", "runner": "ci"})],
        )

    def test_default_runner_is_the_calling_process_or_a_worker_id(self):
        # Two commands run by one script share a runner: the script's.
        script = "python3 -m coverage_spy_runner start a && python3 -m coverage_spy_runner end a"
        env = {"PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}
        result = run(["-c", f"import subprocess; subprocess.run({script!r}, shell=True, check=True)"], self.dir,
                     self.relay.url, extra_env=env)  # fmt: skip
        self.assertEqual(result.returncode, 0, result.stderr)
        runners = [body["runner"] for _, body in self.relay.events]
        self.assertEqual(len(set(runners)), 1, runners)
        self.assertTrue(runners[0].startswith(socket.gethostname() + ":"))
        run(["-m", "coverage_spy_runner", "start", "b"], self.dir, self.relay.url, extra_env={"JEST_WORKER_ID": "3"})
        run(
            ["-m", "coverage_spy_runner", "start", "c"],
            self.dir,
            self.relay.url,
            extra_env={"PYTEST_XDIST_WORKER": "gw5"},
        )
        self.assertEqual([body["runner"] for _, body in self.relay.events[2:]], ["3", "gw5"])

    def test_url_unset_exits_1_naming_the_variable(self):
        result = run(["-m", "coverage_spy_runner", "start", "a"], self.dir)
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"{URL_ENV} is not set", result.stderr)

    def test_relay_down_exits_1_naming_url_and_cause(self):
        url = closed_port_url()
        result = run(["-m", "coverage_spy_runner", "end", "a"], self.dir, url)
        self.assertEqual(result.returncode, 1)
        self.assertIn(url, result.stderr)
        self.assertIn("Connection refused", result.stderr)

    def test_relay_error_exits_1_with_its_error(self):
        self.relay.close()
        self.relay = FakeRelay(status=400)
        result = run(["-m", "coverage_spy_runner", "start", "a"], self.dir, self.relay.url)
        self.assertEqual(result.returncode, 1)
        self.assertIn("HTTP 400: the fake relay refuses", result.stderr)

    def test_usage_error_exits_2(self):
        self.assertEqual(run(["-m", "coverage_spy_runner", "middle", "a"], self.dir, self.relay.url).returncode, 2)


class FunctionsTest(RunnerTestCase):
    """start() and end() called in this process, as any Python harness would."""

    def setUp(self):
        super().setUp()
        sys.path.insert(0, RUNNER_DIR)
        self.addCleanup(sys.path.remove, RUNNER_DIR)
        import coverage_spy_runner

        self.runner = coverage_spy_runner
        self.addCleanup(self.runner._State.said.clear)
        self.addCleanup(setattr, self.runner._State, "gave_up", False)
        old = os.environ.get(URL_ENV)
        self.addCleanup(lambda: os.environ.pop(URL_ENV, None) if old is None else os.environ.update({URL_ENV: old}))

    def test_answers_and_runner_id(self):
        os.environ[URL_ENV] = self.relay.url + "/"
        self.assertEqual(self.runner.start("t", runner="me")["context"], "t")
        self.assertEqual(self.runner.end("t")["seq"], 2)
        self.assertEqual(self.relay.events[0][1]["runner"], "me")
        self.assertEqual(self.relay.events[1][1]["runner"], f"{socket.gethostname()}:{os.getpid()}")

    def test_relay_that_does_not_answer_in_time_is_given_up_on(self):
        self.relay.close()
        self.relay = FakeRelay(hold=True)
        os.environ[URL_ENV] = self.relay.url
        self.addCleanup(setattr, self.runner, "TIMEOUT", self.runner.TIMEOUT)
        self.runner.TIMEOUT = 0.2
        with tempfile.TemporaryFile("w+") as err:
            old_stderr, sys.stderr = sys.stderr, err
            try:
                self.assertIsNone(self.runner.start("t"))
                self.assertIsNone(self.runner.end("t"))  # not sent: it would wait as long again
            finally:
                sys.stderr = old_stderr
            err.seek(0)
            said = err.read()
        self.assertEqual(len(self.relay.events), 1)
        self.assertEqual(said.count("coverage-spy:"), 1, said)
        self.assertIn("nothing more is sent to it", said)


def pytest_python(test):
    """The python of scripts/runner-venv.sh; the test fails (never skips) without it."""
    python = os.environ.get("COVERAGE_SPY_PYTEST_PYTHON")
    if not python or not os.access(python, os.X_OK):
        test.fail("set COVERAGE_SPY_PYTEST_PYTHON to the python scripts/runner-venv.sh prints (pytest, pytest-xdist)")
    return python


class PytestPluginTest(RunnerTestCase):
    def pytest(self, *args, url=None):
        self.write("test_sample.py", SAMPLE_PYTEST)
        result = run(
            ["-m", "pytest", "-p", "coverage_spy_runner", "-p", "no:cacheprovider", *args, "test_sample.py"],
            self.dir,
            url,
            python=pytest_python(self),
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        return result.stdout + result.stderr

    NODEIDS = ["test_sample.py::test_one"] + [f"test_sample.py::test_many[{n}]" for n in (1, 2, 3)]

    def test_each_test_starts_and_ends_by_its_nodeid(self):
        output = self.pytest("-q", url=self.relay.url)
        self.assertIn("4 passed", output)
        self.assertNotIn("coverage-spy", output)
        self.assertEqual([(e, test) for e, test, _ in self.relay.told()], [
            (event, nodeid) for nodeid in self.NODEIDS for event in ("start", "end")
        ])  # fmt: skip
        self.assertEqual(len(self.relay.events), len(self.NODEIDS) + 1)  # an end goes with the next start
        self.assertEqual(len({b["runner"] for _, b in self.relay.events}), 1)

    def test_xdist_workers_tell_the_relay_and_the_run_says_it_is_parallel(self):
        output = self.pytest("-n", "2", url=self.relay.url)
        self.assertIn("4 passed", output)
        self.assertEqual(output.count("cannot be told apart by time"), 1, output)
        self.assertIn("reported as parallel", output)
        by_test = self.relay.by_test()
        # Once per test, from the worker that ran it (the controller sends nothing).
        self.assertEqual(sorted(by_test), sorted(self.NODEIDS))
        for nodeid, told in by_test.items():
            self.assertEqual([event for event, _ in told], ["start", "end"], nodeid)
            self.assertEqual(told[0][1], told[1][1])
            self.assertIn(told[0][1], ("gw0", "gw1"))

    def test_url_unset_sends_nothing_and_the_tests_run(self):
        output = self.pytest("-q")
        self.assertIn("4 passed", output)
        self.assertNotIn("coverage-spy", output)
        self.assertEqual(self.relay.events, [])

    def test_xdist_without_url_says_nothing(self):
        output = self.pytest("-n", "2")
        self.assertIn("4 passed", output)
        self.assertNotIn("coverage-spy", output)

    def test_relay_down_warns_and_the_tests_pass(self):
        url = closed_port_url()
        output = self.pytest("-q", "-s", url=url)
        self.assertIn("4 passed", output)
        self.assertEqual(output.count("coverage-spy:"), 1, output)
        self.assertIn(url, output)


class RunnerTimingTest(unittest.TestCase):
    """Measures, prints, asserts nothing: start() and end() against the real relay with no process to tell."""

    def test_round_trip(self):
        sys.path.insert(0, RUNNER_DIR)
        self.addCleanup(sys.path.remove, RUNNER_DIR)
        import coverage_spy_runner

        with tempfile.TemporaryDirectory() as data:
            relay = RelayProcess(data)
            self.addCleanup(relay.stop)
            old = os.environ.get(URL_ENV)
            os.environ[URL_ENV] = relay.url
            try:
                times = []
                for i in range(100):
                    started = time.perf_counter()
                    answer = (coverage_spy_runner.start if i % 2 == 0 else coverage_spy_runner.end)("t")
                    times.append((time.perf_counter() - started) * 1000)
                    self.assertIsNotNone(answer)
            finally:
                if old is None:
                    del os.environ[URL_ENV]
                else:
                    os.environ[URL_ENV] = old
            print(
                f"\n[runner timing] start()/end() round trip to the relay, no processes: median "
                f"{statistics.median(times):.2f} ms (of 100)",
                file=sys.stderr,
            )


if __name__ == "__main__":
    unittest.main()
