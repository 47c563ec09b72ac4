"""The choice of the coverage.py build this Python can run, among those of the mounted spy lib.

The spy lib (scripts/spy-lib.sh) holds coverage.py for the newest Pythons in its folder and older builds in
sub-folders; its manifest lists them, newest first, each with the oldest Python it runs on.
"""

from __future__ import annotations

import json
import os
import sys

LIB_MANIFEST = "coverage-spy-lib.json"


def select_coverage_lib() -> str | None:
    """Points the sys.path entry of the spy lib at the build this Python can run.

    Returns a problem to report (no build runs on this Python), or None: done, or no spy lib on sys.path (then
    coverage.py is wherever the app has it, if anywhere). Raises OSError, ValueError or KeyError for an unreadable
    manifest.
    """
    here = sys.version_info[:2]
    for index, entry in enumerate(sys.path):
        manifest_path = os.path.join(entry or os.curdir, LIB_MANIFEST)
        if not os.path.isfile(manifest_path):
            continue
        with open(manifest_path) as f:
            manifest = json.load(f)
        for build in manifest["builds"]:
            if tuple(build["python"]) <= here:
                if build["dir"] != ".":
                    sys.path[index] = os.path.join(entry, build["dir"])
                return None
        oldest = ".".join(map(str, manifest["builds"][-1]["python"]))
        return f"the spy lib has no coverage.py for Python {here[0]}.{here[1]} (oldest: {oldest})"
    return None
