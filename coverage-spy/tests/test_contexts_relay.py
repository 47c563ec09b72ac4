"""The per-test contexts relay (contexts_relay.py) as it runs: a real subprocess on a free port, against a temporary
data folder whose service folders hold fake measured processes, small programs that speak the processes' side of
the wire ("<seq> <context>\\n" in, "ok <seq>\\n" out) on a .ctx.<host>.pid<pid>.sock socket and note what they got.
"""

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
import urllib.error
import urllib.request

from tests import support

RELAY = os.path.join(support.ASSETS, "contexts_relay.py")
RUN = "20261124T120000Z-cccccc"
OUTSIDE = "(no test)"

# A measured process's side of the wire, faked. argv: socket path, mode. Modes: ok (answers), hang (reads, never
# answers), stall (answers its first line 2.5 s late, then at once), busy (answers from a thread while the main
# thread keeps the GIL busy, as an app's would).
# Each line received is appended to <socket>.got before the answer. Prints "ready" once it listens.
FAKE_PROCESS = textwrap.dedent(
    """\
    import os, socket, sys, threading, time
    path, mode = sys.argv[1], sys.argv[2]
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    folder, name = os.path.split(path)
    dir_fd = os.open(folder, os.O_RDONLY)
    # A path longer than sun_path is bound through /proc/self/fd, as the spy does.
    server.bind(path if len(os.fsencode(path)) <= 107 else f"/proc/self/fd/{dir_fd}/{name}")
    server.listen(64)
    hung = []

    def serve():
        while True:
            conn, _ = server.accept()
            got = b""
            while not got.endswith(b"\\n"):
                chunk = conn.recv(256)
                if not chunk:
                    break
                got += chunk
            with open(path + ".got", "ab") as f:
                f.write(got)
            if mode == "hang":
                hung.append(conn)
                continue
            if mode == "stall" and not hung:
                hung.append(conn)
                time.sleep(2.5)
            # Written before the answer goes out: whoever reads it once the answer arrived finds the line there.
            with open(path + ".answered", "ab") as f:
                f.write(got)
            try:
                conn.sendall(b"ok " + got.split(b" ", 1)[0] + b"\\n")
            except OSError:
                pass  # the relay gave up on this one already
            conn.close()

    print("ready", flush=True)
    if mode == "busy":
        threading.Thread(target=serve, daemon=True).start()
        n = 0
        while True:
            n += 1
    serve()
    """
)


class FakeProcess:
    """One fake measured process listening in a service folder."""

    def __init__(self, folder, mode="ok", pid=None):
        os.makedirs(folder, exist_ok=True)
        self.name = f".ctx.{socket.gethostname().replace('.', '_')}.pid{pid or len(os.listdir(folder)) + 1000}.sock"
        self.path = os.path.join(folder, self.name)
        self.label = f"{os.path.basename(folder)}/{self.name}"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", FAKE_PROCESS, self.path, mode], stdout=subprocess.PIPE, text=True
        )
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError(f"fake process for {self.path} did not start")

    def got(self, suffix=".got"):
        """The lines it received, in order (suffix ".answered": those it answers, written before the answer)."""
        try:
            with open(self.path + suffix) as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def kill(self):
        """SIGKILL: its socket file stays behind, as a killed process's does."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()


class RelayProcess:
    """contexts_relay.py as a subprocess on a free port; `post` and `get` talk to it."""

    def __init__(self, data_dir, run_id=RUN):
        self.run_folder = os.path.join(data_dir, "runs", run_id)
        self.proc = subprocess.Popen(
            [sys.executable, RELAY, "--data-dir", data_dir, "--run-id", run_id, "--port", "0"],
            stderr=subprocess.PIPE,
            text=True,
        )
        self.startup = self.proc.stderr.readline()
        if "listening on 0.0.0.0:" not in self.startup:
            self.proc.kill()
            raise RuntimeError(f"the relay did not start: {self.startup}{self.proc.stderr.read()}")
        self.port = int(self.startup.split("0.0.0.0:")[1].split(",")[0])
        self.url = f"http://127.0.0.1:{self.port}"

    def request(self, method, path, body=None):
        """(status, answer as JSON) of one request; `body`: an object (sent as JSON) or raw bytes."""
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def post(self, event, test, runner=None, ends=None):
        body = {"test": test} if runner is None else {"test": test, "runner": runner}
        if ends is not None:
            body["ends"] = ends
        status, answer = self.request("POST", f"/tests/{event}", body)
        if status != 200:
            raise AssertionError(f"{event} {test}: {status} {answer}")
        return answer

    def stop(self):
        """SIGTERM; (exit code, the rest of its stderr)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return self.proc.returncode, err

    def context_file(self):
        with open(os.path.join(self.run_folder, ".context")) as f:
            return json.load(f)

    def events(self):
        try:
            with open(os.path.join(self.run_folder, "contexts.jsonl")) as f:
                return [json.loads(line) for line in f]
        except FileNotFoundError:
            return []


class RelayTestCase(unittest.TestCase):
    """A temporary data folder with a relay for its run; fakes made with fake() are killed at the end."""

    def setUp(self):
        temp = tempfile.TemporaryDirectory()
        self.addCleanup(temp.cleanup)
        self.data = temp.name
        self.run_folder = os.path.join(self.data, "runs", RUN)
        self.fakes = []
        self.addCleanup(self.kill_fakes)
        self.relay = RelayProcess(self.data)
        self.addCleanup(self.relay.stop)

    def kill_fakes(self):
        for fake in self.fakes:
            fake.kill()

    def fake(self, service, mode="ok", pid=None):
        fake = FakeProcess(os.path.join(self.run_folder, service), mode, pid)
        self.fakes.append(fake)
        return fake


class RelayTest(RelayTestCase):
    def test_healthz(self):
        self.assertEqual(self.relay.request("GET", "/healthz"), (200, {"ok": True}))
        self.assertEqual(self.relay.request("GET", "/nothing")[0], 404)

    def test_start_and_end_switch_every_process_and_write_context_and_log(self):
        fakes = [self.fake("api"), self.fake("api"), self.fake("worker"), self.fake("worker")]
        started = self.relay.post("start", "tests/test_shop.py::test_price", "r1")
        self.assertEqual(started["context"], "tests/test_shop.py::test_price")
        self.assertEqual((started["seq"], started["processes"], started["failed"]), (1, 4, []))
        self.assertFalse(started["parallel"])
        # The answer comes after every process switched: each got the line already.
        for fake in fakes:
            self.assertEqual(fake.got(), ["1 tests/test_shop.py::test_price"])
        self.assertEqual(self.relay.context_file(), {"context": "tests/test_shop.py::test_price", "seq": 1})

        ended = self.relay.post("end", "tests/test_shop.py::test_price", "r1")
        self.assertEqual((ended["context"], ended["seq"], ended["processes"]), (OUTSIDE, 2, 4))
        for fake in fakes:
            self.assertEqual(fake.got(), ["1 tests/test_shop.py::test_price", f"2 {OUTSIDE}"])
        self.assertEqual(self.relay.context_file(), {"context": OUTSIDE, "seq": 2})

        events = self.relay.events()
        self.assertEqual([(e["event"], e["test"], e["runner"], e["seq"], e["context"]) for e in events], [
            ("start", "tests/test_shop.py::test_price", "r1", 1, "tests/test_shop.py::test_price"),
            ("end", "tests/test_shop.py::test_price", "r1", 2, OUTSIDE),
        ])  # fmt: skip
        for event in events:
            self.assertEqual((event["processes"], event["failed"], event["parallel"]), (4, 0, False))
            self.assertIsInstance(event["ms"], float)
            self.assertAlmostEqual(event["time"], time.time(), delta=60)
        # Quiet when nothing is wrong: the start-up line only.
        code, err = self.relay.stop()
        self.assertEqual((code, err), (0, ""))

    def test_runner_defaults_and_a_new_process_reads_the_context_file(self):
        self.relay.post("start", "t1")
        self.assertEqual(self.relay.events()[-1]["runner"], "default")
        late = self.fake("api")  # started mid-test: it would read .context; it gets the next switch
        self.assertEqual(self.relay.context_file(), {"context": "t1", "seq": 1})
        self.assertEqual(self.relay.post("end", "t1")["processes"], 1)
        self.assertEqual(late.got(), [f"2 {OUTSIDE}"])

    def test_dead_socket_is_removed_and_does_not_fail_the_call(self):
        alive = self.fake("api")
        dead = self.fake("api")
        dead.kill()
        self.assertTrue(os.path.exists(dead.path))
        answer = self.relay.post("start", "t1")
        self.assertEqual((answer["processes"], answer["failed"]), (1, []))
        self.assertFalse(os.path.exists(dead.path))
        self.assertEqual(alive.got(), ["1 t1"])
        self.assertEqual(self.relay.post("end", "t1")["processes"], 1)
        code, err = self.relay.stop()
        self.assertEqual((code, err), (0, ""))  # a killed process is no fault of the relay's

    def test_hung_process_fails_after_the_timeout_and_the_others_switch(self):
        fine = [self.fake("api"), self.fake("worker")]
        hung = self.fake("api", mode="hang")
        started = time.monotonic()
        answer = self.relay.post("start", "t1")
        took = time.monotonic() - started
        self.assertEqual((answer["processes"], answer["failed"]), (2, [hung.label]))
        self.assertGreaterEqual(took, 1.9)
        self.assertLess(took, 4)  # one timeout for all, not one after the other
        self.assertGreaterEqual(answer["ms"], 1900)
        for fake in fine:
            self.assertEqual(fake.got(), ["1 t1"])
        self.assertEqual(self.relay.events()[-1]["failed"], 1)
        # Still hung at the next test: told, but not waited for again.
        started = time.monotonic()
        answer = self.relay.post("end", "t1")
        self.assertLess(time.monotonic() - started, 2)  # waiting for it again would take its 2 s timeout
        self.assertEqual((answer["processes"], answer["failed"]), (2, [hung.label]))
        self.assertEqual(hung.got(), ["1 t1", f"2 {OUTSIDE}"])
        _, err = self.relay.stop()
        self.assertIn(hung.label, err)
        self.assertIn("no answer in 2 s", err)
        self.assertIn("no answer in 0.1 s", err)

    def test_a_process_that_was_late_once_is_waited_for_again_once_it_answers(self):
        self.fake("api")
        stalled = self.fake("worker", mode="stall")
        self.assertEqual(self.relay.post("start", "t1")["failed"], [stalled.label])
        self.assertEqual(self.relay.post("end", "t1")["failed"], [stalled.label])  # it still sleeps: 0.1 s only
        # Once it woke up and answered its old connections (the relay had closed them), it answers in time again.
        support.wait_for(self, lambda: len(stalled.got(".answered")) == 2, "the stalled process's two answers")
        self.assertEqual(self.relay.post("start", "t2")["processes"], 2)
        self.assertEqual(self.relay.post("end", "t2")["processes"], 2)
        self.assertEqual(stalled.got(), ["1 t1", f"2 {OUTSIDE}", "3 t2", f"4 {OUTSIDE}"])

    def test_socket_path_longer_than_sun_path_is_reached(self):
        long_service = "s" * (120 - len(self.run_folder))
        fake = self.fake(long_service)
        self.assertGreater(len(fake.path), 107)
        self.assertEqual(self.relay.post("start", "t1")["processes"], 1)
        self.assertEqual(fake.got(), ["1 t1"])

    def test_two_runners_overlapping_are_parallel(self):
        self.fake("api")
        self.assertFalse(self.relay.post("start", "a", "gw0")["parallel"])
        overlap = self.relay.post("start", "b", "gw1")
        self.assertEqual((overlap["context"], overlap["parallel"]), ("b", True))
        # a ends while b runs: the processes stay in b.
        self.assertEqual(self.relay.post("end", "a", "gw0")["context"], "b")
        last = self.relay.post("end", "b", "gw1")
        self.assertEqual((last["context"], last["parallel"]), (OUTSIDE, False))
        self.assertTrue(self.relay.post("start", "c", "gw0")["parallel"] is False)
        self.assertTrue(self.relay.post("start", "d", "gw1")["parallel"])
        self.assertEqual([e["parallel"] for e in self.relay.events()], [False, True, True, False, False, True])
        _, err = self.relay.stop()
        self.assertEqual(err.count("at the same time"), 1, err)  # said once on stderr

    def test_one_runners_tests_in_sequence_are_not_parallel(self):
        for test in ("a", "b", "c"):
            self.assertFalse(self.relay.post("start", test, "r")["parallel"])
            self.assertFalse(self.relay.post("end", test, "r")["parallel"])

    def test_a_start_that_ends_the_previous_test_switches_once(self):
        fake = self.fake("api")
        self.relay.post("start", "a", "r")
        merged = self.relay.post("start", "b", "r", ends="a")
        self.assertEqual((merged["context"], merged["seq"], merged["parallel"]), ("b", 2, False))
        self.assertEqual(fake.got(), ["1 a", "2 b"])  # no switch to OUTSIDE between a and b
        self.assertEqual(self.relay.post("end", "b", "r")["context"], OUTSIDE)
        events = self.relay.events()
        self.assertEqual(
            [(e["event"], e["test"], e.get("ended")) for e in events],
            [("start", "a", None), ("start", "b", "a"), ("end", "b", None)],
        )
        code, err = self.relay.stop()
        self.assertEqual((code, err), (0, ""))  # nothing was left open or ended twice

    def test_a_start_that_ends_a_test_not_open_says_so_and_starts(self):
        self.relay.post("start", "a", "r")
        self.assertEqual(self.relay.post("start", "b", "r", ends="x")["context"], "b")
        _, err = self.relay.stop()
        self.assertIn("runner 'r' has 'a' open, not this one", err)
        self.assertIn("runner 'r' had not ended 'a'", err)

    def test_ends_is_refused_on_an_end(self):
        status, answer = self.relay.request("POST", "/tests/end", {"test": "a", "ends": "b"})
        self.assertEqual(status, 400)
        self.assertIn('"ends" belongs to /tests/start', answer["error"])

    def test_end_from_another_runner_id_closes_the_test_of_that_name(self):
        # Two separate `coverage_spy_runner start/end` commands may not share a runner id.
        self.relay.post("start", "a", "host:100")
        self.assertEqual(self.relay.post("end", "a", "host:101")["context"], OUTSIDE)
        self.assertFalse(self.relay.post("start", "b", "host:102")["parallel"])
        code, err = self.relay.stop()
        self.assertEqual((code, err), (0, ""))

    def test_end_without_start_is_said(self):
        self.assertEqual(self.relay.post("end", "never", "r")["context"], OUTSIDE)
        _, err = self.relay.stop()
        self.assertIn("no test of runner 'r' was open", err)

    def test_malformed_body_is_refused_with_400(self):
        for body in (
            b"not json",
            b"[1]",
            {},
            {"test": 3},
            {"test": ""},
            {"test": "a\nb"},
            {"test": "a", "runner": 1},
            {"test": "a", "ends": ""},
            {"test": "a", "ends": 2},
        ):
            status, answer = self.relay.request("POST", "/tests/start", body)
            self.assertEqual(status, 400, body)
            self.assertIsInstance(answer["error"], str)
        self.assertEqual(self.relay.request("POST", "/tests/middle", {"test": "a"})[0], 404)
        self.assertEqual(self.relay.events(), [])
        self.assertFalse(os.path.exists(os.path.join(self.run_folder, ".context")))

    def test_seq_goes_on_from_an_existing_context_file(self):
        self.relay.stop()
        os.makedirs(self.run_folder)
        with open(os.path.join(self.run_folder, ".context"), "w") as f:
            json.dump({"context": "x", "seq": 41}, f)
        self.relay = RelayProcess(self.data)
        self.addCleanup(self.relay.stop)
        self.assertEqual(self.relay.post("start", "t")["seq"], 42)

    def test_sigterm_exits_zero_at_once(self):
        self.fake("api", mode="hang")
        self.relay.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.relay.proc.wait(timeout=5), 0)


class RelayTimingTest(RelayTestCase):
    """Measures, prints, asserts nothing: the time one test boundary takes, as the runner sees it and the relay."""

    def test_per_boundary_time(self):
        for count in (1, 4, 16):
            while len(self.fakes) < count:
                self.fake(f"svc{len(self.fakes) % 4}")
            round_trips, broadcasts = [], []
            for i in range(100):
                started = time.perf_counter()
                answer = self.relay.post("start" if i % 2 == 0 else "end", "t")
                round_trips.append((time.perf_counter() - started) * 1000)
                broadcasts.append(answer["ms"])
                self.assertEqual(answer["processes"], count)
            print(
                f"\n[relay timing] {count:2d} process(es): per boundary median {statistics.median(round_trips):.2f} ms "
                f"(HTTP round trip), {statistics.median(broadcasts):.2f} ms broadcast in the relay (of 100)",
                file=sys.stderr,
            )


if __name__ == "__main__":
    unittest.main()
