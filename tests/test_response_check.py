"""The suite's answer check (tests/response_check.py) reports what the document refuses."""

from __future__ import annotations

import uuid

from flask import Flask

from tests.response_check import check_responses

CAMPAIGN = "/v1/organisations/<uuid:organisation_id>/campaigns/<uuid:campaign_id>"


def test_an_answer_without_a_field_the_document_requires_is_reported():
    app = Flask(__name__)

    @app.get(CAMPAIGN)
    def read(organisation_id, campaign_id):
        return {"id": str(campaign_id), "name": None}

    mismatches: list[str] = []
    check_responses(app, mismatches)
    app.test_client().get(f"/v1/organisations/{uuid.uuid4()}/campaigns/{uuid.uuid4()}")
    where = "GET /v1/organisations/{organisation_id}/campaigns/{campaign_id} 200"
    assert f"{where}: (body): 'status' is a required property" in mismatches
    assert f"{where}: name: None is not of type 'string'" in mismatches


def test_an_undocumented_path_or_a_non_json_answer_is_left_alone():
    app = Flask(__name__)
    app.add_url_rule("/elsewhere", "elsewhere", lambda: {"anything": 1})
    app.add_url_rule("/v1/organisations/<uuid:organisation_id>/campaigns", "csv", lambda **_: "a,b")
    mismatches: list[str] = []
    check_responses(app, mismatches)
    client = app.test_client()
    assert client.get("/elsewhere").status_code == 200
    assert client.get(f"/v1/organisations/{uuid.uuid4()}/campaigns").status_code == 200
    assert mismatches == []
