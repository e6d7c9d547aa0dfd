"""gunicorn's settings for Clover: ``gunicorn -c gunicorn.conf.py "api:create_app()"``.

With ``PROMETHEUS_MULTIPROC_DIR`` set (an empty folder, emptied at each deploy), every
worker writes its metrics there and ``GET /metrics`` on any of them adds up all of
them; ``child_exit`` tells prometheus_client that a worker is gone, so that its live
gauges stop counting (its counters stay in the sum, as they should).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# Clover's own JSON access line (clover.request) says more than gunicorn's.
accesslog = None


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
