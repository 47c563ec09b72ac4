"""The web app that enqueues jobs and reads their results from the Celery result backend."""
import os
import socket

import redis
from celery import chain
from celery.result import AsyncResult
from flask import Flask, abort, jsonify, request

from jobs import tasks
from jobs.celery_app import REDIS_URL
from jobs.celery_app import app as celery_app

app = Flask(__name__)


def enqueue_words(args):
    return tasks.word_stats.delay(str(args["text"]))


def enqueue_report(args):
    return chain(tasks.word_stats.s(str(args["text"])), tasks.render_report.s(str(args.get("title", "report")))).delay()


def enqueue_invoice(args):
    return tasks.invoice_total.delay(list(args["lines"]), float(args.get("tax_percent", 0)))


def enqueue_flaky(args):
    return tasks.flaky.delay(int(args["failures"]))


KINDS = {"words": enqueue_words, "report": enqueue_report, "invoice": enqueue_invoice, "flaky": enqueue_flaky}


@app.errorhandler(400)
@app.errorhandler(404)
def json_error(error):
    return jsonify(error=error.description), error.code


@app.get("/healthz")
def healthz():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError as error:
        return {"ok": False, "error": str(error)}, 503
    return {"ok": True}


@app.get("/whoami")
def whoami():
    return {"host": socket.gethostname(), "pid": os.getpid()}


@app.post("/jobs")
def create_job():
    body = request.get_json(silent=True) or {}
    enqueue = KINDS.get(body.get("kind"))
    if enqueue is None:
        abort(400, description=f"kind must be one of {', '.join(sorted(KINDS))}")
    try:
        result = enqueue(body.get("args") or {})
    except (KeyError, TypeError, ValueError) as error:
        abort(400, description=f"bad args for {body['kind']}: {error!r}")
    return {"id": result.id, "kind": body["kind"]}, 202


@app.get("/jobs/<job_id>")
def job_status(job_id):
    result = AsyncResult(job_id, app=celery_app)
    answer = {"id": job_id, "state": result.state}
    if result.successful():
        answer["result"] = result.result
    elif result.failed():
        answer["error"] = {"type": type(result.result).__name__, "message": str(result.result)}
    return answer
