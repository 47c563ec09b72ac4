"""Which test ran which line: the per-test part of a harvest, when the stack records per-test contexts.

Every measured process switched coverage.py's dynamic context at each test boundary the relay passed on
(contexts_relay.py), so the combined data holds, per line, the contexts that ran it: test names, and the spy's
"(no test)" context for start-up and the time between tests. From it and the relay's event log this module writes:

    <out>/total/contexts.json   the index `npx coverage-spy who FILE:LINE` reads:
                                {"outside": "(no test)", "files": {"<service>/<path>": {"<line>": [context, ...]}}}
    harvest.json "perTest"      what each test reached (lines, files), the tests of each file, the lines run
                                outside tests, the boundaries (how many, how long), whether runners overlapped

Standard library plus coverage.py's CoverageData only.
"""

from __future__ import annotations

import json
import os
import statistics
from typing import Any

from _coverage_spy.contexts import EVENT_LOG, OUTSIDE

# Where the index goes, relative to the run's out folder (as harvest.json names it).
INDEX = "total/contexts.json"


def read_events(run_folder: str) -> list[dict[str, Any]]:
    """The relay's events of a run, in order; [] when the relay logged none (the suite never called it)."""
    path = os.path.join(run_folder, EVENT_LOG)
    if not os.path.exists(path):
        return []
    with open(path) as log:
        return [json.loads(line) for line in log if line.strip()]


def reported_files(json_report: str) -> set[str]:
    """The files a coverage.py JSON report reports, as it names them (relative to where the harvest ran it)."""
    with open(json_report) as report:
        return set(json.load(report)["files"])


def line_contexts(data: Any, root: str, reported: set[str]) -> dict[str, dict[int, list[str]]]:
    """{file relative to `root`: {line: sorted contexts}} of a combined CoverageData, for the `reported` files only.

    coverage.py records lines of files its reports leave out (a template's compiled code, which it cannot read as
    Python; an omitted file): counting them made the per-test numbers differ from the reports'. The lines of a
    reported file are those its reports show contexts for (their contexts come from the same data).
    """
    index: dict[str, dict[int, list[str]]] = {}
    for measured in sorted(data.measured_files()):
        name = os.path.relpath(measured, root)
        if name not in reported:
            continue
        by_line = {line: sorted(contexts) for line, contexts in data.contexts_by_lineno(measured).items() if contexts}
        if by_line:
            index[name] = dict(sorted(by_line.items()))
    return index


def per_test(index: dict[str, dict[int, list[str]]], events: list[dict[str, Any]]) -> dict[str, Any]:
    """The summary of an index and the relay's events (see the module docstring)."""
    # Every test the runner announced, also one that reached no line of any service.
    tests: dict[str, dict[str, int]] = {e["test"]: {"lines": 0, "files": 0} for e in events if e["event"] == "start"}
    files_of_test: dict[str, set[str]] = {}
    tests_of_file: dict[str, list[str]] = {}
    outside_lines = 0
    for path, by_line in index.items():
        reached: set[str] = set()
        for contexts in by_line.values():
            for context in contexts:
                if context == OUTSIDE or context == "":
                    continue
                tests.setdefault(context, {"lines": 0, "files": 0})["lines"] += 1
                reached.add(context)
            outside_lines += OUTSIDE in contexts or "" in contexts
        for test in reached:
            files_of_test.setdefault(test, set()).add(path)
        if reached:
            tests_of_file[path] = sorted(reached)
    for test, files in files_of_test.items():
        tests[test]["files"] = len(files)
    times = [float(e["ms"]) for e in events]
    return {
        "index": INDEX,
        "outside": OUTSIDE,
        "tests": dict(sorted(tests.items())),
        "files": tests_of_file,
        "outsideLines": outside_lines,
        "boundaries": {
            "count": len(events),
            "medianMs": round(statistics.median(times), 3) if times else None,
            "maxMs": round(max(times), 3) if times else None,
            "maxProcesses": max((int(e.get("processes", 0)) for e in events), default=0),
            "failed": sum(int(e.get("failed", 0)) for e in events),
        },
        "parallel": any(e.get("parallel") for e in events),
        "runners": sorted({str(e.get("runner")) for e in events}),
    }


def warnings(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """What makes the attribution doubtful: no boundary at all, processes that did not switch, parallel runners."""
    found = []

    def warn(message: str) -> None:
        found.append(
            {"service": "", "kind": "contexts", "option": "perTestContexts", "value": True, "message": message}
        )

    boundaries = summary["boundaries"]
    if boundaries["count"] == 0:
        warn(
            "per-test contexts are on but the test suite never told the relay a test started, so every line is under"
            f" {OUTSIDE}: run it with `pytest -p coverage_spy_runner`, `python3 -m coverage_spy_runner unittest ...`,"
            " or POST to $COVERAGE_SPY_CONTEXTS_URL/tests/start and /tests/end (docs/per-test-contexts.md)"
        )
    if boundaries["failed"]:
        warn(
            f"{boundaries['failed']} time(s) a measured process did not answer the relay at a test boundary: the lines"
            " it ran next may be counted under the previous test"
        )
    if summary["parallel"]:
        warn(
            f"tests of several runners ran at the same time ({', '.join(summary['runners'])}): lines run while their"
            " tests overlapped are counted under one of the overlapping tests, not each under its own; run the suite"
            " sequentially for exact per-test attribution"
        )
    return found


def write_index(index: dict[str, dict[int, list[str]]], out_dir: str) -> None:
    """Writes the index the `coverage-spy who` query reads (INDEX, under the run's out folder)."""
    path = os.path.join(out_dir, *INDEX.split("/"))
    with open(path, "w") as out:
        files = {name: {str(line): contexts for line, contexts in by_line.items()} for name, by_line in index.items()}
        json.dump({"outside": OUTSIDE, "files": files}, out, separators=(",", ":"), sort_keys=True)
