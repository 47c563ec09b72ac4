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
            # Until two workers answered: on a busy machine one worker may win many accepts in a row.
            # Bounded: at most 100 rounds (600 requests) and 60 s.
            deadline = time.monotonic() + 60
            for _ in range(100):
                pids.update(body["pid"] for _, body in pool.map(lambda _: get("/whoami"), range(6)))
                if len(pids) >= 2 or time.monotonic() > deadline:
                    break
        self.assertGreaterEqual(len(pids), 2, "all requests went to one worker: %s" % pids)

    def test_one_worker_serves_many_requests_at_once(self):
        # 12 requests sleeping 1 s each, at once. A worker that serves one request after the other needs at least k
        # seconds from the first of its k requests sent to the last answered, however busy the machine (a busy
        # machine only adds time): a worker whose k >= 2 requests took less served them at once.
        def answered(_):
            sent = time.monotonic()
            status, body = get("/sleep?seconds=1")
            return status, body["pid"], sent, time.monotonic()

        with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
            answers = list(pool.map(answered, range(12)))
        self.assertEqual({status for status, _, _, _ in answers}, {200})
        at_once = []
        for pid in {pid for _, pid, _, _ in answers}:
            own = [(sent, done) for _, served_by, sent, done in answers if served_by == pid]
            span = max(done for _, done in own) - min(sent for sent, _ in own)
            if len(own) >= 2 and span < len(own):
                at_once.append(pid)
        self.assertTrue(at_once, "no worker served two requests at once: %s" % answers)

    def test_quotes_fan_out_to_greenlets(self):
        # The longest deadline: on a busy machine no source may miss it.
        status, body = get("/quotes?sources=alpha,beta,gamma,delta,epsilon&delay=0.3&deadline=5")
        self.assertEqual(status, 200)
        self.assertEqual((body["best"], body["answers"], body["failed"], body["late"]), ({"source": "beta", "price": 95}, 5, [], []))
        self.assertLess(body["elapsed"], 1.5)  # 5 x 0.3 s one after the other take 1.5 s at least

    def test_failed_and_late_sources(self):
        # slow needs 21 delays (4.2 s) and misses the 3 s deadline, however fast the machine; alpha has 2.8 s to spare.
        status, body = get("/quotes?sources=alpha,broken,slow&delay=0.2&deadline=3")
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
