"""The test run's results writer (coverage-spy/tests_json.py), which coverage-spy/test-run.sh calls."""

import json
import subprocess
import sys
import unittest

from tests import support

sys.path.insert(0, support.ASSETS)
import tests_json  # noqa: E402


class TestsJsonTest(unittest.TestCase):
    def test_a_suite_that_ended_by_itself_has_no_timeout(self):
        self.assertEqual(
            tests_json.tests_json(["1", "2500", "", "0", "api", "87"]),
            {"exitCode": 1, "durationMs": 2500, "stopMs": {"api": 87}, "exitedEarly": {}},
        )

    def test_a_suite_killed_by_its_time_limit_says_the_limit(self):
        result = tests_json.tests_json(["124", "30010", "30", "1", "jobs", "137", "true", "api", "87", "jobs", "0"])
        self.assertEqual(result["timedOutAfterSeconds"], 30)
        self.assertEqual(result["exitedEarly"], {"jobs": {"exitCode": 137, "oomKilled": True}})
        self.assertEqual(result["stopMs"], {"api": 87, "jobs": 0})

    def test_prints_valid_json_whatever_the_names(self):
        name = 'a "quoted"\nname'
        out = subprocess.run(
            [sys.executable, "-I", f"{support.ASSETS}/tests_json.py", "0", "10", "", "0", name, "5"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        self.assertEqual(json.loads(out)["stopMs"], {name: 5})


if __name__ == "__main__":
    unittest.main()
