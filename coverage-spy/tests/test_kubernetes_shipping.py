"""How a service's data leaves its pods on Kubernetes (kubernetes/shipper.py, kubernetes/collector.py), for real.

Each "pod" here is a data folder of its own, as the pod's emptyDir is, with measured processes whose host name is
the pod's name (a sitecustomize ahead of the spy's gives them the name, as a pod's UTS namespace does) and one
shipper, the pod's sidecar, shipping that folder to one collector on 127.0.0.1 while the processes run and save.
"""

import glob
import hashlib
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest

from tests import support

KUBERNETES = os.path.join(support.ASSETS, "kubernetes")
sys.path.insert(0, KUBERNETES)
import collector  # noqa: E402 - the real collector's handler, in the test that notes every body it takes

SHIPPER = os.path.join(KUBERNETES, "shipper.py")
COLLECTOR = os.path.join(KUBERNETES, "collector.py")
RUN = "20261205T190000Z-kkkkkk"
SERVICE = "shop"
PRICES = os.path.join("shop", "prices.py")
# Generous: only a real hang trips them on a loaded machine.
LIMIT = 120

# A service driven line by line on stdin: "book" and "pen" run app lines and answer once run.
CONSOLE = textwrap.dedent(
    """\
    import sys

    from shop import prices

    for command in sys.stdin:
        print(prices.price(command.strip()), flush=True)
    """
)

# Ahead of the spy's sitecustomize on PYTHONPATH: the process's host name is the pod's (FAKE_POD_NAME), for the spy's
# records and coverage.py's data file names alike, then the spy starts as in any service.
POD_NAME_SITECUSTOMIZE = textwrap.dedent(
    """\
    import importlib.util
    import os
    import socket

    if not getattr(socket, "fake_pod_name", None):
        socket.fake_pod_name = os.environ["FAKE_POD_NAME"]
        socket.gethostname = lambda: socket.fake_pod_name
        spec = importlib.util.spec_from_file_location("spy_sitecustomize", os.environ["SPY_SITECUSTOMIZE"])
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    """
)

# A data file as big as a large service's, made by coverage.py, then rewritten in a loop as coverage.py writes (no
# journal: a reader racing a write would see it half done), so the shipper nearly always finds a write in progress.
BIG_WRITER = textwrap.dedent(
    """\
    import sqlite3
    import sys

    import coverage

    path, rounds = sys.argv[1], 0
    coverage.CoverageData(basename=path).add_lines({"/app/module.py": range(1, 400)})
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("pragma journal_mode=off")
    while True:
        rounds += 1
        # Made before the write, as coverage.py makes its numbits: a reader gets the lock between two writes.
        rows = [(f"/app/{rounds}/{n}/{'x' * 100}.py",) for n in range(40000)]
        db.execute("begin")
        db.execute("delete from file where id > 1")
        db.executemany("insert into file (path) values (?)", rows)
        db.execute("commit")
    """
)


def read_log(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def shipped_rounds(log_path):
    """The shipper's log lines of rounds that shipped something."""
    return [line for line in read_log(log_path).splitlines() if " shipped " in line]


def coverage_module(lib):
    sys.path.insert(0, lib)
    try:
        import coverage
    finally:
        sys.path.remove(lib)
    return coverage


class Dropper:
    """A collector that is down: its port takes each connection and closes it at once, counting them."""

    def __init__(self, port):
        self.count = 0
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("0.0.0.0", port))
        self.listener.listen(16)
        self.thread = threading.Thread(target=self.drop, daemon=True)
        self.thread.start()

    def drop(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return  # closed: the collector comes back on this port
            connection.close()
            self.count += 1

    def close(self):
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.thread.join(LIMIT)


class Cluster:
    """The collector and the pods of one test: their folders, processes and logs."""

    def __init__(self, test, base):
        self.test = test
        self.base = base
        self.collected = os.path.join(base, "collected")
        os.makedirs(os.path.join(self.collected, "runs"))
        self.collector = None
        self.port = 0
        self.processes = []
        self.logs = 0

    def log_path(self, name):
        self.logs += 1
        return os.path.join(self.base, f"{name}.{self.logs}.log")

    def spawn(self, args, log, **kwargs):
        with open(log, "w") as out:
            process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, **kwargs)
        self.processes.append(process)
        return process

    def start_collector(self):
        """Starts the collector (on the port it had before, once it had one) and waits until it listens."""
        log = self.log_path("collector")
        args = [sys.executable, COLLECTOR, "--data-dir", self.collected, "--port", str(self.port)]
        self.collector = self.spawn(args, log)
        found = []

        def listening():
            found[:] = re.findall(r"listening on 0\.0\.0\.0:(\d+)", read_log(log))
            return found or self.collector.poll() is not None

        support.wait_for(self.test, listening, "the collector's start-up line", LIMIT)
        self.test.assertIsNone(self.collector.poll(), read_log(log))
        self.port = int(found[0])
        return log

    def stop_collector(self):
        self.collector.send_signal(signal.SIGTERM)
        self.test.assertEqual(self.collector.wait(LIMIT), 0)

    def collector_folder(self):
        return os.path.join(self.collected, "runs", RUN, SERVICE)

    def pod_data(self, pod):
        return os.path.join(self.base, "pods", pod)

    def pod_folder(self, pod):
        return os.path.join(self.pod_data(pod), "runs", RUN, SERVICE)

    def start_shipper(self, pod, interval="0.2", final_timeout="60", collector=None):
        """The pod's sidecar; returns (process, log path)."""
        os.makedirs(os.path.join(self.pod_data(pod), "runs"), exist_ok=True)
        log = self.log_path(f"shipper-{pod}")
        args = [
            sys.executable,
            SHIPPER,
            "--collector",
            collector or f"http://127.0.0.1:{self.port}",
            "--data-dir",
            self.pod_data(pod),
            "--run-id",
            RUN,
            "--service",
            SERVICE,
            "--interval",
            interval,
            "--final-timeout",
            final_timeout,
        ]
        process = self.spawn(args, log)
        # Its start-up line comes once it handles SIGTERM.
        support.wait_for(self.test, lambda: "shipping " in read_log(log), "the shipper's start-up line", LIMIT)
        return process, log

    def stop_shipper(self, shipper):
        """SIGTERM, as the kubelet sends the sidecar once the app's containers exited; returns its exit code."""
        shipper[0].send_signal(signal.SIGTERM)
        return shipper[0].wait(LIMIT)


class ShippingTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.lib = support.coverage_lib()
        self.coverage = coverage_module(self.lib)
        self.root = os.path.join(self.tmp.name, "app")
        support.write_app(self.root)
        with open(os.path.join(self.root, "shop", "console.py"), "w") as f:
            f.write(CONSOLE)
        self.shim = os.path.join(self.tmp.name, "pod-name")
        os.makedirs(self.shim)
        with open(os.path.join(self.shim, "sitecustomize.py"), "w") as f:
            f.write(POD_NAME_SITECUSTOMIZE)
        self.rc = os.path.join(self.tmp.name, "coveragerc")
        support.write_rc(self.rc, self.root, spy={"save_interval": "0.2"})
        self.cluster = Cluster(self, self.tmp.name)
        self.consoles = []

    def tearDown(self):
        support.end_processes(self.consoles)
        for process in self.cluster.processes:
            if process.poll() is None:
                process.kill()
            process.wait()
        self.tmp.cleanup()

    def wait_for(self, condition, what):
        support.wait_for(self, condition, what, LIMIT)

    # --- the pods' measured processes ---

    def start_console(self, pod):
        """A measured process of the pod, started as the service's are; waits for its start record."""
        os.makedirs(os.path.join(self.cluster.pod_data(pod), "runs"), exist_ok=True)
        folder = self.cluster.pod_folder(pod)
        env = support.measured_env(self.root, self.rc, os.path.join(folder, ".coverage"), lib=self.lib)
        env["PYTHONPATH"] = os.pathsep.join([self.shim, env["PYTHONPATH"]])
        env.update({"FAKE_POD_NAME": pod, "SPY_SITECUSTOMIZE": os.path.join(support.SITE, "sitecustomize.py")})
        return support.start_console(self, env, self.root, self.consoles, records_in=folder, timeout=LIMIT)

    def send(self, process, command):
        return support.send(process, command)

    def stop_console(self, process):
        """SIGTERM, as the kubelet stops the app's container; the spy saves and leaves an end record."""
        status = support.stop_console(self, process, LIMIT)
        self.assertEqual(status, -signal.SIGTERM, process.stderr.read())

    # --- what the folders hold ---

    def lines(self, folder, host=None, pid=None):
        """Lines of prices.py over the folder's data files (of one host, one process), read only."""
        found = set()
        for path in self.data_files(folder, host, pid):
            data = self.coverage.CoverageData(basename=path, read_only=True)
            try:
                data.read()
                found.update(data.lines(os.path.join(self.root, PRICES)) or [])
            except self.coverage.CoverageException:
                continue  # being written by its process right now: counted once that save is done
        return found

    def data_files(self, folder, host=None, pid=None):
        pattern = f".coverage.{host or '*'}.pid{pid or '*'}.*"
        return sorted(glob.glob(os.path.join(folder, pattern)))

    def records(self, folder, host):
        """{name: content} of the folder's records of one host."""
        found = {}
        for path in glob.glob(os.path.join(folder, f".*.{host}.pid*.json")):
            with open(path) as f:
                found[os.path.basename(path)] = json.load(f)
        return found

    def assert_collected_all_of(self, pod):
        pod_folder, collected = self.cluster.pod_folder(pod), self.cluster.collector_folder()
        self.assertTrue(self.lines(pod_folder, pod), f"pod {pod} measured nothing")
        self.assertEqual(self.lines(collected, pod), self.lines(pod_folder, pod))
        names = [os.path.basename(p) for p in self.data_files(pod_folder, pod)]
        # Every data file of the pod, and none it renamed or deleted since (coverage.py renames its file when its
        # data changes): the collector counts the pod's processes as the pod does.
        self.assertEqual([os.path.basename(p) for p in self.data_files(collected, pod)], names)
        self.assertEqual(self.records(collected, pod), self.records(pod_folder, pod))

    def run_harvest(self):
        """harvest.py harvest on the collector's data volume, as the stack's harvest Job runs it."""
        reports = os.path.join(self.tmp.name, "reports")
        out = os.path.join(reports, "runs", RUN)
        shutil.copytree(self.root, os.path.join(out, "sources", SERVICE), dirs_exist_ok=True)
        args = [sys.executable, support.HARVEST, "harvest", "--data-dir", self.cluster.collected, "--run-id", RUN]
        args += ["--rcfile", self.rc, "--out", out, "--keep", "5", "--lost", "warn"]
        args += ["--service", f"{SERVICE}={self.root}", "--project", "shop", "--stack", "dev"]
        env = dict(os.environ, PYTHONPATH=self.lib)
        result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=LIMIT)
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(os.path.join(out, "harvest.json")) as f:
            return json.load(f), result.stderr

    # --- the tests ---

    def test_every_process_of_two_pods_reaches_the_collector(self):
        self.cluster.start_collector()
        shippers = {pod: self.cluster.start_shipper(pod) for pod in ("shop-7d9f-a", "shop-7d9f-b")}
        consoles = {pod: [self.start_console(pod), self.start_console(pod)] for pod in shippers}
        for pod, (first, second) in consoles.items():
            self.assertEqual(self.send(first, "book"), "10")
            self.wait_for(lambda pod=pod: shipped_rounds(shippers[pod][1]), f"a ship round of {pod}")
            # Work goes on while the sidecar ships: the next saves change and rename the data files it shipped.
            self.assertEqual(self.send(second, "pen"), "2")
        for process in (p for both in consoles.values() for p in both):
            self.stop_console(process)
        for pod, shipper in shippers.items():
            self.assertEqual(self.cluster.stop_shipper(shipper), 0, read_log(shipper[1]))
            self.assert_collected_all_of(pod)
        self.assertEqual(self.lines(self.cluster.collector_folder()), {1, 2, 3, 4, 5, 9})
        summary, _ = self.run_harvest()
        self.assertEqual(summary["services"][SERVICE]["processes"], {"ended": 4, "interrupted": 0, "lost": 0})
        self.assertEqual(summary["services"][SERVICE]["dataFiles"], 4)

    def test_a_process_killed_keeps_its_last_shipped_save_when_its_pod_is_gone(self):
        pod = "shop-7d9f-k"
        self.cluster.start_collector()
        shipper = self.cluster.start_shipper(pod)
        process = self.start_console(pod)
        self.assertEqual(self.send(process, "book"), "10")
        collected = self.cluster.collector_folder()
        self.wait_for(lambda: {1, 2, 3, 9} <= self.lines(collected, pod, process.pid), "the shipped periodic save")
        self.wait_for(lambda: self.records(collected, pod).get(f".saves.{pod}.pid{process.pid}.json"), "saves record")
        process.kill()
        process.wait()
        self.assertEqual(self.cluster.stop_shipper(shipper), 0, read_log(shipper[1]))
        # The pod is deleted: its emptyDir with it.
        shutil.rmtree(self.cluster.pod_data(pod))
        self.assertEqual(self.lines(collected, pod), {1, 2, 3, 9})
        self.assertIn(f".start.{pod}.pid{process.pid}.json", self.records(collected, pod))
        self.assertNotIn(f".end.{pod}.pid{process.pid}.json", self.records(collected, pod))
        summary, stderr = self.run_harvest()
        self.assertEqual(summary["services"][SERVICE]["processes"], {"ended": 0, "interrupted": 1, "lost": 0})
        [interrupted] = summary["interruptedProcesses"]
        self.assertEqual((interrupted["host"], interrupted["pid"]), (pod, process.pid))
        self.assertIsNotNone(interrupted["lastSave"])
        self.assertIn(str(process.pid), stderr)

    def test_a_collector_down_for_a_while_loses_nothing(self):
        pod = "shop-7d9f-d"
        self.cluster.start_collector()
        shipper = self.cluster.start_shipper(pod)
        process = self.start_console(pod)
        self.assertEqual(self.send(process, "book"), "10")
        self.wait_for(lambda: shipped_rounds(shipper[1]), "a ship round")
        self.cluster.stop_collector()
        # Down: its port takes connections and drops them, and counts them, so the test sees the shipper's rounds.
        down = Dropper(self.cluster.port)
        self.wait_for(lambda: "collector unreachable" in read_log(shipper[1]), "a round that found nobody")
        # The process saves and leaves while nobody collects: its last data and records change no more.
        self.assertEqual(self.send(process, "pen"), "2")
        self.stop_console(process)
        # Rounds that fail after the files are older than the shipper's window for files changed within the file
        # system's clock tick (1 s): from then on only a retry of what failed ships them.
        folder = self.cluster.pod_folder(pod)
        newest = max(os.stat(os.path.join(folder, name)).st_mtime for name in os.listdir(folder))
        self.wait_for(lambda: time.time() > newest + 1.5, "the pod's last files older than the racy window")
        tried = down.count
        self.wait_for(lambda: down.count >= tried + 2, "two rounds after that")
        down.close()
        rounds = len(shipped_rounds(shipper[1]))
        self.cluster.start_collector()
        self.wait_for(lambda: len(shipped_rounds(shipper[1])) > rounds, "a ship round after the restart")
        self.assertEqual(self.cluster.stop_shipper(shipper), 0, read_log(shipper[1]))
        self.assert_collected_all_of(pod)
        self.assertEqual(self.lines(self.cluster.collector_folder(), pod), {1, 2, 3, 4, 5, 9})

    def test_a_restarted_shipper_leaves_no_stale_data_file(self):
        pod = "shop-7d9f-r"
        self.cluster.start_collector()
        first = self.cluster.start_shipper(pod)
        process = self.start_console(pod)
        self.assertEqual(self.send(process, "book"), "10")
        collected = self.cluster.collector_folder()
        self.wait_for(lambda: {1, 2, 3, 9} <= self.lines(collected, pod), "the shipped periodic save")
        # The sidecar dies (OOM, say) and the kubelet starts it again: what the first one shipped, it never knew.
        first[0].kill()
        first[0].wait()
        shipped = {os.path.basename(p) for p in self.data_files(collected, pod)}
        self.assertEqual(self.send(process, "pen"), "2")
        # New data: coverage.py's next save renames its data file (a new hash in the name).
        self.wait_for(
            lambda: {os.path.basename(p) for p in self.data_files(self.cluster.pod_folder(pod), pod)} - shipped,
            "the data file renamed by a save",
        )
        second = self.cluster.start_shipper(pod)
        self.stop_console(process)
        self.assertEqual(self.cluster.stop_shipper(second), 0, read_log(second[1]))
        self.assert_collected_all_of(pod)

    def test_on_sigterm_a_collector_out_of_reach_fails_naming_the_files(self):
        pod = "shop-7d9f-u"
        folder = self.cluster.pod_folder(pod)
        os.makedirs(folder)
        for kind in ("start", "end"):
            with open(os.path.join(folder, f".{kind}.{pod}.pid42.json"), "w") as f:
                json.dump({"pid": 42}, f)
        with open(os.path.join(folder, "notes.txt"), "w") as f:
            f.write("not the spy's: never shipped, never reported\n")
        # Nothing listens on the port of a collector that was stopped.
        self.cluster.start_collector()
        self.cluster.stop_collector()
        shipper = self.cluster.start_shipper(pod, final_timeout="1")
        self.wait_for(lambda: "collector unreachable" in read_log(shipper[1]), "a round that found nobody")
        self.assertEqual(self.cluster.stop_shipper(shipper), 1)
        log = read_log(shipper[1])
        self.assertIn(f"could not ship 2 file(s) of {folder} to http://127.0.0.1:{self.cluster.port}", log)
        self.assertIn(f".end.{pod}.pid42.json, .start.{pod}.pid42.json. They are lost with the pod", log)
        self.assertNotIn("notes.txt", log)

    def test_after_sigterm_the_last_log_line_says_every_file_reached_the_collector(self):
        pod = "shop-7d9f-e"
        folder = self.cluster.pod_folder(pod)
        os.makedirs(folder)
        start = os.path.join(folder, f".start.{pod}.pid42.json")
        with open(start, "w") as f:
            json.dump({"pid": 42}, f)
        # Older than the shipper's window for files changed within the clock's tick: shipped once, not again at the end.
        os.utime(start, (time.time() - 60, time.time() - 60))
        self.cluster.start_collector()
        # No round of its own after the first: what changes next leaves in the last rounds only.
        shipper = self.cluster.start_shipper(pod, interval="3600")
        self.wait_for(lambda: shipped_rounds(shipper[1]), "the first round")
        with open(os.path.join(folder, f".end.{pod}.pid42.json"), "w") as f:
            json.dump({"pid": 42}, f)
        self.assertEqual(self.cluster.stop_shipper(shipper), 0, read_log(shipper[1]))
        last = read_log(shipper[1]).splitlines()[-1]
        self.assertEqual(
            last,
            f"coverage-spy shipper: after SIGTERM: shipped 1 file(s) in 1 round(s); every file of {folder} is at the"
            f" collector http://127.0.0.1:{self.cluster.port}",
        )
        self.assertEqual(self.records(self.cluster.collector_folder(), pod), self.records(folder, pod))

    def test_a_database_being_written_is_never_shipped_torn(self):
        copies = []

        class Recording(collector.Handler):
            def store(self, run, service, name, chunks):
                body = b"".join(chunks)
                copies.append((name, body))
                return super().store(run, service, name, [body])

        server = collector.CollectorServer(0, self.cluster.collected, Recording)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        pod = "shop-7d9f-w"
        folder = self.cluster.pod_folder(pod)
        os.makedirs(folder)
        path = os.path.join(folder, f".coverage.{pod}.pid77.Xabcdefx")
        writer_script = os.path.join(self.tmp.name, "writer.py")
        with open(writer_script, "w") as f:
            f.write(BIG_WRITER)
        writer = self.cluster.spawn(
            [sys.executable, writer_script, path],
            os.path.join(self.tmp.name, "writer.log"),
            env=dict(os.environ, PYTHONPATH=self.lib),
        )
        shipper = self.cluster.start_shipper(pod, interval="0.05", collector=f"http://127.0.0.1:{server.port}")
        self.wait_for(
            lambda: (len(copies) >= 20 and len(copies[-1][1]) > 4 << 20) or writer.poll() is not None,
            "20 copies shipped during the writes, the last of a database over 4 MB",
        )
        self.assertIsNone(writer.poll(), read_log(os.path.join(self.tmp.name, "writer.log")))
        writer.kill()
        writer.wait()
        self.assertEqual(self.cluster.stop_shipper(shipper), 0, read_log(shipper[1]))
        sizes, contents = set(), set()
        for n, (name, body) in enumerate(copies):
            copy = os.path.join(self.tmp.name, f"copy-{n}")
            with open(copy, "wb") as f:
                f.write(body)
            with sqlite3.connect(copy) as db:
                self.assertEqual(db.execute("PRAGMA integrity_check").fetchall(), [("ok",)], name)
                self.assertEqual(db.execute("SELECT count(*) FROM coverage_schema").fetchone(), (1,))
            sizes.add(len(body))
            contents.add(hashlib.sha256(body).digest())
            os.remove(copy)
        # The copies were taken of a database that changed meanwhile, and big enough that a write takes a while.
        self.assertGreater(len(contents), 1)
        self.assertGreater(max(sizes), 4 << 20)

    def test_a_data_file_that_is_no_whole_database_is_never_shipped(self):
        pod = "shop-7d9f-t"
        folder = self.cluster.pod_folder(pod)
        os.makedirs(folder)
        whole = os.path.join(folder, f".coverage.{pod}.pid5.Xabcdefx")
        data = self.coverage.CoverageData(basename=whole)
        data.add_lines({f"/app/module_{n}.py": range(1, 200) for n in range(300)})
        with open(whole, "rb") as f:
            body = f.read()
        # A process killed while creating its file, and one killed in the middle of writing it (no journal).
        with open(os.path.join(folder, f".coverage.{pod}.pid6.Xabcdefx"), "wb"):
            pass
        with open(os.path.join(folder, f".coverage.{pod}.pid7.Xabcdefx"), "wb") as f:
            f.write(body[: len(body) // 2] + bytes(len(body) - len(body) // 2))
        self.cluster.start_collector()
        shipper = self.cluster.start_shipper(pod)
        self.wait_for(lambda: shipped_rounds(shipper[1]), "a ship round")
        self.assertEqual(self.cluster.stop_shipper(shipper), 0, read_log(shipper[1]))
        self.assertEqual(os.listdir(self.cluster.collector_folder()), [os.path.basename(whole)])
        log = read_log(shipper[1])
        self.assertIn(f".coverage.{pod}.pid6.Xabcdefx is not a whole data file (no coverage.py schema in it yet", log)
        self.assertIn(f".coverage.{pod}.pid7.Xabcdefx is not a whole data file (database disk image is malformed)", log)
        self.assertIn("none was shipped", log)
        self.assertRegex(
            log.splitlines()[-1],
            rf"after SIGTERM: shipped \d+ file\(s\) in 1 round\(s\); every file of {re.escape(folder)} is at the"
            rf" collector http://127\.0\.0\.1:{self.cluster.port}, but the 2 unfinished data file\(s\) above$",
        )

    def test_the_collector_refuses_what_is_not_a_spy_file_of_a_run(self):
        self.cluster.start_collector()
        good = f"/runs/{RUN}/{SERVICE}/.coverage.shop-1.pid7.Xab12CDx.H0123456789h"

        def request(method, path, body=b"{}"):
            connection = http.client.HTTPConnection("127.0.0.1", self.cluster.port, timeout=LIMIT)
            try:
                connection.request(method, path, body=body if method == "PUT" else None)
                answer = connection.getresponse()
                return answer.status, answer.read().decode()
            finally:
                connection.close()

        self.assertEqual(request("GET", "/healthz"), (200, '{"ok": true}'))
        self.assertEqual(request("PUT", good)[0], 200)
        with open(os.path.join(self.cluster.collected, good.lstrip("/")), "rb") as f:
            self.assertEqual(f.read(), b"{}")
        bad = {
            f"/runs/{RUN}/{SERVICE}/../.coverage.shop-1.pid7.Xab12CDx": "4 parts",
            f"/runs/../{SERVICE}/.coverage.shop-1.pid7.Xab12CDx": "run id",
            f"/runs/{RUN}/../.coverage.shop-1.pid7.Xab12CDx": "service",
            f"/runs/{RUN}/{SERVICE}/..": "file name",
            f"/runs/{RUN}/{SERVICE}/.start.shop-1.pid7.json.tmp": "file name",
            f"/runs/{RUN}/{SERVICE}/.coverage.shop-1.pid7.Xab12CDx-journal": "file name",
            f"/runs/{RUN}/{SERVICE}/.coverage.shop%2F1.pid7.Xab12CDx": "file name",
            f"/runs/{RUN}/{SERVICE}/evil.sh": "file name",
            f"/runs/-{RUN}/{SERVICE}/.start.shop-1.pid7.json": "run id",
            f"/runs/{RUN}/{SERVICE}": "4 parts",
            f"/data/{RUN}/{SERVICE}/.start.shop-1.pid7.json": "4 parts",
        }
        for path, named in bad.items():
            status, answer = request("PUT", path)
            self.assertEqual(status, 400, path)
            self.assertIn(named, json.loads(answer)["error"], path)
        self.assertEqual(request("DELETE", good)[0], 200)
        self.assertFalse(os.path.exists(os.path.join(self.cluster.collected, good.lstrip("/"))))
        # Removing what is not there is done too: a shipper that retries a removal is told it is done.
        self.assertEqual(request("DELETE", good)[0], 200)
        self.assertEqual(request("DELETE", f"/runs/{RUN}/{SERVICE}/evil.sh")[0], 400)
        self.assertEqual(request("GET", good)[0], 404)
        # A shipper cut off mid-body: nothing is written, not even in part.
        with socket.create_connection(("127.0.0.1", self.cluster.port), timeout=LIMIT) as cut:
            cut.sendall(f"PUT {good} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n".encode() + b"x" * 10)
            cut.shutdown(socket.SHUT_WR)
            answer = b""
            while chunk := cut.recv(4096):
                answer += chunk
        self.assertIn(b"400", answer.split(b"\r\n")[0])
        self.assertIn(b"the body ended after 10 of 100 bytes", answer)
        leftovers = [
            os.path.relpath(os.path.join(d, n), self.cluster.collected)
            for d, _, names in os.walk(self.cluster.collected)
            for n in names
        ]
        self.assertEqual(leftovers, [])


class ConfigurationTest(unittest.TestCase):
    def run_program(self, program, *args):
        return subprocess.run([sys.executable, program, *args], capture_output=True, text=True, timeout=LIMIT)

    def test_the_shipper_refuses_bad_configuration_naming_it(self):
        with tempfile.TemporaryDirectory() as data:
            good = {
                "--collector": "http://collector:8080",
                "--data-dir": data,
                "--run-id": RUN,
                "--service": SERVICE,
                "--interval": "5",
                "--final-timeout": "20",
            }
            bad = {
                "--collector": ("ftp://collector", "--collector must be http://HOST:PORT"),
                "--run-id": ("../x", "--run-id"),
                "--service": ("a/b", "--service"),
                "--interval": ("0", "--interval must be a number of seconds > 0"),
                "--final-timeout": ("soon", "--final-timeout must be a number of seconds >= 0"),
                "--data-dir": (os.path.join(data, "absent"), "is no folder: mount the pod's data volume there"),
            }
            for option, (value, message) in bad.items():
                args = [x for k, v in {**good, option: value}.items() for x in (k, v)]
                result = self.run_program(SHIPPER, *args)
                self.assertEqual(result.returncode, 2, option)
                self.assertIn(message, result.stderr, option)
            missing = self.run_program(SHIPPER, *[x for k, v in good.items() if k != "--run-id" for x in (k, v)])
            self.assertEqual(missing.returncode, 2)
            self.assertIn("--run-id", missing.stderr)

    def test_the_collector_refuses_bad_configuration_naming_it(self):
        with tempfile.TemporaryDirectory() as data:
            result = self.run_program(COLLECTOR, "--data-dir", os.path.join(data, "absent"), "--port", "0")
            self.assertEqual(result.returncode, 2)
            self.assertIn("is no folder: mount the stack's data volume there", result.stderr)
            result = self.run_program(COLLECTOR, "--data-dir", data, "--port", "99999")
            self.assertEqual(result.returncode, 2)
            self.assertIn("--port must be 0..65535", result.stderr)


if __name__ == "__main__":
    unittest.main()
