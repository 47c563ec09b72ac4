"""The scale benchmark's test command: asks the scale service to run N measured subprocesses.

    python3 bench/scale/spawn.py N [PARALLEL]

Calls $COVERAGE_SPY_SCALE_URL/spawn?n=N&parallel=PARALLEL (default 4 at a time), waits until all have exited,
and prints one "1 passed, 0 failed" line (the summary's test counts) when every one exited 0.
Standard library only: it runs on the host.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request

# The longest a spawn may take: 1,000 processes, a few at a time, on a busy machine.
TIMEOUT_SECONDS = 1500


def main(argv: list[str]) -> int:
    """Runs the spawn request; the exit status is 0 when every child succeeded."""
    if len(argv) not in (1, 2):
        sys.stderr.write(__doc__ or "")
        return 2
    count, parallel = argv[0], argv[1] if len(argv) == 2 else "4"
    url = f"{os.environ['COVERAGE_SPY_SCALE_URL']}/spawn?n={count}&parallel={parallel}"
    with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
        body = json.loads(response.read())
    print(f"spawn: {json.dumps(body)}")
    ok = body.get("spawned") == int(count) and body.get("failed") == 0
    print(f"{int(ok)} passed, {int(not ok)} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
