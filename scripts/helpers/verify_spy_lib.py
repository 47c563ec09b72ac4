"""Checks, inside an app container, that the spy lib imports coverage.py with its C tracer (scripts/spy-lib.sh).

    docker run -v LIB:/opt/coverage-spy/lib:ro -v SITE:/opt/coverage-spy/site:ro -e PYTHONPATH=/opt/coverage-spy/lib
      -v THIS:/opt/coverage-spy/verify_spy_lib.py:ro IMAGE python3 /opt/coverage-spy/verify_spy_lib.py [SITE_DIR]

Selects the coverage.py build as an app process does (the spy's ``_coverage_spy.select_coverage_lib``), then
prints "VERSION X.Y TRACER_FILE", e.g. "7.17.4 3.13 tracer.cpython-313-x86_64-linux-gnu.so". Runs on every
Python a base image has (3.9 and up): keep 3.9 syntax.
"""

import sys

SITE_DIR = "/opt/coverage-spy/site"


def main(argv):
    """Runs the check with the spy's site folder argv[0] (default SITE_DIR); returns the exit status or message."""
    sys.path.insert(0, argv[0] if argv else SITE_DIR)
    import _coverage_spy

    problem = _coverage_spy.select_coverage_lib()
    if problem is not None:
        return f"the spy selects no coverage.py build: {problem}"
    import coverage
    import coverage.tracer

    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    print(coverage.__version__, python, coverage.tracer.__file__.rsplit("/", 1)[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
