"""Partner Admin Link client: authenticate as one identity and manage *its* PAL link.

The ``Microsoft.ManagementPartner`` API links the caller: the token's tenant and object ID
(``../shared/reference/README.md``; spec ``ManagementPartner.preview.2018-02-01.json``). There is
no principal parameter, so every call is made with the principal's own credential.

Authentication uses azure-identity, API calls azure-mgmt-managementpartner. Both SDK pipelines
run with their own retries off (``retry_total=0``) so that this module owns the single retry
budget of an operation: Entra replication delays, throttling, 5xx and dropped connections are
retried with capped backoff until ``timeout_seconds``; permanent errors fail at once.
TLS is always verified; a custom CA bundle is taken from ``REQUESTS_CA_BUNDLE``, as requests does.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from .retry import Backoff, Budget

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.mgmt.managementpartner import ACEProvisioningManagementPartnerAPI

log = logging.getLogger(__name__)
T = TypeVar("T")
ResponseHook = Callable[[Any], None]

CONNECTION_TIMEOUT = 10.0
READ_TIMEOUT = 30.0

# learn.microsoft.com/entra/identity-platform/reference-error-codes
_AADSTS = re.compile(r"AADSTS(\d+)")
PROPAGATION_CODES = {
    "700016": "the application is not in the tenant yet (or was deleted)",
    "7000215": "the client secret is not valid (yet)",
}
CREDENTIAL_EXPIRED = "7000222"
UNKNOWN_TENANT_CODES = {"90002", "900023", "90023"}
RETRYABLE_STATUS = {408, 429, 500, 502, 503, 504}


def quiet_sdk_logging() -> None:
    """Silence azure-identity's WARNING line per failed token attempt: while Entra replicates a new
    principal that is every attempt, and :class:`PartnerLinkClient` reports retries itself. For
    processes this package owns (the provider host, the CLI); a library caller keeps its own logging."""
    logging.getLogger("azure.identity").setLevel(logging.ERROR)


@dataclass(frozen=True)
class CloudEndpoints:
    """Where to authenticate and which ARM endpoint to call."""

    authority_host: str
    arm_endpoint: str
    arm_scope: str
    custom_authority: bool = False

    @classmethod
    def for_cloud(
        cls, cloud: str = "public", authority_host: str | None = None, arm_endpoint: str | None = None
    ) -> CloudEndpoints:
        """Endpoints of a named cloud, with optional overrides (private clouds and tests)."""
        from azure.core import AzureClouds
        from azure.identity import AzureAuthorityHosts
        from azure.mgmt.core.tools import get_arm_endpoints

        clouds = {
            "public": (AzureClouds.AZURE_PUBLIC_CLOUD, AzureAuthorityHosts.AZURE_PUBLIC_CLOUD),
            "usgovernment": (AzureClouds.AZURE_US_GOVERNMENT, AzureAuthorityHosts.AZURE_GOVERNMENT),
            "china": (AzureClouds.AZURE_CHINA_CLOUD, AzureAuthorityHosts.AZURE_CHINA),
        }
        if cloud not in clouds:
            raise ValueError(f"unknown cloud {cloud!r}; use one of {', '.join(clouds)}")
        arm_cloud, default_authority = clouds[cloud]
        arm = get_arm_endpoints(arm_cloud)
        return cls(
            authority_host=authority_host or default_authority,
            arm_endpoint=(arm_endpoint or arm["resource_manager"]).rstrip("/"),
            arm_scope=arm["credential_scopes"][0],
            custom_authority=authority_host is not None,
        )


class CredentialSource(Protocol):
    """How to sign in as the identity whose link is managed. A seam: client secrets today,
    certificates and federated (secretless) credentials next."""

    def describe(self) -> str:
        """Who this is, for messages (never includes a secret)."""

    def credential(
        self, endpoints: CloudEndpoints, response_hook: ResponseHook | None = None, read_timeout: float = READ_TIMEOUT
    ) -> TokenCredential:
        """A fresh azure-identity credential. ``response_hook`` sees every HTTP response of the
        credential's pipeline (azure-core ``raw_response_hook``)."""


@dataclass(frozen=True)
class ClientSecretSource:
    """A service principal signing in with a client secret."""

    tenant_id: str
    client_id: str
    client_secret: str = field(repr=False)

    def describe(self) -> str:
        return f"service principal {self.client_id} in tenant {self.tenant_id}"

    def credential(
        self, endpoints: CloudEndpoints, response_hook: ResponseHook | None = None, read_timeout: float = READ_TIMEOUT
    ) -> TokenCredential:
        from azure.identity import ClientSecretCredential

        return ClientSecretCredential(
            self.tenant_id,
            self.client_id,
            self.client_secret,
            authority=endpoints.authority_host,
            disable_instance_discovery=endpoints.custom_authority or None,
            retry_total=0,
            connection_timeout=CONNECTION_TIMEOUT,
            read_timeout=read_timeout,
            raw_response_hook=response_hook,
        )


@dataclass(frozen=True)
class DefaultIdentitySource:
    """The signed-in identity: Azure CLI login, environment, managed or workload identity."""

    def describe(self) -> str:
        return "the signed-in identity (DefaultAzureCredential)"

    def credential(
        self, endpoints: CloudEndpoints, response_hook: ResponseHook | None = None, read_timeout: float = READ_TIMEOUT
    ) -> TokenCredential:
        from azure.identity import DefaultAzureCredential

        return DefaultAzureCredential(
            authority=endpoints.authority_host,
            disable_instance_discovery=endpoints.custom_authority or None,
            retry_total=0,
            read_timeout=read_timeout,
            raw_response_hook=response_hook,
        )


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


class PartnerLinkError(Exception):
    """A PAL operation failed; the message says why and what to do. Never contains a secret."""

    status: int | None = None
    """HTTP status of the failed call, when there was one."""


class PermanentLinkError(PartnerLinkError):
    """Retrying cannot help: expired credential, unknown tenant, rejected partner ID, 403."""


class CredentialRejectedError(PermanentLinkError):
    """Entra refused the credential (expired or revoked)."""


class LinkConflictError(PermanentLinkError):
    """The identity is linked to another partner ID and re-pointing was not allowed."""

    def __init__(self, who: str, current: str, wanted: str) -> None:
        self.current = current
        self.wanted = wanted
        super().__init__(
            f"{who} is already linked to partner ID {current}, not {wanted}. Another partner may be "
            f"delivering through this identity. To re-point the link to {wanted}, set "
            "overwrite_existing (overwriteExistingLink in stack configuration) to true."
        )


class RetryBudgetExhaustedError(PartnerLinkError):
    """Transient failures went on for the whole budget."""

    def __init__(self, operation: str, who: str, attempts: int, elapsed: float, last_cause: str, kind: str) -> None:
        self.attempts = attempts
        self.elapsed = elapsed
        self.last_cause = last_cause
        self.kind = kind
        super().__init__(f"{operation} for {who} gave up after {attempts} attempts over {elapsed:.0f}s; last cause: {last_cause}")


@dataclass(frozen=True)
class _Transient:
    cause: str
    kind: str  # "propagation" | "throttled" | "server" | "network"
    retry_after: float | None = None


def _aadsts(exc: BaseException) -> str | None:
    match = _AADSTS.search(str(exc))
    return match.group(1) if match else None


def _status(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    response = getattr(exc, "response", None)
    if status is None and response is not None:
        status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _network_cause(exc: BaseException) -> BaseException | None:
    from azure.core.exceptions import ServiceRequestError, ServiceResponseError

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (ServiceRequestError, ServiceResponseError, ConnectionError, TimeoutError)):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def classify(
    exc: BaseException, who: str, token_response: tuple[int, float | None] | None = None
) -> _Transient | PermanentLinkError:
    """Decide whether an SDK exception is worth retrying.

    ``token_response`` is the (status, Retry-After) of the credential's last HTTP response:
    azure-identity drops both from the exceptions it raises.
    """
    code = _aadsts(exc)
    if code in PROPAGATION_CODES:
        return _Transient(f"AADSTS{code}: {PROPAGATION_CODES[code]}", "propagation")
    if code == CREDENTIAL_EXPIRED:
        return CredentialRejectedError(
            f"the client secret of {who} has expired (AADSTS{code}). Rotate it: change the principal's "
            "credential rotation date (credential.rotatedOn) and run pulumi up."
        )
    if code in UNKNOWN_TENANT_CODES or "Unable to get authority configuration" in str(exc):
        return PermanentLinkError(f"the tenant of {who} was not found (AADSTS{code or '90002'}); check the tenant ID")
    status = _status(exc)
    retry_after = _retry_after(exc)
    if status is None and token_response is not None and token_response[0] >= 400:
        status, retry_after = token_response
    if status == 401:
        return _Transient("ARM answered 401: the new principal is not known to Azure Resource Manager yet", "propagation")
    if status in RETRYABLE_STATUS:
        kind = "throttled" if status == 429 else "server"
        return _Transient(f"HTTP {status}: {_first_line(exc)}", kind, retry_after)
    if status == 403:
        return _with_status(
            PermanentLinkError(f"{who} is not allowed to manage its partner link (HTTP 403): {_first_line(exc)}"),
            status,
        )
    if status in (400, 409):
        return _with_status(
            PermanentLinkError(f"Microsoft rejected the request for {who} (HTTP {status}): {_first_line(exc)}"), status
        )
    network = _network_cause(exc)
    if network is not None and "CERTIFICATE_VERIFY_FAILED" in str(network):
        return PermanentLinkError(
            f"TLS verification failed while managing the link of {who}: {_first_line(network)}. "
            "If a proxy or private cloud uses its own CA, point REQUESTS_CA_BUNDLE at a bundle that includes it."
        )
    if network is not None:
        return _Transient(f"connection problem: {_first_line(network)}", "network")
    if code is not None:
        return PermanentLinkError(f"Entra refused {who}: {_first_line(exc)}")
    return PermanentLinkError(f"{type(exc).__name__} while managing the link of {who}: {_first_line(exc)}")


E = TypeVar("E", bound=PartnerLinkError)


def _with_status(error: E, status: int) -> E:
    error.status = status
    return error


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
        retry_after = response.headers.get("Retry-After")
        try:
            seconds = float(retry_after) if retry_after is not None else None
        except ValueError:
            seconds = None
        self._token_response = (response.status_code, seconds)

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
            if verdict.kind == "propagation" and self.propagation_timeout_seconds is not None:
                limit = min(limit, self.propagation_timeout_seconds)
            delay = max(self.backoff.delay(attempt), verdict.retry_after or 0.0)
            if budget.elapsed + delay > limit:
                raise RetryBudgetExhaustedError(
                    operation, self.who, attempt, budget.elapsed, verdict.cause, verdict.kind
                ) from None
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
