import glob
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

from tests import support

sys.path.insert(0, support.SITE)
from _coverage_spy import records  # noqa: E402

sys.path.remove(support.SITE)

RUN = "20261124T120000Z-aaaaaa"


def harvest(*args, lib=None):
    env = dict(os.environ)
    if lib:
        env["PYTHONPATH"] = lib
    return subprocess.run(
        [sys.executable, support.HARVEST] + list(args), env=env, capture_output=True, text=True, timeout=120
    )


class InitTest(unittest.TestCase):
    def test_makes_the_runs_folder_writable_by_any_user_and_sticky(self):
        with tempfile.TemporaryDirectory() as data:
            result = harvest("init", "--data-dir", data)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(data, "runs")).st_mode), 0o1777)
            # Again on a ready volume: nothing changes, nothing fails.
            self.assertEqual(harvest("init", "--data-dir", data).returncode, 0)

    # Every option a harvest needs, as the component passes them; each test below leaves one out or breaks one.
    ARGS = {
        "--data-dir": "/tmp",
        "--run-id": RUN,
        "--rcfile": "/x",
        "--out": "/y",
        "--keep": "5",
        "--lost": "warn",
        "--service": "api=/app",
        "--project": "shop",
        "--stack": "dev",
    }

    def harvest_with(self, **changes):
        options = {**self.ARGS, **{f"--{k.replace('_', '-')}": v for k, v in changes.items()}}
        return harvest("harvest", *[x for k, v in options.items() if v is not None for x in (k, v)])

    def test_every_value_comes_from_the_component(self):
        # No second copy of the option defaults here: a call without them is refused, naming the option.
        no_keep = self.harvest_with(keep=None)
        self.assertEqual(no_keep.returncode, 2)
        self.assertIn("--keep is required", no_keep.stderr)
        no_lost = self.harvest_with(lost=None)
        self.assertEqual(no_lost.returncode, 2)
        self.assertIn("--lost", no_lost.stderr)
        # Whose runs it may prune: without the stack it could only guess by name.
        for missing in ("stack", "project"):
            result = self.harvest_with(**{missing: None})
            self.assertEqual(result.returncode, 2)
            self.assertIn(f"--{missing} is required", result.stderr)

    def test_rejects_a_service_without_an_absolute_source_path(self):
        result = self.harvest_with(service="api=app")
        self.assertEqual(result.returncode, 2)
        self.assertIn("NAME=/absolute/source/path", result.stderr)


class HarvestTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        base = self.tmp.name
        self.container_root = os.path.join(base, "container-app")  # stands for /app inside the service
        support.write_app(self.container_root)
        self.rc = os.path.join(base, "coveragerc")
        support.write_rc(self.rc, self.container_root)
        self.data = os.path.join(base, "data")
        self.reports = os.path.join(base, "reports")
        self.out = os.path.join(self.reports, "runs", RUN)
        self.lib = support.coverage_lib()
        result = harvest("init", "--data-dir", self.data)
        self.assertEqual(result.returncode, 0, result.stderr)

    def tearDown(self):
        self.tmp.cleanup()

    def measure(self, *args, run=RUN):
        data_file = os.path.join(self.data, "runs", run, "shop", ".coverage")
        result = support.run_measured(self.container_root, self.rc, data_file, args, lib=self.lib)
        self.assertEqual(result.returncode, 0, result.stderr)

    def stage_sources(self, run=RUN):
        # The test run copies the source out of the stopped container; here it is a plain copy.
        shutil.copytree(self.container_root, os.path.join(self.reports, "runs", run, "sources", "shop"))

    def run_harvest(self, lost="warn", source=None, extra=(), run=RUN, keep=5, stack="dev", project="shop"):
        """harvest.py harvest of this test's run (or another), with the component's values."""
        return harvest(
            "harvest",
            *extra,
            "--data-dir",
            self.data,
            "--run-id",
            run,
            "--rcfile",
            self.rc,
            "--out",
            os.path.join(self.reports, "runs", run),
            "--keep",
            str(keep),
            "--lost",
            lost,
            "--service",
            f"shop={source or self.container_root}",
            "--project",
            project,
            "--stack",
            stack,
            lib=self.lib,
        )

    def test_a_remote_engines_harvest_takes_the_run_results_from_their_tar(self):
        # A remote engine's harvester cannot see the run folder: tests.json and sources/ arrive as a tar.
        self.measure("book")
        staged = os.path.join(self.tmp.name, "staged")
        shutil.copytree(self.container_root, os.path.join(staged, "sources", "shop"))
        with open(os.path.join(staged, "tests.json"), "w") as f:
            json.dump({"exitCode": 0, "durationMs": 1, "stopMs": {"shop": 5}, "exitedEarly": {}}, f)
        inputs = os.path.join(self.tmp.name, "run.tar")
        subprocess.run(["tar", "-C", staged, "-cf", inputs, "tests.json", "sources"], check=True)
        self.assertFalse(os.path.exists(self.out))
        result = self.run_harvest(extra=("--inputs", inputs))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(os.path.isfile(os.path.join(self.out, "tests.json")))
        with open(os.path.join(self.out, "total", "coverage.json")) as f:
            self.assertIn("shop/shop/prices.py", json.load(f)["files"])

    def test_a_results_tar_that_cannot_be_read_fails_naming_it(self):
        broken = os.path.join(self.tmp.name, "broken.tar")
        with open(broken, "w") as f:
            f.write("not a tar")
        result = self.run_harvest(extra=("--inputs", broken))
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(f"cannot unpack the test run's results {broken}", result.stderr)

    def test_prunes_old_runs_in_the_volume_and_hands_the_reports_to_their_owner(self):
        for old in ("20200101T000000Z-000001", "20200101T000000Z-000002"):
            os.makedirs(os.path.join(self.data, "runs", old, "shop"))
        # Not run folders: none is ever pruned, whatever their age.
        volume_runs = os.path.join(self.data, "runs")
        for foreign in ("lost+found", ".hidden"):
            os.makedirs(os.path.join(volume_runs, foreign))
        with open(os.path.join(volume_runs, "notes.txt"), "w") as f:
            f.write("kept")
        elsewhere = os.path.join(self.tmp.name, "elsewhere")
        os.makedirs(os.path.join(elsewhere, "kept"))
        os.symlink(elsewhere, os.path.join(volume_runs, "20100101T000000Z-linked"))
        self.measure("book")
        self.stage_sources()
        owner = f"{os.getuid()}:{os.getgid()}"
        result = harvest(
            "harvest", "--data-dir", self.data, "--run-id", RUN, "--rcfile", self.rc, "--out", self.out,
            "--keep", "2", "--lost", "warn", "--service", f"shop={self.container_root}", "--owner", owner,
            "--project", "shop", "--stack", "dev", lib=self.lib,
        )  # fmt: skip
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(
            sorted(os.listdir(volume_runs)),
            sorted([".hidden", "20100101T000000Z-linked", "20200101T000000Z-000002", RUN, "lost+found", "notes.txt"]),
        )
        self.assertTrue(os.path.isdir(os.path.join(elsewhere, "kept")))
        for root, dirs, files in os.walk(self.out):
            for name in dirs + files:
                self.assertEqual(os.lstat(os.path.join(root, name)).st_uid, os.getuid())

    def harvest_run(self, run, keep=5, stack="dev", project="shop"):
        """A whole run of one stack: measured, its sources staged, harvested (which must succeed)."""
        self.measure("book", run=run)
        self.stage_sources(run=run)
        result = self.run_harvest(run=run, keep=keep, stack=stack, project=project)
        self.assertEqual(result.returncode, 0, result.stderr)

    def files_but(self, runs):
        """{path relative to the report folder: bytes} of every file there, but those in the given runs' folders."""
        found = {}
        for root, _, files in os.walk(self.reports):
            for name in files:
                rel = os.path.relpath(os.path.join(root, name), self.reports)
                parts = rel.split(os.sep)
                if parts[0] == "runs" and len(parts) > 2 and parts[1] in runs:
                    continue
                with open(os.path.join(self.reports, rel), "rb") as f:
                    found[rel] = f.read()
        return found

    def test_marks_the_run_folder_as_this_stacks_even_when_the_harvest_fails(self):
        self.stage_sources()
        failed = self.run_harvest()
        self.assertEqual(failed.returncode, 3)
        with open(os.path.join(self.out, ".coverage-spy-run.json")) as f:
            marker = json.load(f)
        self.assertEqual(
            {k: marker[k] for k in ("tool", "project", "stack", "runId")},
            {"tool": "coverage-spy", "project": "shop", "stack": "dev", "runId": RUN},
        )

    def test_prunes_only_its_own_stacks_marked_runs_from_the_report_folder(self):
        runs = os.path.join(self.reports, "runs")
        # The user's own folders and files in the report folder, some named like runs.
        for name in ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "20000101T000000Z-user01"):
            os.makedirs(os.path.join(runs, name, "user-sub"))
            with open(os.path.join(runs, name, "user-file.bin"), "wb") as f:
                f.write(os.urandom(64))
            with open(os.path.join(runs, name, "user-sub", "user-notes.txt"), "w") as f:
                f.write(name)
        with open(os.path.join(runs, "user-readme.txt"), "w") as f:
            f.write("mine")
        # A folder that claims to be this stack's run only through a link: the link's target is not ours to remove.
        own_elsewhere = os.path.join(self.reports, "user-elsewhere")
        os.makedirs(own_elsewhere)
        with open(os.path.join(own_elsewhere, "user-data.txt"), "w") as f:
            f.write("linked")
        with open(os.path.join(own_elsewhere, ".coverage-spy-run.json"), "w") as f:
            json.dump(
                {"tool": "coverage-spy", "project": "shop", "stack": "dev", "runId": "20000101T000000Z-linked"}, f
            )
        os.symlink(own_elsewhere, os.path.join(runs, "20000101T000000Z-linked"))
        before = self.files_but([])
        self.assertEqual(len(before), 19)
        # Another stack and the same stack name in another project share this report folder.
        self.harvest_run("20261124T110000Z-other1", stack="ci")
        self.harvest_run("20261124T110000Z-proj01", project="billing")
        own = [f"20261124T1100{i:02d}Z-own00{i}" for i in range(1, 4)]
        for run in own:
            self.harvest_run(run, keep=2)
        self.harvest_run(RUN, keep=2)
        self.assertEqual(
            sorted(os.listdir(runs)),
            sorted(
                ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "20000101T000000Z-user01"]
                + ["user-readme.txt", "20000101T000000Z-linked"]
                + ["20261124T110000Z-other1", "20261124T110000Z-proj01", own[-1], RUN]
            ),
        )
        self.assertEqual(self.files_but(["20261124T110000Z-other1", "20261124T110000Z-proj01", *own, RUN]), before)
        # The other stacks' reports are whole.
        for run in ("20261124T110000Z-other1", "20261124T110000Z-proj01"):
            self.assertTrue(os.path.isfile(os.path.join(runs, run, "total", "coverage.json")), run)

    def test_keeps_a_folder_whose_marker_names_another_run_or_cannot_be_read(self):
        runs = os.path.join(self.reports, "runs")
        # A marker copied along with a folder names the run it was written for, not this folder.
        copied = os.path.join(runs, "20000101T000000Z-copied")
        unreadable = os.path.join(runs, "20000101T000000Z-broken")
        for folder in (copied, unreadable):
            os.makedirs(folder)
        with open(os.path.join(copied, ".coverage-spy-run.json"), "w") as f:
            json.dump({"tool": "coverage-spy", "project": "shop", "stack": "dev", "runId": "20000101T000000Z-orig"}, f)
        with open(os.path.join(unreadable, ".coverage-spy-run.json"), "w") as f:
            f.write("{not json")
        self.harvest_run(RUN, keep=1)
        self.assertEqual(
            sorted(os.listdir(runs)), sorted([os.path.basename(copied), os.path.basename(unreadable), RUN])
        )

    def test_refuses_a_run_folder_another_stack_claims(self):
        # Two stacks given the same runId and reportDir: the second must not take the first one's run as its own.
        self.harvest_run(RUN, stack="ci")
        self.measure("pen")
        result = self.run_harvest(stack="dev")
        self.assertEqual(result.returncode, 3)
        self.assertIn(
            f"{self.out} holds run {RUN} of stack ci (project shop), and this run of stack dev wrote its results into"
            " it: give each stack its own reportDir, or runId",
            result.stderr,
        )
        with open(os.path.join(self.out, ".coverage-spy-run.json")) as f:
            self.assertEqual(json.load(f)["stack"], "ci")

    def test_no_data_fails_loudly_naming_the_service(self):
        self.stage_sources()
        result = self.run_harvest()
        self.assertEqual(result.returncode, 3)
        self.assertIn("no coverage data from service(s) shop", result.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.out, "total", "coverage.json")))

    def test_a_service_that_died_before_saving_is_reported_with_every_line_missing(self):
        # The test run found the service dead before its stop (tests.json): the harvest keeps the outputs.
        self.stage_sources()
        with open(os.path.join(self.out, "tests.json"), "w") as f:
            json.dump(
                {
                    "exitCode": 0,
                    "durationMs": 1,
                    "stopMs": {"shop": 5},
                    "exitedEarly": {"shop": {"exitCode": 137, "oomKilled": True}},
                },
                f,
            )
        result = self.run_harvest()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("service shop exited during the test suite (exit code 137, OOM-killed)", result.stderr)
        with open(os.path.join(self.out, "harvest.json")) as f:
            self.assertEqual(json.load(f)["services"]["shop"]["dataFiles"], 0)
        with open(os.path.join(self.out, "services", "shop", "coverage.json")) as f:
            report = json.load(f)
        self.assertEqual(sorted(report["files"]), ["shop/__init__.py", "shop/main.py", "shop/prices.py"])
        self.assertEqual(report["totals"]["covered_lines"], 0)
        self.assertGreater(report["totals"]["missing_lines"], 0)

    def test_combines_every_process_and_remaps_onto_the_copied_source(self):
        self.measure("book", "pen")  # parent plus one subprocess
        self.stage_sources()
        shutil.rmtree(self.container_root)  # the report must not need the container's paths
        result = self.run_harvest()
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(os.path.join(self.out, "harvest.json")) as f:
            summary = json.load(f)
        self.assertEqual(summary["services"]["shop"]["dataFiles"], 2)
        with open(os.path.join(self.out, "total", "coverage.json")) as f:
            report = json.load(f)
        # Report paths are relative: "<service>/<path in the source>" in the total, "<path>" per service.
        self.assertEqual(report["files"]["shop/shop/prices.py"]["missing_lines"], [6, 10])
        self.assertEqual(report["files"]["shop/shop/prices.py"]["executed_lines"], [1, 2, 3, 4, 5, 9])
        with open(os.path.join(self.out, "services", "shop", "coverage.json")) as f:
            self.assertEqual(sorted(json.load(f)["files"]), ["shop/__init__.py", "shop/main.py", "shop/prices.py"])
        for name in ("coverage.xml", "coverage.lcov", "coverage.txt", "html/index.html"):
            self.assertTrue(os.path.isfile(os.path.join(self.out, "total", name)), name)
            self.assertTrue(os.path.isfile(os.path.join(self.out, "services", "shop", name)), name)
        self.assertIn("TOTAL", result.stdout)

        # harvest.json names the reports relative to the run's folder: the total's in every format, each service's JSON.
        self.assertEqual(
            summary["reports"],
            {
                "html": "total/html/index.html",
                "json": "total/coverage.json",
                "xml": "total/coverage.xml",
                "lcov": "total/coverage.lcov",
                "text": "total/coverage.txt",
            },
        )
        self.assertEqual(summary["services"]["shop"]["report"], "services/shop/coverage.json")
        for path in list(summary["reports"].values()) + [summary["services"]["shop"]["report"]]:
            self.assertTrue(os.path.isfile(os.path.join(self.out, *path.split("/"))), path)

    def test_a_killed_process_is_reported_as_lost(self):
        self.measure("book")
        with open(os.path.join(self.container_root, "shop", "crash.py"), "w") as f:
            f.write("import os\nimport signal\n\nos.kill(os.getpid(), signal.SIGKILL)\n")
        data_file = os.path.join(self.data, "runs", RUN, "shop", ".coverage")
        killed = support.run_measured(self.container_root, self.rc, data_file, [], lib=self.lib, module="shop.crash")
        self.assertEqual(killed.returncode, -9)
        self.stage_sources()
        result = self.run_harvest()
        self.assertEqual(result.returncode, 0, result.stderr)
        host = re.escape(records.host_name())
        self.assertRegex(
            result.stderr,
            rf"service shop: process \d+ on host {host} \(.*shop\.crash\) started measuring but saved no data",
        )
        with open(os.path.join(self.out, "harvest.json")) as f:
            lost = json.load(f)["lostProcesses"]
        self.assertEqual(
            [(r["service"], r["host"], r["command"][-1]) for r in lost], [("shop", records.host_name(), "shop.crash")]
        )

        strict = self.run_harvest(lost="fail")
        self.assertEqual(strict.returncode, 3)
        self.assertIn("1 process(es) saved no coverage data", strict.stderr)

    def test_killed_and_lost_processes_are_named_with_their_host_as_pids_repeat_across_pods(self):
        self.measure("book")
        folder = os.path.join(self.data, "runs", RUN, "shop")
        [start] = glob.glob(os.path.join(folder, ".start.*.json"))
        [data_file] = glob.glob(os.path.join(folder, ".coverage.*"))
        with open(start) as f:
            record = json.load(f)
        # Pid 7 in two pods, both killed after a periodic save; pid 7 in a third, killed before saving anything.
        for pod, saved in (("shop-7d9f-a", True), ("shop-7d9f-b", True), ("shop-7d9f-c", False)):
            with open(os.path.join(folder, f".start.{pod}.pid7.json"), "w") as f:
                json.dump(dict(record, pid=7, host=pod), f)
            if saved:
                shutil.copy(data_file, os.path.join(folder, f".coverage.{pod}.pid7.Xabcdefx"))
        self.stage_sources()
        result = self.run_harvest()
        self.assertEqual(result.returncode, 0, result.stderr)
        command = " ".join(record["command"])
        for pod in ("shop-7d9f-a", "shop-7d9f-b"):
            self.assertIn(
                f"coverage-spy: service shop: process 7 on host {pod} ({command}) was killed; its data up to its last"
                " periodic save is kept\n",
                result.stderr,
            )
        self.assertIn(
            f"coverage-spy: service shop: process 7 on host shop-7d9f-c ({command}) started measuring but saved no"
            " data\n",
            result.stderr,
        )
        with open(os.path.join(self.out, "harvest.json")) as f:
            summary = json.load(f)
        interrupted = [(r["host"], r["pid"]) for r in summary["interruptedProcesses"]]
        self.assertEqual(interrupted, [("shop-7d9f-a", 7), ("shop-7d9f-b", 7)])
        self.assertEqual([(r["host"], r["pid"]) for r in summary["lostProcesses"]], [("shop-7d9f-c", 7)])

    def test_data_that_measured_nothing_under_the_source_fails(self):
        self.measure("book")
        self.stage_sources()
        result = self.run_harvest(source="/somewhere/else")
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertIn("is under /somewhere/else", result.stderr)


if __name__ == "__main__":
    unittest.main()
