"""A fake Mastodon instance on loopback that answers like the real API.

It serves the documented shapes: ``verify_credentials`` (a CredentialAccount),
``accounts/:id/statuses`` (Statuses with their count fields, ``exclude_reblogs``) and
``notifications`` (``types[]`` filter), paged newest first with ``max_id``/``since_id``
and a ``Link`` header whose ``rel="next"`` URL, like Mastodon's, keeps ``limit`` and
``types[]`` but drops ``since_id``. It checks the bearer token on every request but the
public ``GET /api/v2/instance``.

Publishing: ``POST /api/v1/statuses`` (JSON or form) honours ``Idempotency-Key`` (the same
key answers the status it made, until ``forget_idempotency_keys``, Mastodon's hour gone
by), refuses a text over the instance's limit with a 422, renders the text as Mastodon's
HTML; ``POST /api/v2/media`` (multipart) answers 202 while ``GET /api/v1/media/:id``
answers 206 ``media_polls`` times; ``GET /api/v1/statuses/:id``.

Faults: ``fail(path, status, after=…)`` answers one request with an error (a delay, a
body, headers such as ``Retry-After``); ``hang(path, after=…)`` does what one request asks,
then never answers it (the client times out after sending).
"""

from __future__ import annotations

import html
import itertools
import json
import re
import threading
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import regex

TOKEN = "tok-Zq81-very-s3cret-bearer"
ACCOUNT_ID = "109348"
STATUSES_PATH = f"/api/v1/accounts/{ACCOUNT_ID}/statuses"
DOMAIN = "mastodon.example"
HANG_SECONDS = 5.0  # a hung answer is dropped after this (the client gave up long before)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def snowflake(when: datetime, seq: int = 0) -> str:
    """Mastodon ids: milliseconds since the epoch shifted left 16 bits, plus a sequence."""
    return str((int(when.timestamp() * 1000) << 16) + seq)


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def mastodon_account(acct: str, id_: str = "1") -> dict:
    username = acct.split("@")[0]
    return {
        "id": id_,
        "username": username,
        "acct": acct,
        "display_name": username.title(),
        "url": f"https://elsewhere.example/@{username}",
        "followers_count": 10,
        "following_count": 5,
        "statuses_count": 3,
    }


def status(
    when: str, favourites: int, reblogs: int, replies: int, *, boost: bool = False, **extra
) -> dict:
    created = at(when)
    id_ = snowflake(created)
    body = {
        "id": id_,
        "uri": f"https://{DOMAIN}/users/clover/statuses/{id_}",
        "url": f"https://{DOMAIN}/@clover/{id_}",
        "created_at": iso(created),
        "in_reply_to_id": None,
        "account": mastodon_account("clover", ACCOUNT_ID),
        "content": "<p>Spring launch!</p>",
        "visibility": "public",
        "favourites_count": favourites,
        "reblogs_count": reblogs,
        "replies_count": replies,
        "media_attachments": [],
        "reblog": None,
    }
    if boost:
        body["reblog"] = {**body, "id": str(int(id_) - 1)}
    return {**body, **extra}


def mention(when: str, acct: str, content: str, *, type_: str = "mention", seq: int = 1) -> dict:
    created = at(when)
    post = status(when, 0, 0, 0, content=content)
    post["id"] = snowflake(created, seq=7)
    post["url"] = f"https://elsewhere.example/@{acct.split('@')[0]}/{post['id']}"
    post["account"] = mastodon_account(acct)
    return {
        "id": snowflake(created, seq=seq),
        "type": type_,
        "created_at": iso(created),
        "account": mastodon_account(acct),
        "status": post if type_ != "follow" else None,
    }


def instance(max_characters: int = 500, max_media: int = 4) -> dict:
    """``GET /api/v2/instance``, as Mastodon 4 answers it (the parts the limits come from)."""
    return {
        "domain": DOMAIN,
        "title": "Mastodon Example",
        "version": "4.3.2",
        "source_url": "https://github.com/mastodon/mastodon",
        "configuration": {
            "urls": {"streaming": f"wss://{DOMAIN}"},
            "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
            "statuses": {
                "max_characters": max_characters,
                "max_media_attachments": max_media,
                "characters_reserved_per_url": 23,
            },
            "media_attachments": {
                "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "video/mp4"],
                "image_size_limit": 16777216,
                "image_matrix_limit": 33177600,
                "video_size_limit": 103809024,
                "video_frame_rate_limit": 120,
                "video_matrix_limit": 8294400,
            },
            "polls": {"max_options": 4, "max_characters_per_option": 50},
        },
        "registrations": {"enabled": False, "approval_required": False},
    }


class FakeMastodon:
    """A Mastodon instance with one account, its statuses and its notifications."""

    def __init__(self) -> None:
        self.account = {
            **mastodon_account("clover", ACCOUNT_ID),
            "followers_count": 1234,
            "source": {"privacy": "public", "note": ""},
        }
        self.statuses: list[dict] = []
        self.notifications: list[dict] = []
        self.instance = instance()
        self.made: list[dict] = []  # statuses made through POST /api/v1/statuses
        self.media: dict[str, dict] = {}  # id → {"attachment", "polls", "file", "type"}
        self.media_polls = 0  # 206 answers a new upload gets before it is ready
        self.idempotency: dict[str, str] = {}  # Idempotency-Key → the id of the status made
        self.requests: list[tuple[str, dict]] = []
        self.writes: list[tuple[str, dict, object]] = []  # POSTs: path, headers, body
        self.faults: list[dict] = []
        self.hangs: list[dict] = []
        self.release = threading.Event()  # ends slow responses at teardown
        self.lock = threading.Lock()
        self.ids = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.handle(self)

            def do_POST(self) -> None:
                fake.handle(self)

            def log_message(self, *_args) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, *_args) -> None:
                pass  # the client gave up on a slow response: a broken pipe, expected

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def fail(self, path: str, status: int = 500, *, after: int = 0, **response) -> None:
        """Answer the (after+1)-th request whose path starts with ``path`` with a fault."""
        self.faults.append({"path": path, "status": status, "after": after, **response})

    def hang(self, path: str, *, after: int = 0) -> None:
        """Do what the (after+1)-th request to ``path`` asks, then never answer it."""
        self.hangs.append({"path": path, "after": after})

    def forget_idempotency_keys(self) -> None:
        """An hour has passed: Mastodon no longer knows the keys it was sent."""
        self.idempotency.clear()

    def requests_to(self, path: str) -> list[dict]:
        return [query for p, query in self.requests if p == path]

    # -- the HTTP side ----------------------------------------------------------------------

    def handle(self, http: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(http.path)
        query = parse_qs(parts.query)
        body = self._body(http)
        self.requests.append((parts.path, query))
        if http.command == "POST":
            self.writes.append((parts.path, dict(http.headers), body))
        for fault in self.faults:
            if parts.path.startswith(fault["path"]):
                if fault["after"]:
                    fault["after"] -= 1
                    continue
                self.faults.remove(fault)
                if fault.get("delay"):
                    self.release.wait(fault["delay"])
                body = fault.get("body", {"error": "Something went wrong"})
                return self.send(http, fault["status"], body, fault.get("headers", {}))
        hang = self._take_hang(parts.path)
        answer = self.route(http, parts.path, query, body)
        if hang:
            self.release.wait(HANG_SECONDS)
            return None
        return self.send(http, *answer)

    def route(self, http, path: str, query: dict, body) -> tuple:
        if http.command == "GET" and path == "/api/v2/instance":
            return 200, self.instance
        if http.headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, {"error": "The access token is invalid"}
        if http.command == "POST":
            if path == "/api/v1/statuses":
                return self.create_status(http.headers.get("Idempotency-Key"), body)
            if path == "/api/v2/media":
                return self.upload(body)
            return 404, {"error": "Record not found"}
        if path == "/api/v1/accounts/verify_credentials":
            return 200, self.account
        if path == STATUSES_PATH:
            items = self.statuses
            if query.get("exclude_reblogs") == ["true"]:
                items = [s for s in items if not s["reblog"]]
            return self.page(path, query, items, cap=40, keep=("exclude_reblogs",))
        if path == "/api/v1/notifications":
            items = self.notifications
            if "types[]" in query:
                items = [n for n in items if n["type"] in query["types[]"]]
            return self.page(path, query, items, cap=80, keep=("types[]",))
        if path.startswith("/api/v1/statuses/"):
            found = self.status_by_id(path.removeprefix("/api/v1/statuses/"))
            return (200, found) if found else (404, {"error": "Record not found"})
        if path.startswith("/api/v1/media/"):
            return self.poll_media(path.removeprefix("/api/v1/media/"))
        return 404, {"error": "Record not found"}

    def page(self, path, query, items, *, cap, keep) -> tuple:
        limit = min(int(query.get("limit", ["20"])[0]), cap)
        items = sorted(items, key=lambda item: int(item["id"]), reverse=True)
        if "max_id" in query:
            items = [i for i in items if int(i["id"]) < int(query["max_id"][0])]
        if "since_id" in query:
            items = [i for i in items if int(i["id"]) > int(query["since_id"][0])]
        page = items[:limit]
        links = []
        kept = [(k, v) for k in (*keep, "limit") for v in query.get(k, [])]
        if page and len(page) == limit:  # like Mastodon: "next" whenever the page is full
            links.append(
                f'<{self.url}{path}?{urlencode([*kept, ("max_id", page[-1]["id"])])}>; rel="next"'
            )
        if page:
            links.append(
                f'<{self.url}{path}?{urlencode([*kept, ("min_id", page[0]["id"])])}>; rel="prev"'
            )
        return 200, page, {"Link": ", ".join(links)} if links else {}

    # -- publishing -------------------------------------------------------------------------

    def create_status(self, key: str | None, body: dict) -> tuple:
        with self.lock:
            if key and key in self.idempotency:
                return 200, self.status_by_id(self.idempotency[key])
            text = str(body.get("status") or "")
            media_ids = [str(m) for m in body.get("media_ids") or body.get("media_ids[]") or []]
            limits = self.instance["configuration"]["statuses"]
            if not text.strip() and not media_ids:
                return 422, {"error": "Validation failed: Text can't be blank"}
            if countable_length(text) > limits["max_characters"]:
                limit = limits["max_characters"]
                return 422, {
                    "error": f"Validation failed: Text character limit of {limit} exceeded"
                }
            if len(media_ids) > limits["max_media_attachments"]:
                return 422, {"error": "Validation failed: Media attachments is too long"}
            attachments = []
            for media_id in media_ids:
                media = self.media.get(media_id)
                if media is None:
                    return 422, {"error": "Validation failed: Media attachments are invalid"}
                if media["polls"]:
                    return 422, {
                        "error": "Cannot attach files that have not finished processing. "
                        "Try again in a moment!"
                    }
                attachments.append(media["attachment"])
            parent = body.get("in_reply_to_id")
            if parent is not None and self.status_by_id(str(parent)) is None:
                return 404, {"error": "Record not found"}
            made = self.new_status(text, attachments, str(parent) if parent else None)
            if key:
                self.idempotency[key] = made["id"]
            return 200, made

    def new_status(self, text: str, attachments: list[dict], parent: str | None) -> dict:
        now = datetime.now(UTC)
        made = status(
            now.strftime("%Y-%m-%dT%H:%M:%S.%f"),
            0,
            0,
            0,
            content=render(text),
            in_reply_to_id=parent,
            in_reply_to_account_id=ACCOUNT_ID if parent else None,
            media_attachments=attachments,
            application={"name": "Clover", "website": None},
        )
        made["id"] = snowflake(now, seq=next(self.ids) % 65536)
        made["uri"] = f"https://{DOMAIN}/users/clover/statuses/{made['id']}"
        made["url"] = f"https://{DOMAIN}/@clover/{made['id']}"
        if parent:
            self.status_by_id(parent)["replies_count"] += 1
        self.statuses.insert(0, made)
        self.made.append(made)
        return made

    def status_by_id(self, id_: str) -> dict | None:
        return next((s for s in self.statuses if s["id"] == id_), None)

    def upload(self, body: dict) -> tuple:
        upload = body.get("file")
        if not isinstance(upload, dict):
            return 422, {"error": "Validation failed: File can't be blank"}
        media_limits = self.instance["configuration"]["media_attachments"]
        if upload["type"] not in media_limits["supported_mime_types"]:
            return 422, {"error": "Validation failed: File content type is invalid"}
        if len(upload["data"]) > media_limits["image_size_limit"]:
            return 422, {"error": "Validation failed: File file size must be less than 16 MB"}
        with self.lock:
            media_id = str(10_000 + next(self.ids))
            attachment = {
                "id": media_id,
                "type": "video" if upload["type"].startswith("video/") else "image",
                "url": None,
                "preview_url": f"https://files.{DOMAIN}/small/{media_id}.png",
                "remote_url": None,
                "meta": {},
                "description": body.get("description"),
                "blurhash": None,
            }
            self.media[media_id] = {
                "attachment": attachment,
                "polls": self.media_polls,
                "file": upload,
            }
            if not self.media_polls:
                attachment["url"] = f"https://files.{DOMAIN}/original/{media_id}.png"
                return 200, attachment
        return 202, attachment

    def poll_media(self, media_id: str) -> tuple:
        with self.lock:
            media = self.media.get(media_id)
            if media is None:
                return 404, {"error": "Record not found"}
            if media["polls"]:
                media["polls"] -= 1
                return 206, media["attachment"]
            media["attachment"]["url"] = f"https://files.{DOMAIN}/original/{media_id}.png"
            return 200, media["attachment"]

    # -- plumbing ---------------------------------------------------------------------------

    def _take_hang(self, path: str) -> bool:
        for hang in self.hangs:
            if path.startswith(hang["path"]):
                if hang["after"]:
                    hang["after"] -= 1
                    continue
                self.hangs.remove(hang)
                return True
        return False

    @staticmethod
    def _body(http: BaseHTTPRequestHandler):
        raw = http.rfile.read(int(http.headers.get("Content-Length") or 0))
        kind = http.headers.get("Content-Type") or ""
        if not raw:
            return {}
        if kind.startswith("application/json"):
            return json.loads(raw)
        if kind.startswith("application/x-www-form-urlencoded"):
            fields = parse_qs(raw.decode())
            return {k: v if k.endswith("[]") else v[0] for k, v in fields.items()}
        if kind.startswith("multipart/form-data"):
            message = message_from_bytes(
                b"Content-Type: " + kind.encode() + b"\r\n\r\n" + raw, policy=HTTP
            )
            fields: dict = {}
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                data = part.get_payload(decode=True)
                if part.get_filename():
                    fields[name] = {
                        "name": part.get_filename(),
                        "type": part.get_content_type(),
                        "data": data,
                    }
                else:
                    fields[name] = data.decode()
            return fields
        return raw

    @staticmethod
    def send(http, status: int, body, headers: dict | None = None) -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        http.send_response(status)
        http.send_header("Content-Type", "application/json; charset=utf-8")
        http.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            http.send_header(name, value)
        http.end_headers()
        http.wfile.write(data)


# -- Mastodon's side of the text --------------------------------------------------------------

_URL = re.compile(r"https?://[^\s<]*[^\s<.,;:!?)'\"]")
_TOKEN = re.compile(
    r"(?P<url>https?://[^\s<]*[^\s<.,;:!?)'\"])"
    r"|(?<![\w/@])@(?P<user>\w[\w.]*\w|\w)(?:@(?P<domain>[\w.-]*\w))?"
    r"|(?<![\w/&#])#(?P<tag>\w+)"
)


def countable_length(text: str) -> int:
    """As Mastodon's StatusLengthValidator: graphemes, a URL as 23, a mention as its username."""
    text = _URL.sub("x" * 23, text)
    text = re.sub(r"(?<![\w/])@(\w[\w.]*\w|\w)@[\w.-]*\w", r"@\1", text)
    return len(regex.findall(r"\X", text))


def render(text: str) -> str:
    """A plain-text status as the HTML Mastodon's TextFormatter makes of it."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p]
    return "".join(f"<p>{_render_line(p)}</p>" for p in paragraphs)


def _render_line(text: str) -> str:
    out, last = [], 0
    for match in _TOKEN.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        last = match.end()
        if match["url"]:
            url = match["url"]
            scheme, rest = url.split("://", 1)
            shown, hidden = rest[:30], rest[30:]
            ellipsis = ' class="ellipsis"' if hidden else ' class=""'
            out.append(
                f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener" '
                f'translate="no"><span class="invisible">{scheme}://</span>'
                f"<span{ellipsis}>{html.escape(shown)}</span>"
                f'<span class="invisible">{html.escape(hidden)}</span></a>'
            )
        elif match["user"]:
            domain = match["domain"] or DOMAIN
            out.append(
                f'<span class="h-card" translate="no"><a href="https://{domain}/@{match["user"]}" '
                f'class="u-url mention">@<span>{match["user"]}</span></a></span>'
            )
        else:
            out.append(
                f'<a href="https://{DOMAIN}/tags/{match["tag"].lower()}" class="mention hashtag" '
                f'rel="tag">#<span>{match["tag"]}</span></a>'
            )
    out.append(html.escape(text[last:]))
    return "".join(out).replace("\n", "<br />")
