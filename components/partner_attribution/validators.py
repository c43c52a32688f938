"""Small pure validators, one per rule on a single value: each returns ``None`` when the value is valid,
or a message that says what would be. :mod:`.spec` applies them to a principal's arguments; the stack
configuration loader applies the same ones to stack-wide settings, so a rule is written once.

Messages may name other fields as ``«python_name»`` (see :class:`~partner_attribution.problems.Problem`).
"""

from __future__ import annotations

import datetime as dt
import re

from .azure_ids import GUID_PATTERN

PARTNER_ID_PATTERN = re.compile(r"^[0-9]{4,10}\Z")  # \Z: "$" would let "1234567\n" through
PRINCIPAL_NAME_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?\Z")
ROLE_KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,79}\Z")
"""A role assignment's key, part of its resource name and so of its URN: 1 to 80 letters, digits, '.', '_', '-' and
'/', starting with a letter or digit. ``pulumi state rename`` accepts names of letters, digits, '_', '-', '.' and '/'
only (pulumi/pulumi#18937), '::' is the URN's own delimiter, and control characters make a URN no command can name
(pulumi/pulumi#3219)."""
FEDERATED_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,119}\Z")
"""Entra: 3 to 120 characters, alphanumeric, '-' and '_', first character alphanumeric
(``reference/federation/FACTS.md`` §2)."""
CLOUDS = ("public", "usgovernment", "china")
MAX_LIFETIME_DAYS = 730
MAX_FEDERATED_CREDENTIALS = 20
"""Entra: at most 20 federated identity credentials per application (FACTS.md §2)."""
MIN_LINK_TIMEOUT, MAX_LINK_TIMEOUT = 30, 3600
MAX_DISPLAY_NAME = 256
"""Microsoft Graph, application resource type: displayName "Maximum length is 256 characters"
(learn.microsoft.com/graph/api/resources/application, read 2026-11). No limit is documented for a service
principal's display name, which this project sets from the application's."""
MAX_FEDERATED_FIELD = 600
"""Issuer, subject and audience of a federated credential: at most 600 characters each (FACTS.md §2)."""
LINK_CREDENTIALS = ("password", "federated")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
"""Control characters, and the invisible and direction-changing ones (zero-width, line/paragraph separators,
bidirectional overrides) that make a name read differently from what it is."""


def check_partner_id(value: object) -> str | None:
    if isinstance(value, str) and PARTNER_ID_PATTERN.match(value):
        return None
    return (
        f"{value!r} is not a Microsoft partner ID; use the numeric Associated Partner ID "
        "of your partner location from Partner Center (4 to 10 digits, e.g. '1234567')"
    )


def check_cloud(value: object) -> str | None:
    return None if value in CLOUDS else f"{value!r} is not a known cloud; use one of {', '.join(CLOUDS)}"


def check_link_timeout(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and MIN_LINK_TIMEOUT <= value <= MAX_LINK_TIMEOUT:
        return None
    return f"{value} is out of range; use {MIN_LINK_TIMEOUT} to {MAX_LINK_TIMEOUT} seconds"


def check_expiry_warning_days(value: object) -> str | None:
    return None if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else "must be 0 or more days"


def check_principal_name(value: object) -> str | None:
    if isinstance(value, str) and PRINCIPAL_NAME_PATTERN.match(value):
        return None
    return f"{value!r}: use 1 to 40 lower-case letters, digits and '-', starting and ending with a letter or digit"


def parse_date(value: object) -> dt.date | None:
    """A ``YYYY-MM-DD`` date, or None."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def check_rotation_date(value: object, today: dt.date | None = None) -> str | None:
    """A real ``YYYY-MM-DD`` date, not after ``today``: a future rotation date would stretch the password's
    validity past its lifetime (a password "rotated" on 2099-01-01 is valid until 2099 plus the lifetime)."""
    date = parse_date(value)
    if date is None:
        return f"{value!r} is not a date; use YYYY-MM-DD, e.g. the day you rotate the credential"
    if today is not None and date > today:
        return f"{value} is in the future; use the day the credential was rotated (today, {today}, or earlier)"
    return None


def check_display_name(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "give a display name (1 to 256 characters)"
    if len(value) > MAX_DISPLAY_NAME:
        return f"{len(value)} characters is too long; Entra allows at most {MAX_DISPLAY_NAME} for an application's display name"
    if CONTROL_CHARACTERS.search(value):
        return (
            "contains a control or invisible character (a line break, tab, zero-width or direction override); "
            "use printable characters only"
        )
    return None


def check_link_credential(value: object) -> str | None:
    return None if value in LINK_CREDENTIALS else f"{value!r}: use one of {', '.join(LINK_CREDENTIALS)}"


def check_credential_lifetime(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_LIFETIME_DAYS:
        return None
    return f"{value} is out of range; use 1 to {MAX_LIFETIME_DAYS} days"


def check_role_key(value: object) -> str | None:
    if isinstance(value, str) and ROLE_KEY_PATTERN.match(value):
        return None
    return (
        f"{value!r}: use 1 to 80 letters, digits, '.', '_', '-' or '/', starting with a letter or digit "
        "(it becomes part of the role assignment's Pulumi name)"
    )


def check_federated_credential_name(value: object) -> str | None:
    if isinstance(value, str) and FEDERATED_NAME_PATTERN.match(value):
        return None
    return f"{value!r}: use 3 to 120 letters, digits, '-' or '_', starting with a letter or digit"


def _federated_field(value: str, what: str) -> str | None:
    if value != value.strip():
        return f"the {what} has leading or trailing spaces, which Entra matches literally (the exchange fails); remove them"
    if len(value) > MAX_FEDERATED_FIELD:
        return f"the {what} is {len(value)} characters; Entra allows at most {MAX_FEDERATED_FIELD}"
    if CONTROL_CHARACTERS.search(value):
        return f"the {what} contains a control character"
    return None


def check_issuer(value: object) -> str | None:
    if not isinstance(value, str) or not value.startswith("https://"):
        return f"{value!r}: the issuer must be an https:// URL"
    return _federated_field(value, "issuer")


_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s]+\Z")
"""An absolute URI (``api://AzureADTokenExchange``): a scheme, a colon, no spaces."""


def check_audience(value: object) -> str | None:
    """The audience of a federated credential: what the pipeline's token must carry in ``aud``. Microsoft Graph,
    federatedIdentityCredential resource type (v1.0): "should be set to api://AzureADTokenExchange for Microsoft Entra
    ID", at most 600 characters."""
    if not isinstance(value, str) or not value.strip():
        return "give the audience, usually 'api://AzureADTokenExchange'"
    problem = _federated_field(value, "audience")
    if problem is not None:
        return problem
    if not _URI.match(value):
        return (
            f"{value!r} is not a URI; Entra's token exchange audience is 'api://AzureADTokenExchange' "
            "(per cloud: docs/link-credentials.md)"
        )
    return None


def check_audiences(values: object) -> str | None:
    """A federated credential's ``audiences``: exactly one (Microsoft Graph, federatedIdentityCredential resource
    type (v1.0): "This field can only accept a single value"; Entra answers 400 to a second one)."""
    if not isinstance(values, (list, tuple)) or len(values) != 1:
        count = len(values) if isinstance(values, (list, tuple)) else 0
        return (
            f"give exactly one audience (Entra accepts a single value per federated credential), not {count}; usually "
            "['api://AzureADTokenExchange']"
        )
    return check_audience(values[0])


def check_subject(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "the subject must not be empty"
    return _federated_field(value, "subject")


def check_object_id(value: object) -> str | None:
    return None if isinstance(value, str) and GUID_PATTERN.match(value) else f"{value!r} is not an object ID (GUID)"


PULUMI_PARTNER_ID = "a90539d8-a7a6-5826-95c4-1fbef22d4b22"
"""What azure-native sends when no partnerId is set and disablePulumiPartnerId is not true (pulumi-azure-native
``provider/pkg/provider/provider.go`` @ 6d9e7fe5da3ddea283f27995305640427e65761c, ``PulumiPartnerID`` and
``getUserAgent``: config ``partnerId`` or ``ARM_PARTNER_ID`` wins, else this ID unless ``disablePulumiPartnerId`` /
``ARM_DISABLE_PULUMI_PARTNER_ID`` is ``true``)."""
TERRAFORM_PARTNER_ID = "222c6c49-1b0a-5959-a213-6608f9eb8820"
"""What azuread (the bridged terraform-provider-azuread) sends when no partnerId is set and
disableTerraformPartnerId is not true (hashicorp/terraform-provider-azuread ``internal/provider/provider.go`` @
f0169e0ecec4a7f87c0a512fd989368a182306c1, via reference/power-platform-and-cua/FACTS.md §3). It talks to
Microsoft Graph: whether a pid there attributes any Azure usage is not stated in any source read here."""

NIL_GUID = "00000000-0000-0000-0000-000000000000"


def check_cua_partner_id(value: object) -> str | None:
    """A Customer Usage Attribution tracking GUID as Partner Center registers it: a bare GUID, without the
    ``pid-`` prefix that appears in the User-Agent (Microsoft Learn, "Azure partner customer usage attribution":
    enter the GUID without the prefix; azure-native appends ``pid-<id>`` itself, pulumi-azure-native
    ``provider/pkg/provider/provider.go`` @ 6d9e7fe5, ``getUserAgent``)."""
    if isinstance(value, str) and value.lower().startswith("pid-") and GUID_PATTERN.match(value[4:]):
        return f"{value!r}: give the GUID without the 'pid-' prefix, e.g. {value[4:]!r}"
    if isinstance(value, str) and value.lower() in (PULUMI_PARTNER_ID, TERRAFORM_PARTNER_ID):
        whose = "Pulumi's" if value.lower() == PULUMI_PARTNER_ID else "Terraform's (HashiCorp's)"
        return (
            f"{value!r} is {whose} own Customer Usage Attribution ID, which the provider sends by default: the usage "
            "would be attributed to them, not to you; give your tracking GUID from Partner Center"
        )
    if isinstance(value, str) and value == NIL_GUID:
        return f"{value!r} is the nil GUID, a placeholder, not a tracking GUID; give yours from Partner Center"
    if isinstance(value, str) and GUID_PATTERN.match(value):
        return None
    return (
        f"{value!r} is not a GUID; give the tracking GUID registered in Partner Center (Account settings > "
        "Identifiers > Tracking GUIDs), e.g. '0d3b8a7e-5c1f-4e9a-9a61-2f4b6c8d9e01'"
    )
