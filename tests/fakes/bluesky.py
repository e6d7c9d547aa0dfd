"""A fake Bluesky PDS (with the AppView behind it) on loopback, answering like the real XRPC API.

Reading: ``app.bsky.actor.getProfile``, ``app.bsky.feed.getAuthorFeed`` and
``app.bsky.notification.listNotifications`` with bodies shaped from the lexicons, opaque
cursors, small pages (as a server may return fewer items than ``limit``), and the bearer
token checked on every call.

Sessions: ``com.atproto.server.createSession`` (the handle or DID and the app password)
and ``refreshSession`` (the refresh JWT as bearer; it is revoked by the refresh) issue
JWT-shaped tokens; ``expire_access_tokens`` makes every access token answer 400
``ExpiredToken`` from then on.

Publishing: ``com.atproto.repo.uploadBlob`` (at most 1,000,000 bytes), ``putRecord``,
``createRecord`` and ``getRecord`` over a repository of records (a post's text at most 300
graphemes), ``com.atproto.identity.resolveHandle`` and ``app.bsky.feed.getPosts`` (with the
counts in ``counts[uri]``).

Faults: ``faults[nsid]`` answers every call with (status, headers, body); ``fail(nsid, status,
after=…)`` answers one; ``delay[nsid]`` answers late; ``hang(nsid, after=…)`` does what one
call asks, then never answers it.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import regex

TOKEN = "eyJhbGciOiJFUzI1NksifQ.s3cr3t-access-jwt.c2lnbmF0dXJl"
REFRESH = "refresh-s3cr3t"
APP_PASSWORD = "abcd-s3cr-3tpw-wxyz"
DID = "did:plc:clover7example"
HANDLE = "clover.example.com"
POST = "app.bsky.feed.post"
MAX_BLOB = 1_000_000
HANG_SECONDS = 5.0  # a hung answer is dropped after this (the client gave up long before)
_RKEY = re.compile(r"[A-Za-z0-9._~:-]{1,512}")
TID = re.compile(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _basic(did: str, handle: str) -> dict:
    return {"did": did, "handle": handle, "displayName": handle.split(".")[0].title(), "labels": []}


def post_item(rkey: str, created: str, likes=0, reposts=0, replies=0, quotes=0) -> dict:
    """A feedViewPost of the account's own post; ``created`` as the client wrote it."""
    indexed = _at(created) + timedelta(seconds=1)
    return {
        "post": {
            "uri": f"at://{DID}/app.bsky.feed.post/{rkey}",
            "cid": f"bafyrei{rkey}",
            "author": _basic(DID, HANDLE),
            "record": {"$type": "app.bsky.feed.post", "text": f"post {rkey}", "createdAt": created},
            "replyCount": replies,
            "repostCount": reposts,
            "likeCount": likes,
            "quoteCount": quotes,
            "indexedAt": _iso(indexed),
            "labels": [],
        }
    }


def reposted(item: dict, at: str) -> dict:
    """``item`` as the account's repost of it: must not count (again)."""
    reason = {
        "$type": "app.bsky.feed.defs#reasonRepost",
        "by": _basic(DID, HANDLE),
        "indexedAt": at,
    }
    return {**item, "reason": reason}


def others_post(rkey: str) -> dict:
    other = "did:plc:someoneelse"
    return {
        "post": {
            "uri": f"at://{other}/app.bsky.feed.post/{rkey}",
            "cid": f"bafyrei{rkey}",
            "author": _basic(other, "famous.bsky.social"),
            "record": {
                "$type": "app.bsky.feed.post",
                "text": "viral",
                "createdAt": "2025-03-30T00:00:00Z",
            },
            "replyCount": 900,
            "repostCount": 900,
            "likeCount": 900,
            "quoteCount": 900,
            "indexedAt": "2025-03-30T00:00:01.000Z",
        }
    }


def notification(rkey: str, reason: str, indexed: str, author=("alice.example.com", None)):
    handle, did = author
    did = did or f"did:plc:{handle.split('.')[0]}"
    if reason == "like":
        record = {
            "$type": "app.bsky.feed.like",
            "subject": {"uri": f"at://{DID}/app.bsky.feed.post/own1", "cid": "bafyreiown1"},
            "createdAt": indexed,
        }
        uri = f"at://{did}/app.bsky.feed.like/{rkey}"
    else:
        created = _iso(_at(indexed) - timedelta(seconds=5))
        record = {
            "$type": "app.bsky.feed.post",
            "text": f"hello @{HANDLE} ({rkey})",
            "createdAt": created,
            "facets": [
                {
                    "index": {"byteStart": 6, "byteEnd": 6 + len(HANDLE) + 1},
                    "features": [{"$type": "app.bsky.richtext.facet#mention", "did": DID}],
                }
            ],
        }
        uri = f"at://{did}/app.bsky.feed.post/{rkey}"
    return {
        "uri": uri,
        "cid": f"bafyrei{rkey}",
        "author": _basic(did, handle),
        "reason": reason,
        "record": record,
        "isRead": False,
        "indexedAt": indexed,
        "labels": [],
    }


# The fake server ---------------------------------------------------------------------------


class Fake:
    def __init__(self) -> None:
        self.token = TOKEN
        self.followers = 1234
        self.posts: list[dict] = []  # newest first, as the AppView sorts them
        self.notifications: list[dict] = []  # newest first
        self.page_size = {
            "app.bsky.feed.getAuthorFeed": 3,
            "app.bsky.notification.listNotifications": 2,
        }
        self.faults: dict[str, tuple[int, dict, dict]] = {}  # nsid → status, headers, body
        self.once: list[dict] = []  # fail(): one answer each
        self.hangs: list[dict] = []
        self.delay: dict[str, float] = {}
        self.requests: list[tuple[str, dict]] = []
        self.bodies: list[tuple[str, object]] = []  # POSTs: nsid, body
        self.lock = threading.Lock()
        self.release = threading.Event()  # ends hung answers at teardown
        # Sessions: the tokens in force, and those that expired or were revoked.
        self.app_password = APP_PASSWORD
        self.access = {TOKEN}
        self.expired: set[str] = set()
        self.refresh = {REFRESH}
        self.issued = itertools.count(1)
        # The repository and the network around it.
        self.records: dict[tuple[str, str], dict] = {}  # (collection, rkey) → uri, cid, value
        self.blobs: dict[str, dict] = {}  # cid → mimeType, size
        self.handles = {HANDLE: DID, "alice.example.com": "did:plc:alice"}
        self.counts: dict[str, dict] = {}  # post uri → likeCount, repostCount…

    def calls(self, nsid: str) -> list[dict]:
        return [query for name, query in self.requests if name == nsid]

    def fail(self, nsid: str, status: int, *, after: int = 0, headers=None, body=None) -> None:
        """Answer the (after+1)-th call of ``nsid`` with ``status``."""
        body = body or {"error": "InternalServerError", "message": "Internal Server Error"}
        self.once.append({"nsid": nsid, "after": after, "answer": (status, headers or {}, body)})

    def hang(self, nsid: str, *, after: int = 0) -> None:
        """Do what the (after+1)-th call of ``nsid`` asks, then never answer it."""
        self.hangs.append({"nsid": nsid, "after": after})

    def expire_access_tokens(self) -> None:
        self.expired |= self.access

    def post_records(self) -> list[dict]:
        return [record for (collection, _), record in self.records.items() if collection == POST]

    def hangs_on(self, nsid: str) -> bool:
        return _take(self.hangs, nsid)

    def answer(self, nsid: str, query: dict, authorization: str | None, body=None, kind=""):
        with self.lock:
            self.requests.append((nsid, query))
            if body is not None:
                self.bodies.append((nsid, body))
        time.sleep(self.delay.get(nsid, 0))
        if nsid == "com.atproto.server.createSession":
            return self.fault(nsid) or self.create_session(body)
        if nsid == "com.atproto.server.refreshSession":
            return self.fault(nsid) or self.refresh_session(authorization)
        if authorization is None:
            return 401, {}, {"error": "AuthMissing", "message": "Authentication Required"}
        token = authorization.removeprefix("Bearer ")
        if token in self.expired:
            return 400, {}, {"error": "ExpiredToken", "message": "Token has expired"}
        if not authorization.startswith("Bearer ") or token not in self.access:
            return 401, {}, {"error": "InvalidToken", "message": "Token could not be verified"}
        if fault := self.fault(nsid):
            return fault
        if nsid == "app.bsky.actor.getProfile":
            return self.profile(query)
        if nsid == "app.bsky.feed.getAuthorFeed":
            if query.get("actor") not in ([DID], [HANDLE]):
                return 400, {}, {"error": "InvalidRequest", "message": "Profile not found"}
            items, cursor = self.page(nsid, self.posts, query)
            return 200, {}, {"feed": items, **cursor}
        if nsid == "app.bsky.notification.listNotifications":
            reasons = query.get("reasons")
            found = [n for n in self.notifications if not reasons or n["reason"] in reasons]
            items, cursor = self.page(nsid, found, query)
            return 200, {}, {"notifications": items, "priority": False, **cursor}
        with self.lock:
            if nsid == "com.atproto.repo.uploadBlob":
                return self.upload_blob(body, kind)
            if nsid in ("com.atproto.repo.putRecord", "com.atproto.repo.createRecord"):
                return self.write_record(nsid, body)
            if nsid == "com.atproto.repo.getRecord":
                return self.get_record(query)
            if nsid == "com.atproto.identity.resolveHandle":
                did = self.handles.get(query.get("handle", [""])[0])
                if did is None:
                    return (
                        400,
                        {},
                        {"error": "InvalidRequest", "message": "Unable to resolve handle"},
                    )
                return 200, {}, {"did": did}
            if nsid == "app.bsky.feed.getPosts":
                return self.get_posts(query)
        return 501, {}, {"error": "MethodNotImplemented", "message": "Method Not Implemented"}

    def fault(self, nsid: str):
        if nsid in self.faults:
            return self.faults[nsid]
        for fault in self.once:
            if fault["nsid"] == nsid:
                if fault["after"]:
                    fault["after"] -= 1
                    continue
                self.once.remove(fault)
                return fault["answer"]
        return None

    def profile(self, query: dict):
        if query.get("actor") not in ([DID], [HANDLE]):
            return 400, {}, {"error": "InvalidRequest", "message": "Profile not found"}
        body = {
            **_basic(DID, HANDLE),
            "followersCount": self.followers,
            "followsCount": 56,
            "postsCount": len(self.posts),
            "indexedAt": "2024-01-01T00:00:00.000Z",
        }
        return 200, {}, body

    def page(self, nsid: str, items: list[dict], query: dict):
        limit = int(query.get("limit", ["50"])[0])
        if not 1 <= limit <= 100:
            raise ValueError("limit out of range")
        start = int(base64.urlsafe_b64decode(query["cursor"][0])) if "cursor" in query else 0
        page = items[start : start + min(limit, self.page_size[nsid])]
        # Like the AppView: a cursor whenever there were results, even on the last page.
        after = base64.urlsafe_b64encode(str(start + len(page)).encode()).decode()
        return page, ({"cursor": after} if page else {})

    # Sessions ------------------------------------------------------------------------------

    def create_session(self, body):
        body = body if isinstance(body, dict) else {}
        if body.get("identifier") not in (HANDLE, DID) or body.get("password") != self.app_password:
            return (
                401,
                {},
                {"error": "AuthenticationRequired", "message": "Invalid identifier or password"},
            )
        return 200, {}, self.new_session()

    def refresh_session(self, authorization: str | None):
        token = (authorization or "").removeprefix("Bearer ")
        with self.lock:
            if token not in self.refresh:
                return 400, {}, {"error": "ExpiredToken", "message": "Token has been revoked"}
            self.refresh.discard(token)
        return 200, {}, self.new_session()

    def new_session(self) -> dict:
        with self.lock:
            n = next(self.issued)
            access, refresh = _jwt("access", n), _jwt("refresh", n)
            self.access.add(access)
            self.refresh.add(refresh)
        return {
            "did": DID,
            "handle": HANDLE,
            "accessJwt": access,
            "refreshJwt": refresh,
            "active": True,
        }

    # The repository ------------------------------------------------------------------------

    def upload_blob(self, data, kind: str):
        data = data if isinstance(data, bytes) else b""
        if len(data) > MAX_BLOB:
            message = (
                f"This file is too large. It is {len(data)} bytes "
                f"but the maximum size is {MAX_BLOB} bytes."
            )
            return 400, {}, {"error": "BlobTooLarge", "message": message}
        cid = "bafkrei" + _digest(data)
        self.blobs[cid] = {"mimeType": kind, "size": len(data)}
        blob = {"$type": "blob", "ref": {"$link": cid}, "mimeType": kind, "size": len(data)}
        return 200, {}, {"blob": blob}

    def write_record(self, nsid: str, body):
        body = body if isinstance(body, dict) else {}
        if body.get("repo") not in (DID, HANDLE):
            return 400, {}, {"error": "InvalidRequest", "message": "Could not find repo"}
        collection, record = body.get("collection"), body.get("record")
        rkey = body.get("rkey") or (
            _tid(next(self.issued)) if nsid.endswith("createRecord") else None
        )
        if not isinstance(rkey, str) or not _RKEY.fullmatch(rkey) or rkey in (".", ".."):
            return 400, {}, {"error": "InvalidRequest", "message": "Invalid record key"}
        if nsid.endswith("createRecord") and (collection, rkey) in self.records:
            return 400, {}, {"error": "InvalidRequest", "message": "Record already exists"}
        if problem := _invalid(collection, record, self.blobs):
            return (
                400,
                {},
                {"error": "InvalidRecord", "message": f"Invalid {collection} record: {problem}"},
            )
        uri = f"at://{DID}/{collection}/{rkey}"
        cid = "bafyrei" + _digest(json.dumps(record, sort_keys=True).encode())
        self.records[(collection, rkey)] = {"uri": uri, "cid": cid, "value": record}
        commit = {
            "cid": "bafyreicommit" + _digest(cid.encode())[:20],
            "rev": _tid(next(self.issued)),
        }
        return 200, {}, {"uri": uri, "cid": cid, "commit": commit, "validationStatus": "valid"}

    def get_record(self, query: dict):
        repo, collection, rkey = (
            query.get(name, [""])[0] for name in ("repo", "collection", "rkey")
        )
        if repo not in (DID, HANDLE):
            return 400, {}, {"error": "InvalidRequest", "message": "Could not find repo"}
        found = self.records.get((collection, rkey))
        if found is None:
            uri = f"at://{DID}/{collection}/{rkey}"
            return (
                400,
                {},
                {"error": "RecordNotFound", "message": f"Could not locate record: {uri}"},
            )
        return 200, {}, found

    def get_posts(self, query: dict):
        uris = query.get("uris", [])
        if len(uris) > 25:
            return (
                400,
                {},
                {"error": "InvalidRequest", "message": "uris must not have more than 25 elements"},
            )
        posts = []
        for uri in uris:
            rkey = uri.rsplit("/", 1)[-1]
            found = self.records.get((POST, rkey))
            if found is None or found["uri"] != uri:
                continue
            counts = {"replyCount": 0, "repostCount": 0, "likeCount": 0, "quoteCount": 0}
            posts.append(
                {
                    "uri": uri,
                    "cid": found["cid"],
                    "author": _basic(DID, HANDLE),
                    "record": found["value"],
                    **counts,
                    **self.counts.get(uri, {}),
                    "indexedAt": found["value"].get("createdAt"),
                    "labels": [],
                }
            )
        return 200, {}, {"posts": posts}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.call(None)

    def do_POST(self) -> None:
        data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        kind = self.headers.get("Content-Type") or ""
        self.call(
            (json.loads(data) if data else {}) if kind.startswith("application/json") else data
        )

    def call(self, body) -> None:
        url = urlsplit(self.path)
        if not url.path.startswith("/xrpc/"):
            return self.reply(404, {}, {"error": "NotFound"})
        fake = self.server.fake
        nsid = url.path.removeprefix("/xrpc/")
        hang = fake.hangs_on(nsid)
        try:
            status, headers, answer = fake.answer(
                nsid,
                parse_qs(url.query),
                self.headers.get("Authorization"),
                body,
                self.headers.get("Content-Type") or "",
            )
        except (ValueError, KeyError):
            status, headers, answer = 400, {}, {"error": "InvalidRequest", "message": "bad params"}
        if hang:
            fake.release.wait(HANG_SECONDS)
            return None
        return self.reply(status, headers, answer)

    def reply(self, status: int, headers: dict, body: dict) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the timeout test)

    def log_message(self, *args) -> None:
        pass


def serve() -> ThreadingHTTPServer:
    """A running fake PDS; its ``fake`` attribute is what it serves (replace it per test)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.fake = Fake()
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def _take(faults: list[dict], nsid: str) -> bool:
    for fault in faults:
        if fault["nsid"] == nsid:
            if fault["after"]:
                fault["after"] -= 1
                continue
            faults.remove(fault)
            return True
    return False


def _invalid(collection, record, blobs: dict) -> str | None:
    """What the PDS's lexicon validation would refuse in a post record, if anything."""
    if not isinstance(collection, str) or not isinstance(record, dict):
        return "Record must be an object"
    if record.get("$type") != collection:
        return "Record/$type must match the collection"
    if collection != POST:
        return None
    text = record.get("text")
    if not isinstance(text, str):
        return 'Record must have the property "text"'
    if len(regex.findall(r"\X", text)) > 300:
        return "Record/text must not be longer than 300 graphemes"
    if len(text.encode()) > 3000:
        return "Record/text must not be longer than 3000 characters"
    if not isinstance(record.get("createdAt"), str):
        return 'Record must have the property "createdAt"'
    images = (record.get("embed") or {}).get("images", [])
    if len(images) > 4:
        return "Record/embed/images must not have more than 4 elements"
    for image in images:
        if image.get("image", {}).get("ref", {}).get("$link") not in blobs:
            return "Record/embed/images/image could not find blob"
        if not isinstance(image.get("alt"), str):
            return 'Record/embed/images must have the property "alt"'
    return None


def _jwt(kind: str, n: int) -> str:
    claims = {
        "scope": "com.atproto.appPass" if kind == "access" else "com.atproto.refresh",
        "sub": DID,
        "n": n,
    }
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJFUzI1NksifQ.{payload}.c2ln{kind}{n}"


def _tid(n: int) -> str:
    alphabet = "234567abcdefghijklmnopqrstuvwxyz"
    value = (int(datetime(2025, 1, 1, tzinfo=UTC).timestamp() * 1_000_000) << 10) + n
    return "".join(alphabet[(value >> shift) & 31] for shift in range(60, -1, -5))


def _digest(data: bytes) -> str:
    return base64.b32encode(hashlib.sha256(data).digest()).decode().lower().rstrip("=")[:40]
