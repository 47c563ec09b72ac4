"""Flask under `gunicorn -k gevent`, measured by the spy: what each core measures, and what the spy says.

Measured (see the spy's greenlets.py): sys.monitoring (core sysmon, the default on Python 3.12+) records exactly
the lines greenlets run, with no setting. coverage.py's tracers (ctrace: Python 3.11, or branch = true before
3.14) record them under the wrong file unless [run] concurrency names gevent: the spy then says so, in the
workers' records, on their stderr and in harvest.json's "warnings", naming the option that fixes it.

The app runs in a venv with gevent, gunicorn and Flask (Debian trixie's versions), made once per Python in
$COVERAGE_SPY_CACHE/gevent-venv/ and reused. If pip cannot install them, the tests fail with pip's output.
"""

import concurrent.futures
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import types
import unittest
import urllib.request

from tests import support

sys.path.insert(0, support.SITE)
from _coverage_spy import greenlets, records  # noqa: E402
from _coverage_spy.settings import Settings  # noqa: E402

# Debian trixie's python3-gevent, gunicorn and python3-flask, the target image's.
REQUIREMENTS = ("gevent==24.11.1", "greenlet==3.1.1", "gunicorn==23.0.0", "flask==3.1.1")
RUN = "20261125T000000Z-gevent"
SERVICE = "web"

# A canary: a function that never runs, whose statements sit on the lines the other module runs. A tracer that
# records a line under the wrong file marks canary lines as run.
CANARY_LINES = 60


def canary(name, first_line, last_line):
    """A never-called function whose statements fill lines first_line..last_line (the def is on first_line - 2)."""
    return f"def {name}():\n    # never called\n" + "".join(f"    x = {n}\n" for n in range(first_line, last_line + 1))


# gapp/web.py: the canary first (lines 1-62), then the Flask app.
WEB = canary("canary_web", 3, CANARY_LINES + 2) + textwrap.dedent(
    """\
    import gevent
    from flask import Flask

    from gapp import work

    app = Flask(__name__)


    @app.route("/")
    def index():
        return "ok"


    @app.route("/spawn/<int:n>")
    def spawn(n):
        jobs = [gevent.spawn(work.only_in_greenlet, i) for i in range(n)]
        gevent.joinall(jobs)
        return {"values": [job.value for job in jobs]}


    @app.route("/sleepy/<int:x>")
    def sleepy(x):
        gevent.sleep(0.01)
        job = gevent.spawn(work.after_sleep, x)
        job.join()
        return {"label": job.value}


    @app.route("/pingpong")
    def pingpong():
        jobs = [gevent.spawn(work.ping_pong, tag, 3) for tag in "abc"]
        gevent.joinall(jobs)
        return {"total": sum(job.value for job in jobs)}


    @app.route("/pid")
    def pid():
        import os

        return {"pid": os.getpid()}
    """
)
# gapp/work.py: runs only in greenlets; then a canary over the lines of web.py's routes and beyond.
WORK = textwrap.dedent(
    """\
    import gevent


    def only_in_greenlet(n):
        total = 0
        for i in range(n):
            total += i
        gevent.sleep(0.005)
        return total * 2


    def branchy(x):
        if x > 10:
            result = "big"
        elif x > 5:
            result = "medium"
        else:
            result = "small"
        return result


    def after_sleep(x):
        gevent.sleep(0.005)
        return branchy(x) + "!"


    def never_called():
        return "never"


    def ping_pong(tag, rounds):
        seen = []
        for i in range(rounds):
            seen.append(tag)
            gevent.sleep(0)
            seen.append(i)
        return len(seen)


    """
)
WORK_CANARY_FIRST = WORK.count("\n") + 3
WORK += canary("canary_work", WORK_CANARY_FIRST, 300)
# A pre-fork server whose master gevent-patches before forking (what gunicorn --preload does with an app module
# that patches at import): each worker runs greenlets, then leaves through os._exit as gunicorn's do.
PATCHED_PREFORK = textwrap.dedent(
    """\
    from gevent import monkey

    monkey.patch_all()

    import glob
    import json
    import os
    import sys
    import time

    import gevent

    FOLDER = os.path.dirname(os.environ["COVERAGE_FILE"])


    def saves():
        for path in glob.glob(os.path.join(FOLDER, ".saves.*.pid%d.json" % os.getpid())):
            try:
                with open(path) as f:
                    return json.load(f)["saves"]
            except (OSError, ValueError, KeyError):
                pass
        return 0


    def worker(n):
        gevent.joinall([gevent.spawn(gevent.sleep, 0.01) for _ in range(n)])
        # Until the saver, a real thread, has saved (gevent's sleep between looks); the deadline only bounds a hang.
        deadline = time.monotonic() + 120
        while saves() < 1:
            if time.monotonic() > deadline:
                sys.stderr.write("worker %d: its saver did not save within 120 s\\n" % os.getpid())
                os._exit(3)
            time.sleep(0.02)
        os._exit(0)


    started = time.monotonic()
    children = []
    for n in range(4):
        pid = os.fork()
        if pid == 0:
            worker(n + 1)
        children.append(pid)
    forked = time.monotonic() - started
    for pid in children:
        os.waitpid(pid, 0)
    print(json.dumps({"forkSeconds": forked, "children": children}))
    """
)
REQUESTS = ["/", "/spawn/3", "/spawn/5", "/sleepy/12", "/sleepy/7", "/sleepy/2", "/pingpong"]
# The statements that never run: the canaries' bodies and never_called's.
NEVER_RUN = {
    "gapp/web.py": set(range(3, CANARY_LINES + 3)),
    "gapp/work.py": {WORK.splitlines().index('    return "never"') + 1} | set(range(WORK_CANARY_FIRST, 301)),
}
THE_FIX = 'set coverage: { concurrency: ["gevent"] } in the stack\'s options'


def cache_dir():
    """$COVERAGE_SPY_CACHE, as scripts/lib.sh defines it."""
    return os.environ.get("COVERAGE_SPY_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "coverage-spy"
    )


def gevent_python(test, python, version):
    """The python of a venv of `python` with REQUIREMENTS, made (or remade) in the cache if need be."""
    venv = os.path.join(cache_dir(), "gevent-venv", "{}.{}".format(*version))
    stamp = os.path.join(venv, "coverage-spy-requirements.txt")
    wanted = "\n".join(REQUIREMENTS) + "\n"
    venv_python = os.path.join(venv, "bin", "python")
    try:
        with open(stamp) as f:
            if f.read() == wanted and os.access(venv_python, os.X_OK):
                return venv_python
    except OSError:
        pass  # no venv yet, or a broken one: made anew below
    shutil.rmtree(venv, ignore_errors=True)
    made = subprocess.run([python, "-m", "venv", venv], capture_output=True, text=True, timeout=300)
    if made.returncode != 0:
        test.fail(f"{python} -m venv {venv} failed:\n{made.stdout}{made.stderr}")
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", PIP_ROOT_USER_ACTION="ignore")
    env.pop("PYTHONPATH", None)
    pip = subprocess.run(
        [venv_python, "-m", "pip", "install", *REQUIREMENTS], capture_output=True, text=True, timeout=600, env=env
    )
    if pip.returncode != 0:
        test.fail(f"pip install {' '.join(REQUIREMENTS)} into {venv} failed:\n{pip.stdout}{pip.stderr}")
    with open(stamp, "w") as f:
        f.write(wanted)
    return venv_python


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class GunicornGeventTest(unittest.TestCase):
    def setUp(self):
        self.lib = support.coverage_lib()
        self.tmp = tempfile.TemporaryDirectory()
        self.app = os.path.join(self.tmp.name, "app")  # stands for the image's source folder
        for name, text in (("__init__.py", ""), ("web.py", WEB), ("work.py", WORK)):
            os.makedirs(os.path.join(self.app, "gapp"), exist_ok=True)
            with open(os.path.join(self.app, "gapp", name), "w") as f:
                f.write(text)
        self.data = records.service_folder(os.path.join(self.tmp.name, "data"), RUN, SERVICE)
        os.makedirs(self.data)
        self.out = os.path.join(self.tmp.name, "reports", RUN)

    def tearDown(self):
        self.tmp.cleanup()

    def serve(self, python, concurrency=(), spy=None):
        """Runs gunicorn -k gevent -w 2 measured as a service, sends it requests, stops it with SIGTERM.

        Returns the arbiter's pid and stderr.
        """
        self.rc = os.path.join(self.tmp.name, "coveragerc")
        support.write_rc(self.rc, self.app, spy, patch=("_exit", "execv", "subprocess"), concurrency=concurrency)
        env = support.measured_env(self.app, self.rc, os.path.join(self.data, ".coverage"), lib=self.lib)
        port = free_port()
        command = [python, "-m", "gunicorn", "-k", "gevent", "-w", "2", "-b", f"127.0.0.1:{port}", "gapp.web:app"]
        server = subprocess.Popen(
            command, cwd=self.app, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120  # bounds a hang only: a loaded machine starts gunicorn slowly
            while True:
                try:
                    urllib.request.urlopen(base + "/", timeout=5).read()
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        server.kill()
                        self.fail(f"gunicorn did not answer:\n{server.communicate()[1]}")
                    time.sleep(0.1)

            def get(path):
                return urllib.request.urlopen(base + path, timeout=10).read()

            # Both workers serving: a worker still booting has not set its signal handlers yet, and gunicorn's
            # SIGTERM would reach it as the arbiter's (ignored), ending it with SIGKILL after the graceful timeout.
            serving = set()
            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                while len(serving) < 2:
                    if time.monotonic() > deadline:
                        self.fail(f"only worker(s) {sorted(serving)} of 2 answered within 120 s")
                    serving |= {json.loads(body)["pid"] for body in pool.map(get, ["/pid"] * 8)}

            for path in REQUESTS * 2:
                get(path)
            # Requests in flight together: their greenlets interleave in each worker.
            with concurrent.futures.ThreadPoolExecutor(6) as pool:
                list(pool.map(get, REQUESTS * 3))
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                _, stderr = server.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                _, stderr = server.communicate()
        self.assertEqual(server.returncode, 0, stderr)
        return server.pid, stderr

    def harvest(self):
        """harvest.py harvest of the run, as the component runs it: (harvest.json, the service's report, stderr)."""
        shutil.copytree(self.app, os.path.join(self.out, "sources", SERVICE))
        result = subprocess.run(
            [sys.executable, support.HARVEST, "harvest", "--data-dir", os.path.join(self.tmp.name, "data")]
            + ["--run-id", RUN, "--rcfile", self.rc, "--out", self.out, "--keep", "5", "--lost", "fail"]
            + ["--service", f"{SERVICE}={self.app}", "--project", "gevent", "--stack", "test"],
            env=dict(os.environ, PYTHONPATH=self.lib),
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(os.path.join(self.out, "harvest.json")) as f:
            summary = json.load(f)
        with open(os.path.join(self.out, "services", SERVICE, "coverage.json")) as f:
            report = json.load(f)
        return summary, report, result.stderr

    def processes(self, arbiter, stderr):
        """{pid: (start record, end record)} of the arbiter and its workers, after the stop (`stderr`: gunicorn's)."""
        starts, ends = records.read_all(self.data, records.START), records.read_all(self.data, records.END)
        found = {pid: (start, ends.get((host, pid))) for (host, pid), start in starts.items()}
        self.assertIn(arbiter, found)
        self.assertEqual(len(found), 3, "the arbiter and 2 workers")
        for pid, (_, end) in found.items():
            self.assertIsNotNone(end, f"process {pid} ended; gunicorn said:\n{stderr}")
        return found

    def assert_no_false_lines(self, report):
        """No canary line is marked run: no line was recorded under the wrong file."""
        for path, never in NEVER_RUN.items():
            wrong = sorted(set(report["files"][path]["executed_lines"]) & never)
            self.assertEqual(wrong, [], f"{path}: lines marked run that never ran")

    def test_sysmon_measures_the_gevent_workers_exactly_and_the_spy_says_nothing(self):
        found = support.sysmon_python()
        if found is None:
            self.skipTest("no Python >= 3.12 on this host (PATH, pyenv): sys.monitoring needs one")
        version, python = found
        arbiter, stderr = self.serve(gevent_python(self, python, version))
        for pid, (start, end) in self.processes(arbiter, stderr).items():
            self.assertEqual(start["core"], "SysMonitor", pid)
            self.assertEqual(end["unfollowedConcurrency"], [], pid)
        self.assertNotIn("coverage-spy:", stderr)
        self.assertNotIn("Traceback", stderr)  # the saver ends quietly in a process gevent patched

        summary, report, harvest_stderr = self.harvest()
        self.assertEqual(summary["warnings"], [])
        self.assertNotIn("concurrency", harvest_stderr)
        # Every statement that ran is marked run, and only those: the default measures greenlets exactly.
        for path, never in NEVER_RUN.items():
            self.assertEqual(set(report["files"][path]["missing_lines"]), never, path)

    def test_a_tracer_without_concurrency_gevent_is_reported_naming_the_option(self):
        # The host's Python 3.11 (as CI's asset tests run): core "auto" is coverage.py's C tracer there, as it is on
        # 3.12 and 3.13 with branch = true. [run] concurrency left empty.
        auto_is_ctrace = sys.version_info < support.MIN_SYSMON
        python = gevent_python(self, sys.executable, sys.version_info[:2])
        arbiter, stderr = self.serve(python, spy=None if auto_is_ctrace else {"core": "ctrace"})
        workers = []
        for pid, (start, end) in sorted(self.processes(arbiter, stderr).items()):
            self.assertIn(start["core"], ("CTracer", "PyTracer"), pid)
            # The arbiter imports gevent for its worker class, but runs no greenlet: nothing to say.
            self.assertEqual(end["unfollowedConcurrency"], [] if pid == arbiter else ["gevent"], pid)
            if pid != arbiter:
                workers.append(pid)
        self.assertIn(
            "coverage-spy: this process ran gevent greenlets, which coverage.py's CTracer follows only with [run]"
            " concurrency = gevent: lines run in greenlets may be missing or counted in the wrong file; " + THE_FIX,
            stderr,
        )
        self.assertNotIn("Traceback", stderr)

        summary, _, harvest_stderr = self.harvest()
        self.assertEqual(len(summary["warnings"]), 1, summary["warnings"])
        warning = summary["warnings"][0]
        self.assertEqual(
            {k: v for k, v in warning.items() if k not in ("processes", "message")},
            {
                "service": SERVICE,
                "kind": "concurrency",
                "library": "gevent",
                "option": "coverage.concurrency",
                "value": ["gevent"],
            },
        )
        self.assertEqual(sorted(p["pid"] for p in warning["processes"]), workers)
        self.assertEqual({p["core"] for p in warning["processes"]}, {"CTracer"})
        self.assertRegex(
            warning["message"],
            r"^service web: 2 process\(es\) ran gevent greenlets, which coverage.py's CTracer follows only with"
            r" \[run\] concurrency = gevent, so lines run in greenlets may be missing or counted in the wrong file"
            r" \(e\.g\. process \d+: .*gunicorn.*\); " + re.escape(THE_FIX) + "$",
        )
        self.assertIn("coverage-spy: " + warning["message"], harvest_stderr)

    def test_concurrency_gevent_is_followed_and_not_reported(self):
        arbiter, stderr = self.serve(gevent_python(self, sys.executable, sys.version_info[:2]), concurrency=["gevent"])
        for pid, (start, end) in self.processes(arbiter, stderr).items():
            self.assertEqual(start["core"], "CTracer", pid)
            self.assertEqual(end["unfollowedConcurrency"], [], pid)
        self.assertNotIn("coverage-spy:", stderr)
        self.assertNotIn("Traceback", stderr)
        summary, report, _ = self.harvest()
        self.assertEqual(summary["warnings"], [])
        # Nothing is recorded under the wrong file. (Lines right after gevent.joinall may still be missed:
        # https://github.com/nedbat/coveragepy/issues/841, which the tracer has with this setting too.)
        self.assert_no_false_lines(report)

    def test_a_master_patched_before_forking_forks_quickly_and_quietly(self):
        # The saver's thread and locks come from _thread as it was at start: gevent's patching cannot turn the
        # saver restarted after a fork into a greenlet (each fork then waited 0.5 s for it to leave the kernel),
        # nor break gevent's own fork hook (an AssertionError printed in every child).
        with open(os.path.join(self.app, "gapp", "prefork.py"), "w") as f:
            f.write(PATCHED_PREFORK)
        self.rc = os.path.join(self.tmp.name, "coveragerc")
        support.write_rc(self.rc, self.app, spy={"save_interval": "0.1"}, concurrency=["gevent"])
        python = gevent_python(self, sys.executable, sys.version_info[:2])
        env = support.measured_env(self.app, self.rc, os.path.join(self.data, ".coverage"), lib=self.lib)
        result = subprocess.run(
            [python, "-m", "gapp.prefork"], cwd=self.app, env=env, capture_output=True, text=True, timeout=60
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr, "")
        out = json.loads(result.stdout)
        # The defect made each fork wait 0.5 s: 4 forks took 2 s at least, however fast the machine.
        self.assertLess(out["forkSeconds"], 2.0, "4 forks waited for the saver")
        saves = {pid: record["saves"] for (_, pid), record in records.read_all(self.data, records.SAVES).items()}
        ends = {pid: record["how"] for (_, pid), record in records.read_all(self.data, records.END).items()}
        for pid in out["children"]:
            self.assertGreaterEqual(saves.get(pid, 0), 1, f"worker {pid} saved while it ran")
            self.assertEqual(ends.get(pid), "os._exit", pid)


class DetectionTest(unittest.TestCase):
    """greenlets.py's rules, with stand-in gevent modules: the host's python3 has no gevent."""

    def setUp(self):
        self.saved = {name: sys.modules.get(name) for name in ("gevent", "gevent.monkey", "gevent._hub_local")}

    def tearDown(self):
        for name, module in self.saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module

    def settings(self, concurrency=""):
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        rc = os.path.join(folder.name, "rc")
        with open(rc, "w") as f:
            f.write(f"[run]\nconcurrency = {concurrency}\n")
        return Settings(rc)

    def fake_gevent(self, patched, hub):
        monkey, hub_local = types.ModuleType("gevent.monkey"), types.ModuleType("gevent._hub_local")
        monkey.is_anything_patched = lambda: patched
        hub_local.get_hub_if_exists = lambda: object() if hub else None
        sys.modules.update(
            {"gevent": types.ModuleType("gevent"), "gevent.monkey": monkey, "gevent._hub_local": hub_local}
        )

    def test_never_imports_gevent(self):
        for name in self.saved:
            sys.modules.pop(name, None)
        self.assertEqual(greenlets.unfollowed(self.settings(), "CTracer"), [])
        self.assertNotIn("gevent", sys.modules)

    def test_a_tracer_without_the_setting_is_named_once_greenlets_ran(self):
        self.fake_gevent(patched=False, hub=False)  # imported only, as in gunicorn's master
        self.assertEqual(greenlets.unfollowed(self.settings(), "CTracer"), [])
        self.fake_gevent(patched=True, hub=False)
        self.assertEqual(greenlets.unfollowed(self.settings(), "CTracer"), ["gevent"])
        self.assertEqual(greenlets.unfollowed(self.settings("thread"), "PyTracer"), ["gevent"])
        self.fake_gevent(patched=False, hub=True)  # greenlets without patching
        self.assertEqual(greenlets.unfollowed(self.settings(), "CTracer"), ["gevent"])
        # Followed: by sys.monitoring, or by a tracer told about gevent's greenlets.
        self.assertEqual(greenlets.unfollowed(self.settings(), "SysMonitor"), [])
        self.assertEqual(greenlets.unfollowed(self.settings("gevent"), "CTracer"), [])
        self.assertEqual(greenlets.unfollowed(self.settings("greenlet, thread"), "CTracer"), [])

    def test_a_gevent_that_raises_is_passed_over(self):
        self.fake_gevent(patched=True, hub=False)
        sys.modules["gevent.monkey"].is_anything_patched = lambda: 1 / 0
        self.assertEqual(greenlets.unfollowed(self.settings(), "CTracer"), [])

    def test_the_fix_keeps_the_other_values(self):
        self.assertEqual(greenlets.fixed_concurrency([], ["gevent"]), ["gevent"])
        self.assertEqual(
            greenlets.fixed_concurrency(["thread", "multiprocessing"], ["gevent"]),
            ["thread", "multiprocessing", "gevent"],
        )
        self.assertEqual(greenlets.fixed_concurrency(["eventlet", "thread"], ["gevent"]), ["thread", "gevent"])

    def test_records_name_what_a_process_did_not_follow(self):
        saves = records.saves_record({"saves": 1}, ["gevent"])
        end = records.end_record("exit", [])
        self.assertEqual(saves["unfollowedConcurrency"], ["gevent"])
        self.assertEqual(end["unfollowedConcurrency"], [])
        self.assertEqual(records.unfollowed_concurrency(saves, end), ["gevent"])
        self.assertEqual(records.unfollowed_concurrency(None, {"pid": 1, "how": "exit"}), [])  # an older spy's


if __name__ == "__main__":
    unittest.main()
