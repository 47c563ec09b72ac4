"""The tasks the worker runs. Each result names the worker host and pid that ran it."""
import collections
import os
import re
import socket
from decimal import ROUND_HALF_UP, Decimal

from jobs.celery_app import app


class TemporaryError(Exception):
    """An upstream hiccup worth a retry."""


def ran_by():
    return {"worker": socket.gethostname(), "pid": os.getpid()}


@app.task
def word_stats(text):
    words = re.findall(r"[a-z']+", text.lower())
    counts = collections.Counter(words)
    top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:3]
    return {"words": len(words), "unique": len(counts), "top": top, **ran_by()}


@app.task
def render_report(stats, title):
    # Second step of a chain: gets the first step's result.
    if not stats["words"]:
        return {"title": title, "summary": "empty text", **ran_by()}
    leader, times = stats["top"][0]
    summary = f"{stats['words']} words, {stats['unique']} distinct; most frequent: {leader!r} ({times}x)"
    return {"title": title, "summary": summary, **ran_by()}


@app.task
def invoice_total(lines, tax_percent):
    net = Decimal(0)
    for line in lines:
        quantity, unit_price = int(line["quantity"]), Decimal(str(line["unit_price"]))
        if quantity <= 0 or unit_price < 0:
            raise ValueError(f"bad invoice line {line}")
        net += quantity * unit_price
    tax = (net * Decimal(str(tax_percent)) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return {"net": str(net), "tax": str(tax), "total": str(net + tax), **ran_by()}


@app.task(bind=True, max_retries=3)
def flaky(self, failures):
    # Fails `failures` times, retrying each time; succeeds on the next attempt.
    if self.request.retries < failures:
        raise self.retry(exc=TemporaryError(f"attempt {self.request.retries + 1} failed"), countdown=0.2)
    return {"attempts": self.request.retries + 1, **ran_by()}
