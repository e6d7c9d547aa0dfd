def assess(client, org, **scores):
    body = {"culture": 3, "leadership": 3, "governance": 3, "technology": 3, **scores}
    response = client.post(org.url("/readiness-assessments"), headers=org.headers, json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def test_readiness_is_empty_before_the_first_assessment(client, factory):
    org = factory.organisation()

    body = client.get(org.url("/readiness"), headers=org.headers).get_json()

    assert body["scores"] is None and body["overall"] is None and body["weakest_leaf"] is None


def test_readiness_reports_latest_scores_change_and_weakest_leaf(client, factory):
    org = factory.organisation()
    assess(client, org, assessed_on="2026-01-15")
    latest = assess(
        client, org, assessed_on="2026-07-01", culture=4, leadership=2, governance=3, technology=5
    )

    body = client.get(org.url("/readiness"), headers=org.headers).get_json()

    assert body["assessment_id"] == latest["id"]
    assert body["scores"] == {"culture": 4, "leadership": 2, "governance": 3, "technology": 5}
    assert body["weakest_leaf"] == "leadership"
    assert body["overall"] == 3.2  # 0.3×4 + 0.3×2 + 0.3×3 + 0.1×5
    assert body["change_since_previous"] == {
        "culture": 1,
        "leadership": -1,
        "governance": 0,
        "technology": 2,
        "overall": 0.2,
    }


def test_assessments_list_newest_first(client, factory):
    org = factory.organisation()
    first = assess(client, org)
    second = assess(client, org, culture=5)

    items = client.get(org.url("/readiness-assessments"), headers=org.headers).get_json()["items"]

    assert [a["id"] for a in items] == [second["id"], first["id"]]


def test_scores_outside_one_to_five_are_field_errors(client, factory):
    org = factory.organisation()

    response = client.post(
        org.url("/readiness-assessments"),
        headers=org.headers,
        json={"culture": 0, "leadership": 3, "governance": 3, "technology": 6},
    )

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"culture", "technology"}


def test_assessment_notes_are_kept_and_date_defaults_to_today(client, factory):
    from datetime import UTC, datetime

    org = factory.organisation()
    made = assess(client, org, governance_notes="No approval flow yet.")

    fetched = client.get(
        org.url(f"/readiness-assessments/{made['id']}"), headers=org.headers
    ).get_json()
    assert fetched["governance_notes"] == "No approval flow yet."
    assert fetched["assessed_on"] == datetime.now(UTC).date().isoformat()
