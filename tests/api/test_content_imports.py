"""CSV of planned posts through the API: upload → 202 and a job → a real RQ worker → items.

Also the plan's CSV export read back in: export, edit, import gives the same items.
"""

from __future__ import annotations

import csv
import io

import pytest
from redis import Redis
from rq import Queue

from api import create_app
from api.domain.access import system_tenant
from api.domain.content_items import import_rows
from api.domain.content_items.imports import ContentItemRows
from api.domain.imports.csv_file import Lines
from api.jobs import QUEUES
from api.resources.v1.plan.routes import EXPORT_COLUMNS
from tests.api import builders
from tests.api.test_imports import accepted, counts, errors_of, job_of, run_worker
from tests.factories import Factory
from tests.helpers import embedded_app, empty_rq

HEADER = (
    "title,channel,campaign,owner,due_date,scheduled_at,text,status,format,effort_hours,brief\n"
)
PLAN = "/plan?start=2027-01&months=12"


@pytest.fixture(scope="module")
def upload_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("content-uploads")


@pytest.fixture(scope="module")
def import_app(settings, upload_dir):
    """The test app (Redis: jobs go to RQ), storing uploads in a directory of its own."""
    return create_app(settings.model_copy(update={"upload_dir": str(upload_dir)}))


@pytest.fixture
def api(import_app):
    return import_app.test_client()


@pytest.fixture
def queues(redis_url):
    connection = Redis.from_url(redis_url)
    empty_rq(connection)
    yield {name: Queue(name, connection=connection) for name in QUEUES}
    empty_rq(connection)
    connection.close()


@pytest.fixture
def worker(database_url, redis_url):
    return lambda: run_worker(database_url, redis_url)


def upload(api, org, content: str | bytes, *, headers=None, on_error=None, filename="posts.csv"):
    data = content.encode() if isinstance(content, str) else content
    form = {"file": (io.BytesIO(data), filename)}
    if on_error is not None:
        form["on_error"] = on_error
    return api.post(
        org.url("/content-items/imports"),
        headers=headers or org.headers,
        data=form,
        content_type="multipart/form-data",
    )


def items_of(api, org) -> list[dict]:
    response = api.get(org.url("/content-items?limit=200"), headers=org.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def history_of(api, org, item_id) -> list[tuple]:
    response = api.get(org.url(f"/content-items/{item_id}/history"), headers=org.headers)
    return [(c["from_status"], c["to_status"]) for c in response.get_json()["items"]]


@pytest.fixture
def planned(api, factory):
    """An organisation with a spring campaign (UTM spring_push) on @acme, and Ann."""
    org = factory.organisation("Planning Ltd")
    campaign, channel = builders.running_campaign(api, org, utm_campaign="spring_push")
    owner = builders.resource(api, org, name="Ann Smith")
    return org, campaign, channel, owner


def test_a_file_of_posts_becomes_content_items(api, planned, queues, worker, upload_dir):
    org, campaign, channel, owner = planned
    content = HEADER + (
        "Launch post,@acme,spring_push,ann smith,2027-03-04,,We are live.,drafting,post,1.5,"
        "Warm\n"
        f"By ids,{channel['id']},{campaign['id']},{owner['id']},,2027-04-02T09:00:00+02:00,,"
        "in_review,article,,\n"
        "Just an idea,Company page,spring_push,,,,,,,,\n"
    )

    response = upload(api, org, content)
    job = accepted(response)
    assert response.headers["Location"] == org.url(f"/jobs/{job['id']}")
    assert (job["kind"], job["imports"], job["status"]) == ("import", "content_items", "queued")
    [queued] = queues["default"].get_jobs()
    assert queued.func_name == "workers.jobs.import_content_items"
    worker()

    job = job_of(api, org, job["id"])
    assert job["status"] == "succeeded", job
    assert job["counts"] == counts(rows=3, inserted=3)
    by_title = {item["title"]: item for item in items_of(api, org)}
    launch, by_ids, idea = by_title["Launch post"], by_title["By ids"], by_title["Just an idea"]
    assert (launch["channel_id"], launch["campaign_id"], launch["owner_id"]) == (
        channel["id"],
        campaign["id"],
        owner["id"],
    )
    assert (launch["status"], launch["due_date"], launch["text"], launch["brief"]) == (
        "drafting",
        "2027-03-04",
        "We are live.",
        "Warm",
    )
    assert launch["effort_hours"] == 1.5
    assert by_ids["status"] == "in_review" and by_ids["format"] == "article"
    assert by_ids["scheduled_at"].startswith("2027-04-02T07:00:00")
    assert (idea["status"], idea["owner_id"], idea["format"]) == ("idea", None, "post")
    assert history_of(api, org, by_ids["id"]) == [(None, "in_review")]  # as a create in review
    assert list(upload_dir.glob(f"{org.id}/*")) == []


BAD = HEADER + (
    "Fine,@acme,spring_push,,2027-03-04,,,,,,\n"  # 2: fine
    ",@acme,spring_push,,,,,,,,\n"  # 3: no title
    "Nobody,@nobody,spring_push,,,,,,,,\n"  # 4: no such channel
    "Twins,@twin,spring_push,,,,,,,,\n"  # 5: two channels
    "Approved,@acme,spring_push,,,,,approved,,,\n"  # 6: beyond in_review
    "Late,@acme,spring_push,,2027-09-01,,,,,,\n"  # 7: after the campaign
    "Odd,@acme,spring_push,,2027-02-30,tomorrow,,done,reel,-1,\n"  # 8: every cell wrong
    "Elsewhere,@other,spring_push,,,,,,,,\n"  # 9: not a channel of the campaign
    "Who,@acme,autumn_push,Bob,,,,,,,\n"  # 10: no such campaign, no such owner
    "Also fine,@acme,spring_push,,,,,,,,\n"  # 11: fine
)
BAD_ERRORS = [
    (3, "no value in column(s) 'title'"),
    (4, "channel: '@nobody' matches no channel"),
    (5, "channel: '@twin' matches 2 channels"),
    (
        6,
        "status: 'approved' cannot be imported: a file's items go up to in_review, and are "
        "approved in Clover",
    ),
    (7, "due_date: Must lie within the campaign's dates, 2027-03-01 to 2027-05-31."),
    (
        8,
        "due_date: '2027-02-30' is not a day (YYYY-MM-DD, 1970-01-01 to 2999-12-31); "
        "scheduled_at: 'tomorrow' is not a time with its offset (e.g. "
        "2027-03-01T09:00:00+01:00, 1970-01-01T00:00:00Z to 2999-12-31T23:59:59Z, in UTC "
        "after applying any offset); format: 'reel' is not one of post, article, video, "
        "image, newsletter, press_release, event, email; effort_hours: '-1' is not a number "
        "of hours from 0 to 10,000; status: 'done' is not one of idea, drafting, in_review",
    ),
    (9, "channel: Must be one of the campaign's channels."),
    (10, "campaign: 'autumn_push' matches no campaign; owner: 'Bob' matches no resource"),
]


def _bad_world(api, org):
    builders.channel(api, org, kind="x", name="Twin one", handle="@twin")
    builders.channel(api, org, kind="x", name="Twin two", handle="twin")
    builders.channel(api, org, kind="x", name="Other", handle="@other")


def test_a_file_with_bad_rows_creates_nothing_and_lists_every_bad_row(api, planned, queues, worker):
    org = planned[0]
    _bad_world(api, org)
    job_id = accepted(upload(api, org, BAD))["id"]

    worker()

    job = job_of(api, org, job_id)
    assert job["status"] == "failed"
    assert job["error"].startswith("8 rows are invalid; nothing was written")
    assert job["counts"] == counts(rows=10, rejected=8)
    assert errors_of(api, org, job_id) == BAD_ERRORS
    assert items_of(api, org) == []


def test_with_on_error_skip_the_valid_rows_are_created(api, planned, queues, worker):
    org = planned[0]
    _bad_world(api, org)
    job_id = accepted(upload(api, org, BAD, on_error="skip"))["id"]

    worker()

    job = job_of(api, org, job_id)
    assert job["status"] == "succeeded", job
    assert job["counts"] == counts(rows=10, inserted=2, rejected=8, skipped=8)
    assert errors_of(api, org, job_id) == BAD_ERRORS
    assert sorted(item["title"] for item in items_of(api, org)) == ["Also fine", "Fine"]


def test_a_channel_named_by_one_channels_handle_and_anothers_name_is_ambiguous(
    api, planned, queues, worker
):
    org = planned[0]
    builders.channel(api, org, kind="x", name="acme", handle="@someone")
    job_id = accepted(upload(api, org, HEADER + "Which,acme,spring_push,,,,,,,,\n"))["id"]

    worker()

    assert errors_of(api, org, job_id) == [(2, "channel: 'acme' matches 2 channels")]
    assert items_of(api, org) == []


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("title,channel,due_date\n", "campaign"),
        ("name,channel,campaign\n", "title"),
    ],
)
def test_a_header_without_a_required_column_is_422_and_queues_nothing(
    api, planned, queues, upload_dir, header, missing
):
    org = planned[0]

    response = upload(api, org, header + "x,@acme,spring_push\n")

    assert response.status_code == 422, response.get_json()
    assert f"No column '{missing}' in the header row." in response.get_json()["errors"]["file"]
    assert queues["default"].get_jobs() == []
    assert list(upload_dir.glob(f"{org.id}/*")) == []


def test_a_column_twice_and_an_empty_file_are_422(api, planned, queues):
    org = planned[0]
    twice = upload(api, org, "title,channel,campaign,title\n")
    assert twice.status_code == 422
    assert twice.get_json()["errors"]["file"] == [
        "The header row has more than one column 'title'."
    ]
    assert upload(api, org, "").status_code == 422
    assert queues["default"].get_jobs() == []


def test_another_organisations_channel_campaign_and_owner_match_nothing(
    api, factory, planned, queues, worker
):
    org = planned[0]
    other = factory.organisation("Other Ltd")
    their_campaign, their_channel = builders.running_campaign(
        api, other, utm_campaign="their_push", start_date="2027-03-01"
    )
    their_owner = builders.resource(api, other, name="Their Owner")
    builders.channel(api, other, kind="x", name="Theirs", handle="@theirs")
    content = HEADER + (
        f"By id,{their_channel['id']},spring_push,,,,,,,,\n"
        "By handle,@theirs,spring_push,,,,,,,,\n"
        f"Campaign by id,@acme,{their_campaign['id']},,,,,,,,\n"
        "Campaign by UTM,@acme,their_push,,,,,,,,\n"
        f"Owner by id,@acme,spring_push,{their_owner['id']},,,,,,,\n"
        "Owner by name,@acme,spring_push,Their Owner,,,,,,,\n"
    )
    job_id = accepted(upload(api, org, content))["id"]

    worker()

    assert errors_of(api, org, job_id) == [
        (2, f"channel: '{their_channel['id']}' matches no channel"),
        (3, "channel: '@theirs' matches no channel"),
        (4, f"campaign: '{their_campaign['id']}' matches no campaign"),
        (5, "campaign: 'their_push' matches no campaign"),
        (6, f"owner: '{their_owner['id']}' matches no resource"),
        (7, "owner: 'Their Owner' matches no resource"),
    ]
    assert items_of(api, org) == []
    their_items = api.get(other.url("/content-items"), headers=other.headers).get_json()
    assert their_items["items"] == []


def test_another_organisations_token_gets_404_for_the_job_and_its_errors(
    api, factory, planned, queues, worker
):
    org = planned[0]
    other = factory.organisation("Prying Ltd")
    job_id = accepted(upload(api, org, HEADER + ",@acme,spring_push,,,,,,,,\n"))["id"]
    worker()

    for path in (f"/jobs/{job_id}", f"/jobs/{job_id}/errors"):
        assert api.get(org.url(path), headers=other.headers).status_code == 404
        assert api.get(other.url(path), headers=other.headers).status_code == 404
    upload_elsewhere = upload(api, org, HEADER, headers=other.headers)
    assert upload_elsewhere.status_code == 404


def exported(api, org) -> str:
    response = api.get(org.url(PLAN), headers={**org.headers, "Accept": "text/csv"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def without_ids(text: str) -> list[dict]:
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and list(rows[0]) == EXPORT_COLUMNS
    return sorted(({k: v for k, v in row.items() if k != "id"} for row in rows), key=str)


def test_an_exported_plan_imported_again_gives_the_same_items(api, planned, queues, worker):
    org, campaign, channel, owner = planned
    builders.content_item(
        api,
        org,
        campaign["id"],
        channel["id"],
        title='=HYPERLINK("http://evil.example")',
        text="-5% this week, @everyone",
        brief="Keep it short",
        due_date="2027-03-04",
        owner_id=owner["id"],
        effort_hours=2,
        format="video",
    )
    second = builders.content_item(
        api, org, campaign["id"], channel["id"], scheduled_at="2027-04-02T09:30:00Z"
    )
    api.post(
        org.url(f"/content-items/{second['id']}/transition"),
        headers=org.headers,
        json={"to": "drafting"},
    )
    before = exported(api, org)
    assert "'=HYPERLINK" in before  # the export neutralises the formula
    for item in items_of(api, org):
        assert (
            api.delete(org.url(f"/content-items/{item['id']}"), headers=org.headers).status_code
            == 204
        )

    job_id = accepted(upload(api, org, before, filename="plan.csv"))["id"]
    worker()

    job = job_of(api, org, job_id)
    assert job["status"] == "succeeded", (job, errors_of(api, org, job_id))
    assert job["counts"]["inserted"] == 2
    assert without_ids(exported(api, org)) == without_ids(before)
    titles = {item["title"] for item in items_of(api, org)}
    assert '=HYPERLINK("http://evil.example")' in titles  # read back without the quote


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    directory = tmp_path_factory.mktemp("embedded-content-imports")
    with embedded_app(directory, upload_dir=str(directory / "uploads")) as app:
        yield app


def test_embedded_imports_of_posts_run_before_the_answer(embedded):
    """The embedded default (SQLite, jobs in-process) resolves and creates the same way."""
    api = embedded.test_client()
    org = Factory(embedded.extensions["clover"].database).organisation("Embedded Posts")
    campaign, channel = builders.running_campaign(api, org, utm_campaign="spring_push")
    builders.resource(api, org, name="Ann Smith")
    content = HEADER + (
        "One,@ACME,spring_push,ANN SMITH,2027-03-04,,,in_review,,,\n"
        f"Two,Company page,{campaign['id']},,,,,,,,\n"
    )

    job = accepted(upload(api, org, content))
    assert (job["status"], job["counts"]) == ("succeeded", counts(rows=2, inserted=2))
    assert {(i["title"], i["channel_id"]) for i in items_of(api, org)} == {
        ("One", channel["id"]),
        ("Two", channel["id"]),
    }

    failed = accepted(upload(api, org, content + "Three,@acme,spring_push,,,,,approved,,,\n"))
    assert failed["status"] == "failed"
    assert len(items_of(api, org)) == 2  # nothing of the failed file


def test_a_chunks_rows_are_checked_in_the_same_number_of_queries_however_many(
    api, factory, planned, count_queries
):
    """Names resolve with one query per kind for the whole chunk, never one per row."""
    org, campaign, channel, owner = planned
    other_campaign = builders.campaign(
        api, org, campaign["strategy_id"], channel_ids=[channel["id"]], utm_campaign="other"
    )
    header = import_rows.read_header(io.BytesIO(HEADER.encode()))

    def checked(lines: str) -> tuple[int, list]:
        rows = list(
            import_rows.rows(
                Lines(
                    io.BytesIO((HEADER + lines).encode()), offset=header.offset, line=header.line
                ),
                header,
            )
        )
        with factory.uow() as uow:
            uow.open_for(system_tenant(org.id))
            with count_queries() as counter:
                refused = ContentItemRows(actor_user_id=None, actor_api_key_id=None).check(
                    uow, rows
                )
        return counter.count, refused

    few, refused = checked("A,@acme,spring_push,Ann Smith,,,,,,,\n")
    assert refused == []
    many_rows = "".join(
        f"R{n},{'@acme' if n % 2 else channel['id']},"
        f"{'spring_push' if n % 3 else other_campaign['id']},"
        f"{'ann smith' if n % 2 else owner['id']},2027-03-{n % 28 + 1:02d},,,,,,\n"
        for n in range(60)
    )
    many, refused = checked(many_rows)
    assert refused == []
    assert many == few


def test_a_body_without_a_file_or_with_an_unknown_on_error_is_422(api, planned, queues):
    org = planned[0]
    url = org.url("/content-items/imports")
    no_file = api.post(
        url, headers=org.headers, data={"on_error": "fail"}, content_type="multipart/form-data"
    )
    as_text = api.post(
        url, headers=org.headers, data={"file": "title"}, content_type="multipart/form-data"
    )
    bad_choice = upload(api, org, HEADER, on_error="ignore")

    assert no_file.status_code == as_text.status_code == bad_choice.status_code == 422
    assert "file" in no_file.get_json()["errors"] and "file" in as_text.get_json()["errors"]
    assert "on_error" in bad_choice.get_json()["errors"]
    assert queues["default"].get_jobs() == []


def test_a_bad_plan_query_asking_for_csv_is_a_problem_document(api, planned):
    org = planned[0]
    response = api.get(org.url("/plan?months=0"), headers={**org.headers, "Accept": "text/csv"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_a_file_that_is_not_utf8_fails_its_job_with_nothing_created(api, planned, queues, worker):
    org = planned[0]
    content = (HEADER + "Caf\u00e9 launch,@acme,spring_push,,,,,,,,\n").encode("latin-1")
    job_id = accepted(upload(api, org, content))["id"]

    worker()

    job = job_of(api, org, job_id)
    assert job["status"] == "failed"
    assert job["error"].startswith("line 2 is not UTF-8 text")
    assert items_of(api, org) == []
