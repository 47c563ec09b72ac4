"""Writes the test run's tests.json to stdout, from coverage-spy/test-run.sh's arguments.

    tests_json.py EXIT_CODE DURATION_MS TIMED_OUT_AFTER_S N_EXITED [NAME EXIT_CODE OOM_KILLED]*N_EXITED
                  [NAME STOP_MS]...

TIMED_OUT_AFTER_S is the suite's time limit when the limit killed it, else empty.
Python, not shell, so every service name is escaped and the JSON stays valid whatever the names are.
"""

from __future__ import annotations

import json
import sys


def tests_json(argv: list[str]) -> dict:
    """The tests.json object: the suite's exit code, duration and timeout, each service's stop time and early exits."""
    rc, duration, timed_out_after, n_exited, *rest = argv
    exited, stops = rest[: 3 * int(n_exited)], rest[3 * int(n_exited) :]
    stop_ms = {stops[i]: int(stops[i + 1]) for i in range(0, len(stops), 2)}
    exited_early = {
        exited[i]: {"exitCode": int(exited[i + 1]), "oomKilled": exited[i + 2] == "true"}
        for i in range(0, len(exited), 3)
    }
    result: dict = {"exitCode": int(rc), "durationMs": int(duration), "stopMs": stop_ms, "exitedEarly": exited_early}
    # Only when it timed out: the field's absence says the suite ended by itself.
    if timed_out_after:
        result["timedOutAfterSeconds"] = int(timed_out_after)
    return result


if __name__ == "__main__":
    print(json.dumps(tests_json(sys.argv[1:]), separators=(",", ":")))
