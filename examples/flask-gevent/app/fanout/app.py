"""The Flask application: gunicorn -k gevent fanout.app:app."""
import os
import time

import gevent
import gevent.monkey
import gevent.pool
import gevent.queue
from flask import Flask, abort, jsonify, request

from fanout import sources

app = Flask(__name__)
app.config["MAX_SOURCES"] = int(os.environ.get("FANOUT_MAX_SOURCES", "10"))


def number_arg(name, default, low, high, kind=float):
    try:
        value = kind(request.args.get(name, default))
    except ValueError:
        abort(400, description=f"{name} must be a number")
    if not low <= value <= high:
        abort(400, description=f"{name} must be between {low} and {high}")
    return value


@app.errorhandler(400)
@app.errorhandler(404)
@app.errorhandler(504)
def json_error(error):
    return jsonify(error=error.description, status=error.code), error.code


@app.get("/healthz")
def healthz():
    return {"ok": True}


@app.get("/whoami")
def whoami():
    return {"pid": os.getpid(), "gevent": gevent.monkey.is_module_patched("socket")}


@app.get("/sleep")
def sleep():
    seconds = number_arg("seconds", 0.1, 0, 2)
    gevent.sleep(seconds)  # a slow upstream: the worker serves other requests meanwhile
    return {"slept": seconds, "pid": os.getpid()}


@app.get("/quotes")
def quotes():
    names = [name for name in request.args.get("sources", "alpha,beta,gamma").split(",") if name]
    if not names or len(names) > app.config["MAX_SOURCES"]:
        abort(400, description=f"between 1 and {app.config['MAX_SOURCES']} sources")
    delay = number_arg("delay", 0.05, 0, 1)
    deadline = number_arg("deadline", 1.0, 0.01, 5)
    started = time.monotonic()
    answers, failed, late = sources.fan_out(names, delay, deadline)
    if not answers:
        abort(504, description="no source answered in time")
    best = min(answers, key=lambda answer: answer["price"])
    return {
        "best": best,
        "answers": len(answers),
        "failed": failed,
        "late": late,
        "elapsed": round(time.monotonic() - started, 3),
    }


@app.post("/batch")
def batch():
    """Squares numbers through a bounded gevent pool feeding a queue, like a batch of upstream calls."""
    numbers = request.get_json(silent=True)
    if not isinstance(numbers, list) or not all(isinstance(number, int) for number in numbers):
        abort(400, description="body must be a JSON list of integers")
    results = gevent.queue.Queue()
    pool = gevent.pool.Pool(size=int(os.environ.get("FANOUT_POOL_SIZE", "3")))

    def work(number):
        gevent.sleep(0.01)
        results.put((number, number * number))

    for number in numbers:
        pool.spawn(work, number)
    pool.join(timeout=5)
    squares = dict(results.get() for _ in range(results.qsize()))
    return {"squares": [squares[number] for number in numbers], "pool_size": pool.size}
