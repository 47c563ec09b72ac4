"""bundle.py: the spy's files packed for a remote engine."""

import os
import subprocess
import sys
import tarfile
import tempfile
import unittest

BUNDLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bundle.py")


def bundle(*args):
    return subprocess.run([sys.executable, "-I", BUNDLE, *args], capture_output=True, text=True, timeout=60)


class BundleTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        root = self.tmp.name
        self.assets = os.path.join(root, "assets")
        self.lib = os.path.join(root, "lib")
        for path, text in {
            "assets/site/sitecustomize.py": "import x\n",
            "assets/test-run.sh": "#!/bin/bash\n",
            "assets/tests/test_x.py": "skipped\n",
            "assets/site/__pycache__/x.cpython-311.pyc": "skipped\n",
            "lib/coverage/__init__.py": "version = 1\n",
            "lib/coverage/__pycache__/__init__.cpython-313.pyc": "kept\n",
        }.items():
            full = os.path.join(root, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as f:
                f.write(text)
        os.chmod(os.path.join(self.assets, "test-run.sh"), 0o700)
        self.config = os.path.join(root, "coveragerc")
        with open(self.config, "w") as f:
            f.write("[run]\nparallel = true\n")

    def tearDown(self):
        self.tmp.cleanup()

    def digest(self):
        result = bundle("hash", "--assets", self.assets, "--lib", self.lib)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.strip()

    def test_packs_the_layout_of_opt_coverage_spy_readable_by_any_user(self):
        out = os.path.join(self.tmp.name, "out", "spy.tar")
        result = bundle("write", "--assets", self.assets, "--lib", self.lib, "--config", self.config, "--out", out)
        self.assertEqual(result.returncode, 0, result.stderr)
        with tarfile.open(out) as tar:
            members = {m.name: m for m in tar.getmembers()}
        files = sorted(name for name, m in members.items() if m.isfile())
        self.assertEqual(
            files,
            [
                "assets/site/sitecustomize.py",
                "assets/test-run.sh",
                "config/coveragerc",
                "lib/coverage/__init__.py",
                "lib/coverage/__pycache__/__init__.cpython-313.pyc",
            ],
        )
        self.assertTrue(members["data"].isdir())
        self.assertEqual(members["assets/test-run.sh"].mode, 0o755)
        self.assertEqual(members["config/coveragerc"].mode, 0o644)
        self.assertEqual(members["assets/site"].mode, 0o755)
        self.assertTrue(all(m.uid == 0 and m.mtime == 0 for m in members.values()))

    def test_the_digest_follows_the_content_and_ignores_what_is_not_packed(self):
        first = self.digest()
        self.assertEqual(self.digest(), first)
        with open(os.path.join(self.assets, "tests", "test_x.py"), "w") as f:
            f.write("changed, not packed\n")
        self.assertEqual(self.digest(), first)
        with open(os.path.join(self.lib, "coverage", "__init__.py"), "w") as f:
            f.write("version = 2\n")
        self.assertNotEqual(self.digest(), first)

    def test_a_missing_folder_is_named(self):
        result = bundle("hash", "--assets", os.path.join(self.tmp.name, "nope"), "--lib", self.lib)
        self.assertEqual(result.returncode, 2)
        self.assertIn("is not a folder", result.stderr)


if __name__ == "__main__":
    unittest.main()
