import json
import os
import subprocess
import sys
import tempfile
import unittest

HELPERS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HELPERS)
import daemon_json  # noqa: E402


class SetKeyTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.path = os.path.join(tmp.name, "docker", "daemon.json")

    def read(self):
        with open(self.path) as f:
            return f.read()

    def test_new_file_and_folder(self):
        daemon_json.set_key(self.path, "init-path", "/usr/bin/tini-static")
        # As the shell's printf wrote it before.
        self.assertEqual(self.read(), '{\n  "init-path": "/usr/bin/tini-static"\n}\n')

    def test_empty_file(self):
        os.makedirs(os.path.dirname(self.path))
        open(self.path, "w").close()
        daemon_json.set_key(self.path, "init-path", "/usr/bin/tini")
        self.assertEqual(json.loads(self.read()), {"init-path": "/usr/bin/tini"})

    def test_other_keys_are_kept_and_the_key_replaced(self):
        os.makedirs(os.path.dirname(self.path))
        with open(self.path, "w") as f:
            json.dump({"debug": True, "init-path": "/old", "log-opts": {"max-size": "1m"}}, f)
        daemon_json.set_key(self.path, "init-path", "/usr/bin/tini")
        self.assertEqual(
            json.loads(self.read()), {"debug": True, "init-path": "/usr/bin/tini", "log-opts": {"max-size": "1m"}}
        )
        self.assertTrue(self.read().endswith("}\n"))

    def test_not_an_object(self):
        os.makedirs(os.path.dirname(self.path))
        with open(self.path, "w") as f:
            f.write("[]")
        self.assertEqual(
            daemon_json.main([self.path, "init-path", "/x"]),
            f"cannot set init-path in {self.path}: {self.path} does not hold a JSON object",
        )
        self.assertEqual(self.read(), "[]")

    def test_command_line(self):
        done = subprocess.run(
            [sys.executable, os.path.join(HELPERS, "daemon_json.py"), self.path, "init-path", "/usr/bin/tini"],
            capture_output=True,
            text=True,
        )
        self.assertEqual((done.returncode, done.stdout, done.stderr), (0, "", ""))
        self.assertEqual(json.loads(self.read()), {"init-path": "/usr/bin/tini"})

    def test_usage(self):
        self.assertEqual(daemon_json.main([self.path]), "usage: daemon_json.py PATH KEY VALUE")


if __name__ == "__main__":
    unittest.main()
