"""What a test boundary costs the Django example's next request, in its own process (run in its image).

    python3 django_switch_cost.py ROUNDS REQUESTS

coverage.py (on PYTHONPATH, core from COVERAGE_CORE) measures /app as the spy does; Django's test client sends the
same requests (those that need no database) with and without a switch before each: the spy's listener's switch,
Coverage.switch_context and, under sys.monitoring, restart_events, which turns on again every event coverage.py
DISABLEd, also in Django's own code. Prints JSON: per core and round, the median milliseconds of a request with no
switch and with one, interleaved round by round.
"""

from __future__ import annotations

import json
import logging
import statistics
import sys
import time

import coverage


def main(rounds: int, requests: int) -> None:
    """Measures, then prints the JSON."""
    cov = coverage.Coverage(source=["/app"], data_file=None)
    cov.start()
    import django  # noqa: PLC0415 - imported while measured, as in a measured worker

    django.setup()
    logging.disable(logging.WARNING)  # Django logs each 404, 405 and 400
    from django.test import Client  # noqa: PLC0415

    client = Client()
    calls = [
        lambda: client.get("/books/new"),
        lambda: client.get("/healthz"),
        lambda: client.get("/whoami"),
        lambda: client.get("/nowhere"),
        lambda: client.delete("/api/books"),
        lambda: client.post("/api/books", b"{oops", content_type="application/json"),
    ]
    core = dict(cov.sys_info())["core"]
    restart = core == "SysMonitor"

    def medians(switch: bool) -> float:
        times = []
        for i in range(requests):
            if switch:
                cov.switch_context(f"test {i}")
                if restart:
                    sys.monitoring.restart_events()
            began = time.perf_counter()
            calls[i % len(calls)]()
            times.append((time.perf_counter() - began) * 1000)
        return statistics.median(times)

    medians(False)  # warm: every view imported and run once
    samples = [{"plain": medians(False), "switched": medians(True)} for _ in range(rounds)]
    cov.stop()
    json.dump({"core": core, "rounds": samples}, sys.stdout)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
