"""The PAL client: read, create, re-point and remove the Partner Admin Link of one identity.

Authentication uses azure-identity (:mod:`.identity`), API calls azure-mgmt-managementpartner. Both SDK
pipelines run with their own retries off (``retry_total=0``) so that this module owns the single retry
budget of an operation: Entra replication delays, throttling, 5xx and dropped connections are retried
with capped backoff until ``timeout_seconds``; permanent errors fail at once (:mod:`.errors`).
TLS is always verified; a custom CA bundle is taken from ``REQUESTS_CA_BUNDLE``, as requests does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import (
    LinkConflictError,
    PermanentLinkError,
    RetryBudgetExhaustedError,
    classify,
    retry_after_seconds,
)
from .identity import CONNECTION_TIMEOUT, READ_TIMEOUT, CloudEndpoints, CredentialSource
from .retry import Backoff, Budget

if TYPE_CHECKING:
    from azure.mgmt.managementpartner import ACEProvisioningManagementPartnerAPI

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class LinkState:
    """A PAL link as the ManagementPartner API returns it."""

    partner_id: str
    partner_name: str | None
    tenant_id: str
    object_id: str
    state: str
    version: int | None = None
    created_time: str | None = None
    updated_time: str | None = None

    @classmethod
    def from_response(cls, response: Any) -> LinkState:
        def text(value: Any) -> str | None:
            return (
                None if value is None else value.isoformat().replace("+00:00", "Z") if hasattr(value, "isoformat") else str(value)
            )

        return cls(
            partner_id=str(response.partner_id),
            partner_name=response.partner_name,
            tenant_id=str(response.tenant_id),
            object_id=str(response.object_id),
            state=str(response.state or "Active"),
            version=int(response.version) if response.version is not None else None,
            created_time=text(response.created_time),
            updated_time=text(response.updated_time),
        )


ProgressCallback = Callable[[str], None]


class PartnerLinkClient:
    """Read, create, re-point and remove the PAL link of one identity."""

    def __init__(
        self,
        source: CredentialSource,
        endpoints: CloudEndpoints | None = None,
        *,
        timeout_seconds: float = 600,
        propagation_timeout_seconds: float | None = None,
        backoff: Backoff | None = None,
        on_retry: ProgressCallback | None = None,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        self.source = source
        self.endpoints = endpoints or CloudEndpoints.for_cloud()
        self.timeout_seconds = timeout_seconds
        self.propagation_timeout_seconds = propagation_timeout_seconds
        self.backoff = backoff or Backoff()
        self.on_retry = on_retry or (lambda message: log.warning("%s", message))
        self.read_timeout = min(read_timeout, timeout_seconds)  # one request never outlasts the budget
        self._api: ACEProvisioningManagementPartnerAPI | None = None
        self._token_response: tuple[int, float | None] | None = None

    @property
    def who(self) -> str:
        return self.source.describe()

    def _client(self) -> ACEProvisioningManagementPartnerAPI:
        if self._api is None:
            from azure.mgmt.managementpartner import ACEProvisioningManagementPartnerAPI

            self._api = ACEProvisioningManagementPartnerAPI(
                self.source.credential(self.endpoints, self._record_token_response, self.read_timeout),
                base_url=self.endpoints.arm_endpoint,
                credential_scopes=[self.endpoints.arm_scope],
                retry_total=0,
                connection_timeout=CONNECTION_TIMEOUT,
                read_timeout=self.read_timeout,
            )
        return self._api

    def _record_token_response(self, pipeline_response: Any) -> None:
        response = pipeline_response.http_response
        self._token_response = (response.status_code, retry_after_seconds(response.headers.get("Retry-After")))

    def _from_arm(self, exc: BaseException) -> bool:
        request = getattr(getattr(exc, "response", None), "request", None)
        return str(getattr(request, "url", "")).startswith(self.endpoints.arm_endpoint)

    def _budget(self) -> Budget:
        return Budget(self.timeout_seconds)

    def _timeouts(self, budget: Budget) -> dict[str, float]:
        """Per-call ARM timeouts: at most what is left of the budget, so a slow answer can't outlast it."""
        remaining = max(1.0, budget.remaining)
        return {"connection_timeout": min(CONNECTION_TIMEOUT, remaining), "read_timeout": min(self.read_timeout, remaining)}

    def _run(self, operation: str, call: Callable[[], T], budget: Budget) -> T:
        """Run one SDK call, retrying transient failures within ``budget``."""
        attempt = 0
        while True:
            attempt += 1
            self._token_response = None
            try:
                return call()
            except Exception as exc:  # noqa: BLE001 - classified below, re-raised as our own error
                from_arm = self._from_arm(exc)
                verdict = classify(exc, self.who, None if from_arm else self._token_response)
                if not from_arm:
                    # MSAL caches HTTP 400 token answers for 60 s per client application
                    # (msal/throttled_http_client.py), so a retry with the same credential would
                    # replay AADSTS700016 long after Entra caught up: start from a fresh one.
                    self._api = None
            if isinstance(verdict, PermanentLinkError):
                raise verdict from None
            limit = budget.seconds
            if verdict.propagation and self.propagation_timeout_seconds is not None:
                limit = min(limit, self.propagation_timeout_seconds)
            delay = max(self.backoff.delay(attempt), verdict.retry_after or 0.0)
            if budget.elapsed + delay > limit:
                raise RetryBudgetExhaustedError(operation, self.who, attempt, budget.elapsed, verdict) from None
            self.on_retry(
                f"{operation} for {self.who}: {verdict.cause}; retrying in {delay:.1f}s "
                f"(attempt {attempt}, {budget.elapsed:.0f}s of {limit:.0f}s)"
            )
            budget.sleep(delay)

    def _get(self, budget: Budget) -> LinkState | None:
        from azure.core.exceptions import ResourceNotFoundError

        def call() -> LinkState | None:
            try:
                link = LinkState.from_response(self._client().partners.get(**self._timeouts(budget)))
            except ResourceNotFoundError:
                return None
            return None if link.state.lower() == "deleted" else link

        return self._run("reading the partner link", call, budget)

    def get(self) -> LinkState | None:
        """The identity's current link, or None when it has none (404 or state Deleted)."""
        return self._get(self._budget())

    def link(self, partner_id: str, *, overwrite: bool = False, expected_current: str | None = None) -> LinkState:
        """Link the identity to ``partner_id``.

        Already linked to it: adopted as is. Linked to another ID: re-pointed with PATCH (as
        ``az managementpartner update`` does) only when ``overwrite`` is set or the current ID is
        ``expected_current`` (the one this stack recorded); otherwise :class:`LinkConflictError`.
        The current link is read first because what PUT does on a link to another ID is not
        documented: it may fail, or it may re-point silently.
        """
        budget = self._budget()
        conflict: PermanentLinkError | None = None
        for _ in range(3):
            current = self._get(budget)
            if current is not None and current.partner_id == partner_id:
                return current
            if current is not None:
                if not (overwrite or current.partner_id == expected_current):
                    raise LinkConflictError(self.who, current.partner_id, partner_id)
                return self._run(
                    "re-pointing the partner link",
                    lambda: LinkState.from_response(self._client().partner.update(partner_id, **self._timeouts(budget))),
                    budget,
                )
            try:
                return self._run(
                    "creating the partner link",
                    lambda: LinkState.from_response(self._client().partner.create(partner_id, **self._timeouts(budget))),
                    budget,
                )
            except PermanentLinkError as exc:
                if exc.status != 409:
                    raise
                # A link appeared between GET and PUT (PUT refuses existing links): read again.
                conflict = exc
        assert conflict is not None
        raise conflict

    def unlink(self, partner_id: str) -> bool:
        """Remove the link to ``partner_id``. Returns False when there was none (already unlinked)."""
        from azure.core.exceptions import ResourceNotFoundError

        budget = self._budget()

        def call() -> bool:
            try:
                self._client().partner.delete(partner_id, **self._timeouts(budget))
            except ResourceNotFoundError:
                return False
            return True

        return self._run("removing the partner link", call, budget)
