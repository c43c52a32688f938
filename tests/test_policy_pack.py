"""The policy pack (policy/), served as the Pulumi CLI serves it and called over gRPC.

The pack runs in a subprocess started like the CLI's language host starts it (``python -u -m pulumi.policy
<engine> policy/``); requests are the SDK's protobuf messages, properties serialized by the SDK. Stacks come
from the project's own program under the mock engine and from hand-built graphs that break each rule. The
pack's clock is fixed (PARTNER_ATTRIBUTION_POLICY_TODAY) so password lifetimes are deterministic.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi.output import Unknown
from pulumi.runtime.proto import analyzer_pb2

from partner_attribution.naming import PAL_LINK_TYPE
from partner_attribution.offline.engine import evaluate, run_program_file
from partner_attribution.offline.stack_file import read_stack_config

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT / "policy"))

from partner_attribution_policy import config as pack_config  # noqa: E402
from partner_attribution_policy import graph as pack_graph  # noqa: E402
from partner_attribution_policy import harness, policies  # noqa: E402
from partner_attribution_policy.harness import ResourceSpec, urn  # noqa: E402

TODAY = dt.date(2026, 11, 25)
PARTNER_ID = "1234567"
CUA = "5f0c2a8e-7d3b-4b4e-9d21-6a1f0c3b9e77"
LINKED_PRINCIPAL = "6c1d3e5f-0a2b-4c4d-8e6f-7a8b9c0d1e2f"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
SUBSCRIPTION = "/subscriptions/22222222-2222-4222-8222-222222222222"
POLICY_NAMES = [
    "pal-link-required",
    "pal-link-partner-id",
    "pal-eligible-role",
    "link-password-lifetime",
    "cua-partner-id",
    "lighthouse-pal-authorization",
]
BASE_CONFIG = {"pal-link-partner-id": {"partnerId": PARTNER_ID}}


@pytest.fixture(scope="module")
def analyzer() -> Iterator[tuple[Any, analyzer_pb2.AnalyzerInfo]]:
    """The pack served once for the module: its stub and its ``GetAnalyzerInfo``."""
    with harness.Analyzer(env={"PARTNER_ATTRIBUTION_POLICY_TODAY": TODAY.isoformat()}) as stub:
        yield stub, harness.analyzer_info(stub)


def analyze(
    analyzer: tuple[Any, analyzer_pb2.AnalyzerInfo], resources: list[ResourceSpec], config: dict[str, Any] | None = None
) -> analyzer_pb2.AnalyzeResponse:
    """Configure the pack (as the CLI does before a run) and analyze ``resources`` as one stack."""
    stub, info = analyzer
    stub.Configure(harness.configure_request(info, {**BASE_CONFIG, **(config or {})}))
    return stub.AnalyzeStack(harness.stack_request(resources))


def diagnostics(response: analyzer_pb2.AnalyzeResponse, policy: str | None = None) -> list[analyzer_pb2.AnalyzeDiagnostic]:
    return [d for d in response.diagnostics if policy is None or d.policyName == policy]


def summary(response: analyzer_pb2.AnalyzeResponse) -> list[tuple[str, str, str]]:
    """(policy, enforcement level, resource name) of every diagnostic."""
    return [(d.policyName, harness.level_name(d.enforcementLevel), d.urn.rsplit("::", 1)[-1]) for d in response.diagnostics]


# --- building stacks by hand, as a program would register them --------------------------------------------------


class Stack:
    """Resources registered one by one; IDs unknown unless given, as in a first preview."""

    def __init__(self) -> None:
        self.resources: list[ResourceSpec] = []

    def add(self, type_: str, name: str, inputs: dict[str, Any], **deps: list[ResourceSpec]) -> ResourceSpec:
        """``deps``: property name → resources that property comes from (``depends_on`` for explicit ones)."""
        explicit = deps.pop("depends_on", [])
        property_dependencies = {key: [r.urn for r in rs] for key, rs in deps.items()}
        dependencies = sorted({u for us in property_dependencies.values() for u in us} | {r.urn for r in explicit})
        spec = ResourceSpec(urn(type_, name), type_, name, inputs, "", dependencies, property_dependencies)
        self.resources.append(spec)
        return spec

    def principal(self, name: str) -> tuple[ResourceSpec, ResourceSpec]:
        """An application and its service principal, with plain azuread resources."""
        app = self.add(pack_graph.APPLICATION_TYPE, f"{name}-app", {"displayName": name})
        sp = self.add(pack_graph.SERVICE_PRINCIPAL_TYPE, f"{name}-sp", {"clientId": Unknown()}, clientId=[app])
        return app, sp

    def role(self, name: str, sp: ResourceSpec, role_guid: str = CONTRIBUTOR) -> ResourceSpec:
        return self.add(
            "azure-native:authorization:RoleAssignment",
            name,
            {
                "principalId": Unknown(),
                "principalType": "ServicePrincipal",
                "roleDefinitionId": f"{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{role_guid}",
                "scope": SUBSCRIPTION,
            },
            principalId=[sp],
        )

    def link(self, name: str, app: ResourceSpec, partner_id: Any = PARTNER_ID, **extra: Any) -> ResourceSpec:
        return self.add(
            PAL_LINK_TYPE,
            name,
            {"partnerId": partner_id, "clientId": Unknown(), "tenantId": Unknown(), **extra},
            clientId=[app],
        )

    def password(self, name: str, app: ResourceSpec, **inputs: Any) -> ResourceSpec:
        return self.add(pack_graph.APPLICATION_PASSWORD_TYPE, name, {"applicationId": Unknown(), **inputs}, applicationId=[app])


def linked_principal(stack: Stack, name: str, role_guid: str = CONTRIBUTOR) -> tuple[ResourceSpec, ResourceSpec]:
    app, sp = stack.principal(name)
    stack.role(f"{name}-role", sp, role_guid)
    stack.link(f"{name}-pal", app)
    return app, sp


def registration_definition(
    name: str, authorizations: list[dict[str, Any]], eligible: list[dict[str, Any]] | None = None
) -> ResourceSpec:
    properties: dict[str, Any] = {
        "managedByTenantId": "83abe5cd-bcc3-441a-bd86-e6a75360cecc",
        "registrationDefinitionName": name,
        "authorizations": authorizations,
    }
    if eligible is not None:
        properties["eligibleAuthorizations"] = eligible
    return ResourceSpec(
        urn(pack_graph.REGISTRATION_DEFINITION_TYPE, name),
        pack_graph.REGISTRATION_DEFINITION_TYPE,
        name,
        {"scope": SUBSCRIPTION, "registrationDefinitionId": "26c128c2-fefa-4340-9bb1-6e081c90ada2", "properties": properties},
    )


# --- what the pack reports about itself --------------------------------------------------------------------------


def test_analyzer_info_lists_every_policy_with_level_schema_and_remediation(analyzer: Any) -> None:
    _, info = analyzer
    assert info.name == "partner-attribution"
    assert info.supportsConfig
    assert [p.name for p in info.policies] == POLICY_NAMES
    levels = {p.name: harness.level_name(p.enforcementLevel) for p in info.policies}
    assert levels == {
        "pal-link-required": "mandatory",
        "pal-link-partner-id": "mandatory",
        "pal-eligible-role": "advisory",
        "link-password-lifetime": "mandatory",
        "cua-partner-id": "mandatory",
        "lighthouse-pal-authorization": "mandatory",
    }
    for policy in info.policies:
        assert policy.description and policy.displayName and policy.remediation_steps
        assert policy.policy_type == analyzer_pb2.POLICY_TYPE_STACK
    schemas = {p.name: harness._struct_to_dict(p.configSchema.properties) for p in info.policies}
    assert schemas["cua-partner-id"]["cuaPartnerId"]["pattern"] == pack_config.GUID_REGEX
    assert schemas["link-password-lifetime"]["maxLifetimeDays"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 3650,
        "default": 365,
        "description": pack_config.SCHEMAS["link-password-lifetime"]["maxLifetimeDays"]["description"],
    }
    assert schemas["lighthouse-pal-authorization"]["linkedPrincipalIds"]["items"]["pattern"] == pack_config.GUID_REGEX


# --- the project's own program under the mock engine -------------------------------------------------------------


@pytest.fixture(scope="module")
def example_stack() -> list[ResourceSpec]:
    evaluation = evaluate(run_program_file(PROJECT_ROOT / "__main__.py"), read_stack_config(PROJECT_ROOT / "Pulumi.dev.yaml"))
    return harness.from_registrations(evaluation.resources)


def test_example_stack_breaks_no_mandatory_policy_and_reports_the_reporting_principal(
    analyzer: Any, example_stack: list[ResourceSpec]
) -> None:
    response = analyze(analyzer, example_stack)

    assert summary(response) == [("pal-eligible-role", "advisory", "reporting-sp")]
    (diagnostic,) = response.diagnostics
    assert "service principal 'reporting-sp' is linked with PAL ('reporting-pal')" in diagnostic.message
    assert "Cost Management Reader (not-eligible)" in diagnostic.message
    assert diagnostic.policyPackName == "partner-attribution"
    assert [(n.policy_name, n.reason) for n in response.not_applicable] == [
        ("cua-partner-id", "cuaPartnerId is not set in the pack's configuration")
    ]


def test_example_stack_relations_come_from_property_dependencies(example_stack: list[ResourceSpec]) -> None:
    """The component's link depends on its principal through tenantId and on its application through clientId."""
    link = next(r for r in example_stack if r.name == "platform-delivery-pal")
    assert link.property_dependencies["clientId"] == [next(r.urn for r in example_stack if r.name == "platform-delivery-app")]
    graph = pack_graph.StackGraph(
        pack_graph.StackResource(
            r.urn,
            r.type,
            r.name,
            r.inputs,
            r.parent,
            tuple(r.dependencies),
            {k: tuple(v) for k, v in r.property_dependencies.items()},
        )
        for r in example_stack
    )
    principals = {p.resource.name: p for p in graph.principals}
    assert set(principals) == {"platform-delivery-sp", "workload-delivery-sp", "reporting-sp"}
    assert [len(principals[n].assignments) for n in sorted(principals)] == [2, 1, 2]
    assert all(p.linked for p in principals.values())


def test_every_policy_disabled_reports_nothing(analyzer: Any, example_stack: list[ResourceSpec]) -> None:
    response = analyze(analyzer, example_stack, dict.fromkeys(POLICY_NAMES, "disabled"))  # what the CLI sends for "all"
    assert list(response.diagnostics) == []
    assert list(response.not_applicable) == []


def test_the_partner_sets_a_policy_mandatory(analyzer: Any, example_stack: list[ResourceSpec]) -> None:
    response = analyze(analyzer, example_stack, {"pal-eligible-role": {"enforcementLevel": "mandatory"}})
    assert summary(response) == [("pal-eligible-role", "mandatory", "reporting-sp")]


def test_exceptions_silence_the_eligible_role_policy(analyzer: Any, example_stack: list[ResourceSpec]) -> None:
    response = analyze(analyzer, example_stack, {"pal-eligible-role": {"exceptions": ["reporting-app"]}})
    assert summary(response) == []


# --- 1. role-assigned service principals have a PAL link ----------------------------------------------------------


def test_contributor_without_link_is_a_mandatory_violation(analyzer: Any) -> None:
    stack = Stack()
    _, sp = stack.principal("ops")
    stack.role("ops-contributor", sp)

    response = analyze(analyzer, stack.resources)

    assert summary(response) == [("pal-link-required", "mandatory", "ops-sp")]
    message = response.diagnostics[0].message
    assert message.startswith("Every service principal that receives an Azure role assignment")
    assert (
        "service principal 'ops-sp' (application 'ops-app') receives 1 Azure role assignment(s) ('ops-contributor') "
        "but no PAL link depends on it or on its application"
    ) in message
    assert "Remediation: Declare the principal with the DeliveryPrincipal component" in message


def test_plain_azuread_principal_with_a_link_passes(analyzer: Any) -> None:
    stack = Stack()
    linked_principal(stack, "ops")
    assert summary(analyze(analyzer, stack.resources)) == []


def test_link_signing_in_as_the_principal_itself_counts(analyzer: Any) -> None:
    stack = Stack()
    _, sp = stack.principal("ops")
    stack.role("ops-role", sp)
    stack.add(PAL_LINK_TYPE, "ops-pal", {"partnerId": PARTNER_ID, "clientId": Unknown()}, clientId=[sp])
    assert summary(analyze(analyzer, stack.resources)) == []


def test_only_a_links_client_id_makes_a_principal_linked(analyzer: Any) -> None:
    """A link that merely depends on another principal (depends_on, or its tenant) linked that one too before."""
    stack = Stack()
    ops_app, _ = linked_principal(stack, "ops")
    _, other = stack.principal("other")
    stack.role("other-role", other)
    stack.add(
        PAL_LINK_TYPE,
        "ops-pal-2",
        {"partnerId": PARTNER_ID, "clientId": Unknown(), "tenantId": Unknown()},
        clientId=[ops_app],
        tenantId=[other],
        depends_on=[other],
    )
    assert summary(analyze(analyzer, stack.resources)) == [("pal-link-required", "mandatory", "other-sp")]


def test_principals_linked_elsewhere_are_exceptions_by_name(analyzer: Any) -> None:
    stack = Stack()
    _, sp = stack.principal("ops")
    stack.role("ops-contributor", sp)
    assert summary(analyze(analyzer, stack.resources, {"pal-link-required": {"exceptions": ["ops-sp"]}})) == []


def test_a_role_for_a_principal_outside_the_stack_is_not_judged(analyzer: Any) -> None:
    stack = Stack()
    stack.add(
        "azure-native:authorization:RoleAssignment",
        "user-reader",
        {"principalId": "0f0f0f0f-0000-4000-8000-000000000001", "roleDefinitionId": READER, "scope": SUBSCRIPTION},
    )
    assert summary(analyze(analyzer, stack.resources)) == []


def test_classic_azure_assignment_counts_too(analyzer: Any) -> None:
    stack = Stack()
    _, sp = stack.principal("legacy")
    stack.add(
        "azure:authorization/assignment:Assignment",
        "legacy-contributor",
        {"principalId": Unknown(), "roleDefinitionName": "Contributor", "scope": SUBSCRIPTION},
        principalId=[sp],
    )
    assert summary(analyze(analyzer, stack.resources)) == [("pal-link-required", "mandatory", "legacy-sp")]


# --- 2. links name the partner's ID --------------------------------------------------------------------------------


def test_link_to_another_partner_id_is_a_violation(analyzer: Any) -> None:
    stack = Stack()
    app, sp = stack.principal("ops")
    stack.role("ops-role", sp)
    stack.link("ops-pal", app, partner_id="7654321")

    response = analyze(analyzer, stack.resources)

    assert summary(response) == [("pal-link-partner-id", "mandatory", "ops-pal")]
    assert "PAL link 'ops-pal' names partner ID 7654321, not the partner's 1234567" in response.diagnostics[0].message


def test_unknown_partner_id_in_a_preview_is_no_violation(analyzer: Any) -> None:
    stack = Stack()
    app, sp = stack.principal("ops")
    stack.role("ops-role", sp)
    stack.link("ops-pal", app, partner_id=Unknown())
    assert summary(analyze(analyzer, stack.resources)) == []


def test_partner_id_policy_without_a_configured_id_does_not_apply(analyzer: Any) -> None:
    stub, info = analyzer
    stub.Configure(harness.configure_request(info, {}))
    response = stub.AnalyzeStack(harness.stack_request([]))
    assert {n.policy_name for n in response.not_applicable} == {"pal-link-partner-id", "cua-partner-id"}


# --- 3. PEC-eligible roles ----------------------------------------------------------------------------------------


def test_linked_reader_is_an_advisory_violation(analyzer: Any) -> None:
    stack = Stack()
    linked_principal(stack, "audit", READER)
    response = analyze(analyzer, stack.resources)
    assert summary(response) == [("pal-eligible-role", "advisory", "audit-sp")]
    assert "holds only roles that earn no partner earned credit (PEC): Reader (not-eligible)" in response.diagnostics[0].message


def test_unknown_role_definition_is_no_violation(analyzer: Any) -> None:
    stack = Stack()
    app, sp = stack.principal("audit")
    stack.add(
        "azure-native:authorization:RoleAssignment",
        "audit-role",
        {"principalId": Unknown(), "roleDefinitionId": Unknown(), "scope": SUBSCRIPTION},
        principalId=[sp],
    )
    stack.link("audit-pal", app)
    assert summary(analyze(analyzer, stack.resources)) == []


# --- 4. link passwords --------------------------------------------------------------------------------------------


def test_two_year_password_on_a_delivery_application_is_a_violation(analyzer: Any) -> None:
    stack = Stack()
    app, _ = linked_principal(stack, "ops")
    end = TODAY + dt.timedelta(days=730)
    stack.password("ops-password", app, endDate=f"{end.isoformat()}T00:00:00Z")

    response = analyze(analyzer, stack.resources)

    assert summary(response) == [("link-password-lifetime", "mandatory", "ops-password")]
    assert (
        f"password 'ops-password' on delivery application 'ops-app' is valid for 730 days from 2026-11-25 "
        f"(valid until {end.isoformat()}), longer than the maximum of 365 days"
    ) in response.diagnostics[0].message


def test_password_lifetime_limits(analyzer: Any) -> None:
    stack = Stack()
    app, _ = linked_principal(stack, "ops")
    stack.password("within", app, endDate="2027-06-01T00:00:00Z")
    stack.password("relative", app, endDateRelative="17520h")
    stack.password("unknown", app, endDate=Unknown())
    stack.password("graph-default", app)
    other_app, _ = stack.principal("unrelated")  # no role, no link: not a delivery application
    stack.password("unrelated-password", other_app, endDate="2036-01-01T00:00:00Z")

    response = analyze(analyzer, stack.resources, {"link-password-lifetime": {"maxLifetimeDays": 200}})

    assert summary(response) == [  # "within" ends in 188 days
        ("link-password-lifetime", "mandatory", "relative"),
        ("link-password-lifetime", "mandatory", "graph-default"),
    ]
    relative, graph_default = (d.message for d in response.diagnostics)
    assert "is valid for 730 days from 2026-11-25 (endDateRelative 17520h)" in relative
    assert "valid for 730 days from 2026-11-25 (no endDate, so Microsoft Graph's default of two years applies)" in graph_default


def test_forbid_passwords_reports_passwords_and_secret_links(analyzer: Any) -> None:
    stack = Stack()
    app, sp = stack.principal("ops")
    stack.role("ops-role", sp)
    stack.link("ops-pal", app)
    stack.password("ops-password", app, endDate="2026-12-01T00:00:00Z")
    fed_app, fed_sp = stack.principal("fed")
    stack.role("fed-role", fed_sp)
    stack.link("fed-pal", fed_app, credentialType="federated")

    response = analyze(analyzer, stack.resources, {"link-password-lifetime": {"forbidPasswords": True}})

    assert summary(response) == [
        ("link-password-lifetime", "mandatory", "ops-password"),
        ("link-password-lifetime", "mandatory", "ops-pal"),
    ]
    assert "passwords are forbidden (forbidPasswords)" in response.diagnostics[0].message
    assert "signs in with a client secret" in response.diagnostics[1].message


def test_a_link_moved_from_the_dynamic_provider_is_read_in_its_old_spelling(analyzer: Any) -> None:
    """A 0.1/0.2 link moved by alias keeps the dynamic provider's snake_case outputs (and ``__provider``) until its
    next refresh: the pack reads them as the plugin's camelCase, so the moved links break no policy."""
    stack = Stack()
    app, sp = stack.principal("ops")
    stack.role("ops-role", sp)
    old_outputs = {"__provider": "gASV...", "partner_id": PARTNER_ID, "tenant_id": Unknown(), "linked_partner_id": PARTNER_ID}
    stack.add(PAL_LINK_TYPE, "ops-pal", {**old_outputs, "client_id": Unknown()}, client_id=[app])
    fed_app, fed_sp = stack.principal("fed")
    stack.role("fed-role", fed_sp)
    stack.add(
        PAL_LINK_TYPE, "fed-pal", {**old_outputs, "client_id": Unknown(), "credential_type": "federated"}, clientId=[fed_app]
    )
    other_app, other_sp = stack.principal("other")
    stack.role("other-role", other_sp)
    stack.add(PAL_LINK_TYPE, "other-pal", {**old_outputs, "partner_id": "7654321"}, clientId=[other_app])

    response = analyze(analyzer, stack.resources, {"link-password-lifetime": {"forbidPasswords": True}})

    assert sorted(summary(response)) == [
        ("link-password-lifetime", "mandatory", "ops-pal"),
        ("link-password-lifetime", "mandatory", "other-pal"),
        ("pal-link-partner-id", "mandatory", "other-pal"),
    ]
    assert all("names no partner ID" not in d.message for d in response.diagnostics)


# --- 5. CUA -------------------------------------------------------------------------------------------------------


def test_cua_provider_without_partner_id_is_a_violation(analyzer: Any) -> None:
    stack = Stack()
    stack.add("pulumi:providers:azure-native", "customer", {"subscriptionId": "22222222-2222-4222-8222-222222222222"})
    stack.add("pulumi:providers:azuread", "tenant", {"partnerId": CUA.upper()})
    stack.add("pulumi:providers:azuread", "other", {"partnerId": "00000000-0000-4000-8000-000000000000"})
    stack.add("pulumi:providers:azure-native", "default_3_29_0", {})  # from stack config: not visible, not checked
    stack.add("pulumi:providers:azuread", "pending", {"partnerId": Unknown()})

    response = analyze(analyzer, stack.resources, {"cua-partner-id": {"cuaPartnerId": CUA}})

    assert summary(response) == [("cua-partner-id", "mandatory", "customer"), ("cua-partner-id", "mandatory", "other")]
    assert f"azure-native provider 'customer' sets no partnerId; set it to {CUA}" in response.diagnostics[0].message
    assert "sets partnerId 00000000-0000-4000-8000-000000000000, not the partner's CUA GUID" in response.diagnostics[1].message


def test_a_default_providers_partner_id_from_stack_config_is_checked(analyzer: Any) -> None:
    """The analyzer sees a default provider's inputs (the stack's azure-native:* settings); only ARM_PARTNER_ID is
    invisible. A wrong partnerId there passed before."""
    stack = Stack()
    stack.add("pulumi:providers:azure-native", "default_3_29_0", {"partnerId": "00000000-0000-4000-8000-000000000000"})
    stack.add("pulumi:providers:azuread", "default_6_0_0", {"partnerId": CUA})
    response = analyze(analyzer, stack.resources, {"cua-partner-id": {"cuaPartnerId": CUA}})
    assert summary(response) == [("cua-partner-id", "mandatory", "default_3_29_0")]


def test_an_explicit_provider_named_like_a_default_one_is_still_checked(analyzer: Any) -> None:
    """A program's provider named 'default' or 'default_3_29_0' was skipped as if the engine had made it; the engine's
    own has no parent (source_eval.go), a program's is parented to the stack."""
    stack = Stack()
    for name in ("default", "default_3_29_0"):
        provider = stack.add("pulumi:providers:azure-native", name, {})
        stack.resources[-1] = ResourceSpec(
            provider.urn.replace("::pulumi:providers:", "::pulumi:pulumi:Stack$pulumi:providers:"),
            provider.type,
            name,
            {},
            urn("pulumi:pulumi:Stack", "contoso-landing-zone-dev"),
            [],
            {},
        )
    stack.add("pulumi:providers:azuread", "default_6_0_0", {})  # the engine's: no parent, not visible, not checked
    response = analyze(analyzer, stack.resources, {"cua-partner-id": {"cuaPartnerId": CUA}})
    assert summary(response) == [("cua-partner-id", "mandatory", "default"), ("cua-partner-id", "mandatory", "default_3_29_0")]


@pytest.mark.parametrize(
    ("policy", "config", "problem"),
    [
        (
            "cua-partner-id",
            {"cuaPartnerID": CUA},
            "cuaPartnerID: not a setting of cua-partner-id (its settings: cuaPartnerId); did you mean 'cuaPartnerId'?",
        ),
        (
            "pal-link-partner-id",
            {"partnerID": "1234567"},
            "partnerID: not a setting of pal-link-partner-id (its settings: partnerId); did you mean 'partnerId'?",
        ),
        ("pal-link-partner-id", {"partnerId": "1234567\n"}, "partnerId: '1234567\\n' does not match ^[0-9]{4,10}$"),
        ("cua-partner-id", {"cuaPartnerId": CUA + "\n"}, f"cuaPartnerId: '{CUA}\\n' does not match {pack_config.GUID_REGEX}"),
    ],
    ids=["misspelled-cua", "misspelled-partner", "partner-newline", "cua-newline"],
)
def test_a_misspelled_key_or_a_trailing_newline_is_an_error_not_not_applicable(
    analyzer: Any, policy: str, config: dict[str, Any], problem: str
) -> None:
    """Before, a misspelled key left the policy 'not applicable' and '1234567\\n' passed the pattern."""
    assert pack_config.validate(policy, config) == [problem]
    stack = Stack()
    stack.add("pulumi:providers:azure-native", "customer", {})
    response = analyze(analyzer, stack.resources, {policy: config})
    (diagnostic,) = diagnostics(response, policy)
    assert "the pack's configuration is invalid, so nothing was checked" in diagnostic.message and problem in diagnostic.message


@pytest.mark.parametrize("text", ["17520h\n", "\u0661\u0667\u0665\u0662\u0660h", "8760\u0968h"])
def test_go_durations_and_guids_are_ascii_to_the_end(text: str) -> None:
    assert policies.parse_go_duration(text) is None
    assert not pack_graph.is_guid(CUA + "\n") and not pack_graph.is_guid(CUA.replace("5", "\u0665"))


def test_the_level_next_to_a_policys_settings_is_no_unknown_key() -> None:
    assert pack_config.validate("cua-partner-id", {"enforcementLevel": "advisory", "cuaPartnerId": CUA}) == []


# --- 6. Lighthouse ------------------------------------------------------------------------------------------------


def test_lighthouse_definitions(analyzer: Any) -> None:
    reader_for_linked = {"principalId": LINKED_PRINCIPAL, "roleDefinitionId": READER}
    resources = [
        registration_definition(
            "good",
            [reader_for_linked, {"principalId": LINKED_PRINCIPAL.upper(), "roleDefinitionId": CONTRIBUTOR}],
        ),
        registration_definition(
            "jit-only", [reader_for_linked], eligible=[{"principalId": LINKED_PRINCIPAL, "roleDefinitionId": CONTRIBUTOR}]
        ),
        registration_definition("reader-only", [reader_for_linked]),
        registration_definition(
            "unknown-principal", [{"principalId": "11111111-2222-4333-8444-555555555555", "roleDefinitionId": CONTRIBUTOR}]
        ),
        registration_definition("pending", [{"principalId": Unknown(), "roleDefinitionId": CONTRIBUTOR}]),
    ]

    response = analyze(analyzer, resources, {"lighthouse-pal-authorization": {"linkedPrincipalIds": [LINKED_PRINCIPAL]}})

    assert summary(response) == [
        ("lighthouse-pal-authorization", "mandatory", "jit-only"),
        ("lighthouse-pal-authorization", "mandatory", "reader-only"),
        ("lighthouse-pal-authorization", "mandatory", "unknown-principal"),
    ]
    jit, reader, unknown = (d.message for d in response.diagnostics)
    assert f"linked principal {LINKED_PRINCIPAL} is only in eligibleAuthorizations (just-in-time)" in jit
    assert f"linked principal {LINKED_PRINCIPAL} is authorized with Reader (not-eligible)" in reader
    assert "no permanent authorization names a linked principal (authorized: 11111111-2222-4333-8444-555555555555)" in unknown


def test_lighthouse_without_linked_principals_configured(analyzer: Any) -> None:
    resources = [registration_definition("any", [{"principalId": LINKED_PRINCIPAL, "roleDefinitionId": CONTRIBUTOR}])]
    response = analyze(analyzer, resources)
    assert summary(response) == [("lighthouse-pal-authorization", "mandatory", "any")]
    assert "linkedPrincipalIds is empty" in response.diagnostics[0].message


# --- configuration -------------------------------------------------------------------------------------------------


def test_bad_config_is_accepted_by_the_sdk_and_reported_by_the_policy(analyzer: Any) -> None:
    """The SDK's Configure validates nothing (the CLI validates against the schema); the policy refuses to run."""
    stack = Stack()
    stack.add("pulumi:providers:azure-native", "customer", {})
    response = analyze(
        analyzer,
        stack.resources,
        {
            "cua-partner-id": {"cuaPartnerId": "not-a-guid"},
            "link-password-lifetime": {"maxLifetimeDays": 0, "forbidPasswords": "yes"},
        },
    )
    assert summary(response) == [("link-password-lifetime", "mandatory", ""), ("cua-partner-id", "mandatory", "")]
    lifetime, cua = (d.message for d in response.diagnostics)
    assert "the pack's configuration is invalid, so nothing was checked" in cua
    assert f"cuaPartnerId: 'not-a-guid' does not match {pack_config.GUID_REGEX}" in cua
    assert "maxLifetimeDays: 0 is less than 1" in lifetime and "forbidPasswords: expected boolean, got str 'yes'" in lifetime


@pytest.mark.parametrize(
    ("policy", "config", "problems"),
    [
        ("pal-link-partner-id", {"partnerId": "1234567"}, []),
        ("pal-link-partner-id", {"partnerId": "12ab"}, ["partnerId: '12ab' does not match ^[0-9]{4,10}$"]),
        ("pal-link-partner-id", {"partnerId": 1234567}, ["partnerId: expected string, got int 1234567"]),
        ("pal-link-required", {"exceptions": ["a", "a"]}, ["exceptions: items must be unique"]),
        ("pal-link-required", {"exceptions": [""]}, ["exceptions[0]: must not be empty"]),
        ("link-password-lifetime", {"maxLifetimeDays": 90.0}, []),
        ("link-password-lifetime", {"maxLifetimeDays": 4000}, ["maxLifetimeDays: 4000 is more than 3650"]),
        ("link-password-lifetime", {"maxLifetimeDays": True}, ["maxLifetimeDays: expected integer, got bool True"]),
        ("cua-partner-id", {"cuaPartnerId": CUA}, []),
        (
            "lighthouse-pal-authorization",
            {"linkedPrincipalIds": ["x"]},
            [f"linkedPrincipalIds[0]: 'x' does not match {pack_config.GUID_REGEX}"],
        ),
    ],
)
def test_config_schema_validation(policy: str, config: dict[str, Any], problems: list[str]) -> None:
    assert pack_config.validate(policy, config) == problems


def test_config_defaults_and_schema_keywords() -> None:
    assert pack_config.parse("link-password-lifetime", {}) == {"maxLifetimeDays": 365, "forbidPasswords": False}
    assert pack_config.parse("link-password-lifetime", {"maxLifetimeDays": 90.0})["maxLifetimeDays"] == 90
    # The parser understands every keyword the schemas use, so it cannot accept what the CLI's validator rejects.
    supported = {"type", "pattern", "minimum", "maximum", "minLength", "items", "uniqueItems", "default", "description"}

    def keywords(schema: dict[str, Any]) -> set[str]:
        return set(schema) | (keywords(schema["items"]) if "items" in schema else set())

    for properties in pack_config.SCHEMAS.values():
        for schema in properties.values():
            assert keywords(schema) <= supported


def test_example_config_file_is_valid_for_every_policy() -> None:
    example = json.loads((PROJECT_ROOT / "policy" / "config.example.json").read_text())
    assert sorted(example) == sorted(POLICY_NAMES)
    for policy, entry in example.items():
        assert entry["enforcementLevel"] in {"advisory", "mandatory", "disabled"}
        assert pack_config.validate(policy, {k: v for k, v in entry.items() if k != "enforcementLevel"}) == []


# --- plain functions ----------------------------------------------------------------------------------------------


def test_link_type_matches_the_component() -> None:
    assert pack_graph.PAL_LINK_TYPE == PAL_LINK_TYPE


def test_graph_falls_back_to_dependencies_and_known_ids() -> None:
    app = pack_graph.StackResource("u:app", pack_graph.APPLICATION_TYPE, "a", {"clientId": "c1"})
    sp = pack_graph.StackResource("u:sp", pack_graph.SERVICE_PRINCIPAL_TYPE, "s", {"clientId": "C1", "objectId": "O1"})
    by_dependency = pack_graph.StackResource(
        "u:ra1", "azure-native:authorization:RoleAssignment", "r1", {"principalId": "x"}, dependencies=("u:sp",)
    )
    by_value = pack_graph.StackResource("u:ra2", "azure-native:authorization:RoleAssignment", "r2", {"principalId": "o1"})
    other = pack_graph.StackResource(
        "u:ra3",
        "azure-native:authorization:RoleAssignment",
        "r3",
        {"principalId": "p"},
        dependencies=("u:sp",),
        property_dependencies={"scope": ("u:sp",)},
    )
    link = pack_graph.StackResource("u:pal", PAL_LINK_TYPE, "l", {"clientId": "c1"})
    (principal,) = pack_graph.StackGraph([app, sp, by_dependency, by_value, other, link]).principals
    assert principal.application is app
    assert [a.name for a in principal.assignments] == ["r1", "r2"]
    assert principal.links == (link,)


@pytest.mark.parametrize(
    ("text", "days"), [("17520h", 730), ("2400h30m", 100), ("90m", 0), ("1.5h", 0), ("", None), ("10d", None)]
)
def test_go_durations(text: str, days: int | None) -> None:
    duration = policies.parse_go_duration(text)
    assert (duration.days if duration is not None else None) == days


def test_checks_take_an_injected_date() -> None:
    app = pack_graph.StackResource("u:app", pack_graph.APPLICATION_TYPE, "a", {})
    sp = pack_graph.StackResource(
        "u:sp", pack_graph.SERVICE_PRINCIPAL_TYPE, "s", {}, property_dependencies={"clientId": ("u:app",)}
    )
    link = pack_graph.StackResource("u:pal", PAL_LINK_TYPE, "l", {}, dependencies=("u:sp",))
    password = pack_graph.StackResource(
        "u:pw", pack_graph.APPLICATION_PASSWORD_TYPE, "p", {"endDate": "2027-11-01T00:00:00Z"}, dependencies=("u:app",)
    )
    graph = pack_graph.StackGraph([app, sp, link, password])
    spec = next(p for p in policies.POLICIES if p.name == "link-password-lifetime")
    assert spec.run(graph, {}, dt.date(2026, 11, 1)) == []  # 365 days
    (violation,) = spec.run(graph, {}, dt.date(2026, 10, 31))  # 366 days
    assert violation.urn == "u:pw" and "valid for 366 days" in violation.message
