"""The spy's runtime in real measured processes: periodic saves, snapshot and reset, exit records, fork."""

import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

from tests import support

sys.path.insert(0, support.SITE)
sys.path.insert(0, support.ASSETS)
import _coverage_spy  # noqa: E402
import harvest  # noqa: E402
import signal_processes  # noqa: E402
from _coverage_spy import records  # noqa: E402

# A service driven line by line on stdin, so a test decides what runs and when.
CONSOLE = textwrap.dedent(
    """\
    import os
    import sys

    from shop import prices

    for command in sys.stdin:
        command = command.strip()
        if command in ("book", "pen"):
            print(prices.price(command), flush=True)
        elif command == "fork":
            child = os.fork()
            if child == 0:
                prices.price("pen")
                sys.exit(0)
            os.waitpid(child, 0)
            print("forked", flush=True)
        elif command == "_exit":
            os._exit(0)
        elif command == "exec":
            os.execv(sys.executable, [sys.executable, "-m", "shop.main", "pen"])
    """
)
# A service that counts the saves coverage.py really makes (Coverage.save, whoever calls it), then leaves as told.
LEAVER = textwrap.dedent(
    """\
    import os
    import signal
    import sys
    import time

    import coverage

    from shop import prices

    real_save = coverage.Coverage.save


    def counted_save(self):
        with open(os.environ["SAVE_LOG"], "a") as f:
            f.write("save\\n")
        real_save(self)


    coverage.Coverage.save = counted_save
    prices.price("book")
    how = sys.argv[1]
    if how == "failed-exec":
        try:
            os.execv("/nonexistent/python3", ["python3"])
        except OSError:
            prices.price("pen")
    elif how == "_exit":
        os._exit(0)
    elif how == "sigterm":
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(10)
    elif how == "exec":
        os.execv(sys.executable, [sys.executable, "-c", "pass"])
    """
)
# A service whose other thread makes coverage.py drop the connections of the threads threading.enumerate() does
# not list (CoverageData._reap_dead_thread_dbs, run when a thread first touches the data) at the worst moments:
# just after the spy's saver opened a connection, twice. The first open is in a locked method of the data
# (add_lines); once the reap dropped it, the next one is in an unlocked one (touch_files), where a drop is a KeyError.
REAPER = textwrap.dedent(
    """\
    import _thread
    import threading
    import time

    import coverage
    from coverage import sqldata

    from shop import prices

    main = _thread.get_ident()
    opened = []  # one event per pause of the saver, set once the reap is done
    real_open_db = sqldata.CoverageData._open_db


    def open_db(self):
        real_open_db(self)
        if _thread.get_ident() != main and len(opened) < 2:
            reaped = threading.Event()
            opened.append(reaped)
            reaped.wait(3)  # the window: the reap either drops this connection now or waits for the save


    sqldata.CoverageData._open_db = open_db
    prices.price("book")
    data = coverage.Coverage.current()._data
    reap = getattr(data, "_reap_dead_thread_dbs", None)
    if reap is None:
        raise SystemExit("this coverage.py drops no connections of other threads")
    for pause in range(2):
        deadline = time.monotonic() + 60
        while len(opened) <= pause:
            if time.monotonic() > deadline:
                raise SystemExit(f"the saver did not open a connection {pause + 1} times")
            time.sleep(0.01)
        reap()
        opened[pause].set()
    prices.price("pen")
    """
)
PRICES = "shop/prices.py"
BOOK_LINE, PEN_LINE = 3, 5


class RuntimeTest(unittest.TestCase):
    def setUp(self):
        self.lib = support.coverage_lib()
        self.tmp = tempfile.TemporaryDirectory()
        self.root = os.path.join(self.tmp.name, "app")
        self.data = os.path.join(self.tmp.name, "data")
        os.makedirs(self.data)
        support.write_app(self.root)
        with open(os.path.join(self.root, "shop", "console.py"), "w") as f:
            f.write(CONSOLE)
        self.rc = os.path.join(self.tmp.name, "coveragerc")
        self.processes = []

    def tearDown(self):
        support.end_processes(self.processes)
        self.tmp.cleanup()

    def start(self, spy, patch=("subprocess", "_exit", "execv")):
        support.write_rc(self.rc, self.root, spy=spy, patch=patch)
        env = support.measured_env(
            self.root,
            self.rc,
            os.path.join(self.data, ".coverage"),
            lib=self.lib,
            extra_env={"PYTHONWARNINGS": "default"},
        )
        return support.start_console(self, env, self.root, self.processes, records_in=self.data)

    def send(self, process, command):
        return support.send(process, command, answered=command in ("book", "pen", "fork"))

    def wait_for(self, condition, what, timeout=60):
        support.wait_for(self, condition, what, timeout)

    def executed(self, relative=PRICES, while_saving=False):
        """Lines of the app file executed, over all data files now on disk.

        `while_saving`: the process may be saving now, so a file it is creating is skipped, not an error.
        """
        sys.path.insert(0, self.lib)
        try:
            import coverage
        finally:
            sys.path.remove(self.lib)
        lines = set()
        for path in glob.glob(os.path.join(self.data, ".coverage.*")):
            # Read only: a file the measured process is creating right now (a periodic save) may not hold coverage.py's
            # tables yet, and a writable reader would create them itself, in the process's file.
            data = coverage.CoverageData(basename=path, read_only=True)
            try:
                data.read()
                lines.update(data.lines(os.path.join(self.root, relative)) or [])
            except coverage.CoverageException:
                if not while_saving:
                    raise
                # Being created: its lines count once the save that writes it is done.
        return lines

    def signal(self, action, timeout=60):
        out = os.path.join(self.tmp.name, "signal.json")
        with open(out, "w") as f:
            stdout, sys.stdout = sys.stdout, f
            try:
                status = signal_processes.main(
                    [
                        "--data-dir",
                        os.path.dirname(os.path.dirname(os.path.dirname(self.data))),
                        "--run-id",
                        os.path.basename(os.path.dirname(self.data)),
                        "--service",
                        os.path.basename(self.data),
                        "--rcfile",
                        self.rc,
                        "--action",
                        action,
                        "--timeout",
                        str(timeout),
                    ]
                )
            finally:
                sys.stdout = stdout
        with open(out) as f:
            return status, json.loads(f.read())

    def test_periodic_saves_keep_a_killed_process_lines(self):
        process = self.start({"save_interval": "0.2"})
        self.assertEqual(self.send(process, "book"), "10")
        self.wait_for(lambda: BOOK_LINE in self.executed(while_saving=True), "a periodic save")
        # The saves record follows the data file: a kill between the two leaves lastSave unknown, which is not
        # what this test is about.
        self.wait_for(lambda: glob.glob(os.path.join(self.data, ".saves.*.json")), "a saves record")
        process.kill()
        process.wait()
        self.assertEqual(self.executed(), {1, 2, 3, 9})
        outcomes = harvest.process_outcomes(self.data)
        self.assertEqual([r["pid"] for r in outcomes["interrupted"]], [process.pid])
        self.assertIsNotNone(outcomes["interrupted"][0]["lastSave"])
        self.assertEqual(outcomes["lost"], [])

    def test_without_periodic_saves_a_killed_process_is_lost(self):
        process = self.start({"save_interval": "0"})
        self.assertEqual(self.send(process, "book"), "10")
        time.sleep(0.5)
        process.kill()
        process.wait()
        self.assertEqual(self.executed(), set())
        self.assertEqual([r["pid"] for r in harvest.process_outcomes(self.data)["lost"]], [process.pid])

    def test_snapshot_saves_a_live_process_and_reset_discards_its_data(self):
        # The data sits in a run folder as in a real volume: data/runs/<run>/<service>.
        self.data = os.path.join(self.tmp.name, "volume", harvest.RUNS, "run-1", "shop")
        os.makedirs(self.data)
        process = self.start({"save_interval": "0"})
        self.assertEqual(self.send(process, "book"), "10")
        self.assertEqual(self.executed(), set(), "nothing is saved before the snapshot")

        status, result = self.signal("snapshot")
        self.assertEqual((status, result["signalled"], result["answered"]), (0, 1, 1))
        self.assertIsNone(process.poll(), "the process runs on")
        self.assertEqual(self.executed(), {1, 2, 3, 9})

        status, result = self.signal("reset")
        self.assertEqual((status, result["answered"]), (0, 1))
        self.assertEqual(self.executed(), set(), "the reset discarded what was collected")
        self.assertEqual(
            len(glob.glob(os.path.join(self.data, ".coverage.*"))), 1, "an empty data file says it is alive"
        )

        self.assertEqual(self.send(process, "pen"), "2")
        self.assertEqual(self.signal("snapshot")[0], 0)
        self.assertEqual(self.executed(), {2, 4, 5})
        process.stdin.close()
        self.assertEqual(process.wait(), 0, process.stderr.read())
        self.assertEqual([r["pid"] for r in harvest.process_outcomes(self.data)["ended"]], [process.pid])

    def test_a_process_that_does_not_answer_is_named(self):
        self.data = os.path.join(self.tmp.name, "volume", harvest.RUNS, "run-1", "shop")
        os.makedirs(self.data)
        process = self.start({"save_interval": "0"})
        process.send_signal(signal.SIGSTOP)  # a stopped process cannot answer
        try:
            status, result = self.signal("snapshot", timeout=1)
        finally:
            process.send_signal(signal.SIGCONT)
        self.assertEqual(status, signal_processes.EXIT_NO_ANSWER)
        self.assertEqual([r["pid"] for r in result["silent"]], [process.pid])

    def test_exit_paths_leave_end_records_and_data(self):
        for command, how in (("_exit", "os._exit"), ("exec", "execv")):
            with self.subTest(command=command):
                for path in glob.glob(os.path.join(self.data, ".*")):
                    os.remove(path)
                process = self.start({"save_interval": "0"}, patch=("subprocess",))
                self.assertEqual(self.send(process, "book"), "10")
                self.send(process, command)
                self.assertEqual(process.wait(10), 0, process.stderr.read())
                # Saved before leaving, even without coverage.py's own _exit/execv patches.
                self.assertEqual(self.executed() >= {3}, True)
                ends = records.read_all(self.data, records.END)
                self.assertEqual(len(ends), 1)
                if command == "exec":
                    # The exec'd program is measured under the same pid and ends normally.
                    self.assertEqual(list(ends.values())[0]["how"], "exit")
                    self.assertIn(5, self.executed())
                else:
                    self.assertEqual(list(ends.values())[0]["how"], how)
                self.assertEqual(harvest.process_outcomes(self.data)["lost"], [])

    def leave(self, how):
        """Runs the LEAVER service until it leaves through `how`; returns its result and its saves."""
        with open(os.path.join(self.root, "shop", "leaver.py"), "w") as f:
            f.write(LEAVER)
        for path in glob.glob(os.path.join(self.data, ".*")):
            os.remove(path)
        log = os.path.join(self.tmp.name, f"saves-{how}.log")
        support.write_rc(self.rc, self.root, spy={"save_interval": "0"}, patch=("subprocess", "_exit", "execv"))
        env = support.measured_env(
            self.root, self.rc, os.path.join(self.data, ".coverage"), lib=self.lib, extra_env={"SAVE_LOG": log}
        )
        result = subprocess.run(
            [sys.executable, "-m", "shop.leaver", how],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        with open(log) as f:
            return result, len(f.read().split())

    def test_every_exit_path_saves_once(self):
        # coverage.py's own exit handlers run after the spy's (atexit, its _exit and execv patches, its SIGTERM
        # handler) and would save again what the spy has just saved.
        for how, status, end in (
            ("exit", 0, "exit"),
            ("_exit", 0, "os._exit"),
            ("sigterm", -signal.SIGTERM, "sigterm"),
            ("exec", 0, "exit"),
        ):
            with self.subTest(how=how):
                result, saves = self.leave(how)
                self.assertEqual(result.returncode, status, result.stderr)
                self.assertNotIn("coverage-spy", result.stderr)
                self.assertEqual(saves, 1)
                self.assertIn(BOOK_LINE, self.executed())
                # After an exec the same pid runs the new program, which ends normally.
                self.assertEqual([r["how"] for r in records.read_all(self.data, records.END).values()], [end])

    def test_a_failed_exec_measures_on_and_saves_again_at_exit(self):
        result, saves = self.leave("failed-exec")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotIn("coverage-spy", result.stderr)
        self.assertEqual(saves, 2, "one before the exec, one at the exit")
        self.assertTrue({BOOK_LINE, PEN_LINE} <= self.executed(), "the lines run after the failed exec")
        self.assertEqual([r["how"] for r in records.read_all(self.data, records.END).values()], ["exit"])

    def test_a_process_that_measured_nothing_is_not_lost(self):
        support.write_rc(self.rc, self.root, spy={"save_interval": "0"})
        env = support.measured_env(self.root, self.rc, os.path.join(self.data, ".coverage"), lib=self.lib)
        subprocess.run([sys.executable, "-c", "import json"], env=env, check=True, cwd=self.tmp.name)
        outcomes = harvest.process_outcomes(self.data)
        self.assertEqual((len(outcomes["ended"]), outcomes["lost"]), (1, []))

    def test_another_thread_touching_the_data_during_a_save_loses_nothing(self):
        support.write_rc(self.rc, self.root, spy={"save_interval": "0.05"}, patch=("subprocess",))
        with open(os.path.join(self.root, "shop", "reaper.py"), "w") as f:
            f.write(REAPER)
        env = support.measured_env(self.root, self.rc, os.path.join(self.data, ".coverage"), lib=self.lib)
        done = subprocess.run(
            [sys.executable, "-m", "shop.reaper"], cwd=self.root, env=env, text=True, capture_output=True, timeout=120
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertNotIn("coverage-spy", done.stderr)
        self.assertEqual(self.executed() & {BOOK_LINE, PEN_LINE}, {BOOK_LINE, PEN_LINE})

    def test_forks_while_the_saver_runs(self):
        process = self.start({"save_interval": "0.05"})
        self.assertEqual(self.send(process, "fork"), "forked")
        process.stdin.close()
        self.assertEqual(process.wait(10), 0)
        stderr = process.stderr.read()
        self.assertNotIn("multi-threaded", stderr)
        self.assertNotIn("coverage-spy", stderr)
        outcomes = harvest.process_outcomes(self.data)
        self.assertEqual(len(outcomes["ended"]), 2, outcomes)
        self.assertIn(PEN_LINE, self.executed(), "the child's lines")


class SettingsTest(unittest.TestCase):
    def settings(self, **kwargs):
        class Fake:
            core, branch, concurrency, dynamic_context = "auto", False, set(), False

        fake = Fake()
        for key, value in kwargs.items():
            setattr(fake, key, value)
        return fake

    def test_core_choice(self):
        choose = _coverage_spy.choose_core
        self.assertIsNone(choose(self.settings(), (3, 11)))
        self.assertEqual(choose(self.settings(), (3, 12)), "sysmon")
        self.assertIsNone(choose(self.settings(branch=True), (3, 13)), "sysmon measures branches only from 3.14")
        self.assertEqual(choose(self.settings(branch=True), (3, 14)), "sysmon")
        self.assertIsNone(choose(self.settings(concurrency={"gevent"}), (3, 14)))
        self.assertIsNone(choose(self.settings(dynamic_context=True), (3, 14)))
        self.assertEqual(choose(self.settings(core="pytrace"), (3, 13)), "pytrace")

    def test_an_rcfile_without_the_spy_section_turns_its_features_off(self):
        with tempfile.NamedTemporaryFile("w", suffix=".rc") as rc:
            rc.write("[run]\nparallel = true\n")
            rc.flush()
            settings = _coverage_spy.Settings(rc.name)
        self.assertEqual((settings.save_interval, settings.snapshot_signal, settings.reset_signal), (0.0, None, None))
        self.assertIsNone(_coverage_spy.choose_core(settings, (3, 13)), "coverage.py picks the core")

    def test_signal_names(self):
        parse = _coverage_spy.parse_signal
        self.assertEqual(parse("SIGUSR2"), signal.SIGUSR2)
        self.assertEqual(parse("usr1"), signal.SIGUSR1)
        self.assertEqual(parse("SIGRTMIN+4"), signal.SIGRTMIN + 4)
        self.assertEqual(parse("SIGRTMAX-1"), signal.SIGRTMAX - 1)
        self.assertEqual(parse("40"), 40)
        self.assertIsNone(parse("off"))

    def test_the_lib_build_that_fits_this_python_is_put_on_the_path(self):
        with tempfile.TemporaryDirectory() as lib:
            here = list(sys.version_info[:2])
            newer = [here[0], here[1] + 1]
            with open(os.path.join(lib, _coverage_spy.LIB_MANIFEST), "w") as f:
                json.dump(
                    {
                        "builds": [
                            {"dir": ".", "python": newer, "coverage": "9"},
                            {"dir": "legacy", "python": here, "coverage": "8"},
                        ]
                    },
                    f,
                )
            saved = list(sys.path)
            try:
                sys.path[:] = ["/elsewhere", lib]
                self.assertIsNone(_coverage_spy.select_coverage_lib())
                self.assertEqual(sys.path, ["/elsewhere", os.path.join(lib, "legacy")])
                sys.path[:] = [lib]
                with open(os.path.join(lib, _coverage_spy.LIB_MANIFEST), "w") as f:
                    json.dump({"builds": [{"dir": ".", "python": newer, "coverage": "9"}]}, f)
                self.assertIn("no coverage.py for Python {}.{}".format(*here), _coverage_spy.select_coverage_lib())
            finally:
                sys.path[:] = saved


if __name__ == "__main__":
    unittest.main()
