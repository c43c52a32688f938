"""Partner Admin Link over the ``Microsoft.ManagementPartner`` API, signed in as the linked identity.

* :mod:`.identity`: cloud endpoints and credential sources (who signs in, where);
* :mod:`.client`: :class:`PartnerLinkClient`, the operations and their single retry budget;
* :mod:`.errors`: what a failure means, as types;
* :mod:`.retry`: backoff and budget.
"""

from .client import LinkState, PartnerLinkClient
from .errors import (
    CredentialRejectedError,
    LinkConflictError,
    NotSignedInError,
    PartnerLinkError,
    PermanentLinkError,
    RetryBudgetExhaustedError,
)
from .identity import ClientSecretSource, CloudEndpoints, CredentialSource, DefaultIdentitySource, quiet_sdk_logging

__all__ = [
    "ClientSecretSource",
    "CloudEndpoints",
    "CredentialRejectedError",
    "CredentialSource",
    "DefaultIdentitySource",
    "LinkConflictError",
    "LinkState",
    "NotSignedInError",
    "PartnerLinkClient",
    "PartnerLinkError",
    "PermanentLinkError",
    "RetryBudgetExhaustedError",
    "quiet_sdk_logging",
]
