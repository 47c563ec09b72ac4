"""The saver's background save when another thread dropped its database connection in the middle of it.

coverage.py keeps one SQLite connection per thread and drops those of threads threading.enumerate() does not list;
the saver's thread is never listed. Its unlocked paths can meet such a reap: a KeyError of the thread's id. The
saver tries that save again (a new connection) instead of reporting a failure.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import unittest
import unittest.mock
from typing import Any

from tests import support

sys.path.insert(0, support.SITE)
from _coverage_spy.saver import Saver  # noqa: E402

sys.path.remove(support.SITE)


class Settings:
    """The settings the saver reads: periodic saves, often."""

    save_interval = 0.01
    branch = False


class ReapedOnce:
    """A stand-in for a started coverage.Coverage whose first save meets a reap of the saving thread's connection."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.saves = 0
        self.saved = threading.Event()

    def save(self) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise KeyError(threading.get_ident())
        self.saves += 1
        self.saved.set()

    def get_data(self) -> Any:
        raise AssertionError("no reset was asked")


class SaverRetryTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.reports: list[str] = []
        patcher = unittest.mock.patch(
            "_coverage_spy.saver.warn_once", side_effect=lambda message, topic="": self.reports.append(message)
        )
        patcher.start()
        self.addCleanup(patcher.stop)

    def run_saver(self, cov: ReapedOnce) -> None:
        saver = Saver(cov, Settings(), self.tmp.name)
        saver.start()
        self.addCleanup(saver.stop)
        self.assertTrue(cov.saved.wait(30), "the saver never saved")
        saver.stop()

    def test_a_save_that_met_a_reap_is_tried_again_and_reports_nothing(self) -> None:
        cov = ReapedOnce(failures=1)
        self.run_saver(cov)
        self.assertGreaterEqual(cov.saves, 1)
        self.assertEqual(self.reports, [])

    def test_a_save_that_fails_again_is_reported(self) -> None:
        cov = ReapedOnce(failures=2)
        self.run_saver(cov)
        self.assertEqual(len(self.reports), 1)
        self.assertRegex(self.reports[0], r"^a background save failed \(KeyError\(\d+\)\)$")


if __name__ == "__main__":
    unittest.main()
