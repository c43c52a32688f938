"""What an Azure or Entra failure means, as types: callers branch on the class, never on message text.

Two families:

* :class:`Transient` outcomes, worth another attempt within the retry budget. Each says whether it is
  *propagation* (Entra or ARM has not caught up with a new principal, secret or federated credential)
  and carries the server's ``Retry-After`` when there was one.
* :class:`PartnerLinkError` exceptions, raised to the caller. :class:`PermanentLinkError` and its
  subclasses fail at once; :class:`RetryBudgetExhaustedError` carries the last transient outcome, so a
  caller asks ``isinstance(exc.last, PrincipalNotFound)`` instead of searching the message.

Entra's codes (``AADSTSnnnn``): learn.microsoft.com/entra/identity-platform/reference-error-codes and
``reference/federation/FACTS.md`` §3. Messages never contain a secret, an assertion or a token.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import quote, quote_plus

AADSTS_CODE = re.compile(r"AADSTS(\d+)")
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


# -- transient outcomes -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Transient:
    """A failure worth retrying; ``cause`` is the one-line reason shown in retry messages."""

    cause: str
    retry_after: float | None = None
    propagation: ClassVar[bool] = False


@dataclass(frozen=True)
class PrincipalNotFound(Transient):
    """AADSTS700016: the application is not in the tenant yet (replication), or was deleted."""

    propagation: ClassVar[bool] = True


@dataclass(frozen=True)
class SecretNotAccepted(Transient):
    """AADSTS7000215: the client secret is not valid yet (replication), or was revoked or replaced."""

    propagation: ClassVar[bool] = True


@dataclass(frozen=True)
class ArmNotAware(Transient):
    """ARM answered 401 to a valid token: the new principal is not known to Azure Resource Manager yet."""

    propagation: ClassVar[bool] = True


@dataclass(frozen=True)
class FederationNotReplicated(Transient):
    """AADSTS70021 with a token whose issuer and subject are the trusted ones: a federated credential
    created moments ago is not usable yet (FACTS.md §4: "retry token requests")."""

    propagation: ClassVar[bool] = True


@dataclass(frozen=True)
class AssertionExpired(Transient):
    """AADSTS700024, or a token read already expired: the pipeline token was not within its valid time range. The
    next attempt fetches a fresh one, once: a second in a row is permanent (:func:`expired_again`)."""


@dataclass(frozen=True)
class TokenSourceUnavailable(Transient):
    """The pipeline's token endpoint failed this time."""


@dataclass(frozen=True)
class UnconfirmedAnswer(Transient):
    """A success status whose body does not confirm what was asked (another partner ID, another caller,
    no partner ID, an empty body): not a link. Retried; reported as such when the budget runs out."""


@dataclass(frozen=True)
class Throttled(Transient):
    """HTTP 429."""


@dataclass(frozen=True)
class ServerUnavailable(Transient):
    """HTTP 408 or 5xx."""


@dataclass(frozen=True)
class NetworkProblem(Transient):
    """The connection failed, dropped or timed out."""


@dataclass(frozen=True)
class BudgetSpent(NetworkProblem):
    """An attempt that was still waiting for its answer when the budget ran out."""


class TransientError(Exception):
    """Raised by this package's own steps (fetching a pipeline token) to say "retry": carries the outcome."""

    def __init__(self, outcome: Transient) -> None:
        self.outcome = outcome
        super().__init__(outcome.cause)


# -- errors raised to callers ---------------------------------------------------------------------
class PartnerLinkError(Exception):
    """A PAL operation failed; the message says why and what to do. Never contains a secret."""

    status: int | None = None
    """HTTP status of the failed call, when there was one."""


class PermanentLinkError(PartnerLinkError):
    """Retrying cannot help."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class CredentialRejectedError(PermanentLinkError):
    """Entra refused the credential for good: an expired secret (AADSTS7000222)."""


class TenantNotFoundError(PermanentLinkError):
    """The tenant does not exist (AADSTS90002 and relatives)."""


class AccessDeniedError(PermanentLinkError):
    """HTTP 403: the identity may not manage its own link."""


class RequestRejectedError(PermanentLinkError):
    """HTTP 400 or 409 from ARM: e.g. a partner ID Microsoft does not know, or a link that appeared meanwhile."""


class TlsVerificationError(PermanentLinkError):
    """The server's certificate did not verify: a proxy or private cloud with its own CA."""


class NoTokenSourceError(PermanentLinkError):
    """A federated link has no pipeline token to sign in with (a ``pulumi up`` from a laptop)."""


class FederationMismatchError(PermanentLinkError):
    """The pipeline token's issuer or subject is not the one the principal trusts, or Entra says no
    federated credential matches it after the budget."""


class FederationDisabledError(PermanentLinkError):
    """The tenant disables or constrains workload identity federation (AADSTS700223, AADSTS700238)."""


class TokenMismatchError(PermanentLinkError):
    """Entra answered with an access token for another tenant or application than the one asked for."""


class RedirectRefusedError(PermanentLinkError):
    """A 3xx answer: Azure Resource Manager does not redirect these calls, and no redirect is followed."""


class NotSignedInError(PermanentLinkError):
    """No identity is signed in: azure-identity's DefaultAzureCredential found no credential to get a token with."""


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


class ConcurrentWriteError(LinkConflictError):
    """The link was written, then read again naming another partner ID (or none): another writer came in between."""

    def __init__(self, who: str, wanted: str, found: str | None) -> None:
        PermanentLinkError.__init__(
            self,
            f"the PAL link of {who} was written to partner ID {wanted}, but reading it again right after shows "
            f"{found if found is not None else 'no link'}: another run wrote it at the same time. Nothing more was "
            "changed; check which partner ID it should name, then run again (with --overwrite, or overwriteExistingLink, "
            "to re-point it)",
            409,
        )
        self.current = found or ""
        self.wanted = wanted


class AssertionTimeRangeError(PermanentLinkError):
    """The pipeline token was outside its valid time range twice in a row: retrying cannot help."""


def expired_again(who: str, outcome: AssertionExpired) -> AssertionTimeRangeError:
    """What to say when a fresh pipeline token is, again, expired or not yet valid (AADSTS700024): the clock of
    this machine or of the token's issuer is off, or the source hands out the same old token."""
    return AssertionTimeRangeError(
        f"the pipeline token for {who} was outside its valid time range twice in a row, the second time freshly "
        f"fetched ({outcome.cause}): it is expired or not yet valid. Check this machine's clock, and that the token "
        "source renews the token (a token file the platform no longer rotates, a token given as is); not retried"
    )


class RetryBudgetExhaustedError(PartnerLinkError):
    """Transient failures went on for the whole budget; ``last`` is the last one."""

    def __init__(self, operation: str, who: str, attempts: int, elapsed: float, last: Transient) -> None:
        self.attempts = attempts
        self.elapsed = elapsed
        self.last = last
        super().__init__(f"{operation} for {who} gave up after {attempts} attempts over {elapsed:.0f}s; last cause: {last.cause}")


# -- classification --------------------------------------------------------------------------------
PROPAGATION_CODES: dict[str, type[Transient]] = {"700016": PrincipalNotFound, "7000215": SecretNotAccepted}
PROPAGATION_TEXT = {
    "700016": "the application is not in the tenant yet (or was deleted)",
    "7000215": "the client secret is not valid (yet)",
}
CREDENTIAL_EXPIRED = "7000222"
FEDERATION_NO_MATCH = "70021"
FEDERATION_MISMATCH_CODES = frozenset({"700211", "700212", "700213", "7002137", "7002138", "70025"})
"""Issuer, audience or subject not matching any federated credential, or none configured (FACTS.md §3)."""
ASSERTION_EXPIRED = "700024"
FEDERATION_DISABLED_CODES = frozenset({"700223", "700238"})
ARM_WRONG_AUDIENCE = "InvalidAuthenticationTokenAudience"
UNKNOWN_TENANT_CODES = frozenset({"90002", "900023"})
"""AADSTS90002 (tenant not found) and 900023 (a tenant identifier that is neither a GUID nor a domain). Not 90023:
that is InvalidRequest, "the authentication service request isn't valid" (Microsoft Entra authentication and
authorization error codes, learn.microsoft.com/entra/identity-platform/reference-error-codes)."""
NO_CREDENTIAL_IN_CHAIN = "failed to retrieve a token from the included credentials"
"""What azure-identity's DefaultAzureCredential (a ChainedTokenCredential) says when none of its credentials got a
token; with no AADSTS code in it, none of them reached Entra with a credential to refuse."""
SIGN_IN_HINT = (
    "sign in with 'az login' (Azure CLI), or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service "
    "principal; a workload or managed identity is used where one is available"
)


def aadsts_code(exc: BaseException) -> str | None:
    """The first ``AADSTSnnnn`` code in an exception's text, without the prefix."""
    match = AADSTS_CODE.search(str(exc))
    return match.group(1) if match else None


def http_status(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    response = getattr(exc, "response", None)
    if status is None and response is not None:
        status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def retry_after_seconds(value: Any) -> float | None:
    """A ``Retry-After`` header in seconds (the HTTP-date form is treated as absent)."""
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    return retry_after_seconds(headers.get("Retry-After") if hasattr(headers, "get") else None)


def arm_error_code(exc: BaseException) -> str | None:
    """The ``error.code`` of an ARM error answer, when azure-core parsed one."""
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    return code if isinstance(code, str) else None


MAX_QUOTED = 500
"""How much of a server's own error text a message quotes (a proxy can answer with megabytes)."""


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return line if len(line) <= MAX_QUOTED else f"{line[:MAX_QUOTED]}… ({len(line)} characters)"


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
) -> Transient | PermanentLinkError:
    """Decide what an SDK exception means.

    ``token_response`` is the (status, Retry-After) of the credential's last HTTP response:
    azure-identity drops both from the exceptions it raises.
    """
    if isinstance(exc, PermanentLinkError):
        return exc  # raised by this package on purpose (a token for another principal, no token source, ...)
    if isinstance(exc, TransientError):
        return exc.outcome
    code = aadsts_code(exc)
    if code in PROPAGATION_CODES:
        return PROPAGATION_CODES[code](f"AADSTS{code}: {PROPAGATION_TEXT[code]}")
    if code == CREDENTIAL_EXPIRED:
        return CredentialRejectedError(
            f"the client secret of {who} has expired (AADSTS{code}). Rotate it: change the principal's "
            "credential rotation date (credential.rotatedOn) and run pulumi up."
        )
    if code == FEDERATION_NO_MATCH:
        return FederationNotReplicated(f"AADSTS{code}: no federated credential of {who} matches the token yet")
    if code in FEDERATION_MISMATCH_CODES:
        return FederationMismatchError(
            f"Entra found no federated credential of {who} matching the pipeline token (AADSTS{code}). "
            "Check the stack's linkFederation issuer and subject against what the pipeline presents (matching is case-sensitive)."
        )
    if code == ASSERTION_EXPIRED:
        return AssertionExpired(f"AADSTS{code}: the pipeline token has expired; fetching a fresh one")
    if code in FEDERATION_DISABLED_CODES:
        return FederationDisabledError(
            f"the tenant of {who} disables or constrains workload identity federation (AADSTS{code}). Ask the tenant's "
            "administrator to allow the pipeline's issuer, or give the principal the password link credential "
            "(linkCredential: password)."
        )
    if code is None and NO_CREDENTIAL_IN_CHAIN in str(exc):
        return NotSignedInError(f"not signed in: {who} found no credential to sign in with; {SIGN_IN_HINT}")
    if code in UNKNOWN_TENANT_CODES or "Unable to get authority configuration" in str(exc):
        return TenantNotFoundError(f"the tenant of {who} was not found (AADSTS{code or '90002'}); check the tenant ID")
    status = http_status(exc)
    retry_after = _retry_after(exc)
    if status is None and token_response is not None and token_response[0] >= 400:
        status, retry_after = token_response
    if status is not None and 300 <= status < 400 and token_response is not None and status == token_response[0] and code is None:
        return RedirectRefusedError(f"the token endpoint answered HTTP {status} (a redirect) for {who}; not followed", status)
    if status is not None and 300 <= status < 400:
        return RedirectRefusedError(f"Azure Resource Manager answered HTTP {status} (a redirect) for {who}; not followed", status)
    if status == 401 and arm_error_code(exc) == ARM_WRONG_AUDIENCE:
        return PermanentLinkError(
            f"Azure Resource Manager refused the token of {who}: its audience is not this endpoint (HTTP 401 "
            f"{ARM_WRONG_AUDIENCE}). Check the cloud setting and the ARM endpoint.",
            status,
        )
    if status == 401:
        return ArmNotAware("ARM answered 401: the new principal is not known to Azure Resource Manager yet")
    if status in RETRYABLE_STATUS:
        kind = Throttled if status == 429 else ServerUnavailable
        return kind(f"HTTP {status}: {first_line(exc)}", retry_after)
    if status == 403:
        return AccessDeniedError(f"{who} is not allowed to manage its partner link (HTTP 403): {first_line(exc)}", status)
    if status in (400, 409):
        return RequestRejectedError(f"Microsoft rejected the request for {who} (HTTP {status}): {first_line(exc)}", status)
    network = _network_cause(exc)
    if network is not None and "CERTIFICATE_VERIFY_FAILED" in str(network):
        return TlsVerificationError(
            f"TLS verification failed while managing the link of {who}: {first_line(network)}. "
            "If a proxy or private cloud uses its own CA, point REQUESTS_CA_BUNDLE at a bundle that includes it."
        )
    if network is not None:
        return NetworkProblem(f"connection problem: {first_line(network)}")
    if code is not None:
        return PermanentLinkError(f"Entra refused {who}: {first_line(exc)}")
    return PermanentLinkError(f"{type(exc).__name__} while managing the link of {who}: {first_line(exc)}")


# -- secrets never leave in a message --------------------------------------------------------------
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_FORM_SECRET = re.compile(r"(?i)\b(client_secret|client_assertion|access_token|refresh_token|password)=([^&\s\"']+)")
REDACTED = "[redacted]"


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every known secret value, bearer token, JWT and secret form field replaced by ``[redacted]``:
    Azure and Entra sometimes echo the request in an error."""
    forms = set()
    for secret in {s for s in secrets if s and len(s) >= 4}:
        # as sent, and as an echo may spell it: JSON-escaped, percent-encoded (form or query)
        forms |= {secret, json.dumps(secret)[1:-1], quote(secret, safe=""), quote_plus(secret)}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, REDACTED)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _JWT.sub(REDACTED, text)
    return _FORM_SECRET.sub(lambda m: f"{m.group(1)}={REDACTED}", text)


def scrubbed(error: PartnerLinkError, secrets: Iterable[str]) -> PartnerLinkError:
    """The same error with a scrubbed message."""
    error.args = tuple(scrub(str(a), secrets) if isinstance(a, str) else a for a in error.args)
    return error
