"""Build the spy image's files, inside ``docker build`` (coverage-spy/image/Dockerfile). Standard library only.

Commands:

``pip``
    Makes sure this image's python3 has pip (the build stage only): Debian/Ubuntu bases get ``python3-pip`` with
    apt-get, Alpine ones ``py3-pip`` with apk.
``lib --main V --legacy V --out DIR``
    Fills DIR as the spy mounts it at /opt/coverage-spy/lib: coverage.py ``--main`` for CPython 3.11-3.14 and
    ``--legacy`` for 3.9/3.10 (sub-folder ``legacy/``), compiled tracers for x86_64 and aarch64, glibc and musl,
    regular and free-threaded builds, side by side in one folder; plus the manifest ``coverage-spy-lib.json`` that
    site/_coverage_spy/spylib.py reads. The wheels come from pip (``pip download --only-binary=:all: --no-deps
    --platform ... --python-version ...``, which checks each archive against the index's hash); every file unpacked
    is checked against its wheel's RECORD.
``image --lib DIR --assets DIR``
    In the final image: checks this python3 imports coverage.py from DIR (it is also the harvester's), puts DIR
    on its path with a ``.pth`` file, and writes the bytecode of the lib, the assets and the standard library.
"""

from __future__ import annotations

import argparse
import base64
import compileall
import concurrent.futures
import csv
import glob
import hashlib
import io
import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

#: The manifest spylib.py reads.
MANIFEST = "coverage-spy-lib.json"
#: Pythons of the main build and of the legacy one (the main release no longer supports them).
MAIN_PYTHONS = ("3.11", "3.12", "3.13", "3.14")
LEGACY_PYTHONS = ("3.9", "3.10")
#: Flavour -> pip --platform tags, newest first; one wheel each.
PLATFORMS: dict[str, tuple[str, ...]] = {
    "x86_64-gnu": (
        "manylinux_2_28_x86_64",
        "manylinux_2_17_x86_64",
        "manylinux2014_x86_64",
        "manylinux_2_5_x86_64",
        "manylinux1_x86_64",
    ),
    "aarch64-gnu": ("manylinux_2_28_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64"),
    "x86_64-musl": ("musllinux_1_2_x86_64", "musllinux_1_1_x86_64"),
    "aarch64-musl": ("musllinux_1_2_aarch64", "musllinux_1_1_aarch64"),
}
#: Before 3.12 (roughly) a musl CPython names its extensions "...-linux-gnu.so" too: the legacy build's musl tracers
#: would overwrite the glibc ones, so it is glibc only (a musl 3.9/3.10 gets coverage.py's Python tracer).
LEGACY_PLATFORMS = ("x86_64-gnu", "aarch64-gnu")
#: pip downloads at once: each waits mostly on the network.
PARALLEL_DOWNLOADS = 4


class BuildError(Exception):
    """A problem the build names, with its fix."""


@dataclass(frozen=True)
class Target:
    """One interpreter flavour a wheel is wanted for."""

    python: str
    abi: str
    platform: str

    def pip_args(self) -> list[str]:
        """The arguments of `pip download` selecting exactly this flavour's compiled wheel."""
        args = ["--only-binary=:all:", "--no-deps", "--implementation", "cp"]
        args += ["--python-version", self.python, "--abi", self.abi]
        for tag in PLATFORMS[self.platform]:
            args += ["--platform", tag]
        return args


def abis(python: str) -> list[str]:
    """The CPython ABIs of a version: free-threaded builds (PEP 703) have their own from 3.13 on."""
    tag = "cp" + python.replace(".", "")
    return [tag, tag + "t"] if tuple(map(int, python.split("."))) >= (3, 13) else [tag]


def targets(pythons: Iterable[str], platforms: Iterable[str]) -> list[Target]:
    """Every flavour of a build, oldest Python first."""
    return [Target(py, abi, plat) for py in pythons for abi in abis(py) for plat in platforms]


def wheel_matches(name: str, version: str, target: Target) -> bool:
    """Whether a wheel file name is the compiled coverage `version` wheel of `target`."""
    parts = name[: -len(".whl")].split("-")
    if len(parts) != 5 or parts[0] != "coverage" or parts[1] != version:
        return False
    python_tag, abi, platforms = parts[2], parts[3], parts[4].split(".")
    arch, libc = target.platform.split("-")
    family = "musllinux" if libc == "musl" else "manylinux"
    return (
        python_tag == target.abi.rstrip("t")
        and abi == target.abi
        and any(p.startswith(family) and p.endswith("_" + arch) for p in platforms)
    )


def find_wheel(folder: str, version: str, target: Target) -> str | None:
    """The downloaded wheel of `target` in `folder`, if any."""
    for path in sorted(glob.glob(os.path.join(folder, "*.whl"))):
        if wheel_matches(os.path.basename(path), version, target):
            return path
    return None


def pip_download(version: str, target: Target, dest: str) -> str:
    """Downloads the wheel of `target` into `dest` (nothing when there is none); returns pip's complaint, if any."""
    cmd = [sys.executable, "-m", "pip", "download", "-q", *target.pip_args(), "--dest", dest, f"coverage=={version}"]
    result = subprocess.run(cmd, capture_output=True, text=True)
    return "" if result.returncode == 0 else result.stderr.strip()


def download(version: str, wanted: list[Target], dest: str) -> dict[Target, str]:
    """Downloads the wheels of `wanted` (in parallel); returns the wheel of each target that has one.

    pip answers "no matching distribution" for a flavour the release has no wheel for; that is not an error here,
    but no wheel at all is (the index cannot be reached, or the version does not exist).
    """
    os.makedirs(dest, exist_ok=True)
    with concurrent.futures.ThreadPoolExecutor(PARALLEL_DOWNLOADS) as pool:
        complaints = list(pool.map(lambda t: pip_download(version, t, dest), wanted))
    found = {t: w for t in wanted if (w := find_wheel(dest, version, t)) is not None}
    if not found:
        said = next((c for c in complaints if c), "(pip said nothing)")
        raise BuildError(
            f"no coverage=={version} wheel could be downloaded: pip needs a Python package index it can reach from "
            "inside `docker build` (set PIP_INDEX_URL, and PIP_CERT for a TLS-inspecting proxy, in the base image "
            f"named by spyBaseImage), or name a ready image with spyImage. pip said:\n{said}"
        )
    missing = [f"{t.abi}/{t.platform}" for t in wanted if t not in found]
    print(f"coverage {version}: {len(found)} wheels; none for: {', '.join(missing) or '(none missing)'}", flush=True)
    return found


def record_hashes(wheel: zipfile.ZipFile) -> dict[str, str]:
    """The wheel's RECORD: file name -> "sha256=<urlsafe base64>" (RECORD itself has no hash)."""
    record = next(n for n in wheel.namelist() if n.endswith(".dist-info/RECORD"))
    rows = csv.reader(io.TextIOWrapper(wheel.open(record), encoding="utf-8"))
    return {row[0]: row[1] for row in rows if row and row[1]}


def file_hash(content: bytes) -> str:
    """A file's hash as RECORD writes it."""
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()


def unpack(wheel_path: str, into: str) -> int:
    """Unpacks a wheel into `into`, checking every file against RECORD; returns the number of files written.

    A file `into` already holds (from another flavour's wheel) must be the same, except the per-wheel metadata
    (.dist-info), of which the first wheel's is kept.
    """
    written = 0
    with zipfile.ZipFile(wheel_path) as wheel:
        hashes = record_hashes(wheel)
        for name in wheel.namelist():
            if name.endswith("/"):
                continue
            if ".data/" in name.split(".dist-info/")[0] or name.startswith("/") or ".." in name.split("/"):
                raise BuildError(f"{os.path.basename(wheel_path)}: unexpected entry {name}")
            content = wheel.read(name)
            expected = hashes.get(name)
            if expected is None and not name.endswith(".dist-info/RECORD"):
                raise BuildError(f"{os.path.basename(wheel_path)}: {name} is not in its RECORD")
            if expected is not None and expected != file_hash(content):
                raise BuildError(f"{os.path.basename(wheel_path)}: {name} does not match its RECORD hash")
            target = os.path.join(into, name)
            if os.path.exists(target):
                if ".dist-info/" in name:
                    continue
                with open(target, "rb") as f:
                    if f.read() != content:
                        raise BuildError(f"two wheels disagree on {name}: they cannot share one folder")
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(content)
            written += 1
    return written


def install_build(version: str, wanted: list[Target], wheels: str, into: str) -> list[int]:
    """Downloads and unpacks one build into `into`; returns the oldest Python it has a wheel for, as [3, X]."""
    found = download(version, wanted, wheels)
    for target in wanted:
        if target in found:
            unpack(found[target], into)
    oldest = next(t.python for t in wanted if t in found)
    return [int(part) for part in oldest.split(".")]


def build_lib(main: str, legacy: str, out: str, wheels: str) -> dict[str, object]:
    """Fills `out` with both builds and the manifest (see the module's doc); returns the manifest."""
    main_oldest = install_build(main, targets(MAIN_PYTHONS, PLATFORMS), os.path.join(wheels, main), out)
    legacy_dir = os.path.join(out, "legacy")
    legacy_wanted = targets(LEGACY_PYTHONS, LEGACY_PLATFORMS)
    legacy_oldest = install_build(legacy, legacy_wanted, os.path.join(wheels, legacy), legacy_dir)
    # Newest first: the spy takes the first build whose oldest Python the running one meets.
    manifest: dict[str, object] = {
        "builds": [
            {"dir": ".", "coverage": main, "python": main_oldest},
            {"dir": "legacy", "coverage": legacy, "python": legacy_oldest},
        ]
    }
    with open(os.path.join(out, MANIFEST), "w") as f:
        json.dump(manifest, f)
        f.write("\n")
    make_readable(out)
    return manifest


def make_readable(root: str) -> None:
    """Every file readable and every folder searchable by any user: services run as any user."""
    for folder, _, files in os.walk(root):
        os.chmod(folder, 0o755)
        for name in files:
            path = os.path.join(folder, name)
            os.chmod(path, os.stat(path).st_mode | 0o444)


def ensure_pip() -> None:
    """Installs pip for this python3 with the base image's package manager when it has none."""
    if subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode == 0:
        return
    if shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        commands = [
            ["apt-get", "update", "-q"],
            ["apt-get", "install", "-y", "-q", "--no-install-recommends", "python3-pip"],
        ]
    elif shutil.which("apk"):
        env, commands = dict(os.environ), [["apk", "add", "--no-cache", "py3-pip"]]
    else:
        raise BuildError(
            "the base image's python3 has no pip, and neither apt-get nor apk to install it: name a base image "
            "with pip (spyBaseImage), e.g. python:3.13-slim"
        )
    for command in commands:
        if subprocess.run(command, env=env).returncode != 0:
            raise BuildError(
                f"installing pip failed ({' '.join(command)}): the build needs the base image's package sources, "
                "or a base image that has pip (spyBaseImage)"
            )


def site_folder() -> str:
    """Where this python3 reads .pth files from: its first site-packages (dist-packages on Debian)."""
    for path in site.getsitepackages():
        if path.startswith(sys.prefix) or path.startswith("/usr/local"):
            return path
    return sysconfig.get_paths()["purelib"]


def prepare_image(lib: str, assets: str, main_version: str) -> str:
    """Makes this python3 the harvester's: coverage.py from `lib` on its path, checked; bytecode written."""
    if sys.version_info < (3, 11):
        raise BuildError(
            f"the base image's python3 is {sys.version_info[0]}.{sys.version_info[1]}; the harvester needs 3.11 or "
            "later: name a newer base image (spyBaseImage), e.g. python:3.13-slim"
        )
    folder = site_folder()
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "coverage_spy_lib.pth"), "w") as f:
        f.write(lib + "\n")
    check = "import coverage, coverage.core as c; print(coverage.__version__, bool(c.CTRACER_FILE))"
    with tempfile.TemporaryDirectory() as cwd:
        out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, cwd=cwd)
    if out.returncode != 0 or out.stdout.split()[:1] != [main_version]:
        raise BuildError(f"python3 does not import coverage {main_version} from {lib}: {out.stderr or out.stdout}")
    # Services mount these read-only: bytecode for this Python is written once, here.
    for root in (os.path.join(lib, "coverage"), assets, sysconfig.get_paths()["stdlib"]):
        compileall.compile_dir(root, quiet=1)
    make_readable(lib)
    make_readable(assets)
    return f"coverage {out.stdout.split()[0]} ({'C tracer' if out.stdout.split()[1] == 'True' else 'no C tracer'})"


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module's doc); returns the exit status."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("pip")
    lib = commands.add_parser("lib")
    lib.add_argument("--main", required=True)
    lib.add_argument("--legacy", required=True)
    lib.add_argument("--out", required=True)
    lib.add_argument("--wheels", default=os.path.join(tempfile.gettempdir(), "coverage-wheels"))
    image = commands.add_parser("image")
    image.add_argument("--lib", required=True)
    image.add_argument("--assets", required=True)
    image.add_argument("--main", required=True)
    args = parser.parse_args(argv)
    try:
        if args.command == "pip":
            ensure_pip()
        elif args.command == "lib":
            manifest = build_lib(args.main, args.legacy, args.out, args.wheels)
            print(f"spy lib: {json.dumps(manifest)}", flush=True)
        else:
            print(f"harvester: {prepare_image(args.lib, args.assets, args.main)}", flush=True)
    except BuildError as err:
        print(f"coverage-spy: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
