#!/bin/sh
# The web container's command: wait for PostgreSQL, apply the migrations, then hand the process over to gunicorn
# (exec: gunicorn gets the stop signal itself). Sync workers, WEB_CONCURRENCY of them, on 0.0.0.0:$PORT.
set -eu
python3 manage.py wait_for_db --timeout "${DB_WAIT_SECONDS:-60}"
python3 manage.py migrate --noinput
exec gunicorn config.wsgi:application --bind "0.0.0.0:${PORT}" --workers "${WEB_CONCURRENCY}" \
  --worker-class sync --timeout 30 --graceful-timeout 10 --access-logfile -
