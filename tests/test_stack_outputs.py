"""A partner's own program gets what the bundled one gets: the public stack-output helpers, and a plan that shows its
principals whether or not it exports the attribution output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi_azure_native import resources
from typer.testing import CliRunner

import partner_attribution
from partner_attribution import (
    DeliveryPrincipal,
    DeliveryPrincipalArgs,
    RoleAssignmentArgs,
    StackOutputArgumentsError,
    WorkloadEntry,
    attribution_output,
    link_credentials_output,
)
from partner_attribution.args import LinkFederationArgs
from partner_attribution.attribution import AttributionDocument
from partner_attribution.cli import app as app_cli
from partner_attribution.config import PULUMI_PARTNER_ID, TERRAFORM_PARTNER_ID
from partner_attribution.offline.engine import evaluate
from partner_attribution.offline.plan import cua_summary, plan_stack, program_file, project_name, stack_name
from partner_attribution.report import load_attribution, to_markdown
from partner_attribution.testing import FakeAzure

SUB = "/subscriptions/11111111-1111-4111-8111-111111111111"
CUA = "0d3b8a7e-5c1f-4e9a-9a61-2f4b6c8d9e01"


def delivery(name: str, partner_id: str = "1234567", **overrides: Any) -> DeliveryPrincipal:
    args: dict[str, Any] = {
        "partner_id": partner_id,
        "credential_rotated_on": "2026-11-01",
        "role_assignments": [RoleAssignmentArgs(role="Contributor", scope=SUB)],
    }
    args.update(overrides)
    return DeliveryPrincipal(name, DeliveryPrincipalArgs(**args))


def test_the_helpers_are_public_typed_and_documented() -> None:
    for name in ("attribution_output", "link_credentials_output", "StackOutputArgumentsError", "WorkloadEntry"):
        assert name in partner_attribution.__all__
        exported = getattr(partner_attribution, name)
        assert exported.__doc__ and len(exported.__doc__) > 80
    assert set(attribution_output.__annotations__) == {
        "principals",
        "partner_id",
        "non_azure_workloads",
        "cua_partner_id",
        "return",
    }


def test_attribution_output_is_the_document_report_reads() -> None:
    def program() -> None:
        group = resources.ResourceGroup("rg-app")
        app = delivery("app", role_assignments=[RoleAssignmentArgs(role="Contributor", scope=group.id, key="app-rg")])
        ops = delivery(
            "ops",
            link_credential="federated",
            credential_rotated_on=None,
            link_federation=LinkFederationArgs.github_actions("contoso/lz", branch="main"),
            role_assignments=[RoleAssignmentArgs(role="Reader", scope=SUB)],
        )
        workload = WorkloadEntry("Sales dashboards", "powerbi", principal="app")
        pulumi.export("attribution", attribution_output({"app": app, "ops": ops}, non_azure_workloads=[workload]))
        pulumi.export("linkCredentials", link_credentials_output([app, ops]))

    evaluation = evaluate(program)
    document = AttributionDocument.from_stack_output(evaluation.outputs)
    assert document.partner_id == "1234567"
    assert [(p.name, p.link_credential, p.pal_eligible) for p in document.principals] == [
        ("app", "password", True),
        ("ops", "federated", False),
    ]
    assert document.principals[0].roles[0].scope.endswith("/resourceGroups/rg-app")
    assert [(w.name, w.principal) for w in document.non_azure_workloads] == [("Sales dashboards", "app")]
    cua = document.customer_usage_attribution
    assert cua is not None and [(p.provider, p.sends) for p in cua.providers] == [
        ("azure-native", PULUMI_PARTNER_ID),
        ("azuread", TERRAFORM_PARTNER_ID),
    ]
    assert "predates" not in cua_summary(cua) and "unknown" not in cua_summary(cua)
    assert evaluation.secret_outputs == {"linkCredentials"}
    assert list(evaluation.outputs["linkCredentials"]) == ["app"]  # a federated principal has no secret
    assert set(evaluation.outputs["linkCredentials"]["app"]) == {"tenantId", "clientId", "clientSecret"}
    report = to_markdown(load_attribution(evaluation.outputs))
    assert "| app | 1234567 |" in report and "| ops | 1234567 |" in report and "Sales dashboards" in report


def test_attribution_output_says_what_the_providers_send() -> None:
    def program() -> None:
        pulumi.export("attribution", attribution_output([delivery("app")], cua_partner_id=CUA))
        pulumi.export("configured", attribution_output([delivery("other")]))

    evaluation = evaluate(program, {"azure-native:partnerId": CUA, "azuread:disableTerraformPartnerId": "true"})
    given = AttributionDocument.from_json(evaluation.outputs["attribution"]).customer_usage_attribution
    assert given is not None and {(p.sends, p.source) for p in given.providers} == {(CUA, "cuaPartnerId")}
    configured = AttributionDocument.from_json(evaluation.outputs["configured"]).customer_usage_attribution
    assert configured is not None
    assert [(p.provider, p.sends, p.source) for p in configured.providers] == [
        ("azure-native", CUA, "provider-config"),
        ("azuread", None, "disabled"),
    ]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: attribution_output([]), "attribution_output: principals is empty"),
        (lambda: attribution_output(["app"]), "principals[0] is a str, not a DeliveryPrincipal"),  # type: ignore[list-item]
        (lambda: attribution_output([delivery("a"), delivery("b", partner_id="7654321")]), "give partner_id"),
        (lambda: attribution_output([delivery("a")], partner_id="12x"), "attribution_output: partner_id:"),
        (lambda: attribution_output([delivery("a")], cua_partner_id="pid-" + CUA), "cua_partner_id: 'pid-"),
        (
            lambda: attribution_output([delivery("a")], non_azure_workloads=[WorkloadEntry("x", "sharepoint")]),
            "non_azure_workloads[0].product: 'sharepoint' is not one of",
        ),
        (
            lambda: attribution_output([delivery("a")], non_azure_workloads=[WorkloadEntry("x", "powerbi", principal="b")]),
            "non_azure_workloads[0].principal: 'b' is not one of the principals given (a)",
        ),
        (
            lambda: attribution_output([delivery("a")], non_azure_workloads=[WorkloadEntry("x", "microsoft365", principal="a")]),
            "claimed by hand in Partner Center (CPOR)",
        ),
        (lambda: link_credentials_output({}), "link_credentials_output: principals is empty"),
    ],
)
def test_wrong_arguments_are_refused_naming_the_argument(call: Any, message: str) -> None:
    def program() -> None:
        with pytest.raises(StackOutputArgumentsError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
            call()

    evaluate(program)


def test_the_same_principal_twice_is_refused() -> None:
    def program() -> None:
        app = delivery("app")
        with pytest.raises(StackOutputArgumentsError, match="app given more than once"):
            attribution_output([app, app])

    evaluate(program)


# -- the plan of a program of one's own ---------------------------------------------------------------------

README_PROGRAM = """
import pulumi
from pulumi_azure_native import resources
from partner_attribution import DeliveryPrincipal, DeliveryPrincipalArgs, RoleAssignmentArgs
from partner_attribution.args import LinkFederationArgs

group = resources.ResourceGroup("rg-app")
delivery = DeliveryPrincipal(
    "app-delivery",
    DeliveryPrincipalArgs(
        partner_id="1234567",
        link_credential="federated",
        link_federation=LinkFederationArgs.github_actions("contoso-partner/landing-zone", branch="main"),
        role_assignments=[
            RoleAssignmentArgs(role="Contributor", scope=group.id, key="app-rg"),
            RoleAssignmentArgs(role="Reader", scope="/subscriptions/11111111-1111-4111-8111-111111111111"),
        ],
    ),
)
pulumi.export("deliveryClientId", delivery.client_id)
pulumi.export("where", f"{pulumi.get_project()}/{pulumi.get_stack()}:{pulumi.Config().require('team')}")
"""


@pytest.fixture
def own_project(tmp_path: Path) -> Path:
    """The README's example program, in a project of its own (``contoso-app``) with a stack ``prod``."""
    (tmp_path / "Pulumi.yaml").write_text("name: contoso-app\nruntime: python\n")
    (tmp_path / "Pulumi.prod.yaml").write_text("config:\n  contoso-app:team: platform\n")
    (tmp_path / "__main__.py").write_text(README_PROGRAM)
    return tmp_path


def test_plan_of_a_program_that_exports_no_attribution_shows_its_principals(own_project: Path) -> None:
    plan = plan_stack(own_project / "Pulumi.prod.yaml", own_project)
    assert plan.ok, plan.errors
    (principal,) = plan.principals
    assert principal["name"] == "app-delivery" and principal["linkCredential"] == "federated"
    assert principal["resources"]["partnerLink"] == "app-delivery-pal"
    assert [(r["role"], r["palEligible"]) for r in principal["roleAssignments"]] == [("Contributor", True), ("Reader", False)]
    assert any(r["type"] == "azure-native:resources:ResourceGroup" for r in plan.resources)
    assert [w for w in plan.warnings if "exports no 'attribution' output" in w] == [
        "the program declares DeliveryPrincipal app-delivery but exports no 'attribution' output: partner-attribution "
        'report and verify read it from pulumi stack output --json. Add pulumi.export("attribution", '
        "attribution_output([...])) (from partner_attribution import attribution_output; docs/component-reference.md). "
        "The plan shows what that output would hold"
    ]
    cua = plan.attribution_models["customerUsageAttribution"]
    assert cua["providers"] and not cua["summary"].startswith("unknown")
    # Evaluated as its own project and stack: its configuration namespace, URNs and pulumi.get_stack().
    assert {r["parent"] for r in plan.resources if r["name"] == "app-delivery"} == {"contoso-app-prod"}


def test_plan_of_a_program_that_exports_attribution_does_not_warn(own_project: Path) -> None:
    program = own_project / "__main__.py"
    program.write_text(
        program.read_text()
        + "from partner_attribution import attribution_output\npulumi.export('attribution', attribution_output([delivery]))\n"
    )
    plan = plan_stack(own_project / "Pulumi.prod.yaml", program)
    assert plan.ok, plan.errors
    assert [p["name"] for p in plan.principals] == ["app-delivery"]
    assert not [w for w in plan.warnings if "exports no 'attribution'" in w]


def test_plan_reads_the_project_and_stack_a_program_belongs_to(tmp_path: Path) -> None:
    assert project_name(tmp_path / "__main__.py") == "partner-attribution"  # no Pulumi.yaml: the bundled project's
    (tmp_path / "Pulumi.yaml").write_text("name: contoso-app\nmain: src/\n")
    (tmp_path / "src").mkdir()
    assert project_name(tmp_path / "src" / "__main__.py") == "partner-attribution"
    assert project_name(tmp_path / "__main__.py") == "contoso-app"
    assert program_file(tmp_path) == tmp_path / "src" / "__main__.py"
    assert program_file(tmp_path / "x.py") == tmp_path / "x.py"
    assert stack_name(Path("Pulumi.customer-a.yaml")) == "customer-a"
    assert stack_name(Path("customers/contoso.yaml")) == "dev"


def test_cua_summary_of_a_document_without_the_field_does_not_guess_its_age() -> None:
    summary = cua_summary(None)
    assert "predates" not in summary and "partner_attribution.attribution_output" in summary


def test_report_reads_the_output_of_a_program_of_ones_own(own_project: Path) -> None:
    program = own_project / "__main__.py"
    program.write_text(
        program.read_text()
        + "from partner_attribution import attribution_output\npulumi.export('attribution', attribution_output([delivery]))\n"
    )
    from partner_attribution.offline.engine import run_program_file
    from partner_attribution.offline.stack_file import read_stack_config

    evaluation = evaluate(
        run_program_file(program), read_stack_config(own_project / "Pulumi.prod.yaml"), project="contoso-app", stack="prod"
    )
    stack_output = json.loads(json.dumps(evaluation.outputs))  # as pulumi stack output --json prints it
    report = load_attribution(stack_output)
    assert [p.name for p in report.document.principals] == ["app-delivery"]


def test_verify_signs_in_with_what_the_helpers_export(fake_azure: FakeAzure) -> None:
    """``pulumi stack output --json --show-secrets`` of a program of one's own is what verify reads: each password
    principal signs in with its exported secret and its link is checked."""

    def program() -> None:
        principals = [delivery("linked"), delivery("unlinked")]
        pulumi.export("attribution", attribution_output(principals))
        pulumi.export("linkCredentials", link_credentials_output(principals))

    outputs = evaluate(program).outputs
    for entry in outputs["attribution"]["principals"]:
        credential = outputs["linkCredentials"][entry["name"]]
        assert (credential["tenantId"], credential["clientId"]) == (entry["tenantId"], entry["clientId"])
        app = fake_azure.add_app(entry["tenantId"], client_id=entry["clientId"], object_id=entry["objectId"])
        fake_azure.add_secret(app, value=credential["clientSecret"])
        if entry["name"] == "linked":
            fake_azure.set_link(app, "1234567")
    result = CliRunner().invoke(
        app_cli,
        ["verify", "-f", "json", "--authority-host", fake_azure.authority_host, "--arm-endpoint", fake_azure.arm_endpoint],
        input=json.dumps(outputs),
        catch_exceptions=False,
    )
    statuses = {r["name"]: r["status"] for r in json.loads(result.stdout)["results"]}
    assert statuses == {"linked": "ok", "unlinked": "missing"}, result.stderr
