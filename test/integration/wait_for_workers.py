"""Waits until N distinct worker processes of a service have answered, before a suite whose contexts are compared.

    python3 wait_for_workers.py N URL

GETs URL (an endpoint answering {"pid": ...}, the FastAPI example's /whoami) from 8 threads at a time until N
distinct pids answered. A service's readiness passes with its first worker; a worker still starting when the first
test begins runs the app's top level under that test, and uvicorn's supervisor kills and restarts a worker that
has not answered its ping within 5 s of starting (a spawned worker under coverage on a busy machine), whose new
worker then starts during a test too. Run in no test's context, before the suite: exits 0 once all N answered,
1 after 180 s without them.
"""

from __future__ import annotations

import concurrent.futures
import json
import sys
import time
import urllib.request

DEADLINE_SECONDS = 180
TIMEOUT_SECONDS = 60


def pid_of(url: str) -> int | None:
    """The pid the endpoint answers with; None when it does not answer."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            return int(json.loads(response.read())["pid"])
    except OSError:
        return None


def main(argv: list[str]) -> int:
    """Asks until `argv`'s N workers answered its URL: 0 when they did, 1 at the deadline."""
    wanted, url = int(argv[0]), argv[1]
    pids: set[int] = set()
    deadline = time.monotonic() + DEADLINE_SECONDS
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        while len(pids) < wanted:
            if time.monotonic() > deadline:
                print(f"wait_for_workers: {len(pids)} of {wanted} workers answered {url} in {DEADLINE_SECONDS} s")
                return 1
            pids.update(pid for pid in pool.map(pid_of, [url] * 8) if pid is not None)
            time.sleep(0.2)
    print(f"wait_for_workers: {wanted} workers answered {url}: {sorted(pids)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
