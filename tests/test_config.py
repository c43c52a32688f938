"""Every configuration rule, with the exact message a partner sees. All problems are reported at
once, each with its path, before any resource is declared."""

from __future__ import annotations

import json

import pulumi
import pytest

from conftest import PROJECT_ROOT, config_with, principal
from partner_attribution.config import ConfigurationError, load_stack_config
from partner_attribution.offline.engine import evaluate, run_program_file
from partner_attribution.offline.stack_file import read_stack_config

SUB = "/subscriptions/11111111-1111-4111-8111-111111111111"


def problems_of(config: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigurationError) as error:
        load_stack_config(config)
    return error.value.problems


def test_example_stack_is_valid() -> None:
    config = load_stack_config(read_stack_config(PROJECT_ROOT / "Pulumi.dev.yaml"))
    assert [(p.name, p.link_credential, p.existing is not None) for p in config.principals] == [
        ("platform-delivery", "federated", False),
        ("workload-delivery", "federated", False),
        ("customer-automation", "federated", True),
        ("reporting", "password", False),
    ]
    trust = config.principals[0].link_trust
    assert trust is not None and (trust.issuer, trust.subject, trust.audience) == (
        "https://token.actions.githubusercontent.com",
        "repo:contoso-partner/landing-zone:ref:refs/heads/main",
        "api://AzureADTokenExchange",
    )
    kinds = {a.scope.split("/")[1] for p in config.principals for a in p.roles}  # type: ignore[union-attr]
    assert kinds == {"providers", "subscriptions"}


RULES = [
    pytest.param(
        config_with([principal(rolez=[])]),
        ["principals[0].rolez: unknown key; did you mean 'roles'?"],
        id="unknown key",
    ),
    pytest.param(
        {**config_with([principal()]), "partner-attribution:partnerID": "1"},
        ["partnerID: unknown key; did you mean 'partnerId'?"],
        id="unknown top-level key",
    ),
    pytest.param(
        config_with([{"name": "delivery", "roles": [{"role": "Contributor"}]}]),
        [
            "principals[0].roles[0].scope: required; give an Azure resource ID",
            "principals[0].credential.rotatedOn: required for the password link credential; give YYYY-MM-DD, e.g. today's date",
        ],
        id="missing required keys",
    ),
    pytest.param(
        {"partner-attribution:principals": json.dumps([principal()])},
        ["partnerId: required; give the numeric Associated Partner ID"],
        id="missing partner ID",
    ),
    pytest.param(
        config_with([principal(roles="Contributor", overwriteExistingLink="yes")]),
        [
            "principals[0].roles: expected a list of {role, scope}, got 'Contributor'",
            "principals[0].overwriteExistingLink: expected true or false, got 'yes'",
        ],
        id="wrong types",
    ),
    pytest.param(
        {**config_with([principal()]), "partner-attribution:partnerId": "contoso"},
        [
            "partnerId: 'contoso' is not a Microsoft partner ID; use the numeric Associated Partner ID of your "
            "partner location from Partner Center (4 to 10 digits, e.g. '1234567')"
        ],
        id="partner ID not numeric",
    ),
    pytest.param(
        config_with([principal(partnerId="12")]),
        [
            "principals[0].partnerId: '12' is not a Microsoft partner ID; use the numeric Associated Partner ID of "
            "your partner location from Partner Center (4 to 10 digits, e.g. '1234567')"
        ],
        id="per-principal partner ID",
    ),
    pytest.param(
        config_with([principal(roles=[{"role": "Contributer", "scope": SUB}])]),
        [
            "principals[0].roles[0].role: 'Contributer' is not an Azure built-in role name; did you mean "
            "'Contributor', 'Tag Contributor', 'Lab Contributor'? For a custom role give its role definition GUID or ID."
        ],
        id="unknown role name",
    ),
    pytest.param(
        config_with([principal(roles=[{"role": "/providers/Microsoft.Authorization/roleDefinitions/123", "scope": SUB}])]),
        [
            "principals[0].roles[0].role: '/providers/Microsoft.Authorization/roleDefinitions/123' ends in '123', "
            "which is not a role definition GUID"
        ],
        id="malformed role definition ID",
    ),
    pytest.param(
        config_with(
            [
                principal(
                    roles=[
                        {
                            "role": "Contributor",
                            "scope": "/subscriptions/11111111-1111-4111-8111-111111111111/resourcegroup/rg",
                        }
                    ]
                )
            ]
        ),
        [
            "principals[0].roles[0].scope: '/subscriptions/11111111-1111-4111-8111-111111111111/resourcegroup/rg' is "
            "not a scope Azure RBAC accepts; expected /subscriptions/<subscription-guid>, "
            "/subscriptions/<subscription-guid>/resourceGroups/<name>, "
            "/subscriptions/<subscription-guid>/resourceGroups/<name>/providers/<Namespace>/<type>/<name>, "
            "or /providers/Microsoft.Management/managementGroups/<id>"
        ],
        id="malformed scope",
    ),
    pytest.param(
        config_with([principal(roles=[{"role": "Contributor", "scope": "rg-app"}])]),
        [
            "principals[0].roles[0].scope: 'rg-app' is not an Azure resource ID; expected "
            "/subscriptions/<subscription-guid>, /subscriptions/<subscription-guid>/resourceGroups/<name>, "
            "/subscriptions/<subscription-guid>/resourceGroups/<name>/providers/<Namespace>/<type>/<name>, "
            "or /providers/Microsoft.Management/managementGroups/<id>"
        ],
        id="scope not a resource ID",
    ),
    pytest.param(
        config_with([principal(), principal()]),
        ["principals[1].name: 'delivery' is already used by principals[0]; names must be unique"],
        id="duplicate principal names",
    ),
    pytest.param(
        config_with([principal(roles=[{"role": "Contributor", "scope": SUB}, {"role": "contributor", "scope": SUB.upper()}])]),
        [f"principals[0].roles[1]: duplicates roles[0] (Contributor at {SUB.upper()}); remove one"],
        id="duplicate role and scope",
    ),
    pytest.param(
        config_with([principal(roles=[{"role": "Owner", "scope": SUB}, {"role": "User Access Administrator", "scope": SUB}])]),
        [
            "principals[0].roles[0].role: Owner can grant access to others, which a delivery principal rarely needs; "
            "prefer Contributor, or set acknowledgePrivileged to true to keep it",
            "principals[0].roles[1].role: User Access Administrator can grant access to others, which a delivery "
            "principal rarely needs; prefer Contributor, or set acknowledgePrivileged to true to keep it",
        ],
        id="privileged roles need acknowledgement",
    ),
    pytest.param(
        config_with([principal(name="Delivery_1")]),
        [
            "principals[0].name: 'Delivery_1': use 1 to 40 lower-case letters, digits and '-', starting and ending "
            "with a letter or digit"
        ],
        id="principal name",
    ),
    pytest.param(
        config_with([principal(credential={"rotatedOn": "01/11/2026", "lifetimeDays": 1000})]),
        [
            "principals[0].credential.rotatedOn: '01/11/2026' is not a date; use YYYY-MM-DD, e.g. the day you "
            "rotate the credential",
            "principals[0].credential.lifetimeDays: 1000 is out of range; use 1 to 730 days",
        ],
        id="credential",
    ),
    pytest.param(
        config_with([principal(federatedCredentials=[{"name": "gh", "issuer": "http://x", "subject": "repo:a/b:ref:main"}])]),
        [
            "principals[0].federatedCredentials[0].name: 'gh': use 3 to 120 letters, digits, '-' or '_', starting "
            "with a letter or digit",
            "principals[0].federatedCredentials[0].issuer: 'http://x': the issuer must be an https:// URL",
        ],
        id="federated credential",
    ),
    pytest.param(
        config_with([principal(roles=[{"role": "Reader", "scope": SUB}])], requireEligibleRole="true"),
        [
            "principals[0].roles: no role is PEC-eligible (Reader) and requireEligibleRole is set; add an eligible "
            "role such as Contributor at a scope the principal works on"
        ],
        id="require eligible role",
    ),
    pytest.param(
        config_with([principal(owners=["me@contoso.com"])], cloud="mars"),
        [
            "cloud: 'mars' is not a known cloud; use one of public, usgovernment, china",
            "principals[0].owners[0]: 'me@contoso.com' is not an object ID (GUID)",
        ],
        id="cloud and owners",
    ),
]


@pytest.mark.parametrize(("config", "expected"), RULES)
def test_rule(config: dict[str, str], expected: list[str]) -> None:
    assert problems_of(config) == expected


def test_all_problems_at_once() -> None:
    config = config_with([principal(roles=[{"role": "Contributer", "scope": "rg"}]), principal(name="delivery", extra=1)])
    config["partner-attribution:partnerId"] = "x"
    problems = problems_of(config)
    assert [p.split(":")[0] for p in problems] == [
        "partnerId",
        "principals[0].roles[0].role",
        "principals[0].roles[0].scope",
        "principals[1].extra",
        "principals[1].name",
    ]


def test_integers_and_booleans_as_yaml_and_the_cli_write_them() -> None:
    config = config_with([principal(partnerId=7654321, overwriteExistingLink=True)], linkTimeoutSeconds="120")
    loaded = load_stack_config(config)
    assert loaded.principals[0].partner_id == "7654321"
    assert loaded.principals[0].overwrite_existing_link is True
    assert loaded.principals[0].link_timeout_seconds == 120


def test_program_stops_before_declaring_anything() -> None:
    """The bundled program raises a pulumi.RunError (printed by Pulumi without a traceback) and
    registers no resource."""
    config = read_stack_config(PROJECT_ROOT / "Pulumi.dev.yaml")
    config["partner-attribution:partnerId"] = "not-a-partner"
    recorded: list[object] = []
    with pytest.raises(pulumi.RunError) as error:
        evaluate(lambda: (run_program_file(PROJECT_ROOT / "__main__.py")(), recorded.append(1)), config)
    assert isinstance(error.value, ConfigurationError)
    assert "partnerId: 'not-a-partner' is not a Microsoft partner ID" in str(error.value)
    assert recorded == []
