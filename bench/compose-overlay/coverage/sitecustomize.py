"""Imported by every Python process of the service (first on PYTHONPATH): coverage.py's subprocess hook.

process_startup() starts measuring when COVERAGE_PROCESS_START names a config file and does nothing otherwise.
"""

import coverage

coverage.process_startup()
