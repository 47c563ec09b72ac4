"""Background jobs: a Flask web app enqueues Celery tasks; a Celery worker, fed by Redis, runs them."""
