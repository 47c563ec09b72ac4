"""Install coverage.py into this image's Python, offline, from the wheels in the build context.

Usage: python3 install_coverage.py VERSION WHEEL_DIR
       python3 install_coverage.py --pick VERSION WHEEL_DIR OUT_DIR   (only copy the chosen wheel to OUT_DIR)

Picks the wheel for this interpreter (CPython X.Y, free-threaded or not, glibc or musl, x86_64 or aarch64), falling
back to the pure-Python wheel. Uses `python3 -m pip install --no-index` when the image has pip; otherwise (Debian
minbase has no pip) unpacks the wheel into site-packages, which is what installing a pure-layout wheel amounts
to, and adds a small `coverage` command. Runs with nothing but the standard library.
"""

import compileall
import glob
import os
import platform
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile


def wanted_wheels(version, wheel_dir):
    """The wheels of coverage `version` in `wheel_dir` this interpreter can install, best first, and what it is."""
    tag = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    abi = tag + ("t" if sysconfig.get_config_var("Py_GIL_DISABLED") else "")
    machine = {"arm64": "aarch64", "amd64": "x86_64"}.get(platform.machine().lower(), platform.machine())
    libc = "manylinux" if platform.libc_ver()[0] == "glibc" else "musllinux"
    compiled = sorted(glob.glob(os.path.join(wheel_dir, f"coverage-{version}-{tag}-{abi}-*{libc}*_{machine}*.whl")))
    pure = sorted(glob.glob(os.path.join(wheel_dir, f"coverage-{version}-py3-none-any.whl")))
    what = f"{sys.implementation.name} {abi} {machine}-{libc}"
    if sys.implementation.name != "cpython":
        compiled = []
    return compiled + pure, what


def site_packages():
    """The site directory where local installs go.

    /usr/local/lib/python3.X/dist-packages on Debian's python3, .../site-packages on python:3.X images.
    """
    for path in site.getsitepackages():
        if path.startswith(sys.prefix) or path.startswith("/usr/local"):
            return path
    return sysconfig.get_paths()["purelib"]


def have_pip():
    """Whether this interpreter has pip (Debian minbase has none)."""
    return (
        subprocess.run(
            [sys.executable, "-m", "pip", "--version"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        ).returncode
        == 0
    )


def externally_managed():
    """Whether this interpreter's distribution marks it externally managed (PEP 668): pip then wants to be told."""
    return os.path.exists(os.path.join(sysconfig.get_paths()["stdlib"], "EXTERNALLY-MANAGED"))


def main():
    """The command line (see the module's doc)."""
    args = sys.argv[1:]
    pick = args[:1] == ["--pick"]
    if pick:
        args = args[1:]
    if len(args) != (3 if pick else 2):
        sys.exit(__doc__)
    version, wheel_dir = args[0], args[1]
    wheels, what = wanted_wheels(version, wheel_dir)
    if not wheels:
        sys.exit(f"no coverage {version} wheel for {what} in {wheel_dir}")
    wheel = wheels[0]
    print(f"coverage {version} for {what}: {os.path.basename(wheel)}", flush=True)
    if pick:
        shutil.copy(wheel, args[2])
        return
    if have_pip():
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-index",
            "--no-deps",
            "--no-cache-dir",
            "--disable-pip-version-check",
            "--root-user-action=ignore",
            wheel,
        ]
        if externally_managed():
            cmd.insert(4, "--break-system-packages")
        subprocess.run(cmd, check=True)
    else:
        target = site_packages()
        os.makedirs(target, exist_ok=True)
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(target)
        compileall.compile_dir(os.path.join(target, "coverage"), quiet=1, workers=1)
        script = "/usr/local/bin/coverage"
        if not os.path.exists(script):
            os.makedirs(os.path.dirname(script), exist_ok=True)
            with open(script, "w") as f:
                f.write('#!/bin/sh\nexec python3 -m coverage "$@"\n')
            os.chmod(script, 0o755)
    # Check in a fresh interpreter, as the harvester will run.
    check = (
        "import coverage, coverage.core as c; "
        "print(coverage.__version__, 'C tracer' if c.CTRACER_FILE else 'no C tracer')"
    )
    out = subprocess.run(
        [sys.executable, "-c", check],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
        cwd="/",
    ).stdout.split()
    if out[0] != version:
        sys.exit(f"installed coverage {out[0]}, expected {version}")
    print(f"installed coverage {out[0]} ({' '.join(out[1:])}) in {sys.executable}", flush=True)


if __name__ == "__main__":
    main()
