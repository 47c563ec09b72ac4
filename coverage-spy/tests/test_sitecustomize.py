import glob
import json
import os
import socket
import stat
import tempfile
import unittest

from tests import support


def read_json(path):
    with open(path) as f:
        return json.load(f)


class SitecustomizeTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = os.path.join(self.tmp.name, "app")
        self.data = os.path.join(self.tmp.name, "data")
        os.makedirs(self.data)
        support.write_app(self.root)
        self.rc = os.path.join(self.tmp.name, "coveragerc")
        support.write_rc(self.rc, self.root)

    def tearDown(self):
        self.tmp.cleanup()

    def test_every_process_writes_its_own_data_file(self):
        result = support.run_measured(
            self.root, self.rc, os.path.join(self.data, ".coverage"), ["book", "pen"], lib=support.coverage_lib()
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.split(), ["10", "2"])
        self.assertNotIn("coverage-spy:", result.stderr)
        files = glob.glob(os.path.join(self.data, ".coverage.*"))
        self.assertEqual(len(files), 2, f"one data file for the parent and one for the subprocess: {files}")
        records = [read_json(f) for f in glob.glob(os.path.join(self.data, ".start.*.json"))]
        self.assertEqual(len(records), 2, "one start record per process")
        for record in records:
            self.assertEqual(record["host"], socket.gethostname())
            self.assertIn("shop.main", record["command"])
            self.assertTrue(any(f".pid{record['pid']}." in f for f in files), f"record {record} pairs with a data file")

    def test_the_first_process_of_a_run_makes_its_folders_for_every_user(self):
        # The data volume's one-time set-up makes runs/; a run's first process makes runs/<run>/<service>/.
        runs = os.path.join(self.data, "runs")
        os.mkdir(runs, 0o1777)
        service = os.path.join(runs, "run-1", "shop")
        result = support.run_measured(
            self.root, self.rc, os.path.join(service, ".coverage"), ["book", "pen"], lib=support.coverage_lib()
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotIn("coverage-spy:", result.stderr)
        for folder in (os.path.dirname(service), service):
            self.assertEqual(stat.S_IMODE(os.stat(folder).st_mode), 0o1777, folder)
        self.assertEqual(len(glob.glob(os.path.join(service, ".coverage.*"))), 2)

    def test_a_data_folder_that_cannot_be_made_leaves_the_app_running_unmeasured(self):
        blocked = os.path.join(self.data, "runs")
        with open(blocked, "w") as f:
            f.write("a file where the runs folder should be")
        result = support.run_measured(
            self.root,
            self.rc,
            os.path.join(blocked, "run-1", "shop", ".coverage"),
            ["book", "pen"],
            lib=support.coverage_lib(),
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.split(), ["10", "2"])
        self.assertEqual(result.stderr.count("coverage-spy:"), 1, result.stderr)
        self.assertIn("cannot create the data folder", result.stderr)

    def test_forked_children_leave_a_start_record(self):
        code = "import os\npid = os.fork()\nif pid == 0:\n    os._exit(0)\nos.waitpid(pid, 0)\n"
        with open(os.path.join(self.root, "shop", "forker.py"), "w") as f:
            f.write(code)
        result = support.run_measured(
            self.root,
            self.rc,
            os.path.join(self.data, ".coverage"),
            [],
            lib=support.coverage_lib(),
            module="shop.forker",
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(len(glob.glob(os.path.join(self.data, ".start.*.json"))), 2)

    def test_without_coverage_the_app_runs_and_the_spy_warns_once(self):
        # No coverage.py on the path: two processes start, one warning is printed.
        result = support.run_measured(
            self.root,
            self.rc,
            os.path.join(self.data, ".coverage"),
            ["book", "pen"],
            lib=None,
            extra_env={"PYTHONNOUSERSITE": "1"},
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.split(), ["10", "2"])
        self.assertEqual(result.stderr.count("coverage-spy:"), 1, result.stderr)
        self.assertIn("cannot be imported", result.stderr)
        self.assertEqual(glob.glob(os.path.join(self.data, ".coverage*")), [])

    def test_a_broken_config_does_not_break_the_app(self):
        with open(self.rc, "w") as f:
            f.write("[run]\nparallel = not-a-boolean\n")
        result = support.run_measured(
            self.root, self.rc, os.path.join(self.data, ".coverage"), ["pen"], lib=support.coverage_lib()
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.split(), ["2"])
        self.assertIn("coverage-spy: coverage.py did not start", result.stderr)

    def test_the_images_own_sitecustomize_still_runs(self):
        image_site = os.path.join(self.root, "sitecustomize.py")
        with open(image_site, "w") as f:
            f.write("import sys\nsys.stdout.write('image-site ')\n")
        result = support.run_measured(
            self.root, self.rc, os.path.join(self.data, ".coverage"), ["book"], lib=support.coverage_lib()
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.split(), ["image-site", "10"])

    def test_without_the_spy_variable_nothing_is_measured(self):
        result = support.run_measured(
            self.root, "", os.path.join(self.data, ".coverage"), ["book"], lib=support.coverage_lib()
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(glob.glob(os.path.join(self.data, ".coverage*")), [])


if __name__ == "__main__":
    unittest.main()
