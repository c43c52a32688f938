"""Azure Lighthouse in the stack: configuration, the two example stacks, the StackReference offline, the plan and the
report (issue 12)."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import PROJECT_ROOT, config_with, principal
from partner_attribution.attribution import AttributionDocument
from partner_attribution.cli import app
from partner_attribution.config import ConfigurationError, load_stack_config
from partner_attribution.lighthouse.args import StackPrincipalReference
from partner_attribution.offline.engine import (
    Evaluation,
    PlaceholderMocks,
    evaluate,
    placeholder_guid,
    run_program_file,
)
from partner_attribution.offline.plan import DELEGATED_ONLY, masked, plan_stack
from partner_attribution.offline.stack_file import read_stack_config
from partner_attribution.report import RENDERERS, load_attribution

EXAMPLES = PROJECT_ROOT / "examples" / "lighthouse"
CUSTOMER = EXAMPLES / "Pulumi.customer.yaml"
MANAGING = EXAMPLES / "Pulumi.managing-tenant.yaml"
MANAGING_OUTPUT = EXAMPLES / "managing-tenant.output.json"
MANAGING_STACK = "fabrikam/partner-attribution/managing-tenant"
LINKED_OBJECT_ID = "66666666-6666-4666-8666-666666666666"
MANAGING_TENANT = "55555555-5555-4555-8555-555555555555"
GROUP = "77777777-7777-4777-8777-777777777777"
SUB = "/subscriptions/11111111-1111-4111-8111-111111111111"
RG = "/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/rg-app-prod"
SNAPSHOT = Path(__file__).parent / "snapshots" / "lighthouse_example_stack.json"
DEFINITION = "azure-native:managedservices:RegistrationDefinition"
ASSIGNMENT = "azure-native:managedservices:RegistrationAssignment"
REPLACING = {
    # A definition or assignment is named by its GUID at its scope: a new one is a new delegation.
    DEFINITION: ("scope", "registrationDefinitionId"),
    ASSIGNMENT: ("scope", "registrationAssignmentId", "properties"),
}

runner = CliRunner()


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, list(args), env=env, catch_exceptions=False)


@pytest.fixture(autouse=True)
def _in_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PROJECT_ROOT)
    monkeypatch.delenv("PARTNER_ATTRIBUTION_MANAGING_STACK_OUTPUT", raising=False)


def _outputs() -> dict[str, Any]:
    return json.loads(MANAGING_OUTPUT.read_text())


def _evaluate(stack: Path, outputs: dict[str, Any] | None = None, names: tuple[str, ...] = ()) -> Evaluation:
    return evaluate(
        run_program_file(PROJECT_ROOT / "__main__.py"), read_stack_config(stack), mocks_=PlaceholderMocks(outputs, names)
    )


@pytest.fixture(scope="module")
def customer() -> Evaluation:
    return _evaluate(CUSTOMER, _outputs())


def delegation(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": "contoso",
        "offerName": "Fabrikam managed operations",
        "managingTenantId": MANAGING_TENANT,
        "scopes": [SUB],
        "authorizations": [{"principal": "lighthouse-delivery", "displayName": "Fabrikam delivery", "role": "Contributor"}],
    }
    entry.update(overrides)
    return entry


def lighthouse_config(*entries: dict[str, Any], managing: str | None = MANAGING_STACK) -> dict[str, str]:
    config = {"partner-attribution:lighthouse": json.dumps(list(entries))}
    if managing is not None:
        config["partner-attribution:managingStack"] = managing
    return config


def problems_of(config: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigurationError) as caught:
        load_stack_config(config)
    return caught.value.problems


# -- configuration ---------------------------------------------------------------------------------


def test_a_customer_stack_needs_no_partner_id_nor_principals() -> None:
    config = load_stack_config(lighthouse_config(delegation()))
    assert config.principals == () and config.partner_id == "" and config.managing_stack == MANAGING_STACK
    (spec,) = config.lighthouse
    assert spec.authorizations[0].principal_id == StackPrincipalReference("lighthouse-delivery")
    assert spec.authorizations[0].pal_linked and spec.earns_credit


def test_a_stack_without_lighthouse_still_needs_partner_id_and_principals() -> None:
    assert problems_of({"partner-attribution:cloud": "public"}) == [
        "partnerId: required; give the numeric Associated Partner ID",
        "principals: required; give a list of delivery principals",
    ]


def test_every_lighthouse_problem_at_once_with_its_path() -> None:
    problems = problems_of(
        lighthouse_config(
            delegation(
                managingTenantId="not-a-tenant",
                scopes=["/providers/Microsoft.Management/managementGroups/mg"],
                authorizations=[
                    {"principal": "lighthouse-delivery", "principalId": GROUP, "displayName": "x", "role": "Reader"},
                    {"principalId": GROUP, "displayName": "Ops", "role": "Owner", "principalType": "Group"},
                    {"principalId": GROUP, "displayName": "Ops", "role": "User Access Administrator", "principalType": "Group"},
                ],
                eligibleAuthorizations=[{"principal": "lighthouse-delivery", "displayName": "JIT", "role": "Contributor"}],
                offerNmae="typo",
            ),
            delegation(name="contoso", authorizations=[{"principalId": GROUP, "displayName": "Ops"}]),
            managing="not a stack",
        )
    )
    assert problems == [
        "managingStack: 'not a stack' is not a fully qualified stack name; give the managing stack as org/project/stack "
        "(on a self-managed backend: organization/project/stack), as pulumi stack ls --all shows it",
        "lighthouse[0].offerNmae: unknown key; did you mean 'offerName'?",
        "lighthouse[0].authorizations[0]: give exactly one of principalId (an object ID of the managing tenant) or "
        "principal (the name of a delivery principal of the managing stack, with managingStack set)",
        "lighthouse[0].eligibleAuthorizations[0].principal: the managing stack's delivery principals are service "
        "principals, which cannot use a just-in-time authorization (ELIG); give principalId of a user or group instead",
        "lighthouse[1].name: 'contoso' is already used by lighthouse[0]; names must be unique",
        "lighthouse[1].authorizations[0].role: required; give a built-in role name or role definition ID",
    ]


def test_rules_on_values_are_rendered_in_config_keys() -> None:
    problems = problems_of(
        lighthouse_config(
            delegation(
                managingTenantId="not-a-tenant",
                scopes=["/providers/Microsoft.Management/managementGroups/mg"],
                authorizations=[
                    {"principal": "lighthouse-delivery", "displayName": "Delivery", "role": "Contributor"},
                    {"principalId": GROUP, "displayName": "Ops", "role": "Owner", "principalType": "Group"},
                    {"principalId": GROUP, "displayName": "Ops", "role": "User Access Administrator", "principalType": "Group"},
                ],
            )
        )
    )
    assert any(p.startswith("lighthouse[0].managingTenantId: 'not-a-tenant' is not a tenant ID (GUID)") for p in problems)
    assert any(p.startswith("lighthouse[0].authorizations[1].role: ") and "Owner" in p for p in problems)
    assert any(
        p.startswith("lighthouse[0].authorizations[2].delegatedRoles: User Access Administrator is supported") and
        "in delegatedRoles, e.g." in p
        for p in problems
    )  # fmt: skip
    assert any(p.startswith("lighthouse[0].scopes[0]: ") for p in problems)
    assert all("_" not in p.split(":")[0] for p in problems), problems


def test_an_object_id_counts_only_with_pal_linked_true() -> None:
    unlinked = delegation(authorizations=[{"principalId": GROUP, "displayName": "Delivery", "role": "Contributor"}])
    (problem,) = problems_of(lighthouse_config(unlinked, managing=None))
    assert problem.startswith("lighthouse[0].authorizations: this delegation earns no partner credit: no authorization "
                              "names a PAL-linked principal (none sets palLinked)")  # fmt: skip
    assert "set allowNoPartnerCredit to true" in problem
    linked = delegation(
        authorizations=[{"principalId": GROUP, "displayName": "Delivery", "role": "Contributor", "palLinked": True}]
    )
    (spec,) = load_stack_config(lighthouse_config(linked, managing=None)).lighthouse
    assert spec.earns_credit and spec.authorizations[0].principal_id == GROUP
    allowed = load_stack_config(lighthouse_config({**unlinked, "allowNoPartnerCredit": True}, managing=None))
    assert not allowed.lighthouse[0].earns_credit


def test_principal_by_name_needs_managing_stack() -> None:
    assert problems_of(lighthouse_config(delegation(), managing=None)) == [
        "lighthouse[0].authorizations[0].principal: 'lighthouse-delivery' names a principal of the managing stack, but "
        "partner-attribution:managingStack is not set; set it to the managing stack's org/project/stack, or give principalId"
    ]


def test_a_principal_may_have_no_role_and_is_not_warned_about_pec() -> None:
    config = load_stack_config(
        config_with([principal("lighthouse-delivery", roles=[])], requireEligibleRole=True)  # judged on held roles only
    )
    assert config.principals[0].roles == () and config.principals[0].delegated_only
    evaluation = _evaluate(MANAGING)
    assert not [w for w in evaluation.warnings if "partner earned credit" in w]
    assert not any(r.type == "azure-native:authorization:RoleAssignment" for r in evaluation.resources)
    assert problems_of(config_with([{k: v for k, v in principal().items() if k != "roles"}])) == [
        "principals[0].roles: required; give a list of {role, scope}"
    ]


# -- the example stacks, planned -------------------------------------------------------------------


def test_the_managing_stack_plans_and_explains_its_principal() -> None:
    result = invoke("plan", "--config", str(MANAGING))
    assert result.exit_code == 0, result.stderr
    assert f"attribution: {DELEGATED_ONLY}" in " ".join(result.stdout.split())
    assert "PAL link to partner ID 1234567" in result.stdout
    document = json.loads(invoke("plan", "--config", str(MANAGING), "--format", "json").stdout)
    assert document["principals"][0]["roleAssignments"] == [] and document["principals"][0]["attribution"] == DELEGATED_ONLY
    assert document["attributionModels"]["principals"] == [{"name": "lighthouse-delivery", "attribution": DELEGATED_ONLY}]


def test_the_customer_stack_plans_and_names_the_credited_principal() -> None:
    result = invoke("plan", "--config", str(CUSTOMER), "--managing-stack-output", str(MANAGING_OUTPUT))
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "Lighthouse delegation contoso-operations (Fabrikam managed operations)" in text
    assert f"credit earned by: lighthouse-delivery ({LINKED_OBJECT_ID}) as Contributor, link Active, live" in text
    assert f"scope {RG}: assignment contoso-operations-assignment-78e993dc" in text
    assert f"authorization Contributor for Fabrikam operations (just-in-time) ({GROUP}): eligible (just-in-time)" in text


def test_the_customer_plan_json_per_scope_and_authorization() -> None:
    result = invoke(
        "plan", "-c", str(CUSTOMER), "-f", "json", env={"PARTNER_ATTRIBUTION_MANAGING_STACK_OUTPUT": str(MANAGING_OUTPUT)}
    )
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["managingStack"] == {"name": MANAGING_STACK, "outputs": str(MANAGING_OUTPUT), "resolved": True}
    (view,) = document["lighthouse"]
    assert view["earnsCredit"] and [s["scope"] for s in view["delegatedScopes"]] == [SUB, RG]
    for scope in view["delegatedScopes"]:
        assert scope["earnsCreditFor"] == [
            {"principal": "lighthouse-delivery", "principalId": LINKED_OBJECT_ID, "role": "Contributor",
             "linkState": "Active", "linkLive": True}
        ]  # fmt: skip
    assert [(a["role"], a["permanent"], a["earnsCredit"]) for a in view["authorizations"]] == [
        ("Contributor", True, True),
        ("Reader", True, False),
        ("Managed Services Registration assignment Delete Role", True, False),
        ("User Access Administrator", True, False),
        ("Contributor", False, False),
    ]
    definition = next(r for r in document["resources"] if r["name"] == "contoso-operations-definition-98554f7e")
    authorizations = definition["inputs"]["properties"]["authorizations"]
    assert authorizations[0] == {
        "principalId": LINKED_OBJECT_ID,
        "principalIdDisplayName": "Fabrikam delivery (PAL-linked)",
        "roleDefinitionId": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    }
    assert authorizations[3]["delegatedRoleDefinitionIds"] == [
        "b24988ac-6180-42a0-ab88-20f7382dd24c",
        "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    ]
    jit = definition["inputs"]["properties"]["eligibleAuthorizations"][0]["justInTimeAccessPolicy"]
    assert jit["maximumActivationDuration"] == "PT4H" and jit["multiFactorAuthProvider"] == "Azure"


def test_the_customer_plan_markdown() -> None:
    result = invoke("plan", "-c", str(CUSTOMER), "-f", "markdown", "--managing-stack-output", str(MANAGING_OUTPUT))
    assert result.exit_code == 0
    assert (
        f"| contoso-operations | `{RG}` | lighthouse-delivery ({LINKED_OBJECT_ID}) | Contributor | permanent | yes | "
        "Active | earns it |" in result.stdout
    )
    assert f"contoso-operations: credit earned by lighthouse-delivery ({LINKED_OBJECT_ID}) as Contributor" in result.stdout


def test_a_managing_output_that_is_not_one_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "out.json"
    bad.write_text(json.dumps({"linkCredentials": "[secret]"}))
    result = invoke("plan", "-c", str(CUSTOMER), "--managing-stack-output", str(bad))
    assert result.exit_code == 2 and "with an 'attribution' value" in result.stderr


# -- the StackReference, offline -------------------------------------------------------------------


def test_stack_reference_reads_the_managing_output(customer: Evaluation) -> None:
    document = AttributionDocument.from_json(customer.outputs["attribution"])
    assert document.partner_id == "1234567", "read from the managing stack: the customer stack configures none"
    assert document.managing_stack == MANAGING_STACK
    first = document.lighthouse[0].authorizations[0]
    assert (first.principal_id, first.principal_name, first.link_state, first.linked) == (
        LINKED_OBJECT_ID, "lighthouse-delivery", "Active", True
    )  # fmt: skip
    assert document.lighthouse[0].authorizations[1].link_state == "unknown"


def test_stack_reference_without_a_file_gives_placeholders() -> None:
    plan = plan_stack(CUSTOMER, PROJECT_ROOT / "__main__.py")
    assert plan.ok and plan.managing_stack is not None and not plan.managing_stack["resolved"]
    assert "--managing-stack-output" in plan.managing_stack["note"]
    placeholder = placeholder_guid("managing-principal", MANAGING_STACK, "lighthouse-delivery")
    first = plan.lighthouse[0]["authorizations"][0]
    assert (first["principalId"], first["linkState"]) == (placeholder, "unknown")
    assert plan.lighthouse[0]["creditedBy"] == f"lighthouse-delivery ({placeholder}) as Contributor, link state unknown"


def test_a_principal_the_managing_stack_does_not_have_is_an_error(tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.other.yaml"
    stack.write_text(CUSTOMER.read_text().replace("principal: lighthouse-delivery", "principal: someone-else"))
    plan = plan_stack(stack, PROJECT_ROOT / "__main__.py", MANAGING_OUTPUT)
    assert plan.errors == [
        f"lighthouse: contoso-operations: principal 'someone-else' is not a principal of the managing stack "
        f"{MANAGING_STACK} (its principals: lighthouse-delivery); name one of them, or give principalId"
    ]


def _plan_errors(tmp_path: Path, principal: dict[str, Any]) -> list[str]:
    outputs = _outputs()
    outputs["attribution"]["principals"][0].update(principal)
    output_file = tmp_path / "managing.json"
    output_file.write_text(json.dumps(outputs))
    return plan_stack(CUSTOMER, PROJECT_ROOT / "__main__.py", output_file).errors


def test_a_managing_principal_of_another_tenant_is_an_error(tmp_path: Path) -> None:
    """A warning before, and the authorization was declared all the same."""
    assert _plan_errors(tmp_path, {"tenantId": "12121212-1212-4121-8121-121212121212"}) == [
        f"lighthouse: contoso-operations: principal 'lighthouse-delivery' of the managing stack {MANAGING_STACK} lives in "
        f"tenant 12121212-1212-4121-8121-121212121212, not in the managing tenant {MANAGING_TENANT}; Azure Lighthouse "
        "authorizes principals of the managing tenant only (TUR): fix managingTenantId or managingStack"
    ]


@pytest.mark.parametrize(
    ("object_id", "shown"),
    [(None, "missing"), ("", "missing"), ("not-a-guid", '"not-a-guid"'), (f"{LINKED_OBJECT_ID}\n", f'"{LINKED_OBJECT_ID}\\n"')],
    ids=["absent", "empty", "not-a-guid", "newline"],
)
def test_a_managing_principal_without_a_usable_object_id_is_an_error(tmp_path: Path, object_id: str | None, shown: str) -> None:
    """principalId: "" and "earns credit" before."""
    assert _plan_errors(tmp_path, {"objectId": object_id}) == [
        f"lighthouse: contoso-operations: principal 'lighthouse-delivery' of the managing stack {MANAGING_STACK} has no "
        f"usable object ID ({shown}, not a GUID); run pulumi up in the managing stack so its attribution output names "
        "the principal's object ID, or give principalId"
    ]


DEPTH = {"deep": 5000, "deeper-than-32": 40, "large": 0}


@pytest.mark.parametrize("shape", ["deep", "deeper-than-32", "large"])
def test_a_managing_output_nested_too_deep_or_too_large_is_refused(tmp_path: Path, shape: str) -> None:
    outputs = _outputs()
    outputs["attribution"]["principals"][0]["displayName"] = "NESTED"
    if shape == "large":
        outputs["attribution"]["principals"][0]["roles"] = [{"role": "x" * 1024}] * 9000
    output_file = tmp_path / "managing.json"
    output_file.write_text(json.dumps(outputs).replace('"NESTED"', "[" * DEPTH[shape] + '"x"' + "]" * DEPTH[shape]))
    result = invoke("plan", "-c", str(CUSTOMER), "--managing-stack-output", str(output_file))
    assert result.exit_code == 2, result.output
    said = "larger than" if shape == "large" else "nested"
    assert said in result.output and "Traceback" not in result.output


def test_an_object_id_of_the_managing_stack_gets_its_link_state() -> None:
    config = read_stack_config(CUSTOMER)
    config["partner-attribution:lighthouse"] = config["partner-attribution:lighthouse"].replace(
        '"principal": "lighthouse-delivery"', f'"principalId": "{LINKED_OBJECT_ID}", "palLinked": true'
    )
    evaluation = evaluate(run_program_file(PROJECT_ROOT / "__main__.py"), config, mocks_=PlaceholderMocks(_outputs()))
    first = AttributionDocument.from_json(evaluation.outputs["attribution"]).lighthouse[0].authorizations[0]
    assert (first.principal_name, first.link_state, first.earns_credit) == ("lighthouse-delivery", "Active", True)


# -- the report ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report_input(customer: Evaluation) -> dict[str, Any]:
    return {"attribution": customer.outputs["attribution"]}


def test_report_lighthouse_view_in_json(report_input: dict[str, Any]) -> None:
    document = json.loads(RENDERERS["json"](load_attribution(report_input)))
    assert document["managingStack"] == MANAGING_STACK
    assert len(document["lighthouse"]) == 10, "2 scopes × 5 authorizations"
    assert document["lighthouse"][0] == {
        "delegation": "contoso-operations",
        "offerName": "Fabrikam managed operations",
        "customerScope": SUB,
        "principal": "lighthouse-delivery",
        "principalId": LINKED_OBJECT_ID,
        "role": "Contributor",
        "access": "permanent",
        "pecEligible": True,
        "linkState": "Active",
        "earnsCredit": True,
    }
    assert document["summary"]["gaps"] == [] and document["summary"]["lighthouseScopesEarningCredit"] == [SUB, RG]


def test_report_lighthouse_view_in_markdown(report_input: dict[str, Any]) -> None:
    text = RENDERERS["markdown"](load_attribution(report_input))
    assert "## Azure Lighthouse: delegated customer scopes" in text
    assert f"| {RG} | lighthouse-delivery ({LINKED_OBJECT_ID}) | Contributor | permanent | yes | Active | earns it |" in text
    assert f"| {SUB} | Fabrikam operations (just-in-time) ({GROUP}) | Contributor | eligible | yes | unknown | no |" in text


def test_report_lighthouse_view_in_csv_is_neutralised(report_input: dict[str, Any]) -> None:
    hostile = json.loads(json.dumps(report_input))
    hostile["attribution"]["lighthouse"][0]["authorizations"][1]["displayName"] = "=HYPERLINK(1)"
    rows = list(csv.DictReader(io.StringIO(RENDERERS["csv"](load_attribution(hostile)))))
    lighthouse = [r for r in rows if r["delegation"] == "Lighthouse"]
    assert len(lighthouse) == 10, "2 scopes × 5 authorizations"
    first = lighthouse[0]
    assert (first["principal"], first["principalId"], first["role"], first["scope"], first["scopeType"]) == (
        "lighthouse-delivery", LINKED_OBJECT_ID, "Contributor", SUB, "subscription"
    )
    assert (first["pecEligible"], first["access"], first["linkState"], first["earnsCredit"]) == (
        "True", "permanent", "Active", "True"
    )
    assert lighthouse[2]["principal"] == "'=HYPERLINK(1)"  # scope by scope: authorization 1 on the subscription
    assert {r["access"] for r in lighthouse if "just-in-time" in r["principal"]} == {"eligible"}


def test_report_lighthouse_view_in_html_is_escaped(report_input: dict[str, Any]) -> None:
    hostile = json.loads(json.dumps(report_input))
    hostile["attribution"]["lighthouse"][0]["authorizations"][1]["displayName"] = "<script>x</script>"
    page = RENDERERS["html"](load_attribution(hostile))
    assert "<table id='lighthouse'>" in page and "<script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert f"<td>lighthouse-delivery ({LINKED_OBJECT_ID})</td><td>Contributor</td><td>permanent</td>" in page


def test_report_gaps_for_a_link_that_is_not_live(report_input: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(report_input))
    broken["attribution"]["lighthouse"][0]["authorizations"][0]["linkState"] = "NotFound"
    gaps = load_attribution(broken).summary["gaps"]
    assert gaps == [
        f"Lighthouse contoso-operations: the PAL link of lighthouse-delivery ({LINKED_OBJECT_ID}) is NotFound, not live"
    ]


def test_a_roleless_principal_is_no_report_gap() -> None:
    report = load_attribution(_outputs())
    assert report.summary["gaps"] == []


# -- plan JSON inputs, secrets masked ----------------------------------------------------------------


def test_plan_json_shows_inputs_with_secrets_masked() -> None:
    result = invoke("plan", "--stack", "dev", "--format", "json")
    document = json.loads(result.stdout)
    link = next(r for r in document["resources"] if r["name"] == "reporting-pal")
    assert link["inputs"]["clientSecret"] == "[secret]"  # the plugin's link: the schema's camelCase
    assert "__provider" not in link["inputs"], "the dynamic provider's pickled code is not an input a reviewer reads"
    assert "offline-placeholder" not in result.stdout
    role = next(r for r in document["resources"] if r["type"] == "azure-native:authorization:RoleAssignment")
    assert role["inputs"]["principalType"] == "ServicePrincipal" and role["inputs"]["scope"].startswith("/")


def test_masked_unwraps_nested_values() -> None:
    from pulumi.runtime import rpc

    value = {"a": [rpc.wrap_rpc_secret("s3cret"), {"b": rpc.UNKNOWN}], "__provider": "code", "c": 1}
    assert masked(value) == {"a": ["[secret]", {"b": "[unknown]"}], "c": 1}


# -- attribution models in the plan ----------------------------------------------------------------


def test_plan_shows_attribution_models() -> None:
    result = invoke("plan", "--stack", "dev", "--format", "json")
    models = json.loads(result.stdout)["attributionModels"]
    assert {p["attribution"] for p in models["principals"]} == {"PAL through its roles"}
    assert models["customerUsageAttribution"]["summary"].startswith(
        "no cuaPartnerId: azure-native sends Pulumi's ID a90539d8-a7a6-5826-95c4-1fbef22d4b22, azuread sends "
        "Terraform's 222c6c49-1b0a-5959-a213-6608f9eb8820; to send yours, `pulumi config set "
        "partner-attribution:cuaPartnerId <GUID>` (opt-in: adds explicit providers, see docs/attribution-models.md)"
    )
    assert models["nonAzureWorkloads"] == [
        {"name": "Contoso intranet on SharePoint Online", "product": "Microsoft 365", "attribution": "manual CPOR claim"},
        {"name": "Sales dashboards", "product": "Power BI", "attribution": "attributed through platform-delivery's PAL link"},
    ]
    table = " ".join(invoke("plan", "--stack", "dev").stdout.split())
    assert "Sales dashboards (Power BI): attributed through platform-delivery's PAL link" in table
    assert "attribution: PAL through its roles" in table
    markdown = invoke("plan", "--stack", "dev", "--format", "markdown").stdout
    assert "- Contoso intranet on SharePoint Online (Microsoft 365): manual CPOR claim" in markdown
    assert "- platform-delivery: PAL through its roles" in markdown


def test_plan_shows_the_cua_id_when_set(tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.cua.yaml"
    guid = "0f0f0f0f-0f0f-4f0f-8f0f-0f0f0f0f0f0f"
    stack.write_text(
        (PROJECT_ROOT / "Pulumi.dev.yaml")
        .read_text()
        .replace(
            "# partner-attribution:cuaPartnerId: 00000000-0000-0000-0000-000000000000",
            f"partner-attribution:cuaPartnerId: {guid}",
        )
    )
    plan = plan_stack(stack, PROJECT_ROOT / "__main__.py")
    assert plan.attribution_models["customerUsageAttribution"]["summary"] == (
        f"cuaPartnerId {guid}: azure-native sends yours, {guid}, azuread sends yours, {guid} (explicit providers, "
        "docs/attribution-models.md)"
    )


# -- the names and replace-relevant inputs, frozen -------------------------------------------------


def test_the_lighthouse_example_is_frozen(customer: Evaluation) -> None:
    current = {
        f"{r.type}::{r.parent.split('::')[-1]}::{r.name}": {key: r.plain_input(key) for key in REPLACING[r.type]}
        for r in customer.resources
        if r.type in REPLACING
    }
    if os.environ.get("UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
    assert current == json.loads(SNAPSHOT.read_text())
    assert len(current) == 4, "two definitions (one per subscription) and two assignments"
