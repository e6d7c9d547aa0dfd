"""Domain errors. ``api/errors.py`` maps each to an HTTP problem document."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    title = "Domain error"
    kind = "domain-error"

    def __init__(self, detail: str, *, errors: Mapping[str, object] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = dict(errors or {})


class NotFound(DomainError):
    title = "Not found"
    kind = "not-found"


class Conflict(DomainError):
    title = "Conflict"
    kind = "conflict"


class Gone(DomainError):
    """The thing existed but can no longer be used (an expired or revoked invitation)."""

    title = "Gone"
    kind = "gone"


class RuleViolation(DomainError):
    """A request that is well-formed but breaks a domain rule."""

    title = "Rule violated"
    kind = "rule-violation"


class TooLarge(DomainError):
    """Content over a size limit that depends on what it turns out to be (an image, a video)."""

    title = "Content too large"
    kind = "too-large"


class PermissionDenied(DomainError):
    title = "Forbidden"
    kind = "forbidden"


class Unauthenticated(DomainError):
    title = "Unauthorized"
    kind = "unauthorized"


class StaleVersion(DomainError):
    """The caller's copy (ETag) is older than the stored one."""

    title = "Precondition failed"
    kind = "stale-version"


class IdempotencyConflict(DomainError):
    title = "Conflict"
    kind = "idempotency-in-progress"


class IdempotencyMismatch(DomainError):
    title = "Idempotency key reused"
    kind = "idempotency-key-reused"
