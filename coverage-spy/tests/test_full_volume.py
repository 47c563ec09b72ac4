"""A full data volume: the spy says so and marks it (records.py, saver.py), the harvest names the volume (harvest.py).

The real full volume (a small tmpfs Docker volume under a real stack) is test/integration/fullDataVolume.test.ts;
here, the errors a full filesystem really raises, and the harvest of a run whose processes marked it full.
"""

import contextlib
import errno
import io
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import unittest
from unittest import mock

from tests import support

sys.path[:0] = [support.coverage_lib(), support.SITE]
from _coverage_spy import records, saver  # noqa: E402
from coverage.exceptions import DataError  # noqa: E402

from tests.test_harvest import RUN, harvest  # noqa: E402


def sqlite_full_error() -> DataError:
    """What coverage.py raises when SQLite finds no room for the data file: its DataError from SQLITE_FULL."""
    db = sqlite3.connect(":memory:")
    try:
        # The database may not grow past its first page: SQLite's own "database or disk is full".
        db.execute("pragma max_page_count = 1")
        db.execute("create table t (x)")
        db.executemany("insert into t values (?)", [("x" * 1000,)] * 10)
    except sqlite3.OperationalError as exc:
        try:
            raise DataError(f"Couldn't use data file '/opt/coverage-spy/data/.coverage.h.pid1.X1x': {exc}") from exc
        except DataError as wrapped:
            return wrapped
    finally:
        db.close()
    raise AssertionError("SQLite did not report the database full")


def no_space_error() -> OSError:
    """What writing to a full filesystem raises: ENOSPC, from the kernel's always-full device."""
    try:
        with open("/dev/full", "w") as full:
            full.write("x")
    except OSError as exc:
        return exc
    raise AssertionError("/dev/full took a write")


class FullVolumeErrorsTest(unittest.TestCase):
    def test_knows_a_full_filesystem_from_its_errors(self):
        self.assertEqual(no_space_error().errno, errno.ENOSPC)
        self.assertTrue(records.is_disk_full(no_space_error()))
        self.assertTrue(records.is_disk_full(sqlite_full_error()))
        self.assertIn("database or disk is full", str(sqlite_full_error()))

    def test_takes_no_other_error_for_a_full_filesystem(self):
        self.assertFalse(records.is_disk_full(PermissionError(errno.EACCES, "Permission denied")))
        self.assertFalse(records.is_disk_full(DataError("Couldn't use data file: file is not a database")))
        try:
            sqlite3.connect(":memory:").execute("select * from nowhere")
        except sqlite3.OperationalError as exc:
            self.assertFalse(records.is_disk_full(exc))


class FullMarkTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.folder = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def test_a_failed_save_on_a_full_volume_says_so_once_and_leaves_an_empty_mark(self):
        stderr = io.StringIO()
        with mock.patch.dict(os.environ), contextlib.redirect_stderr(stderr):
            for key in [k for k in os.environ if k.startswith("COVERAGE_SPY_WARNED")]:
                del os.environ[key]
            saver.report_failure(self.folder, "a background save failed", sqlite_full_error())
            saver.report_failure(self.folder, "a background save failed", sqlite_full_error())
        self.assertEqual(
            stderr.getvalue(),
            "coverage-spy: a background save failed: the coverage data volume is full (Couldn't use data file"
            " '/opt/coverage-spy/data/.coverage.h.pid1.X1x': database or disk is full), so this process's coverage is"
            " incomplete; the harvest names the volume and its free space. Make room where the Docker engine keeps"
            " its volumes (`docker system df`) and run again\n",
        )
        key = records.this_process()
        self.assertEqual(records.full_marks(self.folder), [key])
        mark = os.path.join(self.folder, records.full_mark_name(key))
        self.assertEqual(os.path.getsize(mark), 0)
        # The mark is the process's: forgetting the process removes it with its data and records.
        self.assertEqual(records.process_files(self.folder, [key]), [mark])

    def test_another_failure_leaves_no_mark(self):
        stderr = io.StringIO()
        with mock.patch.dict(os.environ), contextlib.redirect_stderr(stderr):
            for key in [k for k in os.environ if k.startswith("COVERAGE_SPY_WARNED")]:
                del os.environ[key]
            saver.report_failure(self.folder, "a background save failed", PermissionError(errno.EACCES, "denied"))
        self.assertIn("a background save failed (PermissionError(13, 'denied'))", stderr.getvalue())
        self.assertEqual(records.full_marks(self.folder), [])


class FullVolumeHarvestTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        base = self.tmp.name
        self.app = os.path.join(base, "container-app")
        support.write_app(self.app)
        self.rc = os.path.join(base, "coveragerc")
        support.write_rc(self.rc, self.app)
        self.data = os.path.join(base, "data")
        self.out = os.path.join(base, "reports", "runs", RUN)
        self.lib = support.coverage_lib()
        self.assertEqual(harvest("init", "--data-dir", self.data).returncode, 0)

    def tearDown(self):
        self.tmp.cleanup()

    def test_a_run_whose_processes_found_the_volume_full_fails_naming_the_volume_not_kills_or_the_source(self):
        folder = records.service_folder(self.data, RUN, "shop")
        measured = support.run_measured(self.app, self.rc, os.path.join(folder, ".coverage"), ["book"], lib=self.lib)
        self.assertEqual(measured.returncode, 0, measured.stderr)
        # A second process of the service: it started measuring, and its saves found no room (its mark says so).
        with open(os.path.join(folder, records.record_name(records.START, ("app_host", 4242))), "w") as f:
            json.dump({"pid": 4242, "command": ["python3", "-m", "shop.main"]}, f)
        open(os.path.join(folder, records.full_mark_name(("app_host", 4242))), "w").close()
        shutil.copytree(self.app, os.path.join(self.out, "sources", "shop"))
        result = harvest(
            "harvest", "--data-dir", self.data, "--run-id", RUN, "--rcfile", self.rc, "--out", self.out,
            "--keep", "5", "--lost", "warn", "--service", f"shop={self.app}", "--project", "shop", "--stack", "dev",
            "--volume-name", "coverage-spy-dev-data", lib=self.lib,
        )  # fmt: skip
        self.assertEqual(result.returncode, 3, result.stderr)
        # Here the volume has room again (another disk stands for it): the process's mark is what says it was full.
        self.assertIn(
            f"coverage-spy harvest failed: the data volume coverage-spy-dev-data ({self.data} in the containers) was"
            " full while the services ran (now ",
            result.stderr,
        )
        self.assertRegex(
            result.stderr,
            r"\(now [\d,]+ of [\d,]+ bytes free\); 1 process\(es\) could not save their coverage data there \(their"
            r" logs say 'database or disk is full' or 'No space left on device'\), so this run's coverage is"
            r" incomplete\. Make room on the disk where the Docker engine keeps its volumes \(`docker system df`"
            r" shows what takes it, `docker system prune` removes what nothing uses\) or lower keepRuns \(the volume"
            r" keeps that many runs' data\), then run again\n",
        )
        for misleading in ("killed", "sourcePath", "saved no data"):
            self.assertNotIn(misleading, result.stderr)


if __name__ == "__main__":
    unittest.main()
