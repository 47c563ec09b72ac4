"""Black-box HTTP suite of the orders API (standard library only): runs on the host against COVERAGE_SPY_API_URL."""

import concurrent.futures
import json
import os
import time
import unittest
import urllib.error
import urllib.request

BASE = os.environ.get("COVERAGE_SPY_API_URL", "http://127.0.0.1:8000").rstrip("/")
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


class OrdersApiTest(unittest.TestCase):
    def test_health(self):
        self.assertEqual(get("/healthz"), (200, {"ok": True}))

    def test_requests_are_served_by_several_workers(self):
        pids = set()
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            # Until four workers answered, or at least two by the bound: on a busy machine one worker may win many
            # accepts in a row. Bounded: at most 100 rounds (800 requests) and 60 s.
            deadline = time.monotonic() + 60
            for _ in range(100):
                pids.update(body["pid"] for _, body in pool.map(lambda _: get("/whoami"), range(8)))
                if len(pids) >= 4 or time.monotonic() > deadline:
                    break
        self.assertGreaterEqual(len(pids), 2, "all requests went to one worker: %s" % pids)

    def test_items(self):
        status, items = get("/items")
        self.assertEqual(status, 200)
        self.assertEqual([item["sku"] for item in items], ["book", "lamp", "pen"])
        status, lamp = get("/items/lamp")
        self.assertEqual((status, lamp["name"], lamp["unit_price"]), (200, "Desk lamp", 3500))

    def test_unknown_item(self):
        self.assertEqual(get("/items/boat"), (404, {"detail": "no item boat"}))

    def test_quote_asks_every_supplier(self):
        status, body = get("/quote?sku=book&quantity=2")
        self.assertEqual(status, 200)
        self.assertEqual(body, {"sku": "book", "quantity": 2, "best": {"supplier": "south", "total": 2328}, "offers": 3})

    def test_bulk_quote_skips_a_supplier(self):
        status, body = get("/quote?sku=pen&quantity=60")
        self.assertEqual((status, body["offers"], body["best"]["supplier"]), (200, 2, "south"))

    def test_quote_validation_error(self):
        status, body = get("/quote?sku=pen&quantity=0")
        self.assertEqual(status, 422)
        self.assertEqual(body["detail"][0]["loc"], ["query", "quantity"])

    def test_order_and_its_background_receipt(self):
        stock_before = get("/items/pen")[1]["stock"]
        status, order = call("POST", "/orders", {"sku": "pen", "quantity": 2, "customer": "ann@example.org"})
        self.assertEqual(status, 201)
        self.assertEqual((order["total"], order["receipt"]), (300, "pending"))
        self.assertEqual(get("/items/pen")[1]["stock"], stock_before - 2)
        self.assertEqual(self.wait_for_receipt(order["id"]), "sent")

    def test_bounced_receipt(self):
        status, order = call("POST", "/orders", {"sku": "book", "quantity": 1, "customer": "bob@invalid"})
        self.assertEqual(status, 201)
        self.assertEqual(self.wait_for_receipt(order["id"]), "bounced")

    def wait_for_receipt(self, order_id):
        deadline = time.monotonic() + 10
        while True:
            status, order = get("/orders/%d" % order_id)
            self.assertEqual(status, 200)
            if order["receipt"] != "pending" or time.monotonic() > deadline:
                return order["receipt"]
            time.sleep(0.05)

    def test_order_validation_errors(self):
        status, body = call("POST", "/orders", {"sku": "Pen!", "quantity": 0, "customer": "nobody"})
        self.assertEqual(status, 422)
        self.assertEqual(sorted(error["loc"][-1] for error in body["detail"]), ["customer", "quantity", "sku"])

    def test_out_of_stock(self):
        status, body = call("POST", "/orders", {"sku": "lamp", "quantity": 100, "customer": "ann@example.org"})
        self.assertEqual(status, 409)
        self.assertEqual((body["error"], body["sku"]), ("out of stock", "lamp"))

    def test_order_of_unknown_item(self):
        status, _ = call("POST", "/orders", {"sku": "boat", "quantity": 1, "customer": "ann@example.org"})
        self.assertEqual(status, 404)

    def test_unknown_order(self):
        self.assertEqual(get("/orders/999999")[0], 404)
