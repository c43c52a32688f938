"""Who the PAL client signs in as, and where: cloud endpoints and credential sources.

The ``Microsoft.ManagementPartner`` API links the caller (the token's tenant and object ID), so every
call is made with the principal's own credential (``../shared/reference/README.md``). A
:class:`CredentialSource` builds a fresh azure-identity credential for each attempt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

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
