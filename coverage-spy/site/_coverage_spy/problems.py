"""How the spy reports a problem: once, on stderr, for the whole process tree. The app runs on regardless."""

from __future__ import annotations

import contextlib
import os
import sys

# Set in the environment once a problem was reported: children inherit it, so a broken setup is reported once,
# not by every worker.
WARNED_ENV = "COVERAGE_SPY_WARNED"


def warn_once(message: str, topic: str = "") -> None:
    """Writes "coverage-spy: <message>" on stderr, unless this process or an ancestor already reported one.

    A `topic` has its own "once" (COVERAGE_SPY_WARNED_<TOPIC>): a warning about how the app is measured, which a
    healthy process may give, must not silence a later report that the spy failed.
    """
    key = f"{WARNED_ENV}_{topic.upper()}" if topic else WARNED_ENV
    if os.environ.get(key):
        return
    os.environ[key] = "1"
    # No stderr (None), a closed one or a broken pipe: there is nowhere to report to, and a report must never
    # raise into the app (it is called from fork hooks and exit paths).
    with contextlib.suppress(AttributeError, OSError, ValueError):
        sys.stderr.write(f"coverage-spy: {message}\n")
