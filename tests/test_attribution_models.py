"""Attribution as Microsoft counts it (issue 13): Power Platform through a principal's PAL link, CPOR claims by hand,
Customer Usage Attribution on the providers (opt-in), one cloud per stack, and the report's columns."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pulumi
import pytest

from conftest import PROJECT_ROOT, config_with, principal
from partner_attribution.attribution import AttributionDocument
from partner_attribution.config import PULUMI_PARTNER_ID, TERRAFORM_PARTNER_ID, ConfigurationError, load_stack_config
from partner_attribution.offline.engine import Evaluation, PlaceholderMocks, evaluate, run_program_file
from partner_attribution.offline.stack_file import read_stack_config
from partner_attribution.program import CUA_PROVIDER_NAMES
from partner_attribution.report import RENDERERS, load_attribution
from partner_attribution.validators import check_cua_partner_id
from partner_attribution.workloads import CPOR, PAL, PRODUCTS

CUA = "0d3b8a7e-5c1f-4e9a-9a61-2f4b6c8d9e01"
PROGRAM = PROJECT_ROOT / "__main__.py"


class ProviderRecordingMocks(PlaceholderMocks):
    """The placeholder mocks, also recording the provider reference of every resource (the engine's view)."""

    def __init__(self) -> None:
        super().__init__()
        self.providers: dict[str, str] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.providers[args.name] = args.provider or ""
        return super().new_resource(args)


def _problems(config: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigurationError) as error:
        load_stack_config(config)
    return error.value.problems


def _run(config: dict[str, str]) -> tuple[Evaluation, ProviderRecordingMocks]:
    mocks = ProviderRecordingMocks()
    return evaluate(run_program_file(PROGRAM), config, mocks_=mocks), mocks


def _active(evaluation: Evaluation) -> dict[str, Any]:
    attribution = json.loads(json.dumps(evaluation.outputs["attribution"]))
    for entry in attribution["principals"]:
        entry["linkState"] = "Active"
    return {"attribution": attribution}


# -- the catalog --------------------------------------------------------------------------------------


def test_power_platform_is_pal_and_microsoft_365_dynamics_are_cpor() -> None:
    models = {key: product.model for key, product in PRODUCTS.items()}
    assert models == {
        "powerapps": PAL,
        "powerautomate": PAL,
        "powerbi": PAL,
        "customerinsights": PAL,
        "microsoft365": CPOR,
        "dynamics365": CPOR,
    }
    assert "DPOR" not in json.dumps([p.__dict__ for p in PRODUCTS.values()])
    assert all("link-partner-id-power-apps-accounts" in PRODUCTS[k].source for k in models if models[k] == PAL)
    assert all("submit-osa-claim" in PRODUCTS[k].source for k in models if models[k] == CPOR)


# -- configuration ------------------------------------------------------------------------------------


def test_a_power_platform_workload_names_its_principal() -> None:
    config = config_with(
        [principal("platform-delivery")],
        nonAzureWorkloads=[{"name": "Dashboards", "product": "powerbi", "principal": "platform-delivery"}],
    )
    loaded = load_stack_config(config)
    assert [(w.product, w.principal) for w in loaded.non_azure_workloads] == [("powerbi", "platform-delivery")]
    assert loaded.warnings == ()


def test_a_workload_naming_an_unknown_principal_is_an_error() -> None:
    config = config_with(
        [principal("platform-delivery"), principal("reporting")],
        nonAzureWorkloads=[{"name": "Flows", "product": "powerautomate", "principal": "platform"}],
    )
    assert _problems(config) == [
        "nonAzureWorkloads[0].principal: 'platform' is not a principal of this stack; use one of platform-delivery, reporting"
    ]


def test_a_cpor_workload_cannot_name_a_principal() -> None:
    config = config_with(
        [principal()], nonAzureWorkloads=[{"name": "Intranet", "product": "microsoft365", "principal": "delivery"}]
    )
    assert _problems(config) == [
        "nonAzureWorkloads[0].principal: Microsoft 365 is claimed by hand in Partner Center (CPOR), not through a "
        "principal's PAL link; remove principal"
    ]


def test_an_old_power_bi_entry_without_a_principal_still_loads_and_says_what_to_add() -> None:
    config = config_with([principal("platform-delivery")], nonAzureWorkloads=[{"name": "Dashboards", "product": "powerbi"}])
    loaded = load_stack_config(config)
    assert loaded.non_azure_workloads[0].principal is None
    assert loaded.warnings == (
        "nonAzureWorkloads[0].principal: 'Dashboards' (Power BI) names no principal. Microsoft attributes it through "
        "the PAL link of the account that owns or publishes it, not by a manual claim (no DPOR step); add "
        "principal: <name> naming the delivery principal that publishes it (one of platform-delivery); see "
        "docs/attribution-models.md",
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not-a-guid", "'not-a-guid' is not a GUID; give the tracking GUID registered in Partner Center"),
        (f"pid-{CUA}", f"give the GUID without the 'pid-' prefix, e.g. '{CUA}'"),
        (CUA.upper(), None),
    ],
)
def test_cua_partner_id_validator(value: str, message: str | None) -> None:
    result = check_cua_partner_id(value)
    assert result is None if message is None else (result is not None and message in result)


def test_a_malformed_cua_guid_is_a_config_error() -> None:
    problems = _problems(config_with([principal()], cuaPartnerId="1234567"))
    assert len(problems) == 1 and problems[0].startswith("cuaPartnerId: '1234567' is not a GUID;")


def test_a_provider_partner_id_that_differs_from_cua_is_refused() -> None:
    config = {**config_with([principal()], cuaPartnerId=CUA), "azure-native:partnerId": "11111111-2222-4333-8444-555555555555"}
    assert _problems(config) == [
        "azure-native:partnerId: '11111111-2222-4333-8444-555555555555' differs from partner-attribution:cuaPartnerId "
        f"'{CUA}'; only one ID per request is counted. Remove azure-native:partnerId (cuaPartnerId is set on the "
        "program's providers)"
    ]


# -- one cloud per stack ------------------------------------------------------------------------------


def test_a_provider_environment_in_another_cloud_is_refused() -> None:
    config = {**config_with([principal()], cloud="usgovernment"), "azuread:environment": "usgovernment"}
    assert _problems(config) == [
        "azure-native:environment: 'public' is the public cloud, but partner-attribution:cloud is 'usgovernment': the "
        "principals would be created in one cloud and linked in another. Use one cloud per stack: set "
        "partner-attribution:cloud to 'public' or azure-native:environment to match 'usgovernment'"
    ]
    agreed = {**config, "azure-native:environment": "AzureUSGovernment"}
    assert load_stack_config(agreed).cloud == "usgovernment"


def test_arm_environment_counts_where_the_stack_sets_no_environment() -> None:
    with pytest.raises(ConfigurationError) as error:
        load_stack_config(config_with([principal()]), {"ARM_ENVIRONMENT": "china"})
    assert [p.split(":")[0] for p in error.value.problems] == [
        "ARM_ENVIRONMENT (read by azure-native)",
        "ARM_ENVIRONMENT (read by azuread)",
    ]


def test_the_plan_refuses_a_cloud_mismatch() -> None:
    config = {**read_stack_config(PROJECT_ROOT / "Pulumi.dev.yaml"), "azuread:environment": "china"}
    with pytest.raises(ConfigurationError) as error:
        evaluate(run_program_file(PROGRAM), config)
    assert error.value.problems[0].startswith("azuread:environment: 'china' is the china cloud")


# -- CUA on the providers -----------------------------------------------------------------------------


def test_without_cua_no_provider_is_declared_and_pulumis_own_id_is_reported() -> None:
    evaluation, mocks = _run(read_stack_config(PROJECT_ROOT / "Pulumi.dev.yaml"))
    assert not [r for r in evaluation.resources if r.type.startswith("pulumi:providers:")]
    assert {name: ref for name, ref in mocks.providers.items() if ref} == {}
    cua = evaluation.outputs["attribution"]["customerUsageAttribution"]
    assert cua == {
        "partnerId": None,
        "providers": [
            {"provider": "azure-native", "sends": PULUMI_PARTNER_ID, "source": "pulumi-default"},
            {"provider": "azuread", "sends": TERRAFORM_PARTNER_ID, "source": "terraform-default"},
        ],
    }
    markdown = RENDERERS["markdown"](load_attribution(_active(evaluation)))
    assert f"| azure-native | {PULUMI_PARTNER_ID} | Pulumi's own partner ID" in markdown


def test_cua_sets_explicit_providers_for_every_child() -> None:
    config = {**read_stack_config(PROJECT_ROOT / "Pulumi.dev.yaml"), "partner-attribution:cuaPartnerId": CUA}
    evaluation, mocks = _run(config)
    providers = {r.name: r for r in evaluation.resources if r.type.startswith("pulumi:providers:")}
    assert set(providers) == set(CUA_PROVIDER_NAMES.values())
    native = providers["partner-attribution-cua-azure-native"]
    assert (native.plain_input("partnerId"), native.plain_input("environment")) == (CUA, "public")
    assert native.plain_input("location") == "westeurope"  # the stack's azure-native:location, carried over
    assert providers["partner-attribution-cua-azuread"].plain_input("partnerId") == CUA
    for resource in evaluation.resources:
        package = resource.type.split(":")[0]
        if package in CUA_PROVIDER_NAMES and resource.custom and not resource.type.startswith("pulumi:providers:"):
            assert f"::{CUA_PROVIDER_NAMES[package]}::" in mocks.providers[resource.name], resource.name
    cua = evaluation.outputs["attribution"]["customerUsageAttribution"]
    assert cua["partnerId"] == CUA and {p["source"] for p in cua["providers"]} == {"cuaPartnerId"}
    report = load_attribution(_active(evaluation))
    assert [c["sends"] for c in report.customer_usage_attribution] == [CUA, CUA]


def test_a_stack_without_cua_declares_exactly_what_it_did() -> None:
    """The same registrations (type, name, parent, inputs) whether or not the program knows about CUA."""
    config = read_stack_config(PROJECT_ROOT / "tests" / "stacks" / "Pulumi.password-0.1.yaml")
    evaluation, mocks = _run(config)
    with_cua, _ = _run({**config, "partner-attribution:cuaPartnerId": CUA})

    def declared(e: Evaluation) -> list[tuple[str, str, str, str]]:
        return sorted(
            (r.type, r.name, r.parent, json.dumps(r.inputs, sort_keys=True))
            for r in e.resources
            if not r.type.startswith("pulumi:providers:")
        )

    assert declared(evaluation) == declared(with_cua)  # only the provider reference differs
    assert all(ref == "" for ref in mocks.providers.values())


# -- report -------------------------------------------------------------------------------------------


def _document(workloads: list[dict[str, Any]], link_state: str = "Active") -> dict[str, Any]:
    return {
        "attribution": {
            "version": 1,
            "partnerId": "1234567",
            "nonAzureWorkloads": workloads,
            "principals": [
                {
                    "name": "platform-delivery",
                    "partnerId": "1234567",
                    "configuredPartnerId": "1234567",
                    "linkState": link_state,
                    "palEligible": True,
                    "linkCredential": "federated",
                    "roles": [{"role": "Contributor", "scope": "/subscriptions/1", "palEligible": True}],
                }
            ],
        }
    }


@pytest.mark.parametrize("product", ["powerapps", "powerautomate", "powerbi", "customerinsights"])
def test_report_shows_power_platform_work_as_attributed_through_the_principal(product: str) -> None:
    report = load_attribution(_document([{"name": "Work", "product": product, "principal": "platform-delivery"}]))
    assert report.manual_claims == []
    [entry] = report.pal_workloads
    assert (entry["principal"], entry["requirement"]) == ("platform-delivery", PRODUCTS[product].requirement)
    assert report.summary["gaps"] == []
    markdown = RENDERERS["markdown"](report)
    assert f"| Work | {PRODUCTS[product].display_name} | platform-delivery |" in markdown
    assert "Source: Microsoft Learn, 'Link a partner ID to your Power Platform" in markdown
    assert "DPOR (Digital Partner of Record): not used by this project" in markdown
    html = RENDERERS["html"](report)
    assert "id='pal-workloads'" in html and "platform-delivery" in html


def test_report_gap_when_the_principal_is_not_linked_or_not_named() -> None:
    inactive = load_attribution(
        _document([{"name": "Flows", "product": "powerautomate", "principal": "platform-delivery"}], "NotFound")
    )
    assert "Flows (Power Automate): the PAL link of platform-delivery is not active" in inactive.summary["gaps"]
    unnamed = load_attribution(_document([{"name": "Dashboards", "product": "powerbi"}]))
    assert unnamed.summary["gaps"] == ["Dashboards (Power BI): names no principal; add the principal that publishes it"]


@pytest.mark.parametrize(
    ("product", "area"), [("microsoft365", "Modern Work & Security"), ("dynamics365", "Business Applications")]
)
def test_report_shows_cpor_as_a_manual_claim_with_where_and_source(product: str, area: str) -> None:
    report = load_attribution(_document([{"name": "Work", "product": product}]))
    [claim] = report.manual_claims
    assert claim["association"] == "CPOR (Claiming Partner of Record) claim"
    assert f"Customer claims > {area} > Add customer" in claim["where"]
    assert "learn.microsoft.com/partner-center/incentives/submit-osa-claim" in claim["where"]
    assert report.pal_workloads == []


def test_report_has_a_link_credential_column() -> None:
    report = load_attribution(_document([]))
    markdown = RENDERERS["markdown"](report)
    assert "| principal | partner ID | link | link credential | PEC-eligible | roles |" in markdown
    assert "| platform-delivery | 1234567 | Active | federated | yes |" in markdown
    rows = list(csv.DictReader(io.StringIO(RENDERERS["csv"](report))))
    assert (rows[0]["principal"], rows[0]["pecEligible"], rows[0]["linkCredential"]) == ("platform-delivery", "True", "federated")
    assert "<td>federated</td>" in RENDERERS["html"](report)


def test_a_version_1_document_without_the_new_fields_still_reads() -> None:
    old = {"partnerId": "1234567", "nonAzureWorkloads": [{"name": "Intranet", "product": "microsoft365"}], "principals": []}
    document = AttributionDocument.from_json(old)
    assert document.customer_usage_attribution is None and document.non_azure_workloads[0].principal is None
    report = load_attribution({"attribution": old})
    assert report.customer_usage_attribution == [] and "Customer Usage Attribution" not in RENDERERS["markdown"](report)
    assert AttributionDocument.from_json(document.to_json()) == document
