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
    tag = "cp%d%d" % sys.version_info[:2]
    abi = tag + ("t" if sysconfig.get_config_var("Py_GIL_DISABLED") else "")
    machine = {"arm64": "aarch64", "amd64": "x86_64"}.get(platform.machine().lower(), platform.machine())
    libc = "manylinux" if platform.libc_ver()[0] == "glibc" else "musllinux"
    compiled = sorted(glob.glob(os.path.join(
        wheel_dir, "coverage-%s-%s-%s-*%s*_%s*.whl" % (version, tag, abi, libc, machine))))
    pure = sorted(glob.glob(os.path.join(wheel_dir, "coverage-%s-py3-none-any.whl" % version)))
    what = "%s %s %s-%s" % (sys.implementation.name, abi, machine, libc)
    if sys.implementation.name != "cpython":
        compiled = []
    return compiled + pure, what


def site_packages():
    # The first site directory is where local installs go: /usr/local/lib/python3.X/dist-packages on Debian's
    # python3, .../site-packages on python:3.X images.
    for path in site.getsitepackages():
        if path.startswith(sys.prefix) or path.startswith("/usr/local"):
            return path
    return sysconfig.get_paths()["purelib"]


def have_pip():
    return subprocess.run([sys.executable, "-m", "pip", "--version"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


def externally_managed():
    return os.path.exists(os.path.join(sysconfig.get_paths()["stdlib"], "EXTERNALLY-MANAGED"))


def main():
    args = sys.argv[1:]
    pick = args[:1] == ["--pick"]
    if pick:
        args = args[1:]
    if len(args) != (3 if pick else 2):
        sys.exit(__doc__)
    version, wheel_dir = args[0], args[1]
    wheels, what = wanted_wheels(version, wheel_dir)
    if not wheels:
        sys.exit("no coverage %s wheel for %s in %s" % (version, what, wheel_dir))
    wheel = wheels[0]
    print("coverage %s for %s: %s" % (version, what, os.path.basename(wheel)), flush=True)
    if pick:
        shutil.copy(wheel, args[2])
        return
    if have_pip():
        cmd = [sys.executable, "-m", "pip", "install", "--no-index", "--no-deps", "--no-cache-dir",
               "--disable-pip-version-check", "--root-user-action=ignore", wheel]
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
    out = subprocess.run(
        [sys.executable, "-c",
         "import coverage, coverage.core as c; print(coverage.__version__, 'C tracer' if c.CTRACER_FILE else 'no C tracer')"],
        check=True, stdout=subprocess.PIPE, text=True, cwd="/").stdout.split()
    if out[0] != version:
        sys.exit("installed coverage %s, expected %s" % (out[0], version))
    print("installed coverage %s (%s) in %s" % (out[0], " ".join(out[1:]), sys.executable), flush=True)


if __name__ == "__main__":
    main()
