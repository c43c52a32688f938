"""Throttling in the fake, as Entra ID and Azure Resource Manager document it (``reference/throttling/FACTS.md``).

* ARM throttles with a **token bucket** per scope, principal and operation type (reads, writes, deletes): the bucket
  holds the most requests that can be sent at once and refills at a steady rate. Beyond it: 429 with ``Retry-After``;
  "a request sent before the retry value has elapsed isn't processed and a new retry value is returned". The
  ManagementPartner API is tenant level, so each PAL link (its own principal) has buckets of its own.
* Entra answers a ``client_credentials`` token request beyond its limit with 429 and ``Retry-After``; it publishes no
  rate, so the limit is a setting (per client application in its tenant, or per tenant).

Every request a throttle sees is marked in the fake's record (:class:`~.model.RecordedRequest`): ``throttled`` when
it was answered 429 here, ``before_retry_after`` when its client had been told to wait and sent it before the wait
was over. A client that obeys ``Retry-After`` never has a request of the second kind.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from .server import RequestContext

Operation = Literal["read", "write", "delete"]

ARM_DOCUMENTED_LIMITS: dict[Operation, tuple[float, float]] = {
    "read": (250, 25),
    "write": (200, 10),
    "delete": (200, 10),
}
"""ARM's tenant- and subscription-level token buckets (bucket size, refill per second), per principal and operation
type (``reference/throttling/FACTS.md`` §1)."""


class ThrottleSettingError(ValueError):
    """A throttle setting that is not a positive number; the message names it."""


@dataclass(frozen=True)
class BucketLimit:
    """A token bucket: at most ``size`` requests at once, ``refill_per_second`` more each second after that."""

    size: float
    refill_per_second: float

    def __post_init__(self) -> None:
        for name in ("size", "refill_per_second"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise ThrottleSettingError(f"BucketLimit.{name} must be a positive number, not {value!r}")
        if self.size < 1:
            raise ThrottleSettingError(f"BucketLimit.size must be at least 1 (one request), not {self.size!r}")


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass(frozen=True)
class Verdict:
    """What a throttle decided for one request."""

    retry_after: int | None
    """Seconds the client must wait (the 429's ``Retry-After``), or None: served."""
    before_retry_after: bool
    """The client sent it while an earlier ``Retry-After`` given to it had not elapsed."""


@dataclass
class Throttle:
    """Token buckets by key; :meth:`admit` decides each request and remembers whom it told to wait until when.

    ``limits`` gives each operation's bucket (an operation with no limit is never throttled)."""

    limits: dict[Operation, BucketLimit]
    _buckets: dict[tuple[str, ...], _Bucket] = field(default_factory=dict, init=False, repr=False)
    _told: dict[tuple[str, Operation], float] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def admit(self, bucket_key: tuple[str, ...], operation: Operation, client: str, now: float) -> Verdict:
        """Take a token from the bucket ``bucket_key`` + ``operation`` for ``client`` at ``now`` (seconds on the fake's clock).

        A client told to wait (for this operation) that asks again too early is refused without taking a token, with
        the time it still has to wait (as ARM documents); an empty bucket refuses with the time until the next token."""
        limit = self.limits.get(operation)
        with self._lock:
            told = self._told.get((client, operation))
            if told is not None and now < told:
                return Verdict(_whole_seconds(told - now), before_retry_after=True)
            if limit is None:
                return Verdict(None, before_retry_after=False)
            key = (*bucket_key, operation)
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(limit.size, now)
            bucket.tokens = min(limit.size, bucket.tokens + (now - bucket.updated) * limit.refill_per_second)
            bucket.updated = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return Verdict(None, before_retry_after=False)
            wait = _whole_seconds((1 - bucket.tokens) / limit.refill_per_second)
            self._told[(client, operation)] = now + wait
            return Verdict(wait, before_retry_after=False)


def _whole_seconds(seconds: float) -> int:
    """``Retry-After`` as Entra and ARM send it: whole seconds (MSAL reads it as an integer), at least 1."""
    return max(1, math.ceil(seconds - 1e-9))


def arm_operation(method: str) -> Operation:
    """ARM's operation type of an HTTP method: GET (and HEAD) read, DELETE delete, anything else writes."""
    upper = method.upper()
    if upper in ("GET", "HEAD"):
        return "read"
    return "delete" if upper == "DELETE" else "write"


def arm_scope(path: str, tenant: str) -> str:
    """The scope ARM counts a request against: its subscription, or the tenant for a tenant-level request."""
    parts = [p for p in path.split("?")[0].split("/") if p]
    if len(parts) >= 2 and parts[0].lower() == "subscriptions":
        return f"subscriptions/{parts[1].lower()}"
    return f"tenants/{tenant}"


def token_request_refused(h: RequestContext, path: str, parts: list[str], body: bytes) -> bool:
    """Answer a token request 429 with ``Retry-After`` when the fake's token throttle says so (True: answered)."""
    fake = h.azure
    if fake.token_throttle is None or not parts:
        return False
    tenant = parts[0]
    client_id = {k: v[0] for k, v in parse_qs(body.decode(errors="replace")).items()}.get("client_id", "")
    h.meta.update(client_id=client_id, tenant_id=tenant)
    key = (tenant,) if fake.token_throttle_per == "tenant" else (tenant, client_id)
    verdict = fake.token_throttle.admit(key, "write", f"{tenant}/{client_id}", fake.clock())
    h.throttle_verdict = verdict
    if verdict.retry_after is None:
        return False
    h.send(
        "token",
        path,
        429,
        {
            "error": "temporarily_unavailable",
            "error_description": f"Too many token requests; retry after {verdict.retry_after} seconds.",
        },
        {"Retry-After": str(verdict.retry_after)},
    )
    return True


def arm_request_refused(h: RequestContext, path: str) -> bool:
    """Answer an ARM request 429 ``TooManyRequests`` with ``Retry-After`` when the caller's bucket is empty, or when it
    asks again before an earlier ``Retry-After`` elapsed (True: answered). Requests without a known token go on (401)."""
    fake = h.azure
    if fake.arm_throttle is None:
        return False
    caller = fake.caller(h)
    if caller is None:
        return False
    tenant, client_id = caller
    operation = arm_operation(h.command)
    verdict = fake.arm_throttle.admit((arm_scope(path, tenant), client_id), operation, f"{tenant}/{client_id}", fake.clock())
    h.throttle_verdict = verdict
    if verdict.retry_after is None:
        return False
    h.send(
        "arm",
        path,
        429,
        {
            "error": {
                "code": "TooManyRequests",
                "message": f"The request is throttled (too many {operation}s by this principal); retry after "
                f"{verdict.retry_after} seconds.",
            }
        },
        {"Retry-After": str(verdict.retry_after)},
    )
    return True
