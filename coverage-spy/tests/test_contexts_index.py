"""contexts_index.py: the harvest's per-test index and summary, from combined data with contexts."""

import importlib.util
import json
import os
import sys
import tempfile
import unittest

from tests.support import ASSETS, coverage_lib

sys.path[:0] = [coverage_lib(), ASSETS, os.path.join(ASSETS, "site")]
import contexts_index  # noqa: E402
from coverage import Coverage, CoverageData  # noqa: E402

OUTSIDE = "(no test)"


def write_source(root, rel, text):
    """Writes a source file under root."""
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


class ContextsIndexTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp()
        # One statement a line, so each line the data holds is a line the reports count.
        write_source(self.root, "demo/app.py", "".join(f"a{n} = {n}\n" for n in range(1, 7)))
        write_source(self.root, "demo/util.py", "".join(f"u{n} = {n}\n" for n in range(1, 4)))
        self.data = CoverageData(os.path.join(self.root, ".coverage"))
        for context, lines in {
            OUTSIDE: {"demo/app.py": [1, 2]},
            "t.test_a": {"demo/app.py": [2, 5], "demo/util.py": [3]},
            "t.test_b": {"demo/app.py": [5, 6]},
        }.items():
            self.data.set_context(context)
            self.data.add_lines({os.path.join(self.root, f): ls for f, ls in lines.items()})
        self.reported = {"demo/app.py", "demo/util.py"}

    def test_index_holds_every_executed_line_with_its_contexts(self):
        index = contexts_index.line_contexts(self.data, self.root, self.reported)
        self.assertEqual(
            index,
            {
                "demo/app.py": {1: [OUTSIDE], 2: [OUTSIDE, "t.test_a"], 5: ["t.test_a", "t.test_b"], 6: ["t.test_b"]},
                "demo/util.py": {3: ["t.test_a"]},
            },
        )
        out = tempfile.mkdtemp()
        os.makedirs(os.path.join(out, "total"))
        contexts_index.write_index(index, out)
        with open(os.path.join(out, "total", "contexts.json")) as f:
            written = json.load(f)
        self.assertEqual(written["outside"], OUTSIDE)
        self.assertEqual(written["files"]["demo/app.py"]["5"], ["t.test_a", "t.test_b"])

    def test_summary_counts_each_test_and_the_lines_outside_tests(self):
        index = contexts_index.line_contexts(self.data, self.root, self.reported)
        events = [
            {"event": "start", "test": "t.test_a", "runner": "r", "ms": 1.0, "processes": 3, "failed": 0},
            {"event": "end", "test": "t.test_a", "runner": "r", "ms": 2.0, "processes": 3, "failed": 0},
            {"event": "start", "test": "t.test_c", "runner": "r", "ms": 4.0, "processes": 4, "failed": 0},
            {"event": "end", "test": "t.test_c", "runner": "r", "ms": 1.5, "processes": 4, "failed": 0},
        ]
        summary = contexts_index.per_test(index, events)
        # test_c ran no line of any service, and is still listed; test_b ran lines without an event (kept).
        self.assertEqual(
            summary["tests"],
            {
                "t.test_a": {"lines": 3, "files": 2},
                "t.test_b": {"lines": 2, "files": 1},
                "t.test_c": {"lines": 0, "files": 0},
            },
        )
        self.assertEqual(summary["files"], {"demo/app.py": ["t.test_a", "t.test_b"], "demo/util.py": ["t.test_a"]})
        self.assertEqual(summary["outsideLines"], 2)
        self.assertEqual(
            summary["boundaries"], {"count": 4, "medianMs": 1.75, "maxMs": 4.0, "maxProcesses": 4, "failed": 0}
        )
        self.assertFalse(summary["parallel"])
        self.assertEqual(contexts_index.warnings(summary), [])

    def test_warns_when_no_runner_spoke_when_a_process_missed_a_boundary_and_when_runners_overlapped(self):
        index = contexts_index.line_contexts(self.data, self.root, self.reported)
        silent = contexts_index.warnings(contexts_index.per_test(index, []))
        self.assertEqual(len(silent), 1)
        self.assertIn("never told the relay", silent[0]["message"])
        self.assertIn("pytest -p coverage_spy_runner", silent[0]["message"])
        events = [
            {"event": "start", "test": "a", "runner": "w1", "ms": 1, "processes": 2, "failed": 1},
            {"event": "start", "test": "b", "runner": "w2", "ms": 1, "processes": 2, "failed": 0, "parallel": True},
        ]
        messages = [w["message"] for w in contexts_index.warnings(contexts_index.per_test(index, events))]
        self.assertEqual(len(messages), 2)
        self.assertIn("did not answer the relay", messages[0])
        self.assertIn("w1, w2", messages[1])

    def test_counts_only_the_lines_the_reports_count(self):
        # A real measured run with a template: coverage.py records the lines of its compiled code, but cannot report
        # a file that is not Python.
        app = write_source(self.root, "web/views.py", "def total(a, b):\n    return (\n        a\n        + b\n    )\n")
        template = write_source(self.root, "web/templates/page.html", "<p>{{ a }}</p>\n<p>{{ b }}</p>\n")
        # The reports name files relative to where coverage.py started, as the harvest's do (from its sources).
        self.addCleanup(os.chdir, os.getcwd())
        os.chdir(self.root)
        cov = Coverage(data_file=os.path.join(self.root, ".coverage.run"), source=[self.root], config_file=False)
        cov.start()
        try:
            cov.switch_context(OUTSIDE)
            spec = importlib.util.spec_from_file_location("views_under_test", app)
            views = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(views)
            exec(compile("a = 1\n", template, "exec"), {})
            cov.switch_context("t.test_total")
            views.total(1, 2)
            exec(compile("a = 1\nb = 2\n", template, "exec"), {})
        finally:
            cov.stop()
        cov.save()
        data = cov.get_data()
        self.assertEqual(sorted(data.lines(template)), [1, 2])
        report = os.path.join(self.root, "coverage.json")
        # The reports as the harvest writes them with per-test contexts: the JSON shows each line's contexts.
        cov.set_option("json:show_contexts", True)
        cov.json_report(outfile=report, include=[os.path.join(self.root, "web", "*")])
        reported = contexts_index.reported_files(report)
        self.assertEqual(reported, {"web/views.py"})
        index = contexts_index.line_contexts(data, self.root, reported)
        with open(report) as f:
            shown = {
                name: {int(line): sorted(contexts) for line, contexts in entry["contexts"].items()}
                for name, entry in json.load(f)["files"].items()
            }
        self.assertEqual(index, shown)
        summary = contexts_index.per_test(index, [])
        self.assertEqual(summary["outsideLines"], 1)  # the def line, not the template's line 1
        self.assertEqual(summary["tests"]["t.test_total"]["files"], 1)

    def test_reads_the_relays_log_or_nothing(self):
        folder = tempfile.mkdtemp()
        self.assertEqual(contexts_index.read_events(folder), [])
        with open(os.path.join(folder, "contexts.jsonl"), "w") as log:
            log.write('{"event": "start", "test": "a"}\n\n{"event": "end", "test": "a"}\n')
        self.assertEqual([e["event"] for e in contexts_index.read_events(folder)], ["start", "end"])


if __name__ == "__main__":
    unittest.main()
