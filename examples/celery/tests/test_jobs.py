"""Black-box HTTP suite of the jobs service (standard library only): runs on the host against COVERAGE_SPY_WEB_URL.

Jobs are enqueued through the web app and run by the Celery worker (which has no port); their results are polled
through the web app, which reads them from the result backend.
"""

import json
import os
import time
import unittest
import urllib.error
import urllib.request

BASE = os.environ.get("COVERAGE_SPY_WEB_URL", "http://127.0.0.1:8000").rstrip("/")
TIMEOUT = 60  # generous: a measured request on a busy machine can take seconds
JOB_TIMEOUT = 120  # seconds a job may take, from enqueue to result (generous: the machine may be busy)


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def enqueue(kind, args):
    status, body = call("POST", "/jobs", {"kind": kind, "args": args})
    assert status == 202, (status, body)
    return body["id"]


def wait_for(job_id):
    deadline = time.monotonic() + JOB_TIMEOUT
    while True:
        status, body = call("GET", "/jobs/" + job_id)
        assert status == 200, (status, body)
        if body["state"] in ("SUCCESS", "FAILURE") or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


class JobsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.web_host = call("GET", "/whoami")[1]["host"]

    def test_health(self):
        self.assertEqual(call("GET", "/healthz"), (200, {"ok": True}))

    def test_word_stats_run_in_the_worker(self):
        job = wait_for(enqueue("words", {"text": "the cat and the hat and the bat"}))
        self.assertEqual(job["state"], "SUCCESS", job)
        result = job["result"]
        self.assertEqual((result["words"], result["unique"]), (8, 5))
        self.assertEqual(result["top"], [["the", 3], ["and", 2], ["bat", 1]])
        self.assertNotEqual(result["worker"], self.web_host, "the job ran in the web container")

    def test_report_is_a_chain_of_two_tasks(self):
        job = wait_for(enqueue("report", {"text": "Red fish, blue fish, one fish", "title": "fish"}))
        self.assertEqual(job["state"], "SUCCESS", job)
        self.assertEqual(job["result"]["title"], "fish")
        self.assertEqual(job["result"]["summary"], "6 words, 4 distinct; most frequent: 'fish' (3x)")

    def test_report_of_an_empty_text(self):
        job = wait_for(enqueue("report", {"text": "..."}))
        self.assertEqual((job["state"], job["result"]["summary"]), ("SUCCESS", "empty text"))

    def test_invoice(self):
        lines = [{"quantity": 3, "unit_price": "19.99"}, {"quantity": 1, "unit_price": "5.00"}]
        job = wait_for(enqueue("invoice", {"lines": lines, "tax_percent": 20}))
        self.assertEqual(job["state"], "SUCCESS", job)
        self.assertEqual((job["result"]["net"], job["result"]["tax"], job["result"]["total"]), ("64.97", "12.99", "77.96"))

    def test_failing_job(self):
        job = wait_for(enqueue("invoice", {"lines": [{"quantity": -1, "unit_price": 3}]}))
        self.assertEqual(job["state"], "FAILURE")
        self.assertEqual(job["error"]["type"], "ValueError")
        self.assertIn("bad invoice line", job["error"]["message"])

    def test_retried_job(self):
        job = wait_for(enqueue("flaky", {"failures": 2}))
        self.assertEqual((job["state"], job["result"]["attempts"]), ("SUCCESS", 3), job)

    def test_job_that_runs_out_of_retries(self):
        job = wait_for(enqueue("flaky", {"failures": 4}))
        self.assertEqual((job["state"], job["error"]["type"]), ("FAILURE", "TemporaryError"), job)

    def test_unknown_kind_and_bad_args(self):
        self.assertEqual(call("POST", "/jobs", {"kind": "mine bitcoin"})[0], 400)
        status, body = call("POST", "/jobs", {"kind": "words", "args": {}})
        self.assertEqual(status, 400)
        self.assertIn("bad args for words", body["error"])

    def test_unknown_job_is_pending(self):
        self.assertEqual(call("GET", "/jobs/no-such-job"), (200, {"id": "no-such-job", "state": "PENDING"}))
