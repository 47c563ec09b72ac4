"""A measured pre-fork server on Python 3.12+ must fork as quietly as the unmeasured one.

CPython 3.12+ warns "This process (pid=N) is multi-threaded, use of fork() may lead to deadlocks in the child"
when the kernel still counts another thread after fork(): 3.12 before the after_in_parent hooks run (the spy's
saver, just joined, could still be exiting), 3.13 after them (the saver restarted by a hook counted). These tests
run a measured process that forks under every host Python >= 3.12 they find, compare its stderr with the
unmeasured run's and check that the saver kept saving in the parent and in every child after the forks.
"""

import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import unittest

from tests import support

# A pre-fork server: the master waits for a save (the saver runs), forks 3 workers (and one through pty.fork, which
# uses os.forkpty), then keeps running. Measured, everyone waits until their saver has saved twice more after the
# forks; unmeasured, they just sleep.
PREFORK = textwrap.dedent(
    """\
    import glob
    import json
    import os
    import sys
    import time

    from shop import prices

    FOLDER = os.path.dirname(os.environ.get("COVERAGE_FILE", ""))


    def saves():
        for path in glob.glob(os.path.join(FOLDER, ".saves.*.pid%d.json" % os.getpid())):
            try:
                with open(path) as f:
                    return json.load(f)["saves"]
            except (OSError, ValueError, KeyError):
                pass
        return 0


    def wait_for_saves(more):
        if not os.environ.get("COVERAGE_PROCESS_START"):
            time.sleep(0.1)
            return
        target = saves() + more
        deadline = time.monotonic() + 20
        while saves() < target and time.monotonic() < deadline:
            time.sleep(0.02)


    def worker(kind):
        prices.price(kind)
        wait_for_saves(2)
        os._exit(0)


    wait_for_saves(1)
    at_fork = saves()
    children = []
    for kind in ("book", "pen", "book"):
        pid = os.fork()
        if pid == 0:
            worker(kind)
        children.append(pid)
    if hasattr(os, "forkpty"):
        import pty

        try:
            pid, master = pty.fork()
        except OSError:
            pass
        else:
            if pid == 0:
                worker("pen")
            children.append(pid)
    wait_for_saves(2)
    for pid in children:
        os.waitpid(pid, 0)
    print(json.dumps({"parent": os.getpid(), "children": children, "savesAtFork": at_fork}), flush=True)
    """
)
# Many quick forks: on 3.12 a joined saver thread the kernel still counted made about 1 fork in 40 warn.
MANY_FORKS = textwrap.dedent(
    """\
    import os
    import sys
    import time

    time.sleep(0.1)
    for _ in range(int(sys.argv[1])):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    """
)


def _normalized_lines(text):
    return [re.sub(r"pid=\d+", "pid=N", line) for line in text.splitlines()]


class ForkWarningTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pythons = support.newer_pythons()

    def setUp(self):
        if not self.pythons:
            self.skipTest(
                f"no Python >= 3.12 on this host (tried {sys.executable}, python3.12+ on PATH and pyenv versions): "
                "only those warn about fork() with threads"
            )
        self.lib = support.coverage_lib()
        self.tmp = tempfile.TemporaryDirectory()
        self.root = os.path.join(self.tmp.name, "app")
        support.write_app(self.root)
        for name, text in (("prefork.py", PREFORK), ("many_forks.py", MANY_FORKS)):
            with open(os.path.join(self.root, "shop", name), "w") as f:
                f.write(text)
        self.rc = os.path.join(self.tmp.name, "coveragerc")
        support.write_rc(self.rc, self.root, spy={"save_interval": "0.05"})

    def tearDown(self):
        self.tmp.cleanup()

    def run_app(self, python, warnings, measured, data, module="shop.prefork", args=()):
        env = support.measured_env(
            self.root, self.rc, os.path.join(data, ".coverage"), lib=self.lib, extra_env={"PYTHONWARNINGS": warnings}
        )
        if not measured:
            for name in ("COVERAGE_PROCESS_START", "COVERAGE_FILE"):
                env.pop(name)
            env["PYTHONPATH"] = self.root
        return subprocess.run(
            [python, "-m", module] + list(args), cwd=self.root, env=env, capture_output=True, text=True, timeout=120
        )

    def saves_record(self, data, pid):
        paths = glob.glob(os.path.join(data, f".saves.*.pid{pid}.json"))
        self.assertEqual(len(paths), 1, f"process {pid} saved periodically: {os.listdir(data)}")
        with open(paths[0]) as f:
            return json.load(f)

    def test_a_measured_process_forks_as_quietly_as_the_unmeasured_one(self):
        # "error" is the strict setting, but 3.12 and 3.13 clear the error the warning becomes (it would show nothing
        # either way); "always" prints every fork's warning, so a single noisy fork fails the test.
        for version, python in sorted(self.pythons.items()):
            for warnings in ("error", "always"):
                with self.subTest(python="{}.{}".format(*version), warnings=warnings):
                    data = os.path.join(self.tmp.name, "data-{}.{}-{}".format(*version, warnings))
                    os.makedirs(data)
                    plain = self.run_app(python, warnings, False, os.path.join(self.tmp.name, "unused"))
                    self.assertEqual(plain.returncode, 0, plain.stderr)
                    measured = self.run_app(python, warnings, True, data)
                    self.assertEqual(measured.returncode, 0, measured.stderr)

                    extra = [
                        line
                        for line in _normalized_lines(measured.stderr)
                        if line not in _normalized_lines(plain.stderr)
                    ]
                    self.assertEqual(extra, [], f"stderr only when measured:\n{measured.stderr}")

                    report = json.loads(measured.stdout.strip().splitlines()[-1])
                    self.assertGreaterEqual(len(report["children"]), 3)
                    parent = self.saves_record(data, report["parent"])
                    self.assertGreaterEqual(
                        parent["saves"], report["savesAtFork"] + 2, "the parent's saver kept saving after the forks"
                    )
                    for child in report["children"]:
                        self.assertGreaterEqual(
                            self.saves_record(data, child)["saves"], 2, f"child {child}'s saver saved periodically"
                        )
                    ended = {record["pid"] for record in _records(data, "end")}
                    self.assertEqual(ended, {report["parent"]} | set(report["children"]))

    def test_many_quick_forks_never_warn(self):
        for version, python in sorted(self.pythons.items()):
            with self.subTest(python="{}.{}".format(*version)):
                data = os.path.join(self.tmp.name, "data-many-{}.{}".format(*version))
                os.makedirs(data)
                measured = self.run_app(python, "always", True, data, module="shop.many_forks", args=["150"])
                self.assertEqual(measured.returncode, 0, measured.stderr)
                self.assertNotIn("multi-threaded", measured.stderr)
                self.assertEqual(len(_records(data, "end")), 151)


class ForkHooksTest(unittest.TestCase):
    """The at-fork hooks' bookkeeping, called directly (no fork): when the parent's saver comes back."""

    def setUp(self):
        sys.path.insert(0, support.SITE)
        try:
            from _coverage_spy.forks import ForkGuard
            from _coverage_spy.saver import Saver
        finally:
            sys.path.remove(support.SITE)

        class Settings:
            save_interval, branch = 0, False

        self.tmp = tempfile.TemporaryDirectory()
        self.saver = Saver(None, Settings(), self.tmp.name)
        self.forks = ForkGuard(self.saver, in_child=lambda: None)
        self.forks.fork_target = object()
        self.saver.start()

    def tearDown(self):
        self.saver.stop()
        self.tmp.cleanup()

    def test_a_fork_through_the_wrapper_restarts_the_saver_only_once_fork_returned(self):
        self.forks.fork_starting()
        self.forks.before_fork()
        self.assertIsNone(self.saver.thread)
        self.forks.after_fork_in_parent()
        self.assertIsNone(self.saver.thread, "not while CPython may still count threads")
        self.assertEqual(self.forks.fork_returned(1234), 1234)
        self.assertTrue(self.saver.thread.is_alive())
        self.assertEqual(self.forks.fork_returned((1234, 5)), (1234, 5), "forkpty's result passes through")

    def test_other_forks_restart_the_saver_in_the_hook(self):
        self.forks.before_fork()
        self.forks.after_fork_in_parent()
        self.assertTrue(self.saver.thread.is_alive())

    def test_after_a_failed_fork_the_next_fork_restarts_the_saver(self):
        self.forks.fork_starting()
        self.forks.before_fork()
        self.forks.after_fork_in_parent()  # os.fork() then raised: fork_returned never ran
        self.assertIsNone(self.saver.thread)
        self.forks.before_fork()
        self.forks.after_fork_in_parent()
        self.assertTrue(self.saver.thread.is_alive())


def _records(folder, kind):
    records = []
    for path in glob.glob(os.path.join(folder, f".{kind}.*.json")):
        with open(path) as f:
            records.append(json.load(f))
    return records


if __name__ == "__main__":
    unittest.main()
