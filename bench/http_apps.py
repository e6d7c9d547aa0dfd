"""The WSGI apps ``bench/http.py`` serves: Clover, and the bare Flask baseline.

Both are factories, called once in every server worker (gunicorn ``bench.http_apps:clover()``,
granian ``--factory bench.http_apps:clover``), so each worker process has its own
connections, as in production. Settings come from the environment the benchmark sets.
"""

from __future__ import annotations

import os
import uuid

import psycopg
from flask import Flask

# What OrganisationSchema shows, read the way Clover's GET reads it: one row by id.
COLUMNS = (
    "id", "created_at", "updated_at", "name", "slug", "timezone", "currency",
    "fiscal_year_start_month", "member_count", "version",
)  # fmt: skip
ROW = f"SELECT {', '.join(COLUMNS)} FROM organisations WHERE id = %s"


def clover() -> Flask:
    from api import create_app

    return create_app()


def bare() -> Flask:
    """``/ping`` (Flask alone) and ``/row`` (Flask, one SELECT by id with psycopg, JSON).

    ``/row`` runs the statement Clover's ``GET /v1/organisations/{id}`` ends with, on a
    connection the worker opens once and keeps (a sync worker serves one request at a
    time, so that is its whole pool), and returns the row's columns as JSON.
    """
    app = Flask("bench_bare")
    url = os.environ["BENCH_ROW_DATABASE_URL"]
    row_id = uuid.UUID(os.environ["BENCH_ROW_ID"])
    held: list[psycopg.Connection] = []

    def connection() -> psycopg.Connection:
        if not held or held[0].closed:
            held[:] = [psycopg.connect(url, autocommit=True)]
        return held[0]

    @app.get("/ping")
    def ping():
        return {"status": "ok", "service": "bench"}

    @app.get("/row")
    def row():
        with connection().cursor() as cursor:
            cursor.execute(ROW, (row_id,))
            found = cursor.fetchone()
        body = dict(zip(COLUMNS, found, strict=True))
        for name in ("id", "created_at", "updated_at"):
            body[name] = str(body[name]) if name == "id" else body[name].isoformat()
        return body, 200, {"ETag": f'"{body["version"]}"'}

    return app
