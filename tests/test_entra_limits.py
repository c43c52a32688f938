"""The plan refuses federated credentials Entra refuses and CUA IDs that would credit someone else (issue 18,
"Federation and tokens" and "Everything else found"). Entra's limits: Microsoft Graph v1.0, federatedIdentityCredential
resource type (audiences "can only accept a single value and has a limit of 600 characters"; issuer and subject
"must be unique on the app"; 600 characters each)."""

from __future__ import annotations

from typing import Any

import pytest

from partner_attribution.config import ConfigurationError, load_stack_config
from partner_attribution.validators import PULUMI_PARTNER_ID, TERRAFORM_PARTNER_ID
from tests.conftest import config_with, principal

GITHUB = "https://token.actions.githubusercontent.com"
MAIN = "repo:contoso/infra:ref:refs/heads/main"


def problems_of(config: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigurationError) as caught:
        load_stack_config(config)
    return caught.value.problems


def fic(name: str = "github-ci", subject: str = MAIN, **overrides: Any) -> dict[str, Any]:
    return {"name": name, "issuer": GITHUB, "subject": subject, **overrides}


@pytest.mark.parametrize(
    ("audiences", "said"),
    [
        (
            ["api://AzureADTokenExchange", "api://other"],
            "give exactly one audience (Entra accepts a single value per federated credential), not 2",
        ),
        ([], "give exactly one audience (Entra accepts a single value per federated credential), not 0"),
        (["api://AzureADTokenExchange "], "the audience has leading or trailing spaces"),
        (["api://" + "a" * 600], "the audience is 606 characters; Entra allows at most 600"),
        (["AzureAD Token Exchange"], "'AzureAD Token Exchange' is not a URI"),
    ],
    ids=["two", "none", "padded", "too-long", "not-a-uri"],
)
def test_audiences_entra_refuses(audiences: list[str], said: str) -> None:
    (problem,) = problems_of(config_with([principal(federatedCredentials=[fic(audiences=audiences)])]))
    assert problem.startswith("principals[0].federatedCredentials[0].audiences: ") and said in problem


def test_one_issuer_and_subject_twice_on_one_application_is_refused() -> None:
    problems = problems_of(config_with([principal(federatedCredentials=[fic("github-ci"), fic("github-ci-again")])]))
    assert problems == [
        "principals[0].federatedCredentials[1]: trusts the same issuer and subject as federatedCredentials[0]; Entra allows "
        "each pair once per application (Microsoft Graph: 'must be unique on the app'): remove one"
    ]


@pytest.mark.parametrize(
    ("subject", "said"),
    [(MAIN + " ", "leading or trailing spaces"), ("r" * 601, "601 characters; Entra allows at most 600")],
    ids=["padded", "too-long"],
)
def test_subjects_entra_refuses(subject: str, said: str) -> None:
    (problem,) = problems_of(config_with([principal(federatedCredentials=[fic(subject=subject)])]))
    assert problem.startswith("principals[0].federatedCredentials[0].subject: ") and said in problem


@pytest.mark.parametrize(
    ("audience", "said"),
    [
        ("AzureADTokenExchange", "is not a URI"),
        ("api://AzureADTokenExchange\n", "leading or trailing spaces"),
        ("", "give the audience"),
    ],
    ids=["not-a-uri", "newline", "empty"],
)
def test_a_link_federation_audience_of_the_wrong_form_is_refused(audience: str, said: str) -> None:
    entry = principal(linkCredential="federated")
    entry.pop("credential")
    problems = problems_of(config_with([entry], linkFederation={"issuer": GITHUB, "subject": MAIN, "audience": audience}))
    assert [p for p in problems if p.startswith("linkFederation.audience: ") and said in p], problems


def test_a_valid_link_federation_audience_passes() -> None:
    entry = principal(linkCredential="federated")
    entry.pop("credential")
    config = load_stack_config(
        config_with([entry], linkFederation={"issuer": GITHUB, "subject": MAIN, "audience": "api://AzureADTokenExchangeUSGov"})
    )
    assert config.principals[0].link_trust is not None
    assert config.principals[0].link_trust.audience == "api://AzureADTokenExchangeUSGov"


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("00000000-0000-0000-0000-000000000000", "is the nil GUID"),
        (PULUMI_PARTNER_ID, "is Pulumi's own Customer Usage Attribution ID"),
        (PULUMI_PARTNER_ID.upper(), "is Pulumi's own Customer Usage Attribution ID"),
        (TERRAFORM_PARTNER_ID, "is Terraform's (HashiCorp's) own Customer Usage Attribution ID"),
    ],
    ids=["nil", "pulumi", "pulumi-upper", "terraform"],
)
def test_a_cua_id_that_would_credit_someone_else_is_refused(value: str, said: str) -> None:
    """Accepted before: the usage would have been attributed to Pulumi (or to no one)."""
    (problem,) = problems_of(config_with([principal()], cuaPartnerId=value))
    assert problem.startswith(f"cuaPartnerId: {value!r} ") and said in problem
