"""The Celery application: Redis is both the broker and the result backend (REDIS_URL)."""
import os

from celery import Celery
from celery.backends.redis import RedisBackend

REDIS_URL = os.environ.get("REDIS_URL", "redis://redis:6379/0")


class PolledRedisBackend(RedisBackend):
    """Results in Redis that are polled (the web app's GET /jobs/<id>), never awaited: sending a task subscribes to
    nothing.

    Celery's Redis backend subscribes to every sent task's result channel so that a later ``.get()`` returns at
    once. Nothing here waits on a result, and with Celery 5.5 that subscription can hang a gunicorn worker for good:
    an ``AsyncResult`` freed by the cyclic garbage collector while the worker holds redis-py's pub/sub lock
    unsubscribes on the same thread and waits for that lock forever (celery/celery#10477, fixed after 5.5.2). Any
    change in allocation (another library, a profiler, a coverage tracer) moves collections into that window.
    """

    def on_task_call(self, producer, task_id):
        pass


# "module:Class+redis://...": Celery's form for a backend class of one's own on a URL.
app = Celery("jobs", broker=REDIS_URL, backend=f"jobs.celery_app:PolledRedisBackend+{REDIS_URL}", include=["jobs.tasks"])
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_expires=3600,
    task_track_started=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    broker_transport_options={"socket_connect_timeout": 5},
    redis_socket_connect_timeout=5,
    redis_socket_timeout=10,
)
