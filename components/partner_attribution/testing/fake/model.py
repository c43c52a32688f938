"""The fake's model of a directory and of what it serves: apps, secrets, injected faults, recorded requests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

Target = Literal["discovery", "token", "arm", "any"]


@dataclass
class FakeApp:
    """A service principal in the fake tenant."""

    tenant_id: str
    client_id: str
    object_id: str
    ready_at: float = 0.0
    """Token requests fail with AADSTS700016 until then (replication delay)."""
    arm_ready_at: float = 0.0
    """ARM answers 401 until then."""
    deleted: bool = False
    secrets: dict[str, FakeSecret] = field(default_factory=dict, repr=False)


@dataclass
class FakeSecret:
    ready_at: float = 0.0
    expires_at: float | None = None
    revoked: bool = False


@dataclass
class Fault:
    """A fault to inject into matching requests, ``times`` times (``None``: always)."""

    target: Target
    kind: Literal["status", "drop", "slow"]
    status: int = 503
    retry_after: float | None = None
    delay: float = 0.0
    method: str | None = None
    times: int | None = 1


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake served. Bodies and headers are never recorded (they carry secrets)."""

    at: float
    method: str
    path: str
    target: Target
    status: int | None
    """None when the fault dropped the connection."""
    client_id: str | None = None
    tenant_id: str | None = None


def now_text() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")
