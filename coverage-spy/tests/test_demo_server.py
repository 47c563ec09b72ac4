"""The demo's pre-fork server (examples/demo) measured by the spy: how its master stops its workers."""

import contextlib
import glob
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import unittest

from tests import support

sys.path.insert(0, support.ASSETS)
import harvest  # noqa: E402
from _coverage_spy import records  # noqa: E402  (on sys.path through harvest)

DEMO_APP = os.path.join(os.path.dirname(support.ASSETS), "examples", "demo", "app")

# Runs the demo's master unchanged, except that the stop signal arrives at the moment a busy machine can deliver
# it: right after os.wait() reaped a SIGKILLed worker, before the master's loop has discarded that worker's pid.
# (Seen in the integration test "a worker killed with SIGKILL after a periodic save" on a loaded machine.)
MASTER = textwrap.dedent(
    """\
    import os
    import signal

    from demo_app import server

    real_wait = os.wait


    def wait():
        pid, status = real_wait()
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
            os.kill(os.getpid(), signal.SIGTERM)  # what the container's init forwards on `docker stop`
        return pid, status


    os.wait = wait
    server.main()
    """
)


class DemoServerStopTest(unittest.TestCase):
    def setUp(self):
        self.lib = support.coverage_lib()
        self.tmp = tempfile.TemporaryDirectory()
        self.data = os.path.join(self.tmp.name, "data")
        os.makedirs(self.data)
        self.rc = os.path.join(self.tmp.name, "coveragerc")
        support.write_rc(self.rc, DEMO_APP, spy={"save_interval": "0.2"}, patch=("subprocess", "_exit", "execv"))
        self.master = None

    def tearDown(self):
        if self.master is not None:
            self.end_of_container()
            self.master.wait()
            self.master.stdout.close()
            self.master.stderr.close()
        self.tmp.cleanup()

    def end_of_container(self):
        """What the kernel does when the container's init exits after the master: SIGKILL whatever is left."""
        with contextlib.suppress(ProcessLookupError):  # nothing is left
            os.killpg(self.master.pid, signal.SIGKILL)

    def records(self, kind):
        return {pid for _, pid in records.read_all(self.data, kind)}

    def wait_for(self, condition, what, timeout=60):
        support.wait_for(self, condition, what, timeout)

    def test_a_killed_worker_does_not_keep_the_stop_from_the_other_workers(self):
        env = support.measured_env(
            DEMO_APP,
            self.rc,
            os.path.join(self.data, ".coverage"),
            lib=self.lib,
            extra_env={"PORT": "0", "DEMO_WORKERS": "3"},
        )
        # Its own process group: the workers are in it, so end_of_container() reaches them as the kernel would.
        self.master = subprocess.Popen(
            [sys.executable, "-c", MASTER],
            cwd=self.tmp.name,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.wait_for(lambda: len(self.records("start")) == 4, "the start records of the master and 3 workers")
        workers = self.records("start") - {self.master.pid}
        self.wait_for(lambda: self.records("saves") >= workers, "a periodic save by every worker")

        # The worker the master would signal first (its set, filled in fork order): the others are then
        # signalled only if the master gets past the dead one.
        victim = next(iter(set(sorted(workers))))
        os.kill(victim, signal.SIGKILL)
        try:
            self.master.wait(30)
        except subprocess.TimeoutExpired:
            self.fail("the master did not stop")
        self.end_of_container()
        stderr = self.master.stderr.read()

        outcomes = harvest.process_outcomes(self.data)
        # Only the SIGKILLed worker is interrupted: the others were told to stop and ended before the master did.
        self.assertEqual([r["pid"] for r in outcomes["interrupted"]], [victim], stderr)
        self.assertNotIn("Traceback", stderr)
        self.assertEqual(self.master.returncode, 0, stderr)
        self.assertIn("all workers stopped", stderr)
        self.assertEqual(sorted(r["pid"] for r in outcomes["ended"]), sorted({self.master.pid} | workers - {victim}))
        self.assertEqual(outcomes["lost"], [])
        self.assertEqual(len(glob.glob(os.path.join(self.data, ".coverage.*"))), 4)


if __name__ == "__main__":
    unittest.main()
