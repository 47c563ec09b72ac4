"""Black-box HTTP suite of the fan-out service (standard library only): runs on the host against COVERAGE_SPY_WEB_URL."""

import concurrent.futures
import json
import os
import time
import unittest
import urllib.error
import urllib.request

BASE = os.environ.get("COVERAGE_SPY_WEB_URL", "http://127.0.0.1:8000").rstrip("/")
TIMEOUT = 60  # generous: a measured request on a busy machine can take seconds


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def get(path):
    return call("GET", path)


class FanoutTest(unittest.TestCase):
    def test_health(self):
        self.assertEqual(get("/healthz"), (200, {"ok": True}))

    def test_served_by_gevent_workers(self):
        status, body = get("/whoami")
        self.assertEqual((status, body["gevent"]), (200, True))

    def test_requests_are_served_by_several_workers(self):
        pids = set()
        with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
            for _ in range(10):  # bounded: at most 60 requests
                pids.update(body["pid"] for _, body in pool.map(lambda _: get("/whoami"), range(6)))
                if len(pids) >= 2:
                    break
        self.assertGreaterEqual(len(pids), 2, "all requests went to one worker: %s" % pids)

    def test_one_worker_serves_many_requests_at_once(self):
        # 12 requests sleeping 0.5 s each: served one after the other by 2 workers they would take 3 s.
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
            answers = list(pool.map(lambda _: get("/sleep?seconds=0.5"), range(12)))
        elapsed = time.monotonic() - started
        self.assertEqual({status for status, _ in answers}, {200})
        self.assertLess(elapsed, 2.0, "requests were not served concurrently")

    def test_quotes_fan_out_to_greenlets(self):
        status, body = get("/quotes?sources=alpha,beta,gamma,delta,epsilon&delay=0.3")
        self.assertEqual(status, 200)
        self.assertEqual((body["best"], body["answers"], body["failed"], body["late"]), ({"source": "beta", "price": 95}, 5, [], []))
        self.assertLess(body["elapsed"], 1.0)  # 5 x 0.3 s in parallel, not 1.5 s

    def test_failed_and_late_sources(self):
        status, body = get("/quotes?sources=alpha,broken,slow&delay=0.05&deadline=0.5")
        self.assertEqual(status, 200)
        self.assertEqual(body["answers"], 1)
        self.assertEqual(body["failed"], [{"source": "broken", "error": "source broken failed"}])
        self.assertEqual(body["late"], ["slow"])

    def test_no_source_in_time(self):
        status, body = get("/quotes?sources=slow&delay=0.05&deadline=0.2")
        self.assertEqual((status, body["error"]), (504, "no source answered in time"))

    def test_bad_arguments(self):
        self.assertEqual(get("/quotes?delay=abc"), (400, {"error": "delay must be a number", "status": 400}))
        self.assertEqual(get("/sleep?seconds=9")[0], 400)
        self.assertEqual(get("/quotes?sources=" + ",".join(["alpha"] * 11))[0], 400)

    def test_batch_through_a_pool(self):
        status, body = call("POST", "/batch", [3, 1, 4, 1, 5])
        self.assertEqual((status, body), (200, {"squares": [9, 1, 16, 1, 25], "pool_size": 3}))

    def test_bad_batch(self):
        self.assertEqual(call("POST", "/batch", {"not": "a list"})[0], 400)

    def test_unknown_route(self):
        self.assertEqual(get("/nowhere")[0], 404)
