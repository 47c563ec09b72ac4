import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

HELPERS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(HELPERS, "verify_spy_lib.py")


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(textwrap.dedent(text))


class VerifySpyLibTest(unittest.TestCase):
    """Runs the check as the container does, against a stand-in spy site and a stand-in coverage.py."""

    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.site = os.path.join(tmp.name, "site")
        self.lib = os.path.join(tmp.name, "lib")
        write(os.path.join(self.lib, "coverage", "__init__.py"), '__version__ = "7.17.4"\n')
        write(os.path.join(self.lib, "coverage", "tracer.py"), "")

    def run_check(self, problem, *extra):
        write(
            os.path.join(self.site, "_coverage_spy.py"),
            f"""\
            def select_coverage_lib():
                return {problem!r}
            """,
        )
        env = dict(os.environ, PYTHONPATH=self.lib)
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # only --compile may write bytecode
        return subprocess.run([sys.executable, SCRIPT, self.site, *extra], capture_output=True, text=True, env=env)

    def test_prints_version_python_and_tracer_file(self):
        done = self.run_check(None)
        python = f"{sys.version_info[0]}.{sys.version_info[1]}"
        self.assertEqual((done.returncode, done.stderr), (0, ""))
        self.assertEqual(done.stdout, f"7.17.4 {python} tracer.py\n")

    def test_compile_writes_the_selected_builds_bytecode_for_this_python(self):
        cache = os.path.join(self.lib, "coverage", "__pycache__")
        self.assertEqual(self.run_check(None).returncode, 0)
        self.assertFalse(os.path.exists(cache))
        done = self.run_check(None, "--compile")
        self.assertEqual((done.returncode, done.stderr), (0, ""))
        tag = sys.implementation.cache_tag
        self.assertEqual(sorted(os.listdir(cache)), [f"__init__.{tag}.pyc", f"tracer.{tag}.pyc"])

    def test_fails_with_the_spys_problem(self):
        done = self.run_check("no coverage.py build for Python 3.8")
        self.assertEqual(done.returncode, 1)
        self.assertEqual(done.stdout, "")
        self.assertEqual(done.stderr, "the spy selects no coverage.py build: no coverage.py build for Python 3.8\n")


if __name__ == "__main__":
    unittest.main()
