"""The record format module (coverage-spy/site/_coverage_spy/records.py), which the spy writes with and the
harvester and the signal helper read with."""

import json
import os
import socket
import sys
import tempfile
import time
import unittest

from tests import support

sys.path.insert(0, support.SITE)
sys.path.insert(0, support.ASSETS)
import harvest  # noqa: E402
import signal_processes  # noqa: E402
from _coverage_spy import records  # noqa: E402

HOST = socket.gethostname().replace(".", "_")


class RecordsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.folder = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def names(self):
        return sorted(os.listdir(self.folder))

    def test_round_trip_of_every_kind(self):
        before = time.time()
        start = records.start_record("CTracer", 5.0, {"snapshot": 38, "reset": 39})
        records.write(self.folder, records.START, start)
        records.write(self.folder, records.SAVES, records.saves_record({"saves": 2, "snapshot": 1, "reset": 0}))
        records.write(self.folder, records.END, records.end_record("os._exit"))
        pid = os.getpid()
        self.assertEqual(
            self.names(),
            sorted(f".{kind}.{HOST}.pid{pid}.json" for kind in records.KINDS),
            "one file per kind, no temporary file left",
        )
        key = (HOST, pid)
        self.assertEqual(records.this_process(), key)
        read = records.read_all(self.folder, records.START)
        self.assertEqual(list(read), [key])
        self.assertEqual(read[key], json.loads(json.dumps(start)))
        self.assertEqual(read[key]["signals"], {"snapshot": 38, "reset": 39})
        self.assertEqual((read[key]["pid"], read[key]["host"], read[key]["core"]), (pid, HOST, "CTracer"))
        self.assertEqual(read[key]["executable"], sys.executable)
        self.assertEqual(read[key]["python"], sys.version.split()[0])
        self.assertGreaterEqual(read[key]["started"], before)
        self.assertTrue(read[key]["command"], "the command line from /proc")
        saves = records.read_all(self.folder, records.SAVES)[key]
        self.assertEqual((saves["saves"], saves["snapshot"], saves["reset"], saves["pid"]), (2, 1, 0, pid))
        self.assertGreaterEqual(saves["lastSave"], before)
        end = records.read_all(self.folder, records.END)[key]
        self.assertEqual((end["pid"], end["how"]), (pid, "os._exit"))

        records.remove(self.folder, records.END)
        records.remove(self.folder, records.END)  # none left: nothing to do
        self.assertEqual(records.read_all(self.folder, records.END), {})
        self.assertEqual(len(records.read_all(self.folder, records.START)), 1)

    def test_a_rewrite_replaces_the_record_whole(self):
        records.write(self.folder, records.SAVES, records.saves_record({"saves": 1, "snapshot": 0, "reset": 0}))
        records.write(self.folder, records.SAVES, records.saves_record({"saves": 2, "snapshot": 0, "reset": 0}))
        self.assertEqual(len(self.names()), 1)
        self.assertEqual(records.read_all(self.folder, records.SAVES)[records.this_process()]["saves"], 2)

    def test_other_and_unreadable_files_are_not_records(self):
        for name, text in (
            (".start.web_1.pid12.json", '{"pid": 12}'),
            (".start.web_1.pid13.json", "{not json"),
            (".start.web_1.pidX.json", "{}"),
            (".start.web_1.pid14.json.tmp", "{}"),
            (".end.web_1.pid12.json", "{}"),
        ):
            with open(os.path.join(self.folder, name), "w") as f:
                f.write(text)
        self.assertEqual(records.read_all(self.folder, records.START), {("web_1", 12): {"pid": 12}})

    def test_data_files_pair_with_their_process_in_both_coverage_naming_schemes(self):
        owner = records.data_file_owner
        # coverage.py 7.11+: the host's dots as "_", "pid", a hash once written.
        self.assertEqual(owner(".coverage.web_1.pid12.XaB3dEfx"), ("web_1", 12))
        self.assertEqual(owner(".coverage.web_1.pid12.XaB3dEfx.HabcdefABCDEF12h"), ("web_1", 12))
        self.assertEqual(owner(".coverage.web_1.pid12.XaB3dEfx-journal"), ("web_1", 12))
        # coverage.py 7.10 (the spy lib's build for Python 3.9 and 3.10): the host as it is, no "pid".
        self.assertEqual(owner(".coverage.web.example.com.12.XaBcDeFx"), ("web_example_com", 12))
        self.assertEqual(owner(".coverage.10.0.0.5.4321.XaBcDeFx"), ("10_0_0_5", 4321))
        for other in (".coverage", ".coverage.nothing-saved", ".start.web_1.pid12.json", "coverage.json"):
            self.assertIsNone(owner(other), other)

    def test_the_files_of_one_process(self):
        names = [
            ".coverage.web_1.pid12.XaB3dEfx",
            ".coverage.web.1.12.XaBcDeFx",
            ".start.web_1.pid12.json",
            ".end.web_1.pid12.json",
            ".coverage.web_1.pid123.XaB3dEfx",
            ".start.web_1.pid123.json",
            ".start.web_2.pid12.json",
        ]
        for name in names:
            open(os.path.join(self.folder, name), "w").close()
        self.assertEqual(
            [os.path.basename(p) for p in records.process_files(self.folder, [("web_1", 12)])], sorted(names[:4])
        )

    def test_the_data_volume_layout(self):
        self.assertEqual(
            records.service_folder("/data", "run-1", "shop"), os.path.join("/data", "runs", "run-1", "shop")
        )
        self.assertEqual(harvest.RUNS, records.RUNS)


class ReadersTest(unittest.TestCase):
    """The harvester's and the signal helper's use of the records, on files as the spy leaves them."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.folder = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def leave(self, name, record=None):
        with open(os.path.join(self.folder, name), "w") as f:
            json.dump(record if record is not None else {}, f)

    def start(self, host, pid):
        self.leave(f".start.{host}.pid{pid}.json", {"pid": pid, "command": ["python3"], "started": 1.0})

    def test_a_killed_python_3_9_process_that_saved_is_interrupted_not_lost(self):
        # coverage.py 7.10 names its data file after the host as it is: "web.local" here, "web_local" in records.
        self.start("web_local", 40)
        self.leave(".saves.web_local.pid40.json", {"saves": 1, "snapshot": 0, "reset": 0, "lastSave": 9.0})
        self.leave(".coverage.web.local.40.XaBcDeFx")
        self.start("web_local", 41)
        self.leave(".coverage.web_local.pid41.XaB3dEfx.HabcdefABCDEF12h")
        self.start("web_local", 42)
        self.start("web_local", 43)
        self.leave(".end.web_local.pid43.json", {"pid": 43, "how": "exit"})
        outcomes = harvest.process_outcomes(self.folder)
        self.assertEqual([(r["pid"], r["lastSave"]) for r in outcomes["interrupted"]], [(40, 9.0), (41, None)])
        self.assertEqual([r["pid"] for r in outcomes["lost"]], [42])
        self.assertEqual([(r["pid"], r["host"]) for r in outcomes["ended"]], [(43, "web_local")])

    def test_forgetting_a_dead_process_deletes_its_data_and_records_only(self):
        self.start("web_local", 40)
        self.leave(".coverage.web.local.40.XaBcDeFx")
        self.start("web_local", 41)
        self.leave(".coverage.web_local.pid41.XaB3dEfx")
        signal_processes.forget_dead(self.folder, [(("web_local", 40), {})])
        self.assertEqual(
            sorted(os.listdir(self.folder)), [".coverage.web_local.pid41.XaB3dEfx", ".start.web_local.pid41.json"]
        )


if __name__ == "__main__":
    unittest.main()
