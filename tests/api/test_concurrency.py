from concurrent.futures import ThreadPoolExecutor


def test_concurrent_writes_with_the_same_etag_give_one_success(app, factory):
    org = factory.organisation()
    with app.test_client() as client:
        etag = client.get(org.url(), headers=org.headers).headers["ETag"]

    def write(n):
        with app.test_client() as c:
            return c.patch(
                org.url(), headers={**org.headers, "If-Match": etag}, json={"name": f"Writer {n}"}
            ).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(pool.map(write, range(6)))

    assert statuses == [200] + [412] * 5
    with app.test_client() as client:
        assert client.get(org.url(), headers=org.headers).headers["ETag"] == '"2"'
