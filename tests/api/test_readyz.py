"""/readyz reports each dependency with its state: 503 when one is unreachable or the
database's schema is not at the head of the code's migrations."""

from api import create_app
from api.config import Settings
from api.migrate import upgrade
from api.observability.readiness import schema_heads

FIRST = "0001_foundation"


def head() -> str:
    return ", ".join(sorted(schema_heads(Settings.build(environment="test"))))


def test_ready_names_each_dependency_and_the_revision(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "checks": {
            "database": {"ok": True, "detail": "reachable"},
            "redis": {"ok": True, "detail": "reachable"},
            "migrations": {"ok": True, "detail": "at head", "current": head(), "head": head()},
        },
    }


def test_a_database_behind_the_head_is_503_naming_both_revisions(pg_server):
    behind = pg_server()
    upgrade(Settings.build(database_url=behind, environment="test"), FIRST)
    app = create_app(Settings.build(database_url=behind, environment="test"))

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is True
    migrations = body["checks"]["migrations"]
    assert (migrations["ok"], migrations["current"], migrations["head"]) == (False, FIRST, head())
    assert FIRST in migrations["detail"] and "clover db upgrade" in migrations["detail"]


def test_a_database_never_migrated_is_503(pg_server):
    app = create_app(Settings.build(database_url=pg_server(), environment="test"))

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["checks"]["migrations"]["current"] is None


def test_an_unreachable_redis_is_503(database_url):
    app = create_app(
        Settings.build(
            database_url=database_url, redis_url="redis://127.0.0.1:1/0", environment="test"
        )
    )

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["redis"]["ok"] is False
    assert checks["redis"]["detail"].startswith("ConnectionError")
    assert checks["database"]["ok"] is True and checks["migrations"]["ok"] is True


def test_an_unreachable_database_is_503_and_its_revision_unread(redis_url):
    closed = "postgresql+psycopg://postgres@127.0.0.1:1/clover"
    app = create_app(Settings.build(database_url=closed, redis_url=redis_url, environment="test"))

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["database"]["ok"] is False
    assert checks["migrations"] == {
        "ok": False,
        "current": None,
        "head": head(),
        "detail": "database unreachable",
    }
    assert checks["redis"]["ok"] is True


def test_in_process_jobs_need_no_redis(database_url):
    app = create_app(Settings.build(database_url=database_url, environment="test"))

    checks = app.test_client().get("/readyz").get_json()["checks"]

    assert checks["redis"] == {"ok": True, "detail": "not configured (jobs run in-process)"}
