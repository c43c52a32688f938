"""The single-value rules (validators) and the principal resolver (spec): one rule, one place, both paths."""

from __future__ import annotations

import pytest

from conftest import config_with, principal
from partner_attribution.args import DeliveryPrincipalArgs, RoleAssignmentArgs
from partner_attribution.config import ConfigurationError, load_stack_config
from partner_attribution.spec import resolve_principal
from partner_attribution.validators import (
    check_cloud,
    check_credential_lifetime,
    check_federated_credential_name,
    check_issuer,
    check_link_timeout,
    check_object_id,
    check_partner_id,
    check_principal_name,
    check_rotation_date,
)

SUB = "/subscriptions/11111111-1111-4111-8111-111111111111"


@pytest.mark.parametrize(
    ("check", "valid", "invalid"),
    [
        (check_partner_id, ["1234", "1234567", "1234567890"], ["123", "12345678901", "12a4567", 1234567, None]),
        (check_cloud, ["public", "usgovernment", "china"], ["Public", "azure", ""]),
        (check_link_timeout, [30, 600, 3600], [29, 3601, True, 60.5]),
        (check_credential_lifetime, [1, 730], [0, 731, False]),
        (check_principal_name, ["a", "platform-delivery", "x" * 40], ["", "-a", "a-", "A", "a_b", "x" * 41]),
        (check_rotation_date, ["2026-11-01", "2024-02-29"], ["2026-11-1", "2025-02-29", "01/11/2026", 20261101]),
        (check_federated_credential_name, ["abc", "github-main_1"], ["ab", "-abc", "a b c", "x" * 121]),
        (check_issuer, ["https://token.actions.githubusercontent.com"], ["http://issuer", "issuer"]),
        (check_object_id, ["00000000-0000-4000-8000-000000000001"], ["0000", "{00000000-0000-4000-8000-000000000001}"]),
    ],
)
def test_validator(check, valid: list[object], invalid: list[object]) -> None:  # type: ignore[no-untyped-def]
    assert [v for v in valid if check(v) is not None] == []
    assert [v for v in invalid if check(v) is None] == []


def test_principal_name_rule_holds_on_both_paths() -> None:
    """The name rule lived only on the config path; now the component refuses the same name the same way."""
    args = DeliveryPrincipalArgs(
        partner_id="1234567", role_assignments=[RoleAssignmentArgs("Contributor", SUB)], credential_rotated_on="2026-11-01"
    )
    spec, problems = resolve_principal("Ops_Team", args)
    assert spec is None
    assert [p.render() for p in problems] == [
        "name: 'Ops_Team': use 1 to 40 lower-case letters, digits and '-', starting and ending with a letter or digit"
    ]
    with pytest.raises(ConfigurationError) as error:
        load_stack_config(config_with([principal("Ops_Team")]))
    assert error.value.problems == [f"principals[0].{problems[0].render()}"]


def test_a_principal_is_resolved_once_with_everything_derived() -> None:
    args = DeliveryPrincipalArgs(
        partner_id="1234567",
        role_assignments=[
            RoleAssignmentArgs("contributor", SUB),
            RoleAssignmentArgs("Reader", SUB + "/resourceGroups/rg", key="rg-read"),
        ],
        credential_rotated_on="2026-11-01",
        credential_lifetime_days=30,
    )
    spec, problems = resolve_principal("ops", args)
    assert problems == [] and spec is not None
    assert [(r.key, r.role.name, r.resource_name, r.definition_id) for r in spec.roles] == [
        (
            "977b8712",
            "Contributor",
            "ops-role-977b8712",
            f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c",
        ),
        (
            "rg-read",
            "Reader",
            "ops-role-rg-read",
            f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7",
        ),
    ]
    assert (spec.credential_end_date, spec.pal_eligible, spec.partner_link_name) == ("2026-12-01T00:00:00Z", True, "ops-pal")


def test_stack_wide_values_are_reported_once_at_their_own_key() -> None:
    with pytest.raises(ConfigurationError) as error:
        load_stack_config(config_with([principal("a"), principal("b")], cloud="mars", linkTimeoutSeconds="5"))
    assert error.value.problems == [
        "cloud: 'mars' is not a known cloud; use one of public, usgovernment, china",
        "linkTimeoutSeconds: 5 is out of range; use 30 to 3600 seconds",
    ]


def test_role_key_is_accepted_in_the_stack_file() -> None:
    config = load_stack_config(config_with([principal(roles=[{"role": "Contributor", "scope": SUB, "key": "connectivity"}])]))
    assert config.principals[0].roles[0].resource_name == "delivery-role-connectivity"


# -- link credentials and values Entra would reject ------------------------------------------------------

GITHUB = "https://token.actions.githubusercontent.com"
MAIN = "repo:contoso/infra:ref:refs/heads/main"


def _federated(**overrides: object) -> DeliveryPrincipalArgs:
    from partner_attribution.args import LinkFederationArgs

    values: dict[str, object] = {
        "partner_id": "1234567",
        "role_assignments": [RoleAssignmentArgs("Contributor", SUB)],
        "link_credential": "federated",
        "link_federation": LinkFederationArgs(GITHUB, MAIN),
    }
    values.update(overrides)
    return DeliveryPrincipalArgs(**values)  # type: ignore[arg-type]


def _rendered(args: DeliveryPrincipalArgs, today: str = "2026-11-25") -> list[str]:
    import datetime as dt

    spec, problems = resolve_principal("ops", args, today=dt.date.fromisoformat(today))
    assert (spec is None) == bool(problems)
    return [p.render() for p in problems]


def test_a_21st_federated_credential_is_refused_counting_the_links() -> None:
    from partner_attribution.args import FederatedCredentialArgs

    twenty = [FederatedCredentialArgs(f"pipeline-{i:02d}", GITHUB, f"repo:contoso/app{i}:ref:refs/heads/main") for i in range(20)]
    assert _rendered(_federated(federated_credentials=twenty)) == [
        "federated_credentials: Entra allows at most 20 federated credentials per application; this one would have 21 "
        "(20 of yours and the link's); remove 1"
    ]
    assert _rendered(_federated(federated_credentials=twenty[:19])) == []
    password = DeliveryPrincipalArgs(
        "1234567", [RoleAssignmentArgs("Contributor", SUB)], "2026-11-01", federated_credentials=twenty
    )
    assert _rendered(password) == []  # a password link adds no federated credential


def test_a_pipeline_credential_that_duplicates_the_links_is_refused() -> None:
    from partner_attribution.args import FederatedCredentialArgs

    dup = [FederatedCredentialArgs("github-main", GITHUB, MAIN)]
    assert _rendered(_federated(federated_credentials=dup)) == [
        "federated_credentials[0]: trusts the same issuer and subject as the link's federated credential, which Entra allows "
        "once per application; remove it: the link's credential lets this pipeline sign in too"
    ]


def test_link_credential_choices_need_what_they_use_and_nothing_else() -> None:
    from partner_attribution.args import ExistingApplicationArgs

    assert _rendered(_federated(link_federation=None)) == [
        "link_federation: required for the federated link credential: the issuer and subject of the pipeline's token"
    ]
    assert _rendered(_federated(credential_rotated_on="2026-11-01")) == [
        "credential_rotated_on: a federated link has no password to rotate; remove the credential"
    ]
    assert _rendered(_federated(link_credential="certificate")) == [
        "link_credential: 'certificate': use one of password, federated"
    ]
    existing = ExistingApplicationArgs("33333333-3333-4333-8333-333333333333")
    assert _rendered(_federated(link_credential="password", link_federation=None, existing_application=existing)) == [
        "link_client_secret: an existing principal's password link needs its client secret: give link_client_secret as a "
        "Pulumi secret, or use the federated link credential"
    ]
    assert _rendered(_federated(existing_application=ExistingApplicationArgs("not-a-guid"))) == [
        "existing_application.client_id: 'not-a-guid' is not an object ID (GUID)"
    ]
    assert _rendered(_federated(link_client_secret="x")) == [
        "link_client_secret: only for an existing principal; the stack creates this principal's password",
        "link_client_secret: a federated link uses no secret; remove it",
    ]


def test_trust_fields_entra_would_reject() -> None:
    from partner_attribution.args import LinkFederationArgs

    assert _rendered(_federated(link_federation=LinkFederationArgs(GITHUB + " ", MAIN))) == [
        "link_federation.issuer: the issuer has leading or trailing spaces, which Entra matches literally (the exchange fails); "
        "remove them"
    ]
    assert _rendered(_federated(link_federation=LinkFederationArgs(GITHUB, "x" * 601))) == [
        "link_federation.subject: the subject is 601 characters; Entra allows at most 600"
    ]


def test_a_future_rotation_date_is_refused() -> None:
    args = DeliveryPrincipalArgs("1234567", [RoleAssignmentArgs("Contributor", SUB)], "2099-01-01", credential_lifetime_days=730)
    assert _rendered(args) == [
        "credential_rotated_on: 2099-01-01 is in the future; use the day the credential was rotated "
        "(today, 2026-11-25, or earlier)"
    ]
    assert _rendered(DeliveryPrincipalArgs("1234567", [RoleAssignmentArgs("Contributor", SUB)], "2026-11-25")) == []


INVISIBLE = (
    "display_name: contains a control or invisible character (a line break, tab, zero-width or direction override); "
    "use printable characters only"
)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("x" * 257, "display_name: 257 characters is too long; Entra allows at most 256 for an application's display name"),
        (
            "ops\nteam",
            INVISIBLE,
        ),
        (
            "ops\u202eteam",
            INVISIBLE,
        ),
        ("   ", "display_name: give a display name (1 to 256 characters)"),
    ],
)
def test_display_names_entra_would_reject(name: str, message: str) -> None:
    args = DeliveryPrincipalArgs("1234567", [RoleAssignmentArgs("Contributor", SUB)], "2026-11-01", display_name=name)
    assert _rendered(args) == [message]
    ok = DeliveryPrincipalArgs("1234567", [RoleAssignmentArgs("Contributor", SUB)], "2026-11-01", display_name="é" * 256)
    assert _rendered(ok) == []


def test_stack_file_link_settings() -> None:
    config = load_stack_config(
        config_with(
            [principal(credential=None) | {"credential": {"rotatedOn": "2026-11-01 00:00:00 +0000 UTC"}}],
        )
    )
    assert config.principals[0].credential_rotated_on == "2026-11-01"  # an unquoted YAML date, as the engine hands it over
    federated = load_stack_config(
        config_with(
            [{"name": "ops", "roles": [{"role": "Contributor", "scope": SUB}]}],
            linkCredential="federated",
            linkFederation={"github": {"repository": "contoso/infra", "environment": "prod", "ownerId": 7, "repositoryId": 9}},
        )
    )
    trust = federated.principals[0].link_trust
    assert trust is not None and trust.subject == "repo:contoso@7/infra@9:environment:prod"
    ado = load_stack_config(
        config_with(
            [{"name": "ops", "roles": [{"role": "Contributor", "scope": SUB}]}],
            linkCredential="federated",
            linkFederation={
                "azureDevOps": {
                    "organizationId": "00000000-0000-4000-8000-00000000a0d0",
                    "organization": "contoso",
                    "project": "lz",
                    "serviceConnection": "prod",
                }
            },
        )
    )
    assert ado.principals[0].link_trust.issuer == "https://vstoken.dev.azure.com/00000000-0000-4000-8000-00000000a0d0"  # type: ignore[union-attr]
    assert "retires on 2027-07-01" in ado.principals[0].advice[0]


@pytest.mark.parametrize(
    ("top", "expected"),
    [
        (
            {"linkFederation": {"github": {"repository": "contoso/infra"}}},
            ["linkFederation.github: give exactly one of branch or environment"],
        ),
        (
            {"linkFederation": {"github": {"repository": "infra", "branch": "main"}}},
            ["linkFederation.github.repository: 'infra': use owner/repo"],
        ),
        (
            {"linkFederation": {"issuer": GITHUB}},
            ["linkFederation: give exactly one of github: {...}, azureDevOps: {...}, or issuer and subject"],
        ),
        (
            {"linkCredential": "federated"},
            ["linkFederation: required for the federated link credential: the issuer and subject of the pipeline's token"],
        ),
        (
            {"linkSecrets": {"delivery": 5}},
            ["linkSecrets.delivery: expected the password as a string (set it with pulumi config set --secret)"],
        ),
    ],
)
def test_stack_file_link_settings_refused(top: dict[str, object], expected: list[str]) -> None:
    entry = principal() if top.get("linkCredential") != "federated" else {"name": "delivery", "roles": principal()["roles"]}
    with pytest.raises(ConfigurationError) as error:
        load_stack_config(config_with([entry], **top))
    assert error.value.problems == expected
    assert "5" not in " ".join(error.value.problems).replace("delivery", "")  # a secret's value is never echoed


@pytest.mark.parametrize(
    ("federation", "expected"),
    [
        ({"github": {"repository": "o/r", "branch": "refs/heads/main"}}, "branch 'refs/heads/main': give the branch name alone"),
        ({"github": {"repository": "o/r:environment:x", "branch": "main"}}, "repository 'o/r:environment:x': use owner/repo"),
        (
            {"azureDevOps": {"organizationId": "contoso", "organization": "c", "project": "p", "serviceConnection": "s"}},
            "is not a GUID",
        ),
    ],
)
def test_a_trust_that_can_never_match_is_refused_in_the_plan(federation: dict[str, object], expected: str) -> None:
    with pytest.raises(ConfigurationError) as error:
        load_stack_config(
            config_with(
                [{"name": "ops", "roles": [{"role": "Contributor", "scope": SUB}]}],
                linkCredential="federated",
                linkFederation=federation,
            )
        )
    assert any(expected in p for p in error.value.problems), error.value.problems


def test_values_with_a_trailing_newline_are_refused() -> None:
    assert check_partner_id("1234567\n") is not None and check_principal_name("ops\n") is not None
    with pytest.raises(ConfigurationError) as error:
        load_stack_config(config_with([principal(roles=[{"role": "Contributor", "scope": SUB + "\n"}])]))
    assert "is not a GUID" in error.value.problems[0] or "not a scope" in error.value.problems[0]


def test_a_secret_of_the_wrong_shape_is_not_echoed() -> None:
    with pytest.raises(ConfigurationError) as error:
        load_stack_config(config_with([principal()], linkSecrets=["Sup3r~Secret-value"]))
    assert "Sup3r~Secret-value" not in str(error.value) and "value not shown" in str(error.value)
