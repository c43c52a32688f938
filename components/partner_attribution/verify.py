"""Live verification: sign in as each principal and check its PAL link names the expected partner ID.

Uses the same client as the PAL provider (:mod:`partner_attribution.pal`), its read run asynchronously
(:mod:`partner_attribution.pal.aio`), concurrently with a bound.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .attribution import AttributionDocument, AttributionFormatError
from .azure_ids import GUID_PATTERN
from .pal import ClientSecretSource, CloudEndpoints, PartnerLinkError
from .pal.aio import AsyncCredentialSource, AsyncLinkReader
from .pal.federation import EXCHANGE_AUDIENCES, find_token_source
from .pal.identity import ClientAssertionSource
from .validators import check_audience


class VerifyInputError(ValueError):
    """The input does not say which principals to verify or with what credentials."""


@dataclass(frozen=True)
class VerifyTarget:
    """One identity to check: who, how to sign in, and what it should be linked to."""

    name: str
    tenant_id: str
    client_id: str
    client_secret: str | None = field(repr=False)
    """None: the principal's link is federated; it is checked by signing in with the pipeline's token."""
    expected_partner_id: str
    token_audience: str | None = None
    """A federated link's audience (the stack's ``linkFederation.audience``); None: the cloud's default."""


@dataclass(frozen=True)
class VerifyResult:
    name: str
    client_id: str
    expected_partner_id: str
    actual_partner_id: str | None
    status: str
    """``ok``, ``missing`` (no link), ``wrong-partner`` or ``error`` (could not check)."""
    detail: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "clientId": self.client_id,
            "expectedPartnerId": self.expected_partner_id,
            "actualPartnerId": self.actual_partner_id,
            "status": self.status,
            "detail": self.detail,
            "seconds": round(self.seconds, 3),
        }


def targets_from_stack_output(document: Any, partner_id: str | None = None) -> list[VerifyTarget]:
    """Targets from ``pulumi stack output --json --show-secrets`` (``attribution`` + ``linkCredentials``)."""
    if not isinstance(document, dict) or "linkCredentials" not in document or "attribution" not in document:
        raise VerifyInputError(
            "expected the output of 'pulumi stack output --json --show-secrets' (with 'attribution' and "
            "'linkCredentials'), or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for one identity"
        )
    credentials = document["linkCredentials"]
    if not isinstance(credentials, dict):
        if isinstance(credentials, str):  # Pulumi prints a secret it does not show as "[secret]"
            raise VerifyInputError("'linkCredentials' is hidden; run pulumi stack output --json --show-secrets")
        raise VerifyInputError("'linkCredentials' must be an object: principal name -> {tenantId, clientId, clientSecret}")
    try:
        attribution = AttributionDocument.from_json(document["attribution"])
    except AttributionFormatError as exc:
        raise VerifyInputError(str(exc)) from None
    targets = []
    for index, principal in enumerate(attribution.principals):
        expected = partner_id or principal.configured_partner_id or principal.partner_id
        if principal.link_credential == "federated":
            for key, value in (("tenantId", principal.tenant_id), ("clientId", principal.client_id)):
                if not GUID_PATTERN.match(value):
                    shown = "missing" if not value else f"{value!r} is not a GUID"
                    raise VerifyInputError(f"attribution.principals[{index}].{key}: {shown} (principal {principal.name!r})")
            audience = principal.link_audience
            if audience is not None and (problem := check_audience(audience)) is not None:
                raise VerifyInputError(
                    f"attribution.principals[{index}].linkAudience (the stack's linkFederation.audience): {problem}"
                )
            targets.append(VerifyTarget(principal.name, principal.tenant_id, principal.client_id, None, expected, audience))
            continue
        cred = credentials.get(principal.name)
        if cred is None:
            raise VerifyInputError(f"no credentials for principal {principal.name!r} in 'linkCredentials'")
        fields = ("tenantId", "clientId", "clientSecret")
        if not isinstance(cred, dict) or not all(isinstance(cred.get(f), str) and cred.get(f) for f in fields):
            raise VerifyInputError(f"linkCredentials.{principal.name}: expected {{{', '.join(fields)}}} as strings")
        targets.append(
            VerifyTarget(
                name=principal.name,
                tenant_id=cred["tenantId"],
                client_id=cred["clientId"],
                client_secret=cred["clientSecret"],
                expected_partner_id=expected,
            )
        )
    return targets


def _source(target: VerifyTarget, audience: str) -> AsyncCredentialSource:
    if target.client_secret is not None:
        return ClientSecretSource(target.tenant_id, target.client_id, target.client_secret)
    return ClientAssertionSource(target.tenant_id, target.client_id, find_token_source(), audience=audience)


@dataclass(frozen=True)
class _Waits:
    """What a check measures time by and waits with (:func:`verify_links`' ``clock`` and ``async_sleep``)."""

    clock: Callable[[], float]
    async_sleep: Callable[[float], Awaitable[None]]


async def _check(
    target: VerifyTarget, endpoints: CloudEndpoints, timeout: float, audience: str, transport: Any, waits: _Waits
) -> VerifyResult:
    started = waits.clock()
    reader = AsyncLinkReader(
        _source(target, audience),
        endpoints,
        timeout_seconds=timeout,
        propagation_timeout_seconds=min(timeout, 30),
        on_retry=lambda _message: None,
        transport=transport,
        clock=waits.clock,
        async_sleep=waits.async_sleep,
    )
    try:
        link = await reader.read()
    except PartnerLinkError as exc:
        return VerifyResult(
            target.name, target.client_id, target.expected_partner_id, None, "error", str(exc), waits.clock() - started
        )
    elapsed = waits.clock() - started
    if link is None:
        return VerifyResult(target.name, target.client_id, target.expected_partner_id, None, "missing", "no PAL link", elapsed)
    if link.partner_id != target.expected_partner_id:
        detail = f"linked to {link.partner_id} ({link.partner_name or 'unknown partner'})"
        return VerifyResult(
            target.name, target.client_id, target.expected_partner_id, link.partner_id, "wrong-partner", detail, elapsed
        )
    return VerifyResult(target.name, target.client_id, target.expected_partner_id, link.partner_id, "ok", "linked", elapsed)


def verify_links(
    targets: Iterable[VerifyTarget],
    endpoints: CloudEndpoints,
    *,
    concurrency: int = 16,
    timeout: float = 60,
    on_result: Callable[[VerifyResult], None] | None = None,
    token_audience: str = EXCHANGE_AUDIENCES["public"],
    clock: Callable[[], float] = time.monotonic,
    async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> list[VerifyResult]:
    """Check every target, at most ``concurrency`` at a time; results in input order. Federated targets sign in
    with the pipeline's token for ``token_audience``. ``on_result`` hears of each result as it comes. ``clock`` and
    ``async_sleep`` measure each check's budget and time and wait before its retries.

    The checks run on an event loop of their own (:mod:`.pal.aio`: azure-identity's asynchronous credentials, one
    shared aiohttp connection pool), so call this from code that is not itself running on an event loop."""
    waits = _Waits(clock, async_sleep)
    return asyncio.run(_verify_all(list(targets), endpoints, concurrency, timeout, on_result, token_audience, waits))


async def _verify_all(
    targets: list[VerifyTarget],
    endpoints: CloudEndpoints,
    concurrency: int,
    timeout: float,
    on_result: Callable[[VerifyResult], None] | None,
    token_audience: str,
    waits: _Waits,
) -> list[VerifyResult]:
    from .verify_transport import shared_async_transport

    transport = shared_async_transport(concurrency)
    queue = iter(tenants_in_turn(targets))
    checked: dict[int, VerifyResult] = {}

    async def worker() -> None:
        for index in queue:  # the workers share one iterator: each takes the next target when it is free
            target = targets[index]
            result = await _check(target, endpoints, timeout, target.token_audience or token_audience, transport, waits)
            checked[index] = result
            if on_result is not None:
                on_result(result)

    try:
        await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(targets))))))
    finally:
        await transport.session.close()
    return [checked[index] for index in range(len(targets))]


def tenants_in_turn(targets: list[VerifyTarget]) -> list[int]:
    """The order to check ``targets`` in (their indexes): one principal of each tenant in turn, so that a tenant's
    principals are spread over the run instead of signing in at once."""
    by_tenant: dict[str, list[int]] = {}
    for index, target in enumerate(targets):
        by_tenant.setdefault(target.tenant_id.lower(), []).append(index)
    groups = list(by_tenant.values())
    return [group[turn] for turn in range(max(map(len, groups), default=0)) for group in groups if turn < len(group)]
