"""Checks, inside an app container, that the spy lib imports coverage.py with its C tracer (scripts/spy-lib.sh).

    docker run -v LIB:/opt/coverage-spy/lib:ro -v SITE:/opt/coverage-spy/site:ro -e PYTHONPATH=/opt/coverage-spy/lib
      -v THIS:/opt/coverage-spy/verify_spy_lib.py:ro IMAGE python3 /opt/coverage-spy/verify_spy_lib.py [SITE_DIR]
      [--compile]

Selects the coverage.py build as an app process does (the spy's ``_coverage_spy.select_coverage_lib``), then
prints "VERSION X.Y TRACER_FILE", e.g. "7.17.4 3.13 tracer.cpython-313-x86_64-linux-gnu.so". With --compile (the
lib mounted writable) it also writes that build's bytecode for this Python first: the lib is read-only in a
service, so without it every measured process would compile coverage.py again (about 150 ms). Runs on every
Python a base image has (3.9 and up): keep 3.9 syntax.
"""

import compileall
import os
import sys

SITE_DIR = "/opt/coverage-spy/site"


def main(argv):
    """Runs the check with the spy's site folder (default SITE_DIR); returns the exit status or message."""
    compile_lib = "--compile" in argv
    args = [a for a in argv if a != "--compile"]
    sys.path.insert(0, args[0] if args else SITE_DIR)
    import _coverage_spy

    problem = _coverage_spy.select_coverage_lib()
    if problem is not None:
        return f"the spy selects no coverage.py build: {problem}"
    import coverage
    import coverage.tracer

    if compile_lib and not compileall.compile_dir(os.path.dirname(coverage.__file__), quiet=1):
        return "could not compile the selected coverage.py build"

    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    print(coverage.__version__, python, coverage.tracer.__file__.rsplit("/", 1)[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
