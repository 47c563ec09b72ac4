import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

HELPERS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HELPERS)
import debian_mirror  # noqa: E402

DEB822 = textwrap.dedent(
    """\
    # the main archive
    Types: deb deb-src
    URIs: http://deb.debian.org/debian/
    Suites: trixie trixie-updates
    Components: main
    Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

    Types: deb
    URIs: http://deb.debian.org/debian-security
    Suites: trixie-security
    Components: main
    """
)


class Deb822Test(unittest.TestCase):
    def test_stanzas_with_deb_type(self):
        self.assertEqual(
            debian_mirror.deb822_entries(DEB822),
            [
                ("http://deb.debian.org/debian/", ["trixie", "trixie-updates"]),
                ("http://deb.debian.org/debian-security", ["trixie-security"]),
            ],
        )

    def test_source_only_and_disabled_stanzas_are_skipped(self):
        text = (
            "Types: deb-src\nURIs: http://a/debian\nSuites: trixie\n\n"
            "Types: deb\nEnabled: no\nURIs: http://b/debian\nSuites: trixie\n"
        )
        self.assertEqual(debian_mirror.deb822_entries(text), [])

    def test_continuation_lines_and_several_uris(self):
        text = "types: deb\nURIs: http://a/debian\n  http://b/debian\nSuites: bookworm\n"
        self.assertEqual(
            debian_mirror.deb822_entries(text), [("http://a/debian", ["bookworm"]), ("http://b/debian", ["bookworm"])]
        )


class OneLineTest(unittest.TestCase):
    def test_deb_lines_with_options_and_comments(self):
        text = textwrap.dedent(
            """\
            # deb http://commented/debian trixie main
            deb-src http://src/debian trixie main
            deb [arch=amd64 signed-by=/k.gpg] http://opts/debian bookworm main  # trailing
            deb http://plain/debian/ bullseye main
            deb http://short/debian
            """
        )
        self.assertEqual(
            debian_mirror.one_line_entries(text),
            [("http://opts/debian", ["bookworm"]), ("http://plain/debian/", ["bullseye"])],
        )


class PickTest(unittest.TestCase):
    def test_this_release_first(self):
        entries = [("http://stable/debian", ["stable"]), ("http://mine/debian/", ["trixie"])]
        self.assertEqual(debian_mirror.pick_mirror(entries, "trixie"), "http://mine/debian")

    def test_a_plain_release_next(self):
        entries = [("http://other/debian", ["bookworm-updates"]), ("http://sid/debian", ["sid"])]
        self.assertEqual(debian_mirror.pick_mirror(entries, "trixie"), "http://sid/debian")

    def test_any_non_security_debian_archive_last(self):
        entries = [
            ("http://security.debian.org/debian-security", ["bookworm-security"]),
            ("http://mirror/debian", ["bookworm-updates"]),
        ]
        self.assertEqual(debian_mirror.pick_mirror(entries, ""), "http://mirror/debian")

    def test_only_http_and_file_uris(self):
        entries = [("cdrom:/debian", ["trixie"]), ("file:/srv/debian/", ["trixie"])]
        self.assertEqual(debian_mirror.pick_mirror(entries, "trixie"), "file:/srv/debian")

    def test_none(self):
        self.assertIsNone(debian_mirror.pick_mirror([("http://ppa/ubuntu", ["noble"])], "trixie"))


class CommandLineTest(unittest.TestCase):
    def run_helper(self, *args):
        return subprocess.run(
            [sys.executable, os.path.join(HELPERS, "debian_mirror.py"), *args], capture_output=True, text=True
        )

    def test_reads_both_file_formats_in_order(self):
        with tempfile.TemporaryDirectory() as tmp:
            listed = os.path.join(tmp, "sources.list")
            sources = os.path.join(tmp, "debian.sources")
            with open(listed, "w") as f:
                f.write("deb http://ppa/ubuntu noble main\n")
            with open(sources, "w") as f:
                f.write(DEB822)
            done = self.run_helper("trixie", listed, sources)
        self.assertEqual((done.returncode, done.stdout, done.stderr), (0, "http://deb.debian.org/debian\n", ""))

    def test_no_archive_fails_with_the_reason(self):
        with tempfile.TemporaryDirectory() as tmp:
            listed = os.path.join(tmp, "sources.list")
            with open(listed, "w") as f:
                f.write("deb http://ppa/ubuntu noble main\n")
            done = self.run_helper("trixie", listed)
        self.assertEqual(done.returncode, 1)
        self.assertEqual(done.stderr, "no Debian archive found among this host's apt sources\n")


if __name__ == "__main__":
    unittest.main()
