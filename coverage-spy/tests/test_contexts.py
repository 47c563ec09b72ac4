"""Per-test contexts in real measured processes: the relay's switches land in coverage.py's data exactly.

The processes run through the real sitecustomize with `contexts = true` in the rcfile's [coverage_spy] section. A
tiny fake relay here does what contexts_relay.py does (the protocol _coverage_spy/contexts.py's docstring names):
writes the run's .context, then tells every <service>/.ctx.<host>.pid<pid>.sock "<seq> <context>\\n" and waits for
"ok <seq>\\n". The lines each context ran are read back from the combined data (coverage.CoverageData:
contexts_by_lineno).

The core tests need a Python >= 3.12 (sys.monitoring): this one, or another found on PATH or in pyenv.
"""

import collections
import contextlib
import glob
import json
import os
import signal
import socket
import statistics
import sys
import tempfile
import textwrap
import time
import unittest

from tests import support
from tests.test_gevent import gevent_python

sys.path.insert(0, support.SITE)
from _coverage_spy import contexts, records  # noqa: E402
from _coverage_spy.forks import ForkGuard  # noqa: E402
from _coverage_spy.saver import STOP_TIMEOUT, Saver  # noqa: E402
from _coverage_spy.settings import Settings  # noqa: E402

OUTSIDE = "(no test)"
RUN = "run-1"
SERVICE = "shop"
# Three functions, each on lines of its own.
STEPS = textwrap.dedent(
    """\
    def a():
        return "a"


    def b():
        return "b"


    def shared():
        return "shared"
    """
)
STEP_LINES = STEPS.splitlines()
DEFS = {STEP_LINES.index(f"def {name}():") + 1 for name in ("a", "b", "shared")}
A_LINE = STEP_LINES.index('    return "a"') + 1
B_LINE = STEP_LINES.index('    return "b"') + 1
SHARED_LINE = STEP_LINES.index('    return "shared"') + 1
# A service driven line by line on stdin. "fork": a child that waits for the file go-<pid> in $GO_DIR, runs the
# steps it names, then leaves through os._exit. "forks N": N quick forks whose children leave at once.
CONSOLE = textwrap.dedent(
    """\
    import os
    import sys
    import time

    from shop import steps

    children = []
    for command in sys.stdin:
        command, _, arg = command.strip().partition(" ")
        if command in ("a", "b", "shared"):
            print(getattr(steps, command)(), flush=True)
        elif command == "ping":
            print("pong", flush=True)
        elif command == "exec":
            print("exec", flush=True)
            os.execv(sys.executable, [sys.executable, "-m", "shop.ctxconsole"])
        elif command == "fork":
            child = os.fork()
            if child == 0:
                go = os.path.join(os.environ["GO_DIR"], "go-%d" % os.getpid())
                while not os.path.exists(go):
                    time.sleep(0.01)
                with open(go) as f:
                    for name in f.read().split():
                        getattr(steps, name)()
                os._exit(0)
            children.append(child)
            print(child, flush=True)
        elif command == "wait":
            for child in children:
                os.waitpid(child, 0)
            children = []
            print("waited", flush=True)
        elif command == "forks":
            started = time.monotonic()
            for _ in range(int(arg)):
                pid = os.fork()
                if pid == 0:
                    os._exit(0)
                os.waitpid(pid, 0)
            print(time.monotonic() - started, flush=True)
    """
)
# The same service in a gevent-patched process, as gunicorn's gevent worker or an app's patch_all() makes it.
GEVENT_CONSOLE = "from gevent import monkey\n\nmonkey.patch_all()\n" + CONSOLE


class FakeRelay:
    """What contexts_relay.py does for one run, written from the spec: .context first, then every socket."""

    def __init__(self, test, run_folder):
        self.test = test
        self.run_folder = run_folder
        self.seq = 0

    def sockets(self):
        return sorted(glob.glob(os.path.join(self.run_folder, "*", ".ctx.*.sock")))

    def write_context(self, context):
        self.seq += 1
        path = os.path.join(self.run_folder, ".context")
        with open(path + ".tmp", "w") as f:
            json.dump({"context": context, "seq": self.seq}, f)
        os.replace(path + ".tmp", path)

    def tell(self, path, seq, context):
        """Sends one process the line and returns its answer."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(30)  # bounds a hang only
            if len(os.fsencode(path)) > 107:
                folder = os.open(os.path.dirname(path), os.O_RDONLY | os.O_DIRECTORY)
                try:
                    s.connect(f"/proc/self/fd/{folder}/{os.path.basename(path)}")
                finally:
                    os.close(folder)
            else:
                s.connect(path)
            s.sendall(f"{seq} {context}\n".encode())
            answer = b""
            while not answer.endswith(b"\n"):
                chunk = s.recv(100)
                if not chunk:
                    break
                answer += chunk
        return answer.decode()

    def broadcast(self, context, expected=None):
        """Switches every process of the run to `context`; checks that `expected` of them (if given) answered."""
        self.write_context(context)
        answers = {path: self.tell(path, self.seq, context) for path in self.sockets()}
        self.test.assertEqual(set(answers.values()), {f"ok {self.seq}\n"}, answers)
        if expected is not None:
            self.test.assertEqual(len(answers), expected, answers)
        return answers


class ContextsTest(unittest.TestCase):
    def setUp(self):
        self.lib = support.coverage_lib()
        self.tmp = tempfile.TemporaryDirectory()
        self.root = os.path.join(self.tmp.name, "app")
        support.write_app(self.root)
        for name, text in (("steps.py", STEPS), ("ctxconsole.py", CONSOLE), ("geventconsole.py", GEVENT_CONSOLE)):
            with open(os.path.join(self.root, "shop", name), "w") as f:
                f.write(text)
        self.use_data(os.path.join(self.tmp.name, "volume"))
        self.rc = os.path.join(self.tmp.name, "coveragerc")
        self.processes = []

    def tearDown(self):
        support.end_processes(self.processes)
        self.tmp.cleanup()

    def use_data(self, volume):
        self.data = records.service_folder(volume, RUN, SERVICE)
        self.run_folder = os.path.dirname(self.data)
        os.makedirs(self.data, exist_ok=True)
        self.relay = FakeRelay(self, self.run_folder)

    def start(self, spy=None, python=None, module="shop.ctxconsole", warnings="default", contexts_option="true"):
        """Starts the console service measured, with `spy` options; returns it once it runs the app's loop.

        `contexts_option`: the rcfile's contexts value (None: none).
        """
        spy = {"save_interval": "0", **({"contexts": contexts_option} if contexts_option else {}), **(spy or {})}
        support.write_rc(self.rc, self.root, spy=spy)
        env = support.measured_env(
            self.root,
            self.rc,
            os.path.join(self.data, ".coverage"),
            lib=self.lib,
            extra_env={"PYTHONWARNINGS": warnings, "GO_DIR": self.tmp.name},
        )
        process = support.start_console(self, env, self.root, self.processes, module=module, python=python)
        # Answered once the app has imported its modules: their lines ran in the context it started in.
        answer = self.send(process, "ping")
        self.assertEqual(answer, "pong", process.stderr.read() if process.poll() is not None else "")
        if contexts_option == "true":
            self.assertTrue(os.path.exists(self.socket_of(process.pid)), "it listens before the app runs")
        return process

    def socket_of(self, pid):
        return contexts.socket_path(self.data, records.host_name(), pid)

    def start_record(self, pid):
        return records.read_all(self.data, records.START).get((records.host_name(), pid))

    def wait_for(self, condition, what, timeout=60):
        support.wait_for(self, condition, what, timeout)

    def send(self, process, command):
        return support.send(process, command)

    def finish(self, process):
        process.stdin.close()
        self.assertEqual(process.wait(20), 0)
        stderr = process.stderr.read()
        for problem in ("coverage-spy:", "CoverageWarning", "Coverage.py warning"):
            self.assertNotIn(problem, stderr)
        return stderr

    def coverage(self):
        sys.path.insert(0, self.lib)
        try:
            import coverage
        finally:
            sys.path.remove(self.lib)
        return coverage

    def combined(self, pid=None):
        """The combined data of the service's data files (of process `pid` only, if given)."""
        coverage = self.coverage()
        combined = coverage.CoverageData(no_disk=True)
        for path in glob.glob(os.path.join(self.data, ".coverage.*")):
            owner = records.data_file_owner(os.path.basename(path))
            if pid is None or (owner and owner[1] == pid):
                data = coverage.CoverageData(basename=path)
                data.read()
                combined.update(data)
                data.close(force=True)
        return combined

    def measured_contexts(self):
        combined = self.combined()
        try:
            return combined.measured_contexts()
        finally:
            combined.close(force=True)

    def lines_by_context(self, pid=None):
        """{context: lines of steps.py run in it}."""
        found = collections.defaultdict(set)
        combined = self.combined(pid)
        by_line = combined.contexts_by_lineno(os.path.join(self.root, "shop", "steps.py"))
        combined.close(force=True)
        for line, names in by_line.items():
            for name in names:
                found[name].add(line)
        return dict(found)

    def assert_no_sockets_left(self):
        left = [n for n in os.listdir(self.data) if n.startswith(contexts.SOCKET_PREFIX)]
        self.assertEqual(left, [], "every process removed its socket when it left")

    def run_boundaries(self, python, core):
        """Lines in OUTSIDE, then A, then B, then OUTSIDE again; returns ({context: lines}, the core it ran)."""
        for path in glob.glob(os.path.join(self.data, ".*")):
            os.remove(path)
        with contextlib.suppress(FileNotFoundError):
            os.remove(os.path.join(self.run_folder, ".context"))
        process = self.start({"core": core}, python=python)
        self.assertEqual(self.send(process, "a"), "a")
        self.relay.broadcast("A", expected=1)
        self.send(process, "a")
        self.send(process, "shared")
        self.relay.broadcast("B", expected=1)
        self.send(process, "b")
        self.send(process, "shared")
        self.relay.broadcast(OUTSIDE, expected=1)
        self.send(process, "b")
        ran = self.start_record(process.pid)["core"]
        self.finish(process)
        self.assert_no_sockets_left()
        return self.lines_by_context(), ran

    def test_lines_are_recorded_in_the_context_they_ran_in_with_every_core(self):
        found = support.sysmon_python()
        if found is None:
            self.skipTest("no Python >= 3.12 on this host (PATH, pyenv): sys.monitoring needs one")
        python = found[1]
        expected = {
            # Start-up (the module's defs) and what ran before the first switch and after the last one.
            OUTSIDE: DEFS | {A_LINE, B_LINE},
            # A line run in an earlier context is recorded again in the next one: sys.monitoring DISABLEs a line
            # after its first event, so this fails under sysmon without the listener's restart_events().
            "A": {A_LINE, SHARED_LINE},
            "B": {B_LINE, SHARED_LINE},
        }
        for core, name in (("ctrace", "CTracer"), ("pytrace", "PyTracer"), ("sysmon", "SysMonitor")):
            with self.subTest(core=core):
                found, ran = self.run_boundaries(python, core)
                self.assertEqual(ran, name)
                self.assertEqual(found, expected)

    def test_a_process_started_after_a_switch_starts_in_its_context(self):
        self.relay.write_context("T1")
        process = self.start()
        self.send(process, "a")
        self.relay.broadcast("T2", expected=1)
        self.send(process, "b")
        self.finish(process)
        self.assertEqual(self.lines_by_context(), {"T1": DEFS | {A_LINE}, "T2": {B_LINE}})
        self.assertEqual(self.measured_contexts(), {"T1", "T2"}, "no line ran outside a context")
        self.assert_no_sockets_left()

    def test_a_forked_child_reads_the_context_and_answers_on_its_own_socket(self):
        process = self.start()
        # Written, not told: the parent stays where it is, a child forked now starts in it.
        self.relay.write_context("A")
        child = int(self.send(process, "fork"))
        self.wait_for(lambda: os.path.exists(self.socket_of(child)), "the child's socket")
        self.assertTrue(os.path.exists(self.socket_of(process.pid)), "the parent's socket stays")
        answers = self.relay.broadcast("B", expected=2)
        self.assertEqual(set(answers), {self.socket_of(process.pid), self.socket_of(child)})
        with open(os.path.join(self.tmp.name, "go.tmp"), "w") as f:
            f.write("b shared")
        os.replace(os.path.join(self.tmp.name, "go.tmp"), os.path.join(self.tmp.name, f"go-{child}"))
        self.assertEqual(self.send(process, "wait"), "waited")
        self.assertFalse(os.path.exists(self.socket_of(child)), "the child removed its socket when it left")
        self.assertTrue(os.path.exists(self.socket_of(process.pid)), "and not the parent's")
        self.relay.broadcast("C", expected=1)
        self.send(process, "a")
        self.finish(process)
        # The child saves what the parent had collected at the fork too (coverage.py's way), in its context.
        self.assertEqual(self.lines_by_context(child), {OUTSIDE: DEFS, "B": {B_LINE, SHARED_LINE}})
        self.assertEqual(self.lines_by_context(process.pid), {OUTSIDE: DEFS, "C": {A_LINE}})
        self.assertEqual(len(records.read_all(self.data, records.END)), 2)
        self.assert_no_sockets_left()

    def test_an_exec_listens_again_under_the_same_pid(self):
        process = self.start()
        self.relay.broadcast("A", expected=1)
        self.send(process, "exec")
        # The exec'd program (same pid, same socket name) reads the context it was told before.
        self.assertEqual(self.send(process, "ping"), "pong")
        self.send(process, "a")
        self.assertEqual(self.relay.broadcast("B", expected=1), {self.socket_of(process.pid): "ok 2\n"})
        self.send(process, "b")
        self.finish(process)
        self.assertEqual(self.lines_by_context(), {OUTSIDE: DEFS, "A": DEFS | {A_LINE}, "B": {B_LINE}})
        self.assert_no_sockets_left()

    def test_sigterm_removes_the_socket(self):
        process = self.start()
        self.relay.broadcast("A", expected=1)
        self.send(process, "a")
        self.assertEqual(support.stop_console(self, process, 20), -signal.SIGTERM)
        self.assertEqual(self.lines_by_context(), {OUTSIDE: DEFS, "A": {A_LINE}})
        self.assertEqual([r["how"] for r in records.read_all(self.data, records.END).values()], ["sigterm"])
        self.assert_no_sockets_left()

    def test_forks_with_the_listener_do_not_warn_about_threads(self):
        found = support.sysmon_python()
        if found is None:
            self.skipTest("no Python >= 3.12 on this host: only those warn about fork() with threads")
        process = self.start(python=found[1], warnings="always")
        self.relay.broadcast("A", expected=1)
        float(self.send(process, "forks 50"))
        # The parent's listener serves again once fork() returned.
        self.relay.broadcast("B", expected=1)
        self.send(process, "b")
        stderr = self.finish(process)
        self.assertNotIn("multi-threaded", stderr)
        self.assertEqual(self.lines_by_context(process.pid), {OUTSIDE: DEFS, "B": {B_LINE}})
        self.assertEqual(len(records.read_all(self.data, records.END)), 51)
        self.assert_no_sockets_left()

    def test_a_gevent_patched_process_follows_the_tests_and_forks_quickly(self):
        # sysmon, which follows greenlets with no setting (a tracer would warn that it does not).
        found = support.sysmon_python()
        if found is None:
            self.skipTest("no Python >= 3.12 on this host (PATH, pyenv): sys.monitoring needs one")
        version, python = found
        process = self.start(python=gevent_python(self, python, version), module="shop.geventconsole")
        self.relay.broadcast("A", expected=1)
        self.send(process, "a")
        # Each fork stops and restarts the listener: a greenlet "thread" would make each take 0.5 s, 5 forks 2.5 s at
        # least however fast the machine.
        self.assertLess(float(self.send(process, "forks 5")), 2.5)
        self.relay.broadcast("B", expected=1)
        self.send(process, "b")
        self.finish(process)
        self.assertEqual(self.lines_by_context(process.pid), {OUTSIDE: DEFS, "A": {A_LINE}, "B": {B_LINE}})
        self.assert_no_sockets_left()

    def test_a_socket_path_too_long_for_sun_path_is_bound_through_its_folder(self):
        self.use_data(os.path.join(self.tmp.name, "v" * 60, "o" * 60))
        process = self.start()
        self.assertGreater(len(os.fsencode(self.socket_of(process.pid))), contexts.SUN_PATH_MAX)
        self.send(process, "b")
        self.relay.broadcast("A", expected=1)
        self.send(process, "a")
        self.finish(process)
        self.assertEqual(self.lines_by_context(), {OUTSIDE: DEFS | {B_LINE}, "A": {A_LINE}})
        self.assert_no_sockets_left()

    def test_without_contexts_no_socket_and_no_context(self):
        for value in ("false", None):
            with self.subTest(contexts=value):
                for path in glob.glob(os.path.join(self.data, ".*")):
                    os.remove(path)
                self.relay.write_context("A")
                process = self.start(contexts_option=value)
                self.send(process, "a")
                self.assertEqual(self.relay.sockets(), [])
                self.finish(process)
                self.assertEqual(self.measured_contexts(), {""})
                self.assertEqual(self.lines_by_context(), {"": DEFS | {A_LINE}})
                self.assertEqual([n for n in os.listdir(self.data) if n.startswith(".ctx")], [])

    def test_the_cost_of_a_boundary(self):
        # Printed, not asserted: the time from the relay's connect to the process's answer, for one process. With
        # lines run since the last switch, the switch writes them into the data file (coverage.py's flush).
        found = support.sysmon_python()
        cores = [("ctrace", sys.executable)] + ([("sysmon", found[1])] if found else [])
        figures = []
        for core, executable in cores:
            process = self.start({"core": core}, python=executable)
            path = self.socket_of(process.pid)
            times = {"after lines": [], "idle": []}
            for seq in range(1, 401):
                kind = "after lines" if seq % 2 else "idle"
                if kind == "after lines":
                    self.send(process, "shared")
                started = time.perf_counter()
                self.assertEqual(self.relay.tell(path, seq, f"test {seq % 4}"), f"ok {seq}\n")
                times[kind].append(time.perf_counter() - started)
            self.finish(process)
            medians = ", ".join(f"{kind} {statistics.median(t) * 1000:.3f} ms" for kind, t in times.items())
            figures.append(f"{core} ({executable}): {medians}")
            self.assertEqual(self.lines_by_context(process.pid)["test 2"], {SHARED_LINE})
            for path in glob.glob(os.path.join(self.data, ".*")):
                os.remove(path)
        print(f"\nper-boundary cost, median of 200 switches each: {'; '.join(figures)}", file=sys.stderr)


class ListenerTest(unittest.TestCase):
    """The listener in this process, with a fake coverage: stopping without polling, the backlog, fork hooks."""

    class FakeCoverage:
        def __init__(self):
            self.switched = []

        def switch_context(self, name):
            self.switched.append(name)

    class FakeSettings:
        save_interval, branch = 0, False

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.data = records.service_folder(self.tmp.name, RUN, SERVICE)
        os.makedirs(self.data)
        self.cov = self.FakeCoverage()
        self.saver = Saver(None, self.FakeSettings(), self.data)
        self.listener = contexts.ContextListener(self.cov, self.saver, self.data, "CTracer")
        self.relay = FakeRelay(self, os.path.dirname(self.data))
        self.warned = {k: v for k, v in os.environ.items() if k.startswith("COVERAGE_SPY_WARNED")}

    def tearDown(self):
        self.listener.close()
        self.saver.stop()
        for key in [k for k in os.environ if k.startswith("COVERAGE_SPY_WARNED")]:
            del os.environ[key]
        os.environ.update(self.warned)
        self.tmp.cleanup()

    def test_binds_first_then_reads_the_context(self):
        self.relay.write_context("T")
        self.listener.install()
        self.assertEqual(self.cov.switched, ["T"])
        self.assertEqual((self.listener.context, self.listener.seq), ("T", 1))
        self.assertEqual(os.listdir(self.data), [os.path.basename(self.listener.path)])
        self.listener.close()
        self.assertEqual(os.listdir(self.data), [])

    def test_stop_wakes_the_thread_at_once_and_requests_wait_for_the_restart(self):
        self.listener.install()
        self.assertEqual(self.cov.switched, [OUTSIDE], "no .context: outside any test")
        started = time.monotonic()
        thread = self.listener.stop()
        # A thread that was not woken would keep stop() waiting the whole join, and stay alive.
        self.assertLess(time.monotonic() - started, STOP_TIMEOUT)
        self.assertFalse(thread.is_alive())
        self.assertTrue(os.path.exists(self.listener.path), "the socket stays while stopped")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(self.listener.path)  # queued in the backlog
            s.sendall(b"7 queued\n")
            self.listener.start()
            self.assertEqual(s.recv(100), b"ok 7\n")
        self.assertEqual(self.cov.switched, [OUTSIDE, "queued"])

    def test_a_stopped_socket_whose_file_is_gone_is_bound_anew(self):
        self.listener.install()
        os.remove(self.listener.path)
        self.relay.write_context("after")
        started = time.monotonic()
        self.listener.stop()
        self.assertLess(time.monotonic() - started, STOP_TIMEOUT)  # woken, not left to the join's timeout
        self.listener.start()
        self.assertTrue(os.path.exists(self.listener.path))
        self.assertEqual(self.cov.switched, [OUTSIDE, "after"], "a broadcast missed meanwhile is caught up")
        self.assertEqual(self.relay.broadcast("next", expected=1), {self.listener.path: "ok 2\n"})

    def test_malformed_requests_get_no_answer_and_the_listener_serves_on(self):
        self.listener.install()
        os.environ["COVERAGE_SPY_WARNED_CONTEXTS"] = "1"  # this process's stderr stays quiet
        for line in (b"seven x\n", b"7\n", b"\xff\xfe\n"):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(5)
                s.connect(self.listener.path)
                s.sendall(line)
                self.assertEqual(s.recv(100), b"", line)
        self.assertEqual(self.relay.tell(self.listener.path, 3, "name with spaces"), "ok 3\n")
        self.assertEqual(self.cov.switched, [OUTSIDE, "name with spaces"])

    def test_fork_hooks_stop_and_restart_both_threads(self):
        self.listener.install()
        self.saver.start()
        forks = ForkGuard(self.saver, self.listener, in_child=lambda: None)
        forks.fork_target = object()
        forks.fork_starting()
        forks.before_fork()
        self.assertEqual((self.saver.thread, self.listener.thread), (None, None))
        forks.after_fork_in_parent()
        self.assertIsNone(self.listener.thread, "not while CPython may still count threads")
        forks.fork_returned(1234)
        self.assertTrue(self.saver.thread.is_alive())
        self.assertTrue(self.listener.thread.is_alive())
        self.assertEqual(self.relay.broadcast("A", expected=1), {self.listener.path: "ok 1\n"})

    def test_the_child_binds_its_own_socket_and_leaves_the_parents(self):
        self.listener.install()
        parent = self.listener.path
        inherited = self.listener.sock
        self.listener.stop()
        self.relay.write_context("A")
        real_getpid = os.getpid
        os.getpid = lambda: real_getpid() + 100000  # what the child's pid would be
        try:
            self.listener.new_process()
            self.listener.start()
        finally:
            os.getpid = real_getpid
        self.assertNotEqual(self.listener.path, parent)
        self.assertEqual(inherited.fileno(), -1, "the inherited descriptor is closed")
        self.assertTrue(os.path.exists(parent), "the parent's file stays")
        self.assertEqual(self.cov.switched, [OUTSIDE, "A"])
        self.assertEqual(self.relay.tell(self.listener.path, 2, "B"), "ok 2\n")
        os.remove(parent)


class SharedNamesTest(unittest.TestCase):
    """What the relay imports from _coverage_spy.contexts."""

    def test_socket_names(self):
        name = contexts.socket_name("web-1", 42)
        self.assertEqual(name, ".ctx.web-1.pid42.sock")
        self.assertEqual(contexts.socket_owner(name), ("web-1", 42))
        self.assertIsNone(contexts.socket_owner(name + contexts.TEMP_SUFFIX))
        self.assertIsNone(contexts.socket_owner(".start.web-1.pid42.json"))
        self.assertEqual(contexts.socket_path("/d/svc", "h", 1), "/d/svc/.ctx.h.pid1.sock")

    def test_the_context_file(self):
        with tempfile.TemporaryDirectory() as run:
            self.assertEqual(contexts.read_context(run), (OUTSIDE, 0))
            contexts.write_context(run, "test_x", 5)
            self.assertEqual(contexts.read_context(run), ("test_x", 5))
            self.assertEqual(os.listdir(run), [contexts.CONTEXT_FILE])
            with open(os.path.join(run, contexts.CONTEXT_FILE), "w") as f:
                f.write('{"context": 3}')
            self.assertEqual(contexts.read_context(run), (OUTSIDE, 0))
            with self.assertRaises(ValueError):
                contexts.load_context(run)

    def test_the_wire(self):
        self.assertEqual(contexts.request_line(3, "t a"), b"3 t a\n")
        self.assertEqual(contexts.parse_request(b"3 t a\n"), (3, "t a"))
        self.assertEqual(contexts.parse_request("12 é\n".encode()), (12, "é"))
        self.assertEqual(contexts.answer_line(3), b"ok 3\n")
        for bad in (b"3 t", b"x t\n", b"3\n", b"-3 t\n"):
            with self.assertRaises(ValueError):
                contexts.parse_request(bad)
        with self.assertRaises(ValueError):
            contexts.request_line(1, "two\nlines")

    def test_the_setting(self):
        with tempfile.TemporaryDirectory() as folder:
            rc = os.path.join(folder, "rc")
            for text, expected in (("", False), ("contexts = true\n", True), ("contexts = false\n", False)):
                with open(rc, "w") as f:
                    f.write("[run]\nparallel = true\n[coverage_spy]\n" + text)
                self.assertEqual(Settings(rc).contexts, expected, text)


if __name__ == "__main__":
    unittest.main()
