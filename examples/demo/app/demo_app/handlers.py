"""Routes a request path to the business modules; returns (status, JSON body)."""
import json
import os
import urllib.parse

from demo_app import inventory, pricing, reports


def _json(status, payload):
    return status, json.dumps(payload).encode()


def route(path):
    parsed = urllib.parse.urlsplit(path)
    query = dict(urllib.parse.parse_qsl(parsed.query))
    if parsed.path == "/healthz":
        return _json(200, {"ok": True})
    if parsed.path == "/whoami":
        return _json(200, {"pid": os.getpid()})
    if parsed.path == "/price":
        try:
            return _json(200, pricing.quote(query.get("item", ""), int(query.get("qty", "1"))))
        except KeyError as exc:
            return _json(404, {"error": "unknown item %s" % exc})
        except ValueError as exc:
            return _json(400, {"error": str(exc)})
    if parsed.path.startswith("/inventory/"):
        item = parsed.path[len("/inventory/"):]
        stock = inventory.lookup(item)
        if stock is None:
            return _json(404, {"error": "no stock record for %s" % item})
        return _json(200, {"item": item, "stock": stock})
    if parsed.path == "/report":
        return _json(200, reports.generate(query.get("kind", "summary")))
    if parsed.path == "/admin/restock":
        return _json(200, inventory.restock(query.get("item", ""), 10))  # demo: not-hit
    return _json(404, {"error": "no route for %s" % parsed.path})
