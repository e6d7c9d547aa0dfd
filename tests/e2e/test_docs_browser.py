"""The interactive API docs render in a real browser using only this server.

The real app (session settings: real PostgreSQL and Redis) is served over HTTP on
loopback and /docs is opened in Debian's headless Chromium, driven by Playwright.
The test fails on any request the page makes to another host and on any request
that fails (HTTP status >= 400 or a network error). Three independent records:

* Playwright's request/response/requestfailed events (what the page asked for);
* Chromium's own net log (``--log-net-log``), read for every request made on the
  page's behalf: Playwright deliberately drops favicon requests from its events
  (microsoft/playwright#7493), the net log does not;
* the server's own log of what it answered.

Swagger UI's online-validator badge (an <img> from validator.swagger.io) is drawn
only by its StandaloneLayout (flask-smorest's page uses BaseLayout today), and is
hidden whenever the spec's URL contains "127.0.0.1" or "localhost": a page opened at
127.0.0.1 could never show that request. So the page is also opened under a made-up
host name that only Chromium resolves, to 127.0.0.1 (--host-resolver-rules).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ALIAS_HOST = "clover-docs.test"  # resolved to 127.0.0.1 by Chromium only
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    f"--host-resolver-rules=MAP {ALIAS_HOST} 127.0.0.1",
]
LAUNCH_TIMEOUT_MS = 20_000
PAGE_TIMEOUT_MS = 15_000
RENDER_TIMEOUT_MS = 10_000
IDLE_TIMEOUT_MS = 5_000

# What a rendered /docs must have fetched from this server.
EXPECTED_PATHS = {
    "/docs",
    "/docs/assets/swagger-ui.css",
    "/docs/assets/swagger-ui-bundle.js",
    "/docs/assets/swagger-ui-standalone-preset.js",
    "/openapi.json",
}


def _chromium_path() -> str:
    path = CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    if path is None:
        pytest.fail(
            f"Chromium is needed for the browser tests but neither {CHROMIUM} nor `chromium` "
            "on PATH exists. `make test` installs it when run as root; otherwise run "
            "`sudo apt-get install chromium` (Debian/Ubuntu).",
            pytrace=False,
        )
    return path


@dataclass
class LiveServer:
    port: int
    answered: list[tuple[str, str, str, int]] = field(default_factory=list)  # host, method, ...

    def record(self, app):
        """WSGI middleware noting each request's Host, method, path and status."""

        def wsgi(environ, start_response):
            def recording_start_response(status, headers, exc_info=None):
                self.answered.append(
                    (
                        environ.get("HTTP_HOST", ""),
                        environ["REQUEST_METHOD"],
                        environ.get("PATH_INFO", ""),
                        int(status.split()[0]),
                    )
                )
                return start_response(status, headers, exc_info)

            return app(environ, recording_start_response)

        return wsgi


@pytest.fixture(scope="module")
def live_server(app) -> Iterator[LiveServer]:
    """The real app over real HTTP on 127.0.0.1."""
    live = LiveServer(port=0)
    server = make_server("127.0.0.1", 0, live.record(app), threaded=True)
    live.port = server.server_port
    thread = threading.Thread(target=server.serve_forever, name="docs-live-server", daemon=True)
    thread.start()
    try:
        yield live
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class Traffic:
    """What Playwright saw the page request, and how each request ended."""

    requests: list[str] = field(default_factory=list)
    statuses: dict[str, list[int]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def record(self, context, page) -> None:
        # Context-wide, so requests of popups and workers are seen too.
        context.on("request", lambda request: self.requests.append(request.url))
        context.on(
            "response",
            lambda response: self.statuses.setdefault(response.url, []).append(response.status),
        )
        context.on(
            "requestfailed",
            lambda request: self.failures.append(f"{request.url}: {request.failure}"),
        )
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.on("console", self._console)

    def _console(self, message) -> None:
        if message.type != "error":
            return
        where = message.location.get("url", "")
        self.errors.append(f"console.error: {message.text} ({where})")

    def bad_statuses(self) -> list[str]:
        return [
            f"{url}: HTTP {status}"
            for url, statuses in self.statuses.items()
            for status in statuses
            if status >= 400
        ]

    def unanswered(self) -> list[str]:
        failed = {failure.rsplit(": ", 1)[0] for failure in self.failures}
        return [
            url
            for url in self.requests
            if not _is_inline(url) and url not in self.statuses and url not in failed
        ]

    def summary(self) -> str:
        lines = [f"  {url} -> {self.statuses.get(url, 'no response')}" for url in self.requests]
        lines += [f"  FAILED {failure}" for failure in self.failures]
        lines += [f"  {error}" for error in self.errors]
        return "requests Playwright saw the page make:\n" + "\n".join(lines)


def _is_inline(url: str) -> bool:
    return urlsplit(url).scheme in {"data", "blob"}  # never leave the browser


def _off_host(urls: list[str], origin: str) -> list[str]:
    return [
        url
        for url in urls
        if not _is_inline(url) and f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" != origin
    ]


def _page_requests_in_net_log(path: Path, site: str) -> list[str]:
    """URLs of every request Chromium made on behalf of a page of ``site``.

    Chromium keys each request by its network isolation key, "<top-frame site>
    <frame site>"; its own service traffic (update checks, account lookups) carries
    other keys and is not the page's doing.
    """
    text = path.read_text()
    try:
        log = json.loads(text)
    except json.JSONDecodeError:  # a log cut short still holds its events
        log = json.loads(text.rstrip().rstrip(",") + "]}")
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [
        params["url"]
        for event in log["events"]
        if event["type"] == start_job
        and "url" in (params := event.get("params") or {})
        and params.get("network_isolation_key", "").split(" ")[0] == site
    ]


def _open_and_check_rendered(page, url: str, paths: list[str], expect) -> None:
    """Swagger UI rendered the spec: its title and every operation, by path."""
    response = page.goto(url, wait_until="load", timeout=PAGE_TIMEOUT_MS)
    assert response is not None, f"no response for {url}"
    assert response.status == 200, f"{url}: HTTP {response.status}"
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "Clover API", timeout=RENDER_TIMEOUT_MS
    )
    get_organisation = page.locator(
        ".opblock-get", has=page.locator('[data-path="/v1/organisations/{organisation_id}"]')
    )
    expect(get_organisation.locator(".opblock-summary-description")).to_have_text(
        "Get an organisation", timeout=RENDER_TIMEOUT_MS
    )
    expect(page.locator(".opblock")).to_have_count(len(paths), timeout=RENDER_TIMEOUT_MS)
    rendered = page.locator(".opblock-summary-path").evaluate_all(
        "elements => elements.map(element => element.dataset.path)"
    )
    assert sorted(rendered) == paths, "the rendered operations differ from the spec's"


@pytest.mark.parametrize("host", ["127.0.0.1", ALIAS_HOST])
def test_docs_render_in_chromium_using_only_this_server(app, live_server, tmp_path, host):
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import TimeoutError as PlaywrightTimeout
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        pytest.fail(
            "The browser tests need the `playwright` package: `pip install -e '.[dev]'` "
            "(no `playwright install` needed: they drive the system Chromium).",
            pytrace=False,
        )
    executable = _chromium_path()
    origin = f"http://{host}:{live_server.port}"
    spec = app.test_client().get("/openapi.json").get_json()
    paths = sorted(
        path
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "put", "post", "patch", "delete"}
    )
    net_log = tmp_path / "net-log.json"
    live_server.answered.clear()
    traffic = Traffic()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=[*CHROMIUM_FLAGS, f"--log-net-log={net_log}"],
            timeout=LAUNCH_TIMEOUT_MS,
        )
        try:
            context = browser.new_context(service_workers="block")
            context.set_default_timeout(PAGE_TIMEOUT_MS)
            page = context.new_page()
            traffic.record(context, page)

            not_rendered = None
            try:
                _open_and_check_rendered(page, f"{origin}/docs", paths, expect)
            except (AssertionError, PlaywrightError) as error:
                not_rendered = str(error)
            if not_rendered is not None:
                pytest.fail(
                    f"the docs did not render: {not_rendered}\n{traffic.summary()}", pytrace=False
                )

            # Let whatever the rendered page starts late (badges, fonts, images) finish.
            try:
                page.wait_for_load_state("networkidle", timeout=IDLE_TIMEOUT_MS)
            except PlaywrightTimeout:
                pytest.fail(
                    f"the page's network was still busy after {IDLE_TIMEOUT_MS} ms\n"
                    + traffic.summary(),
                    pytrace=False,
                )
            context.close()
        finally:
            browser.close()  # also completes the net log

    summary = traffic.summary()
    assert _off_host(traffic.requests, origin) == [], f"requests off {origin}\n{summary}"
    assert traffic.failures == [], f"requests failed\n{summary}"
    assert traffic.bad_statuses() == [], f"requests answered with an error\n{summary}"
    assert traffic.unanswered() == [], f"requests that never finished\n{summary}"
    assert traffic.errors == [], f"JavaScript errors\n{summary}"

    chromium_saw = _page_requests_in_net_log(net_log, f"http://{host}")
    assert {urlsplit(url).path for url in chromium_saw} >= EXPECTED_PATHS, (
        f"the net log misses the page's own requests: {chromium_saw}"
    )
    assert _off_host(chromium_saw, origin) == [], (
        f"Chromium's net log has requests of the page off {origin}: {chromium_saw}"
    )

    answered = [(method, path, status) for _, method, path, status in live_server.answered]
    assert {path for _, path, _ in answered} >= EXPECTED_PATHS, answered
    assert {h for h, *_ in live_server.answered} == {f"{host}:{live_server.port}"}, answered
    errors = [a for a in answered if a[2] >= 400]
    assert errors == [], f"the server answered with errors: {errors}"
