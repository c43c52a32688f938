"""Values that look right and are not: non-ASCII digits, patterns that stop before the end of the string
(issue 18, "Lighthouse" and "Everything else found")."""

from __future__ import annotations

import dataclasses
import json

import pytest

from partner_attribution.config import ConfigurationError, load_stack_config
from partner_attribution.lighthouse import (
    LighthouseAuthorizationArgs,
    LighthouseDelegationArgs,
    LighthouseEligibleAuthorizationArgs,
    resolve_delegation,
)
from partner_attribution.validators import parse_date
from tests.conftest import config_with, principal

TENANT = "55555555-5555-4555-8555-555555555555"
LINKED = "66666666-6666-4666-8666-666666666666"
GROUP = "77777777-7777-4777-8777-777777777777"
SUB = "/subscriptions/11111111-1111-4111-8111-111111111111"


@pytest.mark.parametrize("value", ["\u00b2", "\u0663\u0660", "\u0966\u0967\u0968", "60\n"])
@pytest.mark.parametrize(
    ("key", "what"),
    [("linkTimeoutSeconds", "a whole number of seconds"), ("credentialExpiryWarningDays", "a whole number of days")],
)
def test_numbers_with_non_ascii_digits_name_the_key(key: str, what: str, value: str) -> None:
    """'²'.isdigit() is True and int('²') a ValueError traceback before."""
    with pytest.raises(ConfigurationError) as caught:
        load_stack_config(config_with([principal()], **{key: value}))
    assert caught.value.problems == [f"{key}: expected {what}, got {value!r}"]


def test_a_lifetime_with_non_ascii_digits_names_the_key() -> None:
    entry = principal(credential={"rotatedOn": "2026-11-01", "lifetimeDays": "\u00b2"})
    with pytest.raises(ConfigurationError) as caught:
        load_stack_config(config_with([entry]))
    assert caught.value.problems == ["principals[0].credential.lifetimeDays: expected 1 to 730, got '\u00b2'"]


@pytest.mark.parametrize("value", ["\u0662\u0660\u0662\u0666-\u0661\u0661-\u0660\u0661", "2026-11-0\u0661"])
def test_a_date_with_non_ascii_digits_is_no_date(value: str) -> None:
    assert parse_date(value) is None


def eligible(duration: str) -> LighthouseDelegationArgs:
    return LighthouseDelegationArgs(
        offer_name="Fabrikam",
        managing_tenant_id=TENANT,
        authorizations=[
            LighthouseAuthorizationArgs(LINKED, "Fabrikam delivery", "Contributor", pal_linked=True),
            LighthouseAuthorizationArgs(GROUP, "Fabrikam operators", "Reader", principal_type="Group"),
        ],
        eligible_authorizations=[
            LighthouseEligibleAuthorizationArgs(GROUP, "Fabrikam operators", "Contributor", "Group", duration)
        ],
        scopes=[SUB],
    )


@pytest.mark.parametrize("duration", ["PT4H\n", "PT\u0664H", "PT\u0664H\n", " PT4H", "PT4H "])
def test_a_duration_is_ascii_and_ends_where_the_string_ends(duration: str) -> None:
    """'PT4H\\n' and Arabic-Indic digits passed before."""
    _, problems = resolve_delegation("contoso", eligible(duration), project="p", stack="s")
    assert [p.render() for p in problems] == [
        f"eligible_authorizations[0].maximum_activation_duration: {duration!r} is not an ISO 8601 duration; use PT30M "
        "to PT8H, e.g. 'PT4H' or 'PT1H30M' (ELIG)"
    ]


def test_a_valid_duration_still_passes() -> None:
    spec, problems = resolve_delegation("contoso", eligible("PT1H30M"), project="p", stack="s")
    assert problems == [] and spec is not None
    assert dataclasses.asdict(spec.eligible_authorizations[0])["maximum_activation_duration"] == "PT1H30M"


def test_json_config_round_trip_of_a_duration_with_a_newline_is_refused() -> None:
    entry = {
        "name": "contoso",
        "offerName": "Fabrikam",
        "managingTenantId": TENANT,
        "scopes": [SUB],
        "authorizations": [
            {"principalId": LINKED, "displayName": "Fabrikam delivery", "role": "Contributor", "palLinked": True},
            {"principalId": GROUP, "displayName": "Ops", "role": "Reader", "principalType": "Group"},
        ],
        "eligibleAuthorizations": [
            {"principalId": GROUP, "displayName": "Ops", "role": "Contributor", "maximumActivationDuration": "PT4H\n"}
        ],
    }
    with pytest.raises(ConfigurationError) as caught:
        load_stack_config({"partner-attribution:lighthouse": json.dumps([entry])})
    assert caught.value.problems == [
        "lighthouse[0].eligibleAuthorizations[0].maximumActivationDuration: 'PT4H\\n' is not an ISO 8601 duration; use "
        "PT30M to PT8H, e.g. 'PT4H' or 'PT1H30M' (ELIG)"
    ]
