"""``verify`` signs a federated principal in for the stack's ``linkFederation.audience``, read from the attribution
document, and its errors name the field that is wrong (issue 18, "Federation and tokens")."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from partner_attribution.cli import app
from partner_attribution.offline.engine import evaluate, run_program_file
from partner_attribution.testing import FakeApp, FakeAzure
from tests.conftest import PROJECT_ROOT, config_with

PARTNER = "1234567"
GITHUB = "https://token.actions.githubusercontent.com"
MAIN = "repo:contoso-partner/landing-zone:ref:refs/heads/main"
CUSTOM = "api://contoso-token-exchange"


def document(app_: FakeApp, **entry: Any) -> dict[str, Any]:
    principal = {
        "name": "fed",
        "tenantId": app_.tenant_id,
        "clientId": app_.client_id,
        "partnerId": PARTNER,
        "configuredPartnerId": PARTNER,
        "linkCredential": "federated",
        "roles": [],
        **entry,
    }
    return {"attribution": {"partnerId": PARTNER, "principals": [principal]}, "linkCredentials": {}}


def verify(azure: FakeAzure, stdin: dict[str, Any]) -> Any:
    live = ["--authority-host", azure.authority_host, "--arm-endpoint", azure.arm_endpoint]
    env = azure.github_actions_environment(MAIN)
    return CliRunner().invoke(app, ["verify", "-f", "json", *live], input=json.dumps(stdin), env=env, catch_exceptions=False)


def test_verify_requests_the_token_for_the_stacks_audience(fake_azure: FakeAzure) -> None:
    """It always asked for the cloud's default audience before, so a stack with its own audience could not verify."""
    federated = fake_azure.add_app()
    fake_azure.add_federated_credential(federated, GITHUB, MAIN, audience=CUSTOM)
    fake_azure.set_link(federated, PARTNER)
    result = verify(fake_azure, document(federated, linkAudience=CUSTOM))
    assert result.exit_code == 0, result.output
    assert [r["status"] for r in json.loads(result.stdout)["results"]] == ["ok"]


def test_without_the_audience_the_error_names_the_field(fake_azure: FakeAzure) -> None:
    federated = fake_azure.add_app()
    fake_azure.add_federated_credential(federated, GITHUB, MAIN, audience=CUSTOM)
    fake_azure.set_link(federated, PARTNER)
    result = verify(fake_azure, document(federated))
    assert result.exit_code == 1
    (detail,) = [r["detail"] for r in json.loads(result.stdout)["results"]]
    assert "AADSTS" in detail and "linkFederation" in detail


def test_an_audience_of_the_wrong_form_is_a_usage_error_naming_the_field(fake_azure: FakeAzure) -> None:
    federated = fake_azure.add_app()
    result = verify(fake_azure, document(federated, linkAudience="not a uri"))
    assert result.exit_code == 2
    assert "attribution.principals[0].linkAudience (the stack's linkFederation.audience): 'not a uri' is not a URI" in (
        " ".join(result.output.split())
    )


def test_a_federated_principal_without_a_client_id_names_the_field(fake_azure: FakeAzure) -> None:
    federated = fake_azure.add_app()
    result = verify(fake_azure, document(federated, clientId=""))
    assert result.exit_code == 2 and "attribution.principals[0].clientId: missing (principal 'fed')" in result.output


def test_the_stack_output_carries_the_audience() -> None:
    entry = {"name": "fed", "linkCredential": "federated", "roles": []}
    config = config_with([entry], linkFederation={"issuer": GITHUB, "subject": MAIN, "audience": CUSTOM})
    evaluation = evaluate(run_program_file(PROJECT_ROOT / "__main__.py"), config)
    (principal,) = evaluation.outputs["attribution"]["principals"]
    assert principal["linkAudience"] == CUSTOM
    default = config_with([entry], linkFederation={"issuer": GITHUB, "subject": MAIN})
    (principal,) = evaluate(run_program_file(PROJECT_ROOT / "__main__.py"), default).outputs["attribution"]["principals"]
    assert principal["linkAudience"] == "api://AzureADTokenExchange"
