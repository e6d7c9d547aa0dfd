"""Structured JSON logs on stderr, one line per record, with the context of the work at hand.

The context is structlog's (contextvars): a request binds its request id, its
organisation (when the unit of work is scoped) and its caller; a job binds its
RQ id, its function, the tenant Job row it runs (when it has one), its
organisation and the request id that queued it (carried in the RQ job's meta).
Every line written meanwhile carries them, whichever logger wrote it: ours,
RQ's, or any stdlib logger of a library.
"""

from __future__ import annotations

import logging
import re
import sys
import time

import structlog
from structlog.contextvars import bind_contextvars, get_contextvars

# What a job carries from the context that queued it (RQ job meta keys).
CARRIED = ("request_id", "organisation_id")
# The context's fields in the order a reader looks for them.
ORDER = ("request_id", "organisation_id", "caller", "job", "rq_job_id", "job_id")
# A calendar feed's address holds its token (calendar apps send no header): whatever
# follows /v1/plan-feeds/ is a credential, and no log line keeps it.
SECRET_IN_PATH = re.compile(r"(/v1/plan-feeds/)[^/\s?#\"']+")
# A feed token anywhere else (a query string, a header quoted in a message).
FEED_TOKEN = re.compile(r"clvfeed_[\w%-]+")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` with any calendar feed token replaced by ``[redacted]``."""
    return FEED_TOKEN.sub(REDACTED, SECRET_IN_PATH.sub(rf"\1{REDACTED}", text))


class Redacting(logging.Filter):
    """Rewrites a record's message without the feed tokens it holds.

    For werkzeug's request lines (``clover serve``), which log the raw request line
    with their own handler, outside our formatter.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def bind(**fields: object) -> None:
    """Add ``fields`` (those not None) to the log context of the work at hand."""
    bind_contextvars(**{name: value for name, value in fields.items() if value is not None})


def request_id() -> str | None:
    """The id of the request the work at hand stems from: the request's own, or in a job
    the one that queued it (None for periodic work)."""
    value = get_contextvars().get("request_id")
    return value if isinstance(value, str) else None


def carried() -> dict[str, object]:
    """The fields a job queued now takes along (into RQ's job meta).

    Only work that stems from a request passes its organisation on: a request acts
    for one organisation, while a periodic job may queue work for many (the job
    names its organisation itself once it scopes its unit of work).
    """
    context = get_contextvars()
    if context.get("request_id") is None:
        return {}
    return {name: context[name] for name in CARRIED if context.get(name) is not None}


def _entry(_logger, _method: str, event_dict: dict) -> dict:
    """The line's fields in a fixed order: time, level, logger, message, context, extras."""
    record: logging.LogRecord = event_dict.pop("_record")
    event_dict.pop("_from_structlog", None)
    entry = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(record.created)),
        "level": record.levelname,
        "logger": record.name,
        "message": event_dict.pop("event", ""),
    }
    context = get_contextvars()
    entry.update({name: context.pop(name) for name in ORDER if name in context})
    entry.update(context)
    # Fields a call names itself (``extra={"fields": …}``, structlog's key-values) win,
    # unless they know less than the context.
    for name, value in getattr(record, "fields", {}).items():
        if value is not None or name not in entry:
            entry[name] = value
    entry.update(event_dict)
    return entry


class JsonFormatter(structlog.stdlib.ProcessorFormatter):
    """One JSON object per record, for stdlib and structlog loggers alike (tokens redacted)."""

    def __init__(self) -> None:
        super().__init__(
            processors=[
                structlog.processors.format_exc_info,  # exc_info → "exception" (a traceback)
                _entry,
                structlog.processors.JSONRenderer(default=str),
            ],
        )

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def _handler() -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    return handler


def _has_json_handler(logger: logging.Logger) -> bool:
    return any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers)


def configure(level: str) -> None:
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, Redacting) for f in werkzeug.filters):
        werkzeug.addFilter(Redacting())
    root = logging.getLogger("clover")
    if not _has_json_handler(root):
        root.addHandler(_handler())
        root.propagate = False
    root.setLevel(level)
    if not structlog.is_configured():
        # structlog's own loggers, should code use them, end in the same formatter.
        structlog.configure(
            processors=[structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
            logger_factory=structlog.stdlib.LoggerFactory(),
            wrapper_class=structlog.stdlib.BoundLogger,
            cache_logger_on_first_use=True,
        )


def configure_process(level: str) -> None:
    """A process of its own (``clover worker``): every logger writes through the formatter.

    The root handler also stands in for RQ's: RQ adds its plain-text handlers
    only to a logger that has no effective handler.
    """
    configure(level)
    root = logging.getLogger()
    if not _has_json_handler(root):
        root.addHandler(_handler())
    root.setLevel(level)
