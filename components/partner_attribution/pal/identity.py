"""Who the PAL client signs in as, and where: cloud endpoints and credential sources.

The ``Microsoft.ManagementPartner`` API links the caller (the token's tenant and object ID), so every
call is made with the principal's own credential (``reference/README.md``). A
:class:`CredentialSource` builds a fresh azure-identity credential for each attempt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast

from ..visible import difference, visible
from .federation import (
    StaticToken,
    TokenClaims,
    TokenSource,
    TokenSourceError,
    no_token_source_message,
    token_lifetime_left,
)

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.core.credentials_async import AsyncTokenCredential

ResponseHook = Callable[[Any], None]
CONNECTION_TIMEOUT = 10.0
READ_TIMEOUT = 30.0


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


def pipeline_options(
    endpoints: CloudEndpoints, response_hook: ResponseHook | None, read_timeout: float, transport: Any = None
) -> dict[str, Any]:
    """How every credential of this package talks to Entra: its authority, no retries of its own (the client owns
    the one retry budget), bounded timeouts, no redirects followed, and the hook that records each answer's status.
    ``transport`` (an azure-core transport) shares connections between credentials (``verify`` over many principals);
    None: the credential opens its own."""
    return {
        **({"transport": transport} if transport is not None else {}),
        "authority": endpoints.authority_host,
        "disable_instance_discovery": endpoints.custom_authority or None,
        "retry_total": 0,
        "connection_timeout": CONNECTION_TIMEOUT,
        "read_timeout": read_timeout,
        "raw_response_hook": response_hook,
        "permit_redirects": False,
    }


class CredentialSource(Protocol):
    """How to sign in as the identity whose link is managed: a client secret, a pipeline's OIDC token
    (workload identity federation), or whoever is signed in."""

    @property
    def tenant_id(self) -> str | None:
        """The tenant an access token must be for (None: not known in advance)."""

    @property
    def client_id(self) -> str | None:
        """The application an access token must be for (None: not known in advance)."""

    def describe(self) -> str:
        """Who this is, for messages (never includes a secret)."""

    def prepare(self, timeout: float) -> None:
        """Called before each attempt: fetch what the attempt signs in with (a fresh assertion)."""

    def secrets(self) -> list[str]:
        """Every secret value this source has handed out, to scrub from messages."""

    def credential(
        self,
        endpoints: CloudEndpoints,
        response_hook: ResponseHook | None = None,
        read_timeout: float = READ_TIMEOUT,
        transport: Any = None,
    ) -> TokenCredential:
        """A fresh azure-identity credential. ``response_hook`` sees every HTTP response of the
        credential's pipeline (azure-core ``raw_response_hook``); ``transport``, when given, is the azure-core
        transport it sends with (shared connections)."""


@dataclass(frozen=True)
class ClientSecretSource:
    """A service principal signing in with a client secret."""

    tenant_id: str
    client_id: str
    client_secret: str = field(repr=False)

    def describe(self) -> str:
        return f"service principal {self.client_id} in tenant {self.tenant_id}"

    def prepare(self, timeout: float) -> None:
        return None

    def secrets(self) -> list[str]:
        return [self.client_secret]

    def credential(
        self,
        endpoints: CloudEndpoints,
        response_hook: ResponseHook | None = None,
        read_timeout: float = READ_TIMEOUT,
        transport: Any = None,
    ) -> TokenCredential:
        from azure.identity import ClientSecretCredential

        return ClientSecretCredential(
            self.tenant_id,
            self.client_id,
            self.client_secret,
            **pipeline_options(endpoints, response_hook, read_timeout, transport),
        )

    def async_credential(
        self, endpoints: CloudEndpoints, response_hook: ResponseHook | None, read_timeout: float, transport: Any
    ) -> AsyncTokenCredential:
        """The asynchronous credential (:mod:`.aio`): azure-identity's own token request to the tenant's token
        endpoint, without MSAL and its OpenID discovery; ``transport`` is an azure-core asynchronous transport."""
        from azure.identity.aio import ClientSecretCredential

        return ClientSecretCredential(
            self.tenant_id,
            self.client_id,
            self.client_secret,
            **pipeline_options(endpoints, response_hook, read_timeout, transport),
        )


class ClientAssertionSource:
    """A service principal signing in with the pipeline's OIDC token (workload identity federation).

    At each attempt :meth:`prepare` fetches a fresh token from ``token_source`` and checks its claims
    before Entra sees it: a token whose issuer or subject is not the trusted one fails at once, naming
    both (claims only, never the token); an expired one is fetched again. No token source at all fails
    before any waiting."""

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        token_source: TokenSource | None,
        *,
        audience: str,
        trusted_issuer: str | None = None,
        trusted_subject: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.tenant_id: str | None = tenant_id
        self.client_id: str | None = client_id
        self.token_source = token_source
        self.audience = audience
        self.trusted_issuer = trusted_issuer
        self.trusted_subject = trusted_subject
        self.clock = clock
        self._assertion: str | None = None
        self._handed_out: list[str] = []

    def describe(self) -> str:
        return f"service principal {self.client_id} in tenant {self.tenant_id}"

    def secrets(self) -> list[str]:
        return list(self._handed_out)

    def prepare(self, timeout: float) -> None:
        from .errors import AssertionExpired, FederationMismatchError, NoTokenSourceError, TokenSourceUnavailable, TransientError

        if self.token_source is None:
            raise NoTokenSourceError(no_token_source_message(self.describe(), self.trusted_issuer, self.trusted_subject))
        try:
            token = self.token_source.token(self.audience, timeout)
        except TokenSourceError as exc:
            if exc.permanent:
                raise NoTokenSourceError(f"the pipeline token for {self.describe()} can't be had: {exc}") from None
            raise TransientError(TokenSourceUnavailable(f"pipeline token ({self.token_source.name}): {exc}")) from None
        self._handed_out.append(token)
        try:
            claims = TokenClaims.of(token)
        except ValueError as exc:
            raise FederationMismatchError(f"the pipeline token from {self.token_source.name} is {exc}") from None
        expected = (self.trusted_issuer, self.trusted_subject)
        if None not in expected and (claims.issuer, claims.subject) != expected:
            hint = _subject_hint(self.trusted_subject or "", claims.subject or "")
            hint += _lookalike_hint("issuer", self.trusted_issuer or "", claims.issuer)
            hint += _lookalike_hint("subject", self.trusted_subject or "", claims.subject)
            raise FederationMismatchError(
                f"{self.describe()} trusts issuer {self.trusted_issuer} and subject {self.trusted_subject}, but the pipeline "
                f"token from {self.token_source.name} has issuer {claims.issuer} and subject {claims.subject}. Run the "
                "deployment from the pipeline the stack's linkFederation names, or change linkFederation to what this "
                "pipeline presents." + hint
            )
        if self.audience not in claims.audience:
            raise FederationMismatchError(
                f"the pipeline token from {self.token_source.name} is for audience {', '.join(claims.audience) or '(none)'}, "
                f"not {self.audience} (the stack's linkFederation.audience, or the cloud's default when it is unset); "
                "request the token for that audience, or set linkFederation.audience to what the federated credential "
                "trusts"
            )
        left = token_lifetime_left(claims, self.clock())
        if left is not None and left <= 0:
            if isinstance(self.token_source, StaticToken):
                raise FederationMismatchError(
                    f"the pipeline token in {self.token_source.name} has expired, and a token given as is can't be renewed; "
                    "let the link request its own (GitHub Actions: id-token: write; Azure Pipelines: SYSTEM_ACCESSTOKEN), "
                    "or set it again right before pulumi runs"
                )
            raise TransientError(AssertionExpired(f"the pipeline token from {self.token_source.name} has expired"))
        self._assertion = token

    def _current(self) -> str:
        if self._assertion is None:
            raise RuntimeError("prepare() the source before signing in")
        return self._assertion

    def credential(
        self,
        endpoints: CloudEndpoints,
        response_hook: ResponseHook | None = None,
        read_timeout: float = READ_TIMEOUT,
        transport: Any = None,
    ) -> TokenCredential:
        from azure.identity import ClientAssertionCredential

        return ClientAssertionCredential(
            cast(str, self.tenant_id),
            cast(str, self.client_id),
            self._current,
            **pipeline_options(endpoints, response_hook, read_timeout, transport),
        )

    def async_credential(
        self, endpoints: CloudEndpoints, response_hook: ResponseHook | None, read_timeout: float, transport: Any
    ) -> AsyncTokenCredential:
        """The asynchronous credential (:mod:`.aio`), signing in with the assertion :meth:`prepare` fetched."""
        from azure.identity.aio import ClientAssertionCredential

        return ClientAssertionCredential(
            cast(str, self.tenant_id),
            cast(str, self.client_id),
            self._current,
            **pipeline_options(endpoints, response_hook, read_timeout, transport),
        )


@dataclass(frozen=True)
class DefaultIdentitySource:
    """The signed-in identity: Azure CLI login, environment, managed or workload identity."""

    tenant_id: str | None = None
    client_id: str | None = None

    def describe(self) -> str:
        return "the signed-in identity (DefaultAzureCredential)"

    def prepare(self, timeout: float) -> None:
        return None

    def secrets(self) -> list[str]:
        return []

    def credential(
        self,
        endpoints: CloudEndpoints,
        response_hook: ResponseHook | None = None,
        read_timeout: float = READ_TIMEOUT,
        transport: Any = None,
    ) -> TokenCredential:
        """The signed-in identity's credential chain; it opens its own connections (``transport`` is not used)."""
        from azure.identity import DefaultAzureCredential

        return DefaultAzureCredential(
            authority=endpoints.authority_host,
            disable_instance_discovery=endpoints.custom_authority or None,
            retry_total=0,
            read_timeout=read_timeout,
            raw_response_hook=response_hook,
        )


def _subject_hint(trusted: str, presented: str) -> str:
    """GitHub repositories created after 2026-07-15 present immutable subjects (FACTS.md §6)."""
    if (
        presented.startswith("repo:")
        and "@" in presented.split(":")[1]
        and "@" not in trusted.split(":")[1 if ":" in trusted else 0]
    ):
        return (
            " The pipeline presents an immutable GitHub subject (repo:owner@ID/repo@ID:...): give the repository's "
            "ownerId and repositoryId in linkFederation.github."
        )
    return ""


def _lookalike_hint(what: str, trusted: str, presented: str | None) -> str:
    """The exact difference between a trusted and a presented claim, escaped, when the two differ: values that
    differ only by spacing, letter case or a lookalike character (Cyrillic ``а`` for Latin ``a``) look the same on
    screen, so both are shown with every non-ASCII or invisible character escaped."""
    if presented is None or presented == trusted:
        return ""
    exactly = f"the trusted {what} is {visible(trusted)}, the presented {visible(presented)}"
    return f" Exactly: {exactly}; {difference(trusted, presented)}."


class CheckedCredential:
    """A credential whose tokens are used only when they are for the identity that asked.

    Each access token's tenant (``tid``) and application (``appid``/``azp``) claims are compared with what the
    source signs in as, before the token goes to ARM (no signature check: it came from Entra over verified TLS),
    so a token for another principal never links or re-points that principal. The object ID (``oid``) of the
    last token is kept: the link answer must name it."""

    def __init__(self, inner: TokenCredential, source: CredentialSource) -> None:
        self.inner = inner
        self.source = source
        self.tokens: list[str] = []
        self.claims: TokenClaims | None = None

    def _check(self, token: str) -> None:
        from .errors import TokenMismatchError

        self.tokens.append(token)
        try:
            claims = TokenClaims.of(token)
        except ValueError as exc:
            raise TokenMismatchError(f"Entra's access token for {self.source.describe()} is {exc}") from None
        wrong = []
        if self.source.tenant_id is not None and (claims.tenant_id or "").lower() != self.source.tenant_id.lower():
            wrong.append(f"tenant {claims.tenant_id}")
        if self.source.client_id is not None and (claims.app_id or "").lower() != self.source.client_id.lower():
            wrong.append(f"application {claims.app_id}")
        if self.source.client_id is not None and not claims.object_id:
            wrong.append("no object (no oid claim, so no link answer could be confirmed)")
        if wrong:
            raise TokenMismatchError(
                f"Entra answered the sign-in of {self.source.describe()} with an access token for {' and '.join(wrong)}; "
                "not used, so no other principal's link is touched"
            )
        self.claims = claims

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        token = self.inner.get_token(*scopes, **kwargs)
        self._check(token.token)
        return token

    def get_token_info(self, *scopes: str, **kwargs: Any) -> Any:
        token = self.inner.get_token_info(*scopes, **kwargs)  # type: ignore[attr-defined]
        self._check(token.token)
        return token

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()
