"""Principals that exist already: role assignments they hold are adopted (as pulumi import does) or the plan says
what to set; existing principals are checked against each other; destroy leaves what the stack did not create
(issue 18, "Principals that already exist")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from partner_attribution.config import ConfigurationError, load_stack_config
from partner_attribution.offline.engine import Evaluation, evaluate, run_program_file
from partner_attribution.offline.plan import adopt_instruction
from tests.conftest import PROJECT_ROOT, config_with

CLIENT = "33333333-3333-4333-8333-333333333333"
OBJECT = "44444444-4444-4444-8444-444444444444"
SUB = "/subscriptions/11111111-1111-4111-8111-111111111111"
RG = f"{SUB}/resourceGroups/rg-app"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
HELD = "9d1c4f52-0000-4000-8000-00000000abcd"
HELD_ID = f"{SUB}/providers/Microsoft.Authorization/roleAssignments/{HELD}"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"


def existing(name: str = "customer-sp", client: str = CLIENT, object_id: str | None = OBJECT, **role: Any) -> dict[str, Any]:
    application: dict[str, Any] = {"clientId": client}
    if object_id is not None:
        application["objectId"] = object_id
    return {
        "name": name,
        "existingApplication": application,
        "linkCredential": "federated",
        "roles": [{"role": "Contributor", "scope": SUB, **role}, {"role": "Reader", "scope": RG}],
    }


def stack(*entries: dict[str, Any]) -> dict[str, str]:
    return config_with(
        list(entries),
        linkFederation={
            "issuer": "https://token.actions.githubusercontent.com",
            "subject": "repo:contoso/infra:ref:refs/heads/main",
        },
    )


def run(config: dict[str, str]) -> Evaluation:
    return evaluate(run_program_file(PROJECT_ROOT / "__main__.py"), config)


def roles_of(evaluation: Evaluation) -> dict[str, Any]:
    return {str(r.plain_input("scope")): r for r in evaluation.of_type(ROLE_ASSIGNMENT)}


@pytest.mark.parametrize("given", [HELD_ID, HELD, HELD_ID.upper().replace(HELD.upper(), HELD)], ids=["id", "name", "id-case"])
def test_a_role_the_principal_holds_is_adopted_not_created(given: str) -> None:
    """ARM answers 409 RoleAssignmentExists to a second assignment of one role to one principal at one scope."""
    roles = roles_of(run(stack(existing(existingAssignment=given))))
    adopted, created = roles[SUB], roles[RG]
    assert adopted.plain_input("roleAssignmentName") == HELD
    assert adopted.import_id.lower() == HELD_ID.lower() and adopted.retain_on_delete
    assert adopted.plain_input("principalId") == OBJECT
    assert created.import_id == "" and not created.retain_on_delete  # the stack made it: destroy removes it


def test_without_existing_assignment_the_stack_declares_what_it_did() -> None:
    role = roles_of(run(stack(existing())))[SUB]
    assert role.import_id == "" and not role.retain_on_delete
    assert role.plain_input("roleAssignmentName") != HELD


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("not-a-guid", "'not-a-guid' is not a role assignment ID or name"),
        (
            f"{RG}/providers/Microsoft.Authorization/roleAssignments/{HELD}",
            f"is a role assignment at {RG}, not at this role's scope {SUB}",
        ),
        (f"{SUB}/providers/Microsoft.Authorization/roleAssignments/x{HELD}", "is not a role assignment ID or name"),
        (HELD + "\n", "is not a role assignment ID or name"),
    ],
    ids=["not-a-guid", "other-scope", "bad-name", "newline"],
)
def test_an_existing_assignment_that_cannot_be_this_role_is_refused(given: str, said: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_stack_config(stack(existing(existingAssignment=given)))
    (problem,) = caught.value.problems
    assert problem.startswith("principals[0].roles[0].existingAssignment: ") and said in problem
    assert "az role assignment list" in problem or "scope" in problem


def test_the_plan_says_exactly_what_to_set_for_an_existing_principal(tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from partner_attribution.cli import app

    config = stack(existing(existingAssignment=HELD_ID), existing("other-sp", "55555555-5555-4555-8555-555555555555", None))
    lines = ["config:"] + [f"  {key}: {json.dumps(value)}" for key, value in config.items()]
    path = tmp_path / "Pulumi.existing.yaml"
    path.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(app, ["plan", "-c", str(path), "-f", "json"])
    assert result.exit_code == 0, result.output
    principals = {p["name"]: p for p in json.loads(result.stdout)["principals"]}
    adopted, other = principals["customer-sp"]["roleAssignments"], principals["other-sp"]["roleAssignments"]
    assert adopted[0]["adopts"] == HELD_ID and "ifItExists" in adopted[1]
    assert other[0]["ifItExists"] == adopt_instruction("55555555-5555-4555-8555-555555555555", other[0]["roleDefinitionId"], SUB)
    assert (
        "az role assignment list --assignee 55555555-5555-4555-8555-555555555555 "
        f'--role {CONTRIBUTOR} --scope {SUB} --query "[].id" -o tsv' in other[0]["ifItExists"]
    )
    assert "409 RoleAssignmentExists" in other[0]["ifItExists"] and "existingAssignment" in other[0]["ifItExists"]


def test_a_principal_the_stack_creates_gets_no_adoption_advice() -> None:
    evaluation = run(
        config_with(
            [{"name": "fresh", "roles": [{"role": "Contributor", "scope": SUB}], "credential": {"rotatedOn": "2026-11-01"}}]
        )
    )
    assert all(r.import_id == "" and not r.retain_on_delete for r in evaluation.of_type(ROLE_ASSIGNMENT))


def test_destroy_leaves_what_an_existing_principal_had() -> None:
    """What the engine does at destroy is what each registration says: nothing of the application or service
    principal is declared (look-ups only), the link and every adopted assignment are retained; only what the stack
    added (its federated credential, roles it created) is deleted."""
    evaluation = run(stack(existing(existingAssignment=HELD_ID)))
    own = [r for r in evaluation.resources if r.parent.endswith("::customer-sp")]
    kinds = sorted((r.type.split(":")[-1], r.retain_on_delete) for r in own)
    assert kinds == [
        ("ApplicationFederatedIdentityCredential", False),
        ("PartnerAdminLink", True),
        ("RoleAssignment", False),
        ("RoleAssignment", True),
    ]
    assert not [r for r in evaluation.resources if r.type.endswith(("index/application:Application", "ServicePrincipal"))]


@pytest.mark.parametrize(
    ("entries", "said"),
    [
        (
            [existing("a-sp"), existing("b-sp", object_id="66666666-6666-4666-8666-666666666666")],
            f"principals[1].existingApplication.clientId: {CLIENT} is also principals[0]'s; one identity has one PAL link",
        ),
        (
            [existing("a-sp", object_id=CLIENT)],
            f"principals[0].existingApplication.objectId: {CLIENT} is the client (application) ID, not the object ID",
        ),
        (
            [existing("a-sp"), existing("b-sp", client="55555555-5555-4555-8555-555555555555")],
            f"principals[1].existingApplication.objectId: {OBJECT} is also the object ID given for principals[0], "
            "whose client ID differs",
        ),
    ],
    ids=["same-client", "object-is-client", "object-twice"],
)
def test_existing_principals_are_cross_checked(entries: list[dict[str, Any]], said: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_stack_config(stack(*entries))
    assert [p for p in caught.value.problems if said in p], caught.value.problems
