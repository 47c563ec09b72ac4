"""The Celery application: Redis is both the broker and the result backend (REDIS_URL)."""
import os

from celery import Celery

REDIS_URL = os.environ.get("REDIS_URL", "redis://redis:6379/0")

app = Celery("jobs", broker=REDIS_URL, backend=REDIS_URL, include=["jobs.tasks"])
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
