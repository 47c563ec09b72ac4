#!/bin/sh
# The overlay pattern's harvester, run in coverage-spy/base:trixie after the service stopped: installs coverage.py
# from the cached wheel at harvest time (the image has no pip: the wheel is unpacked, which is what pip does with
# it, less the byte-compiling), combines the data files in the volume and writes the reports to /reports.
set -eu
tag=$(python3 -c 'import sys; print("cp%d%d" % sys.version_info[:2])')
wheel=$(ls /wheels/coverage-"$COVERAGE_VERSION"-"$tag"-"$tag"-manylinux*_"$(uname -m)"*.whl)
python3 -m zipfile -e "$wheel" /tmp/coverage
export PYTHONPATH=/tmp/coverage
cd /reports
python3 -m coverage combine
python3 -m coverage report >report.txt
python3 -m coverage html --quiet -d html
python3 -m coverage xml --quiet -o coverage.xml
python3 -m coverage json --quiet -o coverage.json
