"""The demo's HTTP test suite: runs on the host against COVERAGE_SPY_DEMO_URL (standard library only)."""
import concurrent.futures
import json
import os
import time
import unittest
import urllib.error
import urllib.request

BASE = os.environ.get("COVERAGE_SPY_DEMO_URL", "http://127.0.0.1:8000")
# Generous: on a busy machine a measured request (the report's subprocess above all) can take seconds.
TIMEOUT = 60


def get(path):
    try:
        with urllib.request.urlopen(BASE + path, timeout=TIMEOUT) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


class DemoTest(unittest.TestCase):
    def test_health(self):
        self.assertEqual(get("/healthz"), (200, {"ok": True}))

    def test_requests_are_served_by_several_workers(self):
        pids = set()
        with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
            # Until two workers answered: on a busy machine one worker may win many accepts in a row.
            # Bounded: at most 100 rounds (600 requests) and 60 s.
            deadline = time.monotonic() + 60
            for _ in range(100):
                pids.update(body["pid"] for _, body in pool.map(lambda _: get("/whoami"), range(6)))
                if len(pids) >= 2 or time.monotonic() > deadline:
                    break
        self.assertGreaterEqual(len(pids), 2, "all requests went to one worker: %s" % pids)

    def test_price(self):
        self.assertEqual(get("/price?item=book&qty=2"), (200, {"item": "book", "quantity": 2, "total": 2400, "discount": 0}))

    def test_bulk_discount(self):
        status, body = get("/price?item=pen&qty=10")
        self.assertEqual((status, body["total"], body["discount"]), (200, 1275, 225))

    def test_unknown_item(self):
        self.assertEqual(get("/price?item=boat")[0], 404)

    def test_bad_quantity(self):
        self.assertEqual(get("/price?item=pen&qty=0"), (400, {"error": "quantity must be positive"}))

    def test_inventory(self):
        self.assertEqual(get("/inventory/lamp"), (200, {"item": "lamp", "stock": 3}))
        self.assertEqual(get("/inventory/boat")[0], 404)

    def test_report_runs_in_a_subprocess(self):
        self.assertEqual(get("/report"), (200, {"kind": "summary", "in_stock": ["book", "lamp"]}))

    def test_unknown_report_kind(self):
        status, body = get("/report?kind=bogus")
        self.assertEqual(status, 200)
        self.assertIn("unknown report bogus", body["error"])

    def test_unknown_route(self):
        self.assertEqual(get("/nowhere")[0], 404)


if __name__ == "__main__":
    unittest.main()
