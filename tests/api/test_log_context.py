"""Every log line of a request names the request, its organisation and its caller,
whichever code writes it (the domain, a job run in-process), not only the access line."""

import json
import logging

import pytest

from api import create_app
from api.config import Settings
from api.logs import JsonFormatter
from tests.api import builders

HUGE = 1.7e308  # stored before the bounds existed: a rollup skips its KPI with a warning


class Lines(logging.Handler):
    """The JSON lines the app's loggers write, as production formats them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))

    def of(self, logger: str) -> list[dict]:
        return [line for line in self.lines if line["logger"] == logger]


@pytest.fixture
def lines():
    handler = Lines()
    logger = logging.getLogger("clover")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def test_a_domain_warning_during_a_request_names_its_request_organisation_and_caller(
    database_url, factory, lines
):
    # Redis is down: the domain logs that the batch's rollup could not be queued.
    client = create_app(
        Settings.build(
            database_url=database_url, redis_url="redis://127.0.0.1:1/0", environment="test"
        )
    ).test_client()
    org = factory.organisation()

    response = client.post(
        org.url("/metric-points/batch"),
        headers={**org.headers, "X-Request-ID": "trace-domain-3"},
        json={"points": [{"metric_key": "leads", "day": "2025-01-10", "value": 3}]},
    )

    assert response.status_code == 200
    [logged] = lines.of("clover.jobs")
    assert logged["level"] == "ERROR"
    assert logged["request_id"] == "trace-domain-3"
    assert logged["organisation_id"] == str(org.id)
    assert logged["caller"].startswith("api_key:")


def test_a_job_run_in_process_logs_with_the_request_that_queued_it(database_url, factory, lines):
    # The embedded default: no Redis, the job runs before the answer.
    client = create_app(Settings.build(database_url=database_url, environment="test")).test_client()
    org = factory.organisation()
    strategy = builders.strategy(client, org, period_start="2025-01-01", period_end="2025-12-31")
    objective = builders.objective(client, org, strategy["id"])
    builders.kpi(client, org, objective["id"], metric_key="leads", name="Leads")
    factory.stored_metric_point(org, "leads", "2025-01-10", HUGE)
    factory.stored_metric_point(org, "leads", "2025-01-11", HUGE)

    response = client.post(
        org.url("/rollups"), headers={**org.headers, "X-Request-ID": "trace-in-process-4"}
    )

    assert response.status_code == 202
    job = response.get_json()
    [warning] = lines.of("clover.rollups")
    assert warning["request_id"] == "trace-in-process-4"
    assert warning["organisation_id"] == str(org.id)
    assert (warning["job"], warning["job_id"]) == ("workers.jobs.rollup_kpis", job["id"])
    # What the job bound stays with the job: the request's own line names no job.
    [access] = [line for line in lines.of("clover.request") if line["status"] == 202]
    assert access["request_id"] == "trace-in-process-4"
    assert "job_id" not in access and "job" not in access


def test_a_line_written_after_a_request_names_no_request(client, factory, lines):
    org = factory.organisation()
    client.get(org.url("/channels"), headers={**org.headers, "X-Request-ID": "trace-gone-5"})

    logging.getLogger("clover.test").warning("between requests")

    [line] = lines.of("clover.test")
    assert "request_id" not in line and "organisation_id" not in line
