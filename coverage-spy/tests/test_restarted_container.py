"""A container restarted in place (on Kubernetes, the kubelet restarts a pod's SIGKILLed or OOM-killed container in the
same pod): its new processes have the host name and often the pids of the killed ones, in the same data folder (the
pod's emptyDir outlives its containers). The killed processes must stay counted as interrupted, beside the new ones."""

import os
import socket
import sys
import tempfile
import unittest

from tests import support

sys.path.insert(0, support.SITE)
sys.path.insert(0, support.ASSETS)
import harvest  # noqa: E402
from _coverage_spy import records  # noqa: E402

RAW_HOST = socket.gethostname()
HOST = RAW_HOST.replace(".", "_")


class RestartedContainerTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.folder = self.tmp.name
        self.pid = os.getpid()
        self.old_data = f".coverage.{RAW_HOST}.pid{self.pid}.XAbc123x.H0123456789h"

    def tearDown(self):
        self.tmp.cleanup()

    def killed_earlier_process(self):
        """What a process with this host and pid left when SIGKILL ended it after a periodic save."""
        records.write(self.folder, records.START, records.start_record("CTracer", 5.0, {}))
        records.write(self.folder, records.SAVES, records.saves_record({"saves": 3, "snapshot": 0, "reset": 0}))
        with open(os.path.join(self.folder, self.old_data), "w") as f:
            f.write("its data")

    def new_process_ends(self):
        """This process starting with the killed one's key, saving and ending."""
        records.set_aside_killed(self.folder)
        records.write(self.folder, records.START, records.start_record("CTracer", 5.0, {}))
        with open(os.path.join(self.folder, f".coverage.{RAW_HOST}.pid{self.pid}.XDef456x"), "w") as f:
            f.write("new data")
        records.write(self.folder, records.END, records.end_record("exit"))

    def test_the_killed_process_stays_interrupted_beside_the_new_one(self):
        self.killed_earlier_process()
        self.new_process_ends()
        outcomes = harvest.process_outcomes(self.folder)
        self.assertEqual([(r["host"], r["pid"]) for r in outcomes["ended"]], [(HOST, self.pid)])
        self.assertEqual([(r["host"], r["pid"]) for r in outcomes["interrupted"]], [(f"{HOST}-k1", self.pid)])
        self.assertIsNotNone(outcomes["interrupted"][0]["lastSave"])
        self.assertEqual(outcomes["lost"], [])
        # Its data file went with it, under its own key, for every tool that reads the names.
        moved = f".coverage.{RAW_HOST}-k1.pid{self.pid}.XAbc123x.H0123456789h"
        self.assertIn(moved, os.listdir(self.folder))
        self.assertEqual(records.data_file_owner(moved), (f"{HOST}-k1", self.pid))

    def test_each_killed_predecessor_gets_its_own_key(self):
        self.killed_earlier_process()
        records.set_aside_killed(self.folder)
        self.killed_earlier_process()
        records.set_aside_killed(self.folder)
        starts = sorted(records.read_all(self.folder, records.START))
        self.assertEqual(starts, [(f"{HOST}-k1", self.pid), (f"{HOST}-k2", self.pid)])

    def test_an_ended_predecessor_is_replaced_as_before(self):
        # After exec (the same process, its end record written first) or a recycled pid of an ended process.
        records.write(self.folder, records.START, records.start_record("CTracer", 5.0, {}))
        records.write(self.folder, records.END, records.end_record("exec"))
        self.assertIsNone(records.set_aside_killed(self.folder))
        self.assertEqual(sorted(records.read_all(self.folder, records.START)), [(HOST, self.pid)])

    def test_nothing_to_do_for_a_first_start(self):
        self.assertIsNone(records.set_aside_killed(self.folder))
        self.assertEqual(os.listdir(self.folder), [])


if __name__ == "__main__":
    unittest.main()
