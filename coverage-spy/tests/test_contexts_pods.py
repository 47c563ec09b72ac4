"""Per-test contexts across pods: the relay with --pods-port and the pods' contexts sidecars, as real processes.

Each "pod" is a data folder of its own with fake measured processes listening in it (test_contexts_relay's fakes,
the spy's wire), and a real kubernetes/contexts_sidecar.py connected over TCP to a real contexts_relay.py; the relay's
own data folder stands for the stack's claim. Every wait is on an event (a ready file, a line on stderr, an answer).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import unittest

from tests import support
from tests.test_contexts_relay import OUTSIDE, RUN, FakeProcess, RelayProcess

SIDECAR = os.path.join(support.ASSETS, "kubernetes", "contexts_sidecar.py")


class PodsRelayProcess(RelayProcess):
    """contexts_relay.py with --pods-port 0: `pods_port` is the port the sidecars connect to."""

    def __init__(self, data_dir):
        self.run_folder = os.path.join(data_dir, "runs", RUN)
        self.proc = subprocess.Popen(
            [sys.executable, support.ASSETS + "/contexts_relay.py", "--data-dir", data_dir, "--run-id", RUN]
            + ["--port", "0", "--pods-port", "0"],
            stderr=subprocess.PIPE,
            text=True,
        )
        self.startup = self.proc.stderr.readline()
        if "pods connecting to port " not in self.startup:
            self.proc.kill()
            raise RuntimeError(f"the relay did not start: {self.startup}{self.proc.stderr.read()}")
        self.port = int(self.startup.split("0.0.0.0:")[1].split(",")[0])
        self.pods_port = int(self.startup.split("pods connecting to port ")[1].split()[0])
        self.url = f"http://127.0.0.1:{self.port}"


class Pod:
    """A pod: its own data folder, fake processes in its service folder, and its contexts sidecar."""

    def __init__(self, test, root, name, relay_address, join_timeout=120):
        self.data = os.path.join(root, name)
        self.run_folder = os.path.join(self.data, "runs", RUN)
        os.makedirs(self.run_folder)
        self.ready_file = os.path.join(root, f"{name}.ready")
        self.fakes = []
        test.addCleanup(self.kill_fakes)
        self.command = [sys.executable, SIDECAR, "--relay", relay_address, "--data-dir", self.data, "--run-id", RUN]
        self.command += ["--ready-file", self.ready_file, "--join-timeout", str(join_timeout)]
        self.test = test

    def start(self):
        """Starts the pod's contexts sidecar."""
        self.sidecar = subprocess.Popen(self.command, stderr=subprocess.PIPE, text=True)
        self.test.addCleanup(self.stop)
        self.lines = []
        self.line_seen = threading.Condition()
        self.reader = threading.Thread(target=self._read_stderr, daemon=True)
        self.reader.start()
        return self

    def _read_stderr(self):
        for line in self.sidecar.stderr:
            with self.line_seen:
                self.lines.append(line)
                self.line_seen.notify_all()

    def wait_for_line(self, test, text):
        """Waits until the sidecar wrote a line holding `text` on stderr (bounded only against a hang)."""
        with self.line_seen:
            if not self.line_seen.wait_for(lambda: any(text in line for line in self.lines), timeout=120):
                test.fail(f"the sidecar never said {text!r}: {self.lines}")

    def fake(self, service, pid, mode="ok"):
        fake = FakeProcess(os.path.join(self.run_folder, service), mode, pid)
        self.fakes.append(fake)
        return fake

    def context_file(self):
        with open(os.path.join(self.run_folder, ".context")) as f:
            return json.load(f)

    def kill_fakes(self):
        for fake in self.fakes:
            fake.kill()

    def stop(self):
        """SIGTERM to the sidecar; its exit code."""
        if self.sidecar.poll() is None:
            self.sidecar.send_signal(signal.SIGTERM)
        code = self.sidecar.wait(timeout=30)
        self.reader.join()  # it read to the end: the sidecar exited
        self.sidecar.stderr.close()
        return code


class PodsTest(unittest.TestCase):
    def setUp(self):
        temp = tempfile.TemporaryDirectory()
        self.addCleanup(temp.cleanup)
        self.root = temp.name
        os.makedirs(os.path.join(self.root, "claim", "runs"))  # as the collector makes it on the claim
        self.relay = PodsRelayProcess(os.path.join(self.root, "claim"))
        self.addCleanup(self.relay.stop)
        self.address = f"127.0.0.1:{self.relay.pods_port}"

    def pod(self, name, join_timeout=120):
        return Pod(self, self.root, name, self.address, join_timeout)

    def joined(self, pod):
        support.wait_for(self, lambda: os.path.exists(pod.ready_file), f"{pod.ready_file}")

    def test_every_process_of_every_pod_switches_before_the_relay_answers(self):
        first, second = self.pod("api-a"), self.pod("api-b")
        fakes = [first.fake("api", 11), first.fake("api", 12), second.fake("api", 21), second.fake("worker", 22)]
        first.start()
        second.start()
        # Joining, each sidecar was told the current context: the processes already listening switched to it.
        self.joined(first)
        self.joined(second)
        started = self.relay.post("start", "test_price")
        self.assertEqual((started["processes"], started["failed"], started["seq"]), (4, [], 1))
        for fake in fakes:  # answered only once every process of every pod had switched
            self.assertEqual(fake.got(".answered")[-1], "1 test_price")
        for pod in (first, second):
            self.assertEqual(pod.context_file(), {"context": "test_price", "seq": 1})
        ended = self.relay.post("end", "test_price")
        self.assertEqual((ended["processes"], ended["context"]), (4, OUTSIDE))
        self.assertEqual([(e["processes"], e["failed"]) for e in self.relay.events()], [(4, 0), (4, 0)])
        self.assertEqual(fakes[2].got(), [f"0 {OUTSIDE}", "1 test_price", f"2 {OUTSIDE}"])

    def test_a_pod_that_starts_during_a_test_switches_to_it_as_it_joins(self):
        early = self.pod("api-a")
        early.fake("api", 11)
        early.start()
        self.joined(early)
        self.relay.post("start", "test_bulk")
        late = self.pod("api-b")
        listening = late.fake("api", 21)  # started before its sidecar joined: it read no .context
        late.start()
        self.joined(late)
        self.assertEqual(listening.got(".answered"), ["1 test_bulk"])
        # The pod's .context now names the test: a process that starts later in the pod reads it.
        self.assertEqual(late.context_file(), {"context": "test_bulk", "seq": 1})
        self.assertEqual(self.relay.post("end", "test_bulk")["processes"], 2)

    def test_a_hung_process_of_a_pod_is_named_and_every_other_switches(self):
        pod = self.pod("api-a")
        fine = pod.fake("api", 11)
        hung = pod.fake("api", 12, mode="hang")
        pod.start()
        self.joined(pod)  # its join waited for the hung one's 2 s
        answer = self.relay.post("start", "t1")
        self.assertEqual((answer["processes"], answer["failed"]), (1, [hung.label]))
        self.assertEqual(fine.got(), [f"0 {OUTSIDE}", "1 t1"])
        self.assertEqual(self.relay.events()[-1]["failed"], 1)
        _, err = self.relay.stop()
        self.assertIn(f"{hung.label}: no answer in", err)

    def test_a_pod_that_stopped_is_dropped_without_a_failure(self):
        staying, leaving = self.pod("api-a"), self.pod("api-b")
        staying.fake("api", 11)
        leaving.fake("api", 21)
        staying.start()
        leaving.start()
        self.joined(staying)
        self.joined(leaving)
        self.assertEqual(self.relay.post("start", "t1")["processes"], 2)
        self.assertEqual(leaving.stop(), 0)
        answer = self.relay.post("end", "t1")
        self.assertEqual((answer["processes"], answer["failed"]), (1, []))
        code, err = self.relay.stop()
        self.assertEqual((code, err), (0, ""))

    def test_a_sidecar_follows_a_relay_that_starts_after_it(self):
        with socket.socket() as probe:  # a free port, for a relay that is not there yet
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        pod = Pod(self, self.root, "api-a", f"127.0.0.1:{port}")
        fake = pod.fake("api", 11)
        pod.start()
        pod.wait_for_line(self, "not reached")
        self.assertFalse(os.path.exists(pod.ready_file))  # the app waits for it (up to --join-timeout)
        relay = subprocess.Popen(
            [sys.executable, support.ASSETS + "/contexts_relay.py", "--data-dir", os.path.join(self.root, "claim")]
            + ["--run-id", RUN, "--port", "0", "--pods-port", str(port)],
            stderr=subprocess.PIPE,
            text=True,
        )
        self.addCleanup(relay.wait)
        self.addCleanup(relay.send_signal, signal.SIGTERM)
        self.assertIn("pods connecting", relay.stderr.readline())
        relay.stderr.close()
        pod.wait_for_line(self, "reached again")
        self.joined(pod)
        self.assertEqual(fake.got(".answered"), [f"0 {OUTSIDE}"])

    def test_an_unreachable_relay_does_not_hold_the_app_back(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        pod = Pod(self, self.root, "api-a", f"127.0.0.1:{port}", join_timeout=0.5).start()
        pod.wait_for_line(self, "the app starts all the same")
        self.assertTrue(os.path.exists(pod.ready_file))
        self.assertEqual(pod.stop(), 0)


class SidecarConfigurationTest(unittest.TestCase):
    def test_bad_options_are_named(self):
        with tempfile.TemporaryDirectory() as data:
            for args, message in (
                (["--relay", "nohost", "--data-dir", data], "--relay must be HOST:PORT"),
                (["--relay", "relay:99999", "--data-dir", data], "--relay must be HOST:PORT"),
                (["--relay", "relay:7000", "--data-dir", data + "/absent"], "is no folder"),
            ):
                done = subprocess.run(
                    [sys.executable, SIDECAR, *args, "--run-id", RUN, "--ready-file", "/tmp/x", "--join-timeout", "1"],
                    capture_output=True,
                    text=True,
                )
                self.assertEqual(done.returncode, 2, done.stderr)
                self.assertIn(message, done.stderr)


if __name__ == "__main__":
    unittest.main()
