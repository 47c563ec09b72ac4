"""A small aggregation service: Flask under gunicorn's gevent worker, fanning requests out to greenlets."""
