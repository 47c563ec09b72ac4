"""Black-box HTTP suite of the library service (standard library only): runs on the host against COVERAGE_SPY_WEB_URL."""

import concurrent.futures
import http.cookiejar
import json
import os
import random
import re
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

BASE = os.environ.get("COVERAGE_SPY_WEB_URL", "http://127.0.0.1:8000").rstrip("/")
TIMEOUT = 60  # generous: a measured request on a busy machine can take seconds


def new_isbn():
    digits = [random.randrange(10) for _ in range(12)]
    total = sum(digit * (3 if position % 2 else 1) for position, digit in enumerate(digits))
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def call(method, path, body=None, raw=None):
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        body = error.read()
        return error.code, json.loads(body) if error.headers.get_content_type() == "application/json" else body


def get(path):
    return call("GET", path)


def add_book(title="Dune", author="Frank Herbert", copies=2):
    return call("POST", "/api/books", {"title": title, "author_name": author, "isbn": new_isbn(), "copies": copies})


class ApiTest(unittest.TestCase):
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

    def test_create_read_and_list(self):
        author = "Ursula K. Le Guin %d" % random.randrange(10**6)
        status, created = add_book("The Dispossessed", author, copies=3)
        self.assertEqual(status, 201)
        self.assertEqual((created["author"], created["copies"], created["available"]), (author, 3, 3))
        self.assertEqual(get("/api/books/%d" % created["id"]), (200, created))
        status, listed = get("/api/books?" + urllib.parse.urlencode({"author": author}))
        self.assertEqual((status, listed["books"]), (200, [created]))

    def test_invalid_book(self):
        status, body = call("POST", "/api/books", {"title": "", "author_name": "X", "isbn": "123", "copies": 99})
        self.assertEqual(status, 400)
        self.assertEqual(sorted(body["fields"]), ["copies", "isbn", "title"])
        self.assertEqual(body["fields"]["isbn"][0]["message"], "not a valid ISBN-13")

    def test_duplicate_isbn(self):
        status, created = add_book()
        self.assertEqual(status, 201)
        again = {"title": "Copy", "author_name": "Someone", "isbn": created["isbn"], "copies": 1}
        status, body = call("POST", "/api/books", again)
        self.assertEqual((status, list(body["fields"])), (400, ["isbn"]))

    def test_body_that_is_not_json(self):
        self.assertEqual(call("POST", "/api/books", raw=b"{oops"), (400, {"error": "body is not JSON"}))

    def test_lend_and_give_back(self):
        book_id = add_book("Solaris", "Stanislaw Lem", copies=1)[1]["id"]
        status, loan = call("POST", "/api/books/%d/loans" % book_id, {"borrower": "ann"})
        self.assertEqual((status, loan["returned"]), (201, False))
        self.assertEqual(get("/api/books/%d" % book_id)[1]["available"], 0)
        self.assertEqual(call("POST", "/api/books/%d/loans" % book_id, {"borrower": "bob"})[0], 409)
        self.assertEqual(call("POST", "/api/loans/%d/return" % loan["id"])[1]["returned"], True)
        self.assertEqual(call("POST", "/api/loans/%d/return" % loan["id"])[0], 409)
        self.assertEqual(call("POST", "/api/books/%d/loans" % book_id, {"borrower": "bob"})[0], 201)

    def test_lend_needs_a_borrower(self):
        book_id = add_book()[1]["id"]
        self.assertEqual(call("POST", "/api/books/%d/loans" % book_id, {}), (400, {"error": "borrower is required"}))

    def test_not_found(self):
        self.assertEqual(get("/api/books/999999"), (404, {"error": "not found", "path": "/api/books/999999"}))
        self.assertEqual(call("POST", "/api/loans/999999/return")[0], 404)
        self.assertEqual(get("/nowhere")[0], 404)

    def test_method_not_allowed(self):
        self.assertEqual(call("DELETE", "/api/books")[0], 405)


class HtmlFormTest(unittest.TestCase):
    """The HTML form, with Django's CSRF protection: the token comes from the form page and its cookie."""

    def setUp(self):
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def form_token(self):
        with self.opener.open(BASE + "/books/new", timeout=TIMEOUT) as response:
            self.assertEqual(response.status, 200)
            return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode()).group(1)

    def post_form(self, fields):
        data = urllib.parse.urlencode(fields).encode()
        try:
            with self.opener.open(BASE + "/books/new", data=data, timeout=TIMEOUT) as response:
                return response.status, response.url, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.url, error.read().decode()

    def test_form_creates_a_book_and_redirects_to_its_page(self):
        fields = {"title": "Kindred", "author_name": "Octavia E. Butler", "isbn": new_isbn(), "copies": "2"}
        status, url, page = self.post_form({**fields, "csrfmiddlewaretoken": self.form_token()})
        self.assertEqual(status, 200)
        self.assertRegex(url, r"/books/\d+$")  # followed the redirect
        self.assertIn('<h1 id="title">Kindred</h1>', page)
        self.assertIn('<span id="available">2</span>', page)

    def test_invalid_form_is_shown_again(self):
        fields = {"title": "Bad", "author_name": "X", "isbn": "9780000000000", "copies": "1"}
        status, _, page = self.post_form({**fields, "csrfmiddlewaretoken": self.form_token()})
        self.assertEqual(status, 400)
        self.assertIn("not a valid ISBN-13", page)

    def test_form_without_csrf_token_is_refused(self):
        status, _, _ = self.post_form({"title": "Forged", "author_name": "X", "isbn": new_isbn(), "copies": "1"})
        self.assertEqual(status, 403)
