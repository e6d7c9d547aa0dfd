"""CSV imports through the API: upload → 202 and a job → a real RQ worker → points and errors."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job as RQJob
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from api import create_app
from api.domain.jobs.models import JobError
from api.domain.jobs.service import tracked_job_id
from api.domain.metrics import imports
from api.domain.metrics.import_csv import LINE_LIMIT
from api.domain.metrics.models import MetricPoint
from api.domain.webhooks.models import WebhookEvent
from api.jobs import QUEUES
from tests.api import builders
from tests.factories import Factory
from tests.helpers import embedded_app, empty_rq
from tests.workers.test_member_count_job import run_burst_worker
from workers import jobs

SALES = {"day": "Date", "value": "Sales", "metric_key": "pos_sales"}
GOOD = "Date,Sales\n2027-03-01,120.5\n2027-03-02,99\n2027-03-03,0\n"


@pytest.fixture(scope="module")
def upload_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("uploads")


@pytest.fixture(scope="module")
def import_app(settings, upload_dir):
    """The test app (Redis: jobs go to RQ), storing uploads in a directory of its own."""
    return create_app(settings.model_copy(update={"upload_dir": str(upload_dir)}))


@pytest.fixture
def api(import_app):
    return import_app.test_client()


@pytest.fixture
def queues(redis_url):
    """RQ's queues on the test Redis db, empty before and after."""
    connection = Redis.from_url(redis_url)
    empty_rq(connection)
    yield {name: Queue(name, connection=connection) for name in QUEUES}
    empty_rq(connection)
    connection.close()


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
    small = create_app(
        settings.model_copy(update={"upload_dir": str(upload_dir), "max_import_bytes": 4096})
    )
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


CHUNK = imports.CHUNK_ROWS


def days(count: int, *, then: str = "") -> str:
    """A CSV of ``count`` valid rows on as many days (``then``: lines after them)."""
    first = date(2021, 1, 1)
    lines = "".join(f"{first + timedelta(days=n)},{n + 1}\n" for n in range(count))
    return "Date,Sales\n" + lines + then


def retry_now(queues, job_id: str) -> None:
    """Time passes: RQ's retry of the job, scheduled for later, is due now."""
    registry = queues["default"].scheduled_job_registry
    run = RQJob.fetch(tracked_job_id(job_id), connection=registry.connection)
    assert run.id in registry.get_job_ids(), "no retry of the job is scheduled"
    registry.schedule(run, datetime.now(UTC))


def checkpoints(database_faults, job_id: str, **kwargs):
    """Commits of the job's checkpoint (one per chunk read): refused as ``kwargs`` say."""
    return database_faults.went_away(
        "jobs",
        on="UPDATE",
        when=f"NEW.id = '{job_id}' AND "
        "(NEW.params::jsonb -> 'checkpoint') IS DISTINCT FROM (OLD.params::jsonb -> 'checkpoint')",
        **kwargs,
    )


def point_writes(database_faults, org, **kwargs):
    """The organisation's metric point rows offered to the database: refused as ``kwargs`` say."""
    return database_faults.went_away(
        "metric_points", when=f"NEW.organisation_id = '{org.id}'", **kwargs
    )


def test_a_crash_while_checking_resumes_the_check_and_still_writes_nothing(
    api, factory, queues, database_url, redis_url, database_faults
):
    org = factory.organisation("Crashed While Checking Ltd")
    job_id = accepted(upload(api, org, days(2 * CHUNK, then="2027-03-08,x\n")))["id"]
    # The database goes away as the second chunk's checkpoint is committed, once.
    committed = checkpoints(database_faults, job_id, after=1, times=1)
    run_worker(database_url, redis_url)  # RQ keeps a retry for later
    stopped = job_of(api, org, job_id)
    assert (stopped["status"], stopped["attempts"]) == ("interrupted", 1)
    assert stopped["counts"] == counts(rows=CHUNK)
    assert 0 < stopped["progress"] < 0.5  # checking is the first half of the work

    retry_now(queues, job_id)
    run_worker(database_url, redis_url)

    assert committed.seen() == 4  # the first chunk, the second (lost), the second again, the rest
    job = job_of(api, org, job_id)
    assert job["counts"] == counts(rows=2 * CHUNK + 1, rejected=1)
    assert (job["status"], job["attempts"]) == ("failed", 2)
    assert job["error"].startswith("1 row is invalid; nothing was written; see ")
    assert errors_of(api, org, job_id) == [(2 * CHUNK + 2, "Sales: 'x' is not a number")]
    assert points_of(factory, org) == []


def test_a_crash_while_writing_resumes_the_writing_after_its_last_checkpoint(
    api, factory, queues, database_url, redis_url, database_faults
):
    org = factory.organisation("Crashed While Writing Ltd")
    job_id = accepted(upload(api, org, days(2 * CHUNK + 1)))["id"]
    # The database goes away at the first row of the second chunk written, once.
    written = point_writes(database_faults, org, after=CHUNK, times=1)
    run_worker(database_url, redis_url)
    stopped = job_of(api, org, job_id)
    assert (stopped["status"], stopped["attempts"]) == ("interrupted", 1)
    # Every row checked, one chunk written.
    assert stopped["counts"] == counts(rows=2 * CHUNK + 1, inserted=CHUNK)
    assert 0.5 < stopped["progress"] < 1

    retry_now(queues, job_id)
    run_worker(database_url, redis_url)

    # The first chunk, the lost row, then the second chunk again and the rest: no check again.
    assert written.seen() == CHUNK + 1 + CHUNK + 1
    job = job_of(api, org, job_id)
    assert job["counts"] == counts(rows=2 * CHUNK + 1, inserted=2 * CHUNK + 1)
    assert job["status"] == "succeeded"
    assert errors_of(api, org, job_id) == []
    assert len(points_of(factory, org)) == 2 * CHUNK + 1


def test_an_import_that_stops_for_good_while_writing_says_what_was_written(
    api, factory, queues, job_runtime, database_faults
):
    org = factory.organisation("Half Written Ltd")
    job_id = accepted(upload(api, org, days(2 * CHUNK + 1)))["id"]
    point_writes(database_faults, org, after=CHUNK)
    # Its last attempt, as the embedded default runs it: in this process, no retry left.
    with pytest.raises(OperationalError):
        jobs.import_metric_points(str(org.id), job_id)

    job = job_of(api, org, job_id)
    assert job["status"] == "failed"
    assert job["error"] == (
        "the import stopped unexpectedly (OperationalError); it was logged; rows up to line "
        f"{CHUNK + 1} at least were written: upload the file again to import the rest (its "
        "points replace these, never duplicate them)"
    )
    assert len(points_of(factory, org)) == CHUNK


def test_rows_that_turn_invalid_between_checking_and_writing_fail_the_job_saying_so(
    api, factory, queues, database_url, redis_url, database_faults
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
    point_writes(database_faults, org, times=1)  # every row checked, none written yet
    run_worker(database_url, redis_url)
    assert job_of(api, org, job_id)["status"] == "interrupted"
    deleted = api.delete(org.url("/metric-definitions/store_visits"), headers=org.headers)
    assert deleted.status_code == 204

    retry_now(queues, job_id)
    run_worker(database_url, redis_url)

    job = job_of(api, org, job_id)
    assert job["counts"] == counts(rows=2, inserted=1, rejected=1)
    assert job["status"] == "failed"
    assert job["error"] == (
        "1 row is no longer valid when written (a metric key, channel, campaign or content "
        "item named in the file was removed meanwhile); the other rows were written; see "
        f"{org.url(f'/jobs/{job_id}/errors')}"
    )
    assert errors_of(api, org, job_id) == [(3, "metric key 'store_visits' is not defined")]
    assert [key for key, _, _, _ in points_of(factory, org)] == ["pos_sales"]


def test_a_retried_import_resumes_after_its_last_checkpoint(
    api, factory, queues, database_url, redis_url, database_faults
):
    org = factory.organisation("Crashed Ltd")
    csv_text = days(2 * CHUNK + 1, then="2027-03-08,x\n")
    job_id = accepted(upload(api, org, csv_text, on_error="skip"))["id"]
    written = point_writes(database_faults, org, after=CHUNK, times=1)
    run_worker(database_url, redis_url)  # RQ keeps a retry for later: the job is interrupted
    stopped = job_of(api, org, job_id)
    assert (stopped["status"], stopped["attempts"]) == ("interrupted", 1)
    assert stopped["counts"] == counts(rows=CHUNK, inserted=CHUNK)
    assert 0 < stopped["progress"] < 1

    retry_now(queues, job_id)
    run_worker(database_url, redis_url)

    assert written.seen() == CHUNK + 1 + CHUNK + 1  # the second chunk again, then the rest
    resumed = job_of(api, org, job_id)
    assert resumed["counts"] == counts(
        rows=2 * CHUNK + 2, inserted=2 * CHUNK + 1, rejected=1, skipped=1
    )
    assert (resumed["status"], resumed["attempts"]) == ("succeeded", 2)
    assert resumed["started_at"] == stopped["started_at"]
    assert errors_of(api, org, job_id) == [(2 * CHUNK + 3, "Sales: 'x' is not a number")]
    assert len(points_of(factory, org)) == 2 * CHUNK + 1


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


def test_a_job_shows_the_request_id_of_the_upload_that_created_it(api, factory, queues):
    org = factory.organisation("Traced Uploads Ltd")
    traced = {**org.headers, "X-Request-ID": "trace-upload-21"}

    job = accepted(upload(api, org, GOOD, headers=traced))

    assert job["request_id"] == "trace-upload-21"
    assert job_of(api, org, job["id"])["request_id"] == "trace-upload-21"
    [listed] = api.get(org.url("/jobs"), headers=org.headers).get_json()["items"]
    assert listed["request_id"] == "trace-upload-21"  # not the id of the request reading it


def test_a_job_shows_the_request_id_clover_gave_an_upload_that_sent_none(api, factory, queues):
    org = factory.organisation("Untraced Uploads Ltd")

    response = upload(api, org, GOOD)

    job = accepted(response)
    assert job["request_id"] == response.headers["X-Request-ID"]
    assert job_of(api, org, job["id"])["request_id"] == response.headers["X-Request-ID"]


def test_importing_needs_metrics_write(api, factory, queues):
    org = factory.organisation("Read Only Ltd")
    analyst = {"Authorization": f"Bearer {factory.member(org, 'analyst')}"}

    assert upload(api, org, GOOD, headers=analyst).status_code == 403
    assert api.get(org.url("/jobs"), headers=analyst).status_code == 200


# The embedded default: no REDIS_URL, so the import runs in-process before the 202.


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    directory = tmp_path_factory.mktemp("embedded-imports")
    with embedded_app(directory, upload_dir=str(directory / "uploads")) as app:
        yield app


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
    api, factory, queues, job_runtime, database_faults, upload_dir
):
    org = factory.organisation("Gave Up Ltd")
    job_id = accepted(upload(api, org, GOOD))["id"]
    point_writes(database_faults, org)
    # Its last attempt, as the embedded default runs it: in this process, no retry left.
    with pytest.raises(OperationalError):
        jobs.import_metric_points(str(org.id), job_id)

    job = job_of(api, org, job_id)
    assert job["status"] == "failed"
    assert job["error"] == "the import stopped unexpectedly (OperationalError); it was logged"
    assert list(upload_dir.glob(f"{org.id}/*")) == []


def listed_rows(factory, job_id: str) -> list[int]:
    with factory.database.session() as session:
        return list(
            session.scalars(
                select(JobError.row).where(JobError.job_id == job_id).order_by(JobError.row)
            )
        )


def test_refused_rows_beyond_the_listing_cap_are_counted_not_listed(
    api, factory, queues, job_runtime
):
    org = factory.organisation("Very Messy Ltd")
    cap = imports.MAX_LISTED_ERRORS
    bad = "2027-03-01,x\n" * (cap + 3)
    job_id = accepted(upload(api, org, "Date,Sales\n" + bad))["id"]

    final = jobs.import_metric_points(str(org.id), job_id)

    assert final == counts(rows=cap + 3, rejected=cap + 3)
    assert listed_rows(factory, job_id) == list(range(2, cap + 2))
    assert "see " in (error := job_of(api, org, job_id)["error"])
    assert error.startswith(f"{cap + 3:,} rows are invalid; nothing was written; see ")
    assert f"errors (the first {cap:,}). Correct them" in error


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


# Channels named by handle and campaigns by UTM code instead of ids.

BY_NAME = {
    "day": "Date",
    "value": "Sales",
    "metric_key": "pos_sales",
    "channel_handle_column": "Channel",
    "campaign_utm_column": "Campaign",
}


def dimensions_of(factory, org) -> list[tuple]:
    with factory.database.session() as session:
        return [
            (p.day.isoformat(), str(p.channel_id), str(p.campaign_id))
            for p in session.scalars(
                select(MetricPoint)
                .where(MetricPoint.organisation_id == org.id)
                .order_by(MetricPoint.day)
            )
        ]


def test_rows_may_name_their_channel_by_handle_and_campaign_by_utm_code(
    api, factory, queues, database_url, redis_url, upload_dir
):
    org = factory.organisation("Named Rows Ltd")
    campaign, channel = builders.running_campaign(api, org, utm_campaign="spring_push")
    content = (
        "Date,Sales,Channel,Campaign\n"
        "2027-03-01,10,@acme,spring_push\n"
        "2027-03-02,11,ACME,spring_push\n"
    )
    job_id = accepted(upload(api, org, content, BY_NAME))["id"]

    run_worker(database_url, redis_url)

    assert job_of(api, org, job_id)["counts"] == counts(rows=2, inserted=2)
    assert dimensions_of(factory, org) == [
        ("2027-03-01", channel["id"], campaign["id"]),
        ("2027-03-02", channel["id"], campaign["id"]),
    ]


def test_a_name_that_matches_nothing_or_more_than_one_thing_is_a_row_error(
    api, factory, queues, database_url, redis_url, upload_dir
):
    org = factory.organisation("Ambiguous Names Ltd")
    builders.running_campaign(api, org, utm_campaign="spring_push")
    builders.channel(api, org, kind="x", name="Twin one", handle="@twin")
    builders.channel(api, org, kind="x", name="Twin two", handle="twin")
    content = (
        "Date,Sales,Channel,Campaign\n"
        "2027-03-01,10,@acme,spring_push\n"
        "2027-03-02,11,@nobody,spring_push\n"
        "2027-03-03,12,@twin,\n"
        "2027-03-04,13,,autumn_push\n"
    )
    job_id = accepted(upload(api, org, content, BY_NAME, on_error="skip"))["id"]

    run_worker(database_url, redis_url)

    assert job_of(api, org, job_id)["counts"] == counts(rows=4, inserted=1, rejected=3, skipped=3)
    assert errors_of(api, org, job_id) == [
        (3, "Channel: '@nobody' matches no channel"),
        (4, "Channel: '@twin' matches 2 channels"),
        (5, "Campaign: 'autumn_push' matches no campaign"),
    ]


def test_by_default_an_unmatched_name_writes_nothing(
    api, factory, queues, database_url, redis_url, upload_dir
):
    org = factory.organisation("Strict Names Ltd")
    builders.running_campaign(api, org, utm_campaign="spring_push")
    content = "Date,Sales,Channel,Campaign\n2027-03-01,10,@acme,spring_push\n2027-03-02,11,@x,\n"
    job_id = accepted(upload(api, org, content, BY_NAME))["id"]

    run_worker(database_url, redis_url)

    assert job_of(api, org, job_id)["status"] == "failed"
    assert errors_of(api, org, job_id) == [(3, "Channel: '@x' matches no channel")]
    assert point_count(factory, org) == 0


def test_another_organisations_handle_or_utm_code_matches_nothing(
    api, factory, queues, database_url, redis_url, upload_dir
):
    org, other = factory.organisation("Own Names"), factory.organisation("Other Names")
    builders.running_campaign(api, other, utm_campaign="their_push")
    content = "Date,Sales,Channel,Campaign\n2027-03-01,10,@acme,\n2027-03-02,11,,their_push\n"
    job_id = accepted(upload(api, org, content, BY_NAME, on_error="skip"))["id"]

    run_worker(database_url, redis_url)

    assert errors_of(api, org, job_id) == [
        (2, "Channel: '@acme' matches no channel"),
        (3, "Campaign: 'their_push' matches no campaign"),
    ]
    assert point_count(factory, org) == 0 and point_count(factory, other) == 0


def test_a_channel_named_both_by_id_and_by_handle_is_422(api, factory, queues):
    org = factory.organisation("Both Ways Ltd")
    channel = builders.channel(api, org)

    response = upload(
        api,
        org,
        GOOD,
        {**SALES, "channel_id": channel["id"], **{"channel_handle_column": "Channel"}},
    )

    assert response.status_code == 422
    assert "channel_handle_column" in response.get_json()["errors"]["mapping"]
    assert queues["default"].get_jobs() == []
