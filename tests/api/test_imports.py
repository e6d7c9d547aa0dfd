"""CSV imports through the API: upload → 202 and a job → a real RQ worker → points and errors."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import func, select

from api import create_app
from api.config import Settings
from api.db import database_for
from api.domain.metrics import imports
from api.domain.metrics.import_csv import LINE_LIMIT
from api.domain.metrics.models import MetricPoint
from api.domain.webhooks.models import WebhookEvent
from api.jobs import QUEUES
from api.migrate import upgrade
from tests.api import builders
from tests.factories import Factory
from tests.workers.test_member_count_job import run_burst_worker
from workers import jobs, runtime

SALES = {"day": "Date", "value": "Sales", "metric_key": "pos_sales"}
GOOD = "Date,Sales\n2027-03-01,120.5\n2027-03-02,99\n2027-03-03,0\n"


@pytest.fixture(scope="module")
def upload_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("uploads")


@pytest.fixture(scope="module")
def import_app(settings, upload_dir):
    """The test app (Redis: jobs go to RQ), storing uploads in a directory of its own."""
    return create_app(replace(settings, upload_dir=str(upload_dir)))


@pytest.fixture
def api(import_app):
    return import_app.test_client()


@pytest.fixture
def queues(redis_url):
    """RQ's queues on the test Redis db, empty before and after."""
    connection = Redis.from_url(redis_url)

    def empty() -> None:
        for name in QUEUES:
            queue = Queue(name, connection=connection)
            queue.empty()
            for job_id in queue.scheduled_job_registry.get_job_ids():
                queue.scheduled_job_registry.remove(job_id, delete_job=True)

    empty()
    yield {name: Queue(name, connection=connection) for name in QUEUES}
    empty()
    connection.close()


@pytest.fixture
def job_runtime(settings):
    """Jobs called in this process use the test database."""
    previous = runtime._settings
    runtime.configure(settings)
    yield
    runtime.configure(previous)


def upload(
    api,
    org,
    content: str | bytes,
    mapping=SALES,
    *,
    filename="sales.csv",
    headers=None,
    on_error: str | None = None,
):
    data = content.encode() if isinstance(content, str) else content
    form = {"file": (io.BytesIO(data), filename), "mapping": json.dumps(mapping)}
    if on_error is not None:
        form["on_error"] = on_error
    return api.post(
        org.url("/imports"),
        headers=headers or org.headers,
        data=form,
        content_type="multipart/form-data",
    )


def accepted(response) -> dict:
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()


def run_worker(database_url, redis_url) -> None:
    result = run_burst_worker(database_url, redis_url)
    assert result.returncode == 0, result.stderr


def job_of(api, org, job_id) -> dict:
    response = api.get(org.url(f"/jobs/{job_id}"), headers=org.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def errors_of(api, org, job_id) -> list[tuple[int, str]]:
    response = api.get(org.url(f"/jobs/{job_id}/errors?limit=200"), headers=org.headers)
    assert response.status_code == 200, response.get_json()
    return [(e["row"], e["message"]) for e in response.get_json()["items"]]


def counts(rows=0, inserted=0, updated=0, rejected=0, skipped=0) -> dict:
    return {
        "rows": rows,
        "inserted": inserted,
        "updated": updated,
        "rejected": rejected,
        "skipped": skipped,
    }


def import_events(factory, org) -> list[tuple[str, dict]]:
    """The import webhook events recorded (the outbox) for this organisation."""
    with factory.database.session() as session:
        return [
            (event.type, event.payload)
            for event in session.scalars(
                select(WebhookEvent)
                .where(WebhookEvent.organisation_id == org.id)
                .where(WebhookEvent.type.startswith("import."))
            )
        ]


def point_count(factory, org) -> int:
    with factory.database.session() as session:
        return session.scalar(
            select(func.count())
            .select_from(MetricPoint)
            .where(MetricPoint.organisation_id == org.id)
        )


def points_of(factory, org) -> list[tuple]:
    with factory.database.session() as session:
        return [
            (p.metric_key, p.day.isoformat(), p.value, p.source)
            for p in session.scalars(
                select(MetricPoint)
                .where(MetricPoint.organisation_id == org.id)
                .order_by(MetricPoint.day, MetricPoint.metric_key)
            )
        ]


def test_an_upload_is_accepted_as_a_queued_job_with_its_location(api, factory, queues):
    org = factory.organisation("Uploading Ltd")

    response = upload(api, org, GOOD)

    job = accepted(response)
    assert response.headers["Location"] == org.url(f"/jobs/{job['id']}")
    assert (job["kind"], job["status"], job["filename"]) == ("import", "queued", "sales.csv")
    [queued] = queues["default"].get_jobs()
    assert queued.func_name == "workers.jobs.import_metric_points"
    assert queued.args == (str(org.id), job["id"])


def test_a_worker_process_imports_the_rows_and_reports_counts(
    api, factory, queues, database_url, redis_url, upload_dir
):
    org = factory.organisation("Imported Ltd")
    job_id = accepted(upload(api, org, GOOD))["id"]

    run_worker(database_url, redis_url)

    job = job_of(api, org, job_id)
    assert job["status"] == "succeeded", job
    assert job["on_error"] == "fail"
    assert job["counts"] == counts(rows=3, inserted=3)
    assert job["progress"] == 1.0
    assert job["started_at"] and job["finished_at"] and job["error"] is None
    assert points_of(factory, org) == [
        ("pos_sales", "2027-03-01", 120.5, "import"),
        ("pos_sales", "2027-03-02", 99.0, "import"),
        ("pos_sales", "2027-03-03", 0.0, "import"),
    ]
    assert list(upload_dir.glob(f"{org.id}/*")) == []  # the stored file is gone


MESSY = (
    "Date,Sales,Metric\n"
    "2027-03-01,10,pos_sales\n"  # 2: fine
    "2027-03-02,ten,pos_sales\n"  # 3: not a number
    "2027-02-30,5,pos_sales\n"  # 4: not a day
    "2027-03-04,,pos_sales\n"  # 5: empty cell
    "2027-03-05\n"  # 6: missing cells
    f"2027-03-06,{'1' * (LINE_LIMIT + 1)},pos_sales\n"  # 7: a huge line
    "2027-03-07,7,no_such_metric\n"  # 8: refused by ingestion
    "2027-03-08,8,pos_sales\n"  # 9: fine
)
MESSY_MAPPING = {"day": "Date", "value": "Sales", "metric_key_column": "Metric"}
MESSY_ERRORS = [
    (3, "Sales: 'ten' is not a number"),
    (4, "Date: '2027-02-30' is not a day in the format %Y-%m-%d"),
    (5, "no value in column(s) 'Sales'"),
    (6, "no value in column(s) 'Sales', 'Metric'"),
    (7, f"the line is longer than {LINE_LIMIT} characters"),
    (8, "metric key 'no_such_metric' is not defined"),
]


def test_by_default_a_file_with_invalid_rows_writes_nothing_and_lists_each_by_csv_line(
    api, factory, queues, database_url, redis_url, upload_dir
):
    org = factory.organisation("Messy Data Ltd")
    job_id = accepted(upload(api, org, MESSY, MESSY_MAPPING))["id"]

    run_worker(database_url, redis_url)

    job = job_of(api, org, job_id)
    assert job["status"] == "failed", job
    assert job["error"] == (
        f"6 rows are invalid; nothing was written; see {org.url(f'/jobs/{job_id}/errors')}. "
        "Correct them and upload the file again, or upload it with on_error=skip to write "
        "only the valid rows."
    )
    assert job["counts"] == counts(rows=8, rejected=6)
    assert errors_of(api, org, job_id) == MESSY_ERRORS
    assert points_of(factory, org) == []
    assert import_events(factory, org) == [
        (
            "import.failed",
            {
                "job_id": job_id,
                "filename": "sales.csv",
                "counts": counts(rows=8, rejected=6),
                "error": job["error"],
            },
        )
    ]
    assert list(upload_dir.glob(f"{org.id}/*")) == []


def test_with_on_error_skip_the_valid_rows_are_written_and_the_others_listed_as_skipped(
    api, factory, queues, database_url, redis_url
):
    org = factory.organisation("Messy But Willing Ltd")
    job_id = accepted(upload(api, org, MESSY, MESSY_MAPPING, on_error="skip"))["id"]

    run_worker(database_url, redis_url)

    job = job_of(api, org, job_id)
    assert (job["status"], job["error"], job["on_error"]) == ("succeeded", None, "skip")
    assert job["counts"] == counts(rows=8, inserted=2, rejected=6, skipped=6)
    assert errors_of(api, org, job_id) == MESSY_ERRORS
    assert [day for _, day, _, _ in points_of(factory, org)] == ["2027-03-01", "2027-03-08"]
    assert import_events(factory, org) == [
        (
            "import.completed",
            {"job_id": job_id, "filename": "sales.csv", "counts": job["counts"], "error": None},
        )
    ]


def large_file(rows: int) -> tuple[bytes, tuple[int, ...]]:
    """``rows`` rows (many chunks and checkpoints), three invalid near the end: the file
    and the CSV lines of its invalid rows (the very last one among them)."""
    bad_lines = (rows - 8, rows - 2, rows + 1)
    first = date(2000, 1, 1)
    lines = ["Date,Sales"]
    for line in range(2, rows + 2):
        day = (first + timedelta(days=line)).isoformat()
        lines.append(f"{day},{'n/a' if line in bad_lines else line}")
    return ("\n".join(lines) + "\n").encode(), bad_lines


def test_a_large_file_with_invalid_rows_near_its_end_writes_nothing_by_default(
    api, factory, queues, database_url, redis_url
):
    org = factory.organisation("Large Strict Ltd")
    content, bad_lines = large_file(200_000)
    job_id = accepted(upload(api, org, content))["id"]

    run_worker(database_url, redis_url)

    job = job_of(api, org, job_id)
    assert job["status"] == "failed"
    assert job["error"].startswith("3 rows are invalid; nothing was written; see ")
    assert job["counts"] == counts(rows=200_000, rejected=3)
    assert errors_of(api, org, job_id) == [
        (line, "Sales: 'n/a' is not a number") for line in bad_lines
    ]
    assert point_count(factory, org) == 0


def test_a_large_file_with_on_error_skip_writes_every_valid_row(
    api, factory, queues, database_url, redis_url
):
    # Smaller than the one above: writing points costs far more than checking rows.
    org = factory.organisation("Large Lenient Ltd")
    content, bad_lines = large_file(50_000)
    job_id = accepted(upload(api, org, content, on_error="skip"))["id"]

    run_worker(database_url, redis_url)

    job = job_of(api, org, job_id)
    assert job["status"] == "succeeded", job
    assert job["counts"] == counts(rows=50_000, inserted=49_997, rejected=3, skipped=3)
    assert [line for line, _ in errors_of(api, org, job_id)] == list(bad_lines)
    assert point_count(factory, org) == 49_997


def test_running_a_failed_import_again_writes_nothing_and_lists_the_same_rows(
    api, factory, queues, job_runtime
):
    org = factory.organisation("Rerun Strict Ltd")
    job_id = accepted(upload(api, org, MESSY, MESSY_MAPPING))["id"]
    jobs.import_metric_points(str(org.id), job_id)
    failed = job_of(api, org, job_id)

    again = jobs.import_metric_points(str(org.id), job_id)

    assert again == failed["counts"] == counts(rows=8, rejected=6)
    assert job_of(api, org, job_id) == failed
    assert errors_of(api, org, job_id) == MESSY_ERRORS
    assert points_of(factory, org) == []


@pytest.mark.parametrize("on_error", ["abort", "", "FAIL", "skip,fail"])
def test_an_unknown_on_error_is_422_and_queues_nothing(api, factory, queues, upload_dir, on_error):
    org = factory.organisation("Undecided Ltd")

    response = upload(api, org, GOOD, on_error=on_error)

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert list(response.get_json()["errors"]) == ["on_error"]
    assert queues["default"].get_jobs() == []
    assert list(upload_dir.glob(f"{org.id}/*")) == []


def test_a_file_that_is_not_utf8_fails_its_job_and_writes_nothing(
    api, factory, queues, database_url, redis_url, upload_dir
):
    org = factory.organisation("Latin One Ltd")
    rows = "".join(f"2027-03-{day:02d},{day}\n" for day in range(1, 29))
    latin1 = ("Date,Sales,Shop\n" + rows + "2027-03-29,5,Café\n").encode("latin-1")
    job_id = accepted(upload(api, org, latin1))["id"]

    run_worker(database_url, redis_url)

    job = job_of(api, org, job_id)
    assert job["status"] == "failed"
    assert job["error"].startswith("line 30 is not UTF-8 text (byte 0xe9)")
    assert "Nothing was imported" in job["error"]
    assert job["counts"]["inserted"] == 0
    assert points_of(factory, org) == []
    assert list(upload_dir.glob(f"{org.id}/*")) == []


def test_a_header_that_is_not_utf8_is_refused_at_once(api, factory, queues):
    org = factory.organisation("Umlaut GmbH")
    mapping = {"day": "Datum", "value": "Umsätze", "metric_key": "pos_sales"}

    response = upload(api, org, "Datum,Umsätze\n2027-03-01,1\n".encode("latin-1"), mapping)

    assert response.status_code == 422
    assert "UTF-8" in response.get_json()["detail"]
    assert queues["default"].get_jobs() == []


def test_a_missing_mapped_column_is_422_naming_it_and_queues_nothing(
    api, factory, queues, upload_dir
):
    org = factory.organisation("Wrong Columns Ltd")
    mapping = {"day": "Date", "value": "Revenue", "metric_key": "pos_sales"}

    response = upload(api, org, GOOD, mapping)

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert "'Revenue'" in problem["detail"]
    assert problem["errors"] == {"mapping": {"value": ["No column 'Revenue' in the header row."]}}
    assert queues["default"].get_jobs() == []
    listed = api.get(org.url("/jobs"), headers=org.headers).get_json()
    assert listed["items"] == []
    assert list(upload_dir.glob(f"{org.id}/*")) == []


@pytest.mark.parametrize(
    ("mapping", "field"),
    [
        ({"day": "Date", "value": "Sales"}, "metric_key"),
        (
            {"day": "Date", "value": "Sales", "metric_key": "a", "metric_key_column": "M"},
            "metric_key",
        ),
        ({"value": "Sales", "metric_key": "pos_sales"}, "day"),
        ({**SALES, "day_format": "%d/%m"}, "day_format"),
        ({**SALES, "delimiter": ";;"}, "delimiter"),
        ({**SALES, "sheet": "1"}, "sheet"),
    ],
)
def test_an_invalid_mapping_is_422_by_field(api, factory, queues, mapping, field):
    org = factory.organisation("Bad Mapping Ltd")

    response = upload(api, org, GOOD, mapping)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]["mapping"]
    assert queues["default"].get_jobs() == []


def test_a_mapping_that_is_not_json_is_422(api, factory, queues):
    org = factory.organisation("Not Json Ltd")

    response = api.post(
        org.url("/imports"),
        headers=org.headers,
        data={"file": (io.BytesIO(GOOD.encode()), "s.csv"), "mapping": "{day: Date"},
        content_type="multipart/form-data",
    )

    assert response.status_code == 422
    assert response.get_json()["errors"] == {"mapping": ["Not valid JSON."]}


def test_an_unknown_constant_metric_key_is_422(api, factory, queues):
    org = factory.organisation("Unknown Key Ltd")

    response = upload(api, org, GOOD, {**SALES, "metric_key": "made_up"})

    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "mapping": {"metric_key": ["Unknown metric key 'made_up'."]}
    }


def test_another_organisations_channel_as_a_constant_is_404(api, factory, queues):
    org, other = factory.organisation("Own"), factory.organisation("Other")
    channel = builders.channel(api, other)

    response = upload(api, org, GOOD, {**SALES, "channel_id": channel["id"]})

    assert response.status_code == 404
    assert queues["default"].get_jobs() == []


def test_an_upload_over_the_json_limit_is_accepted(api, factory, queues, settings):
    org = factory.organisation("Big File Ltd")
    line = "2027-03-01,12345.678\n"
    big = "Date,Sales\n" + line * (2 * settings.max_body_bytes // len(line))

    assert len(big) > settings.max_body_bytes
    accepted(upload(api, org, big))


def test_an_upload_over_the_import_limit_is_413(settings, upload_dir, factory, queues):
    small = create_app(replace(settings, upload_dir=str(upload_dir), max_import_bytes=4096))
    org = factory.organisation("Too Big Ltd")

    response = upload(small.test_client(), org, GOOD + "2027-03-04,1\n" * 1000)

    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert queues["default"].get_jobs() == []


def test_json_bodies_keep_the_smaller_limit(api, factory):
    org = factory.organisation("Still Limited Ltd")

    response = api.post(org.url("/strategies"), headers=org.headers, json={"name": "x" * 2_000_000})

    assert response.status_code == 413


def test_importing_the_same_file_twice_leaves_the_same_points(
    api, factory, queues, database_url, redis_url
):
    org = factory.organisation("Twice Imported Ltd")
    first = accepted(upload(api, org, GOOD))["id"]
    run_worker(database_url, redis_url)
    before = points_of(factory, org)

    second = accepted(upload(api, org, GOOD))["id"]
    run_worker(database_url, redis_url)

    assert job_of(api, org, first)["counts"]["inserted"] == 3
    assert job_of(api, org, second)["counts"] == counts(rows=3, updated=3)
    assert points_of(factory, org) == before


def test_running_a_finished_import_again_changes_nothing(
    api, factory, queues, database_url, redis_url, job_runtime
):
    org = factory.organisation("Rerun Ltd")
    job_id = accepted(upload(api, org, GOOD))["id"]
    run_worker(database_url, redis_url)
    finished = job_of(api, org, job_id)

    again = jobs.import_metric_points(str(org.id), job_id)

    assert again == finished["counts"]
    assert job_of(api, org, job_id) == finished
    assert len(points_of(factory, org)) == 3


SEVEN_DAYS = "Date,Sales\n" + "".join(f"2027-03-{day:02d},{day}\n" for day in range(1, 8))


def crash_on_call(monkeypatch, name: str, call: int) -> list[int]:
    """``imports.<name>`` raises on its ``call``-th call, as if the database went away.

    Returns the sizes of the batches it was called with. Jobs then behave as under RQ
    with retries left: the error is raised for the retry and the job left running.
    """
    real, calls = getattr(imports, name), []

    def crashing(*args, **kwargs):
        points = kwargs["points"] if "points" in kwargs else args[2]
        calls.append(len(points))
        if len(calls) == call:
            raise ConnectionError("database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, name, crashing)
    monkeypatch.setattr(jobs, "get_current_job", lambda: SimpleNamespace(retries_left=2))
    return calls


def test_a_crash_while_checking_resumes_the_check_and_still_writes_nothing(
    api, factory, queues, job_runtime, monkeypatch
):
    org = factory.organisation("Crashed While Checking Ltd")
    job_id = accepted(upload(api, org, SEVEN_DAYS + "2027-03-08,x\n"))["id"]
    monkeypatch.setattr(imports, "CHUNK_ROWS", 3)
    calls = crash_on_call(monkeypatch, "invalid_points", 2)
    with pytest.raises(ConnectionError):
        jobs.import_metric_points(str(org.id), job_id)
    stopped = job_of(api, org, job_id)
    assert (stopped["status"], stopped["attempts"]) == ("interrupted", 1)
    assert stopped["counts"] == counts(rows=3)
    assert 0 < stopped["progress"] < 0.5  # checking is the first half of the work

    final = jobs.import_metric_points(str(org.id), job_id)

    assert calls == [3, 3, 3, 1]  # the second chunk again, then the rest
    assert final == counts(rows=8, rejected=1)
    job = job_of(api, org, job_id)
    assert job["status"] == "failed"
    assert job["error"].startswith("1 row is invalid; nothing was written; see ")
    assert errors_of(api, org, job_id) == [(9, "Sales: 'x' is not a number")]
    assert points_of(factory, org) == []


def test_a_crash_while_writing_resumes_the_writing_after_its_last_checkpoint(
    api, factory, queues, job_runtime, monkeypatch
):
    org = factory.organisation("Crashed While Writing Ltd")
    job_id = accepted(upload(api, org, SEVEN_DAYS + "2027-03-08,8\n"))["id"]
    monkeypatch.setattr(imports, "CHUNK_ROWS", 3)
    calls = crash_on_call(monkeypatch, "ingest_points", 2)
    with pytest.raises(ConnectionError):
        jobs.import_metric_points(str(org.id), job_id)
    stopped = job_of(api, org, job_id)
    assert (stopped["status"], stopped["attempts"]) == ("interrupted", 1)
    assert stopped["counts"] == counts(rows=8, inserted=3)  # every row checked, 3 written
    assert 0.5 < stopped["progress"] < 1

    final = jobs.import_metric_points(str(org.id), job_id)

    assert calls == [3, 3, 3, 2]  # the second chunk again, then the rest: no check again
    assert final == counts(rows=8, inserted=8)
    assert job_of(api, org, job_id)["status"] == "succeeded"
    assert errors_of(api, org, job_id) == []
    assert len(points_of(factory, org)) == 8


def test_an_import_that_stops_for_good_while_writing_says_what_was_written(
    api, factory, queues, job_runtime, monkeypatch
):
    org = factory.organisation("Half Written Ltd")
    job_id = accepted(upload(api, org, SEVEN_DAYS))["id"]
    monkeypatch.setattr(imports, "CHUNK_ROWS", 3)
    crash_on_call(monkeypatch, "ingest_points", 2)
    monkeypatch.setattr(jobs, "get_current_job", lambda: SimpleNamespace(retries_left=0))
    with pytest.raises(ConnectionError):
        jobs.import_metric_points(str(org.id), job_id)

    job = job_of(api, org, job_id)
    assert job["status"] == "failed"
    assert job["error"] == (
        "the import stopped unexpectedly (ConnectionError); it was logged; rows up to line 4 "
        "at least were written: upload the file again to import the rest (its points replace "
        "these, never duplicate them)"
    )
    assert len(points_of(factory, org)) == 3


def test_rows_that_turn_invalid_between_checking_and_writing_fail_the_job_saying_so(
    api, factory, queues, job_runtime, monkeypatch
):
    org = factory.organisation("Moving Target Ltd")
    defined = api.post(
        org.url("/metric-definitions"),
        headers=org.headers,
        json={"key": "store_visits", "name": "Store visits"},
    )
    assert defined.status_code == 201, defined.get_json()
    mapping = {"day": "Date", "value": "Value", "metric_key_column": "Metric"}
    csv_text = "Date,Value,Metric\n2027-03-01,1,pos_sales\n2027-03-01,2,store_visits\n"
    job_id = accepted(upload(api, org, csv_text, mapping))["id"]
    crash_on_call(monkeypatch, "ingest_points", 1)  # every row checked, none written yet
    with pytest.raises(ConnectionError):
        jobs.import_metric_points(str(org.id), job_id)
    deleted = api.delete(org.url("/metric-definitions/store_visits"), headers=org.headers)
    assert deleted.status_code == 204

    final = jobs.import_metric_points(str(org.id), job_id)

    assert final == counts(rows=2, inserted=1, rejected=1)
    job = job_of(api, org, job_id)
    assert job["status"] == "failed"
    assert job["error"] == (
        "1 row is no longer valid when written (a metric key, channel, campaign or content "
        "item named in the file was removed meanwhile); the other rows were written; see "
        f"{org.url(f'/jobs/{job_id}/errors')}"
    )
    assert errors_of(api, org, job_id) == [(3, "metric key 'store_visits' is not defined")]
    assert [key for key, _, _, _ in points_of(factory, org)] == ["pos_sales"]


def test_a_retried_import_resumes_after_its_last_checkpoint(
    api, factory, queues, job_runtime, monkeypatch
):
    org = factory.organisation("Crashed Ltd")
    job_id = accepted(upload(api, org, SEVEN_DAYS + "2027-03-08,x\n", on_error="skip"))["id"]
    monkeypatch.setattr(imports, "CHUNK_ROWS", 3)
    real_ingest, calls = imports.ingest_points, []

    def crash_on_the_second_chunk(*args, **kwargs):
        calls.append(len(args[2]))
        if len(calls) == 2:
            raise ConnectionError("database went away")
        return real_ingest(*args, **kwargs)

    monkeypatch.setattr(imports, "ingest_points", crash_on_the_second_chunk)
    # As under RQ with retries left: the error is raised for the retry, the job interrupted.
    monkeypatch.setattr(jobs, "get_current_job", lambda: SimpleNamespace(retries_left=2))
    with pytest.raises(ConnectionError):
        jobs.import_metric_points(str(org.id), job_id)
    stopped = job_of(api, org, job_id)
    assert (stopped["status"], stopped["attempts"]) == ("interrupted", 1)
    assert stopped["counts"] == counts(rows=3, inserted=3)
    assert 0 < stopped["progress"] < 1

    final = jobs.import_metric_points(str(org.id), job_id)

    assert calls == [3, 3, 3, 1]  # the second chunk again, then the rest
    assert final == counts(rows=8, inserted=7, rejected=1, skipped=1)
    resumed = job_of(api, org, job_id)
    assert (resumed["status"], resumed["attempts"]) == ("succeeded", 2)
    assert resumed["started_at"] == stopped["started_at"]
    assert errors_of(api, org, job_id) == [(9, "Sales: 'x' is not a number")]
    assert len(points_of(factory, org)) == 7


def test_jobs_are_listed_newest_first_and_filtered_by_kind(api, factory, queues):
    org = factory.organisation("Listed Jobs Ltd")
    first = accepted(upload(api, org, GOOD))["id"]
    second = accepted(upload(api, org, GOOD))["id"]

    everything = api.get(org.url("/jobs"), headers=org.headers).get_json()
    imports_only = api.get(org.url("/jobs?kind=import"), headers=org.headers).get_json()
    rollups = api.get(org.url("/jobs?kind=rollup"), headers=org.headers).get_json()

    assert [j["id"] for j in everything["items"]] == [second, first]
    assert [j["id"] for j in imports_only["items"]] == [second, first]
    assert rollups["items"] == []


def test_another_organisations_job_and_its_errors_are_404(api, factory, queues):
    org, other = factory.organisation("Owner Ltd"), factory.organisation("Snooper Ltd")
    job_id = accepted(upload(api, org, GOOD))["id"]

    for path in (f"/jobs/{job_id}", f"/jobs/{job_id}/errors"):
        assert api.get(other.url(path), headers=other.headers).status_code == 404
        assert api.get(org.url(path), headers=other.headers).status_code == 404


def test_importing_needs_metrics_write(api, factory, queues):
    org = factory.organisation("Read Only Ltd")
    analyst = {"Authorization": f"Bearer {factory.member(org, 'analyst')}"}

    assert upload(api, org, GOOD, headers=analyst).status_code == 403
    assert api.get(org.url("/jobs"), headers=analyst).status_code == 200


# The embedded default: no REDIS_URL, so the import runs in-process before the 202.


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    directory = tmp_path_factory.mktemp("embedded-imports")
    settings = Settings.build(
        database_url=f"sqlite:///{directory / 'clover.db'}",
        environment="test",
        upload_dir=str(directory / "uploads"),
    )
    upgrade(settings)
    try:
        yield create_app(settings)
    finally:
        database_for(settings).dispose()


def test_embedded_imports_run_before_the_answer(embedded):
    api = embedded.test_client()
    users = Factory(embedded.extensions["clover"].database)
    org = users.organisation("Embedded Imports")

    job = accepted(upload(api, org, GOOD + "2027-03-04,oops\n", on_error="skip"))

    assert job["status"] == "succeeded"
    assert job["counts"] == counts(rows=4, inserted=3, rejected=1, skipped=1)
    assert errors_of(api, org, job["id"]) == [(5, "Sales: 'oops' is not a number")]
    assert len(points_of(users, org)) == 3


def test_embedded_imports_with_an_invalid_row_write_nothing_by_default(embedded):
    api = embedded.test_client()
    users = Factory(embedded.extensions["clover"].database)
    org = users.organisation("Embedded Strict Imports")

    job = accepted(upload(api, org, GOOD + "2027-03-04,oops\n"))

    assert job["status"] == "failed"
    assert job["error"].startswith("1 row is invalid; nothing was written")
    assert job["counts"] == counts(rows=4, rejected=1)
    assert errors_of(api, org, job["id"]) == [(5, "Sales: 'oops' is not a number")]
    assert points_of(users, org) == []


def test_an_import_that_stops_on_its_last_attempt_is_marked_failed(
    api, factory, queues, job_runtime, monkeypatch, upload_dir
):
    org = factory.organisation("Gave Up Ltd")
    job_id = accepted(upload(api, org, GOOD))["id"]

    def broken(*_args, **_kwargs):
        raise ConnectionError("database went away")

    monkeypatch.setattr(imports, "ingest_points", broken)
    monkeypatch.setattr(jobs, "get_current_job", lambda: SimpleNamespace(retries_left=0))
    with pytest.raises(ConnectionError):
        jobs.import_metric_points(str(org.id), job_id)

    job = job_of(api, org, job_id)
    assert job["status"] == "failed"
    assert job["error"] == "the import stopped unexpectedly (ConnectionError); it was logged"
    assert list(upload_dir.glob(f"{org.id}/*")) == []


def test_refused_rows_beyond_the_listing_cap_are_counted_not_listed(
    api, factory, queues, job_runtime, monkeypatch
):
    org = factory.organisation("Very Messy Ltd")
    monkeypatch.setattr(imports, "MAX_LISTED_ERRORS", 2)
    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)
    bad = "".join(f"2027-03-{day:02d},x\n" for day in range(1, 6))
    job_id = accepted(upload(api, org, "Date,Sales\n" + bad))["id"]

    final = jobs.import_metric_points(str(org.id), job_id)

    assert final == counts(rows=5, rejected=5)
    assert [row for row, _ in errors_of(api, org, job_id)] == [2, 3]
    assert "see " in (error := job_of(api, org, job_id)["error"])
    assert error.startswith("5 rows are invalid; nothing was written; see ")
    assert "errors (the first 2). Correct them" in error


def test_the_mapping_may_come_as_a_json_file_part(api, factory, queues):
    org = factory.organisation("Curl User Ltd")

    response = api.post(
        org.url("/imports"),
        headers=org.headers,
        data={
            "file": (io.BytesIO(GOOD.encode()), "s.csv"),
            "mapping": (io.BytesIO(json.dumps(SALES).encode()), "m.json", "application/json"),
        },
        content_type="multipart/form-data",
    )

    accepted(response)
