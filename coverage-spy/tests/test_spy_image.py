"""The spy image's in-build script (image/build_spy.py): which wheels it wants, how it unpacks and checks them."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import os
import sys
import tempfile
import unittest
import zipfile
from types import ModuleType
from unittest import mock

from tests.support import ASSETS


def load_build_spy() -> ModuleType:
    """image/build_spy.py as a module (image/ is not a package: the build copies the file alone)."""
    spec = importlib.util.spec_from_file_location("build_spy", os.path.join(ASSETS, "image", "build_spy.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered first: its dataclasses look their module up.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


build_spy = load_build_spy()


def record_hash(content: bytes) -> str:
    """A RECORD hash, computed here independently of the script."""
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()


def make_wheel(
    folder: str, name: str, files: dict[str, bytes], *, record: dict[str, str] | None = None, dist: str = "coverage"
) -> str:
    """Writes a wheel `name` holding `files` and a RECORD of their hashes (or `record`, to tamper with)."""
    path = os.path.join(folder, name)
    info = f"{dist}-{name.split('-')[1]}.dist-info"
    hashes = record if record is not None else {n: record_hash(c) for n, c in files.items()}
    lines = [f"{n},{h},{len(files.get(n, b''))}" for n, h in hashes.items()] + [f"{info}/RECORD,,"]
    with zipfile.ZipFile(path, "w") as wheel:
        for member, content in files.items():
            wheel.writestr(member, content)
        wheel.writestr(f"{info}/RECORD", "\n".join(lines) + "\n")
    return path


class Targets(unittest.TestCase):
    def test_every_python_abi_and_platform_of_a_build(self) -> None:
        main = build_spy.targets(build_spy.MAIN_PYTHONS, build_spy.PLATFORMS)
        # 3.11, 3.12: one ABI; 3.13, 3.14: regular and free-threaded; each on four platforms.
        self.assertEqual(len(main), (2 + 2 * 2) * 4)
        self.assertIn(build_spy.Target("3.14", "cp314t", "aarch64-musl"), main)
        legacy = build_spy.targets(build_spy.LEGACY_PYTHONS, build_spy.LEGACY_PLATFORMS)
        self.assertEqual({t.platform for t in legacy}, {"x86_64-gnu", "aarch64-gnu"})
        self.assertEqual(main[0].python, "3.11")

    def test_pip_is_asked_for_one_compiled_wheel_of_exactly_that_flavour(self) -> None:
        args = build_spy.Target("3.13", "cp313", "x86_64-musl").pip_args()
        self.assertEqual(
            args,
            [
                "--only-binary=:all:",
                "--no-deps",
                "--implementation",
                "cp",
                "--python-version",
                "3.13",
                "--abi",
                "cp313",
                "--platform",
                "musllinux_1_2_x86_64",
                "--platform",
                "musllinux_1_1_x86_64",
            ],
        )

    def test_a_wheel_name_matches_its_flavour_only(self) -> None:
        gnu = "coverage-7.17.4-cp314-cp314t-manylinux2014_aarch64.manylinux_2_17_aarch64.manylinux_2_28_aarch64.whl"
        self.assertTrue(build_spy.wheel_matches(gnu, "7.17.4", build_spy.Target("3.14", "cp314t", "aarch64-gnu")))
        for other in (
            build_spy.Target("3.14", "cp314", "aarch64-gnu"),
            build_spy.Target("3.14", "cp314t", "x86_64-gnu"),
            build_spy.Target("3.14", "cp314t", "aarch64-musl"),
        ):
            self.assertFalse(build_spy.wheel_matches(gnu, "7.17.4", other), other)
        self.assertFalse(build_spy.wheel_matches(gnu, "7.17.5", build_spy.Target("3.14", "cp314t", "aarch64-gnu")))
        self.assertFalse(
            build_spy.wheel_matches(
                "coverage-7.17.4-py3-none-any.whl", "7.17.4", build_spy.Target("3.13", "cp313", "x86_64-gnu")
            )
        )


class Unpack(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.wheels = os.path.join(self.tmp.name, "wheels")
        self.into = os.path.join(self.tmp.name, "lib")
        os.makedirs(self.wheels)

    def test_unpacks_the_files_of_a_wheel_that_matches_its_record(self) -> None:
        wheel = make_wheel(self.wheels, "coverage-1.0-cp313-cp313-x.whl", {"coverage/__init__.py": b"v = 1\n"})
        self.assertEqual(build_spy.unpack(wheel, self.into), 2)
        with open(os.path.join(self.into, "coverage", "__init__.py"), "rb") as f:
            self.assertEqual(f.read(), b"v = 1\n")

    def test_refuses_a_file_that_does_not_match_its_record_hash(self) -> None:
        wheel = make_wheel(
            self.wheels,
            "coverage-1.0-cp313-cp313-x.whl",
            {"coverage/__init__.py": b"tampered\n"},
            record={"coverage/__init__.py": record_hash(b"v = 1\n")},
        )
        with self.assertRaisesRegex(build_spy.BuildError, "coverage/__init__.py does not match its RECORD hash"):
            build_spy.unpack(wheel, self.into)

    def test_refuses_a_file_its_record_does_not_list(self) -> None:
        wheel = make_wheel(self.wheels, "coverage-1.0-cp313-cp313-x.whl", {"coverage/extra.py": b"x\n"}, record={})
        with self.assertRaisesRegex(build_spy.BuildError, "coverage/extra.py is not in its RECORD"):
            build_spy.unpack(wheel, self.into)

    def test_merges_flavours_keeping_the_first_metadata_and_refusing_disagreeing_files(self) -> None:
        first = make_wheel(
            self.wheels,
            "coverage-1.0-cp313-cp313-a.whl",
            {"coverage/__init__.py": b"v = 1\n", "coverage/tracer.a.so": b"A", "coverage-1.0.dist-info/WHEEL": b"a"},
        )
        second = make_wheel(
            self.wheels,
            "coverage-1.0-cp313-cp313-b.whl",
            {"coverage/__init__.py": b"v = 1\n", "coverage/tracer.b.so": b"B", "coverage-1.0.dist-info/WHEEL": b"b"},
        )
        build_spy.unpack(first, self.into)
        build_spy.unpack(second, self.into)
        self.assertEqual(
            sorted(os.listdir(os.path.join(self.into, "coverage"))), ["__init__.py", "tracer.a.so", "tracer.b.so"]
        )
        with open(os.path.join(self.into, "coverage-1.0.dist-info", "WHEEL"), "rb") as f:
            self.assertEqual(f.read(), b"a")
        other = make_wheel(self.wheels, "coverage-1.0-cp313-cp313-c.whl", {"coverage/__init__.py": b"v = 2\n"})
        with self.assertRaisesRegex(build_spy.BuildError, "two wheels disagree on coverage/__init__.py"):
            build_spy.unpack(other, self.into)


class BuildLib(unittest.TestCase):
    """build_lib with pip's downloads stood in for: the wheels are already in the download folders."""

    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.wheels = os.path.join(self.tmp.name, "wheels")
        self.out = os.path.join(self.tmp.name, "lib")
        patcher = mock.patch.object(build_spy, "pip_download", return_value="")
        self.pip = patcher.start()
        self.addCleanup(patcher.stop)

    def wheel(self, version: str, tag: str, platform: str, tracer: str) -> None:
        folder = os.path.join(self.wheels, version)
        os.makedirs(folder, exist_ok=True)
        files = {"coverage/__init__.py": f"__version__ = '{version}'\n".encode(), f"coverage/{tracer}": b"so"}
        make_wheel(folder, f"coverage-{version}-{tag.rstrip('t')}-{tag}-{platform}.whl", files)

    def test_lays_out_both_builds_and_the_manifest_spylib_reads(self) -> None:
        # The main release has no 3.11 wheel here: its oldest Python is then 3.12.
        self.wheel(
            "7.17.4", "cp312", "manylinux_2_17_x86_64.manylinux2014_x86_64", "tracer.cpython-312-x86_64-linux-gnu.so"
        )
        self.wheel("7.17.4", "cp314t", "musllinux_1_2_aarch64", "tracer.cpython-314t-aarch64-linux-musl.so")
        self.wheel(
            "7.10.7", "cp39", "manylinux_2_17_aarch64.manylinux2014_aarch64", "tracer.cpython-39-aarch64-linux-gnu.so"
        )
        manifest = build_spy.build_lib("7.17.4", "7.10.7", self.out, self.wheels)
        expected = {
            "builds": [
                {"dir": ".", "coverage": "7.17.4", "python": [3, 12]},
                {"dir": "legacy", "coverage": "7.10.7", "python": [3, 9]},
            ]
        }
        self.assertEqual(manifest, expected)
        with open(os.path.join(self.out, build_spy.MANIFEST)) as f:
            self.assertEqual(json.load(f), expected)
        self.assertEqual(
            sorted(f for f in os.listdir(os.path.join(self.out, "coverage")) if f.endswith(".so")),
            ["tracer.cpython-312-x86_64-linux-gnu.so", "tracer.cpython-314t-aarch64-linux-musl.so"],
        )
        self.assertTrue(
            os.path.isfile(os.path.join(self.out, "legacy", "coverage", "tracer.cpython-39-aarch64-linux-gnu.so"))
        )
        # Every file readable by any user: services run as any user.
        for folder, _, files in os.walk(self.out):
            for name in files:
                self.assertTrue(os.stat(os.path.join(folder, name)).st_mode & 0o004, name)
        # pip was asked once per flavour of each build.
        self.assertEqual(self.pip.call_count, 24 + 4)

    def test_no_wheel_at_all_names_the_index_and_the_fixes(self) -> None:
        self.pip.return_value = "ERROR: No matching distribution found for coverage==7.17.4"
        with self.assertRaises(build_spy.BuildError) as caught:
            build_spy.build_lib("7.17.4", "7.10.7", self.out, self.wheels)
        message = str(caught.exception)
        self.assertIn("no coverage==7.17.4 wheel could be downloaded", message)
        self.assertIn("PIP_INDEX_URL", message)
        self.assertIn("spyImage", message)
        self.assertIn("No matching distribution found", message)


if __name__ == "__main__":
    unittest.main()
