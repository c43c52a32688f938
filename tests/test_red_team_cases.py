"""Cases of issue 18's classes tried after its own were closed (the red team's round): values the plan let through
that Azure or Pulumi would refuse, and reads that crashed on hostile input. Each test failed before its fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from partner_attribution.cli import app
from partner_attribution.config import ConfigurationError, load_stack_config
from partner_attribution.naming import role_assignment_key
from tests.conftest import PROJECT_ROOT, config_with, principal

SUB = "/subscriptions/11111111-1111-4111-8111-111111111111"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
ASSIGNMENTS = "Microsoft.Authorization/roleAssignments"
HELD = "9d1c4f52-0000-4000-8000-00000000abcd"
FEDERATION = {"issuer": "https://token.actions.githubusercontent.com", "subject": "repo:contoso/infra:ref:refs/heads/main"}


def problems_of(config: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigurationError) as caught:
        load_stack_config(config)
    return caught.value.problems


# -- two role assignments under one Pulumi name ---------------------------------------------------------------------


def test_a_key_equal_to_another_roles_derived_key_is_refused() -> None:
    """Before: the plan passed and ``up`` would register two resources ``delivery-role-<key>`` (a duplicate URN)."""
    derived = role_assignment_key(SUB, CONTRIBUTOR)
    roles = [{"role": "Contributor", "scope": SUB}, {"role": "Reader", "scope": SUB, "key": derived}]
    problems = problems_of(config_with([principal(roles=roles)]))
    assert any(p.startswith("principals[0].roles[1].key:") and derived in p and "roles[0]" in p for p in problems), problems


@pytest.mark.parametrize("key", ["", " rg", "a::b", "line\nbreak", "tab\there", "x" * 81, "-lead"])
def test_a_key_is_a_name_pulumi_can_show_and_rename(key: str) -> None:
    """A key becomes part of a URN: empty, '::' (the URN's own delimiter), spaces and control characters make a
    resource that ``pulumi state`` commands can't name (pulumi/pulumi#18937: names of letters, digits, '_', '-', '.',
    '/')."""
    roles = [{"role": "Contributor", "scope": SUB, "key": key}]
    problems = problems_of(config_with([principal(roles=roles)]))
    assert any(p.startswith("principals[0].roles[0].key:") for p in problems), problems


@pytest.mark.parametrize("key", ["rg-read", "app.rg_1", "connectivity/hub"])
def test_keys_of_letters_digits_and_separators_still_pass(key: str) -> None:
    load_stack_config(config_with([principal(roles=[{"role": "Contributor", "scope": SUB, "key": key}])]))


# -- one existing role assignment adopted twice ---------------------------------------------------------------------


def _existing(name: str, client: str, object_id: str, roles: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": name,
        "existingApplication": {"clientId": client, "objectId": object_id},
        "linkCredential": "federated",
        "roles": roles,
    }


def test_one_existing_assignment_adopted_by_two_roles_is_refused() -> None:
    """Before: both roles imported the same assignment; an assignment has one role and one principal, so one import
    at least could never match (``up`` fails, or a later change replaces the customer's assignment)."""
    roles = [
        {"role": "Contributor", "scope": SUB, "existingAssignment": HELD},
        {"role": "Reader", "scope": SUB, "existingAssignment": HELD.upper()},
    ]
    config = config_with(
        [_existing("customer-sp", "33333333-3333-4333-8333-333333333333", "44444444-4444-4444-8444-444444444444", roles)],
        linkFederation=FEDERATION,
    )
    problems = problems_of(config)
    assert any(p.startswith("principals[0].roles[1].existingAssignment:") and "roles[0]" in p for p in problems), problems


def test_one_existing_assignment_adopted_by_two_principals_is_refused() -> None:
    first = _existing(
        "first",
        "33333333-3333-4333-8333-333333333333",
        "44444444-4444-4444-8444-444444444444",
        [{"role": "Contributor", "scope": SUB, "existingAssignment": HELD}],
    )
    second = _existing(
        "second",
        "55555555-5555-4555-8555-555555555555",
        "66666666-6666-4666-8666-666666666666",
        [{"role": "Contributor", "scope": SUB, "existingAssignment": f"{SUB}/providers/{ASSIGNMENTS}/{HELD}"}],
    )
    problems = problems_of(config_with([first, second], linkFederation=FEDERATION))
    assert any(p.startswith("principals[1].roles[0].existingAssignment:") and "principals[0]" in p for p in problems), problems


# -- files the report and the plan read: bounded, and never a traceback -------------------------------------------


OUTPUT = PROJECT_ROOT / "examples" / "lighthouse" / "managing-tenant.output.json"


def report(*args: str) -> Any:
    return CliRunner().invoke(app, ["report", *args], catch_exceptions=False)


@pytest.fixture
def deep_json(tmp_path: Path) -> Path:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    return path


@pytest.mark.parametrize("option", ["--documents", "--verified", "--since"])
def test_a_deeply_nested_file_is_a_usage_error_not_a_traceback(option: str, deep_json: Path) -> None:
    """Before: RecursionError from json.loads, a traceback."""
    args = [option, str(deep_json)] if option == "--documents" else ["--input", str(OUTPUT), option, str(deep_json)]
    result = report(*args)
    assert result.exit_code == 2, result.output
    assert "nested too deeply" in result.output and str(deep_json.name) in result.output


@pytest.mark.parametrize("option", ["--verified", "--since"])
def test_a_device_that_never_ends_is_refused_without_reading_it(option: str) -> None:
    """Before: ``--verified /dev/zero`` read until the process ran out of memory (MemoryError at 1.9 GB)."""
    result = report("--input", str(OUTPUT), option, "/dev/zero")
    assert result.exit_code == 2, result.output
    assert "/dev/zero" in result.output and "not a regular file" in result.output


def test_a_file_larger_than_a_document_is_refused(tmp_path: Path) -> None:
    from partner_attribution.attribution import MAX_DOCUMENT_BYTES

    big = tmp_path / "big.json"
    big.write_bytes(b'{"attribution": "' + b"x" * MAX_DOCUMENT_BYTES + b'"}')
    result = report("--documents", str(big))
    assert result.exit_code == 2, result.output
    assert "larger than" in result.output


def test_the_managing_stack_output_that_is_a_device_says_so() -> None:
    """Before: '/dev/zero not found' (it exists; it is not a file)."""
    stack = PROJECT_ROOT / "examples" / "lighthouse" / "Pulumi.customer.yaml"
    result = CliRunner().invoke(app, ["plan", "-c", str(stack), "--managing-stack-output", "/dev/zero"], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert "not a regular file" in " ".join(result.output.replace("│", " ").split())


def test_a_pipe_with_no_writer_is_refused_at_the_time_bound(tmp_path: Path) -> None:
    """A FIFO nobody writes to: opening it for reading would block forever; it is refused when the bound is spent."""
    import os

    from partner_attribution.json_files import JsonFileError, read_bounded

    fifo = tmp_path / "verified.json"
    os.mkfifo(fifo)
    with pytest.raises(JsonFileError, match="did not finish within"):
        read_bounded(fifo, 1024, seconds=0.1)


def test_a_pipe_is_read_to_its_end(tmp_path: Path) -> None:
    """``--verified <(partner-attribution verify --format json)``: a pipe with a writer is read like a file."""
    import os
    import threading

    from partner_attribution.json_files import read_json_file

    fifo = tmp_path / "verified.json"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_text('{"results": []}', encoding="utf-8"))
    writer.start()
    try:
        assert read_json_file(fifo, 1024) == {"results": []}
    finally:
        writer.join()


# -- a token endpoint that trickles its headers ---------------------------------------------------------------------


@pytest.fixture
def trickling_headers() -> Any:
    """A token endpoint that answers '200 OK' and then one header line every 0.2 s for up to 60 s: every socket read
    gets a byte before its timeout, so only a bound on the whole request ends it."""
    import socket
    import threading

    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def handle(connection: socket.socket) -> None:
        with connection:
            connection.recv(65536)
            try:
                connection.sendall(b"HTTP/1.1 200 OK\r\n")
                for _ in range(300):
                    if stop.wait(0.2):
                        return
                    connection.sendall(b"X-Padding: a\r\n")
            except OSError:
                return

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(connection,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/token"
    stop.set()
    server.close()


def test_a_token_endpoint_trickling_its_headers_fails_at_the_requests_own_bound(trickling_headers: str) -> None:
    """Before: per-read timeouts never fired, so the request held until http.client counted 100 headers (20 s here,
    unbounded with a byte at a time); inside the link client it held the whole budget (600 s by default)."""
    import time

    from partner_attribution.pal.federation import OidcRequest, TokenSourceError

    started = time.monotonic()
    with pytest.raises(TokenSourceError) as error:
        OidcRequest("ACTIONS_ID_TOKEN_REQUEST_URL", trickling_headers, "request-token").token("api://x", timeout=1)
    assert time.monotonic() - started < 10  # the bound is 1 s; 10 leaves room for a loaded machine
    assert "within 1.0s" in str(error.value) and not error.value.permanent


def test_a_token_whose_payload_is_nested_too_deeply_is_not_a_jwt() -> None:
    """Before: RecursionError out of TokenClaims.of (a pipeline token or an access token is read for its claims)."""
    import base64

    from partner_attribution.pal.federation import TokenClaims

    payload = base64.urlsafe_b64encode(b"[" * 40_000 + b"]" * 40_000).decode().rstrip("=")
    with pytest.raises(ValueError, match="not a JWT"):
        TokenClaims.of(f"eyJhbGciOiJub25lIn0.{payload}.sig")


def test_a_token_answer_nested_too_deeply_fails_at_once(fake_azure: Any) -> None:
    """Before: a RecursionError, reported as 'RecursionError while managing the link'."""
    from partner_attribution.pal.federation import OidcRequest, TokenSourceError
    from partner_attribution.testing import Fault

    fake_azure.inject(Fault("oidc", "body", payload=b"[" * 30_000 + b"]" * 30_000, times=None))
    env = fake_azure.github_actions_environment("repo:contoso/infra:ref:refs/heads/main")
    source = OidcRequest(
        "ACTIONS_ID_TOKEN_REQUEST_URL", env["ACTIONS_ID_TOKEN_REQUEST_URL"], env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]
    )
    with pytest.raises(TokenSourceError) as error:
        source.token("api://AzureADTokenExchange")
    assert error.value.permanent and "nested too deeply" in str(error.value)


# -- terminal control characters in the report --------------------------------------------------------------------

HOSTILE = "Evil\x1b]0;pwned\x07\x1b[2J name\u202egnp.exe\rover"


@pytest.fixture
def hostile_document(tmp_path: Path) -> Path:
    """A stack output whose names carry an OSC title change, a screen clear, a right-to-left override and a carriage
    return (a stack output is an input like any: another team's stack, a file in a shared folder)."""
    from partner_attribution.attribution import AttributionDocument

    document: dict[str, Any] = {"version": 1, "partnerId": "1234567", "principals": []}
    document["nonAzureWorkloads"] = [
        {"name": HOSTILE, "product": "microsoft365"},
        {"name": HOSTILE + " bi", "product": "powerbi", "principal": HOSTILE},
    ]
    AttributionDocument.from_json(document)  # a document the report accepts
    path = tmp_path / "customer.json"
    path.write_text(json.dumps({"attribution": document}), encoding="utf-8")
    return path


@pytest.mark.parametrize("format_name", ["markdown", "html"])
def test_report_output_never_carries_terminal_control_characters(hostile_document: Path, format_name: str) -> None:
    """Before: the markdown report (the default, printed to the terminal) wrote a workload's name raw: ESC, BEL, CR
    and U+202E reached the terminal; the HTML page carried them too."""
    from partner_attribution.visible import _TERMINAL_CONTROL

    result = report("--input", str(hostile_document), "--format", format_name)
    assert "Evil" in result.output
    assert not _TERMINAL_CONTROL.search(result.output), repr(_TERMINAL_CONTROL.search(result.output))
    assert "\\x1b" in result.output and "\\u202e" in result.output


# -- the policy pack's own settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("a90539d8-a7a6-5826-95c4-1fbef22d4b22", "Pulumi's own"),
        ("A90539D8-A7A6-5826-95C4-1FBEF22D4B22", "Pulumi's own"),
        ("222c6c49-1b0a-5959-a213-6608f9eb8820", "Terraform's"),
        ("00000000-0000-0000-0000-000000000000", "nil GUID"),
    ],
)
def test_the_pack_refuses_a_cua_guid_the_plan_refuses(value: str, said: str) -> None:
    """Before: the pack took Pulumi's own ID as the partner's CUA GUID and then required every provider to send it,
    enforcing that the usage is credited to Pulumi; the plan refused the same value (issue 18)."""
    import sys

    sys.path.insert(0, str(PROJECT_ROOT / "policy"))
    from partner_attribution_policy import config as pack_config

    (problem,) = pack_config.validate("cua-partner-id", {"cuaPartnerId": value})
    assert problem.startswith("cuaPartnerId: ") and said in problem


# -- scopes Azure can't have ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scope",
    [
        f"{SUB}/resourceGroups/rg.",  # "period (except at end)"
        f"{SUB}/resourceGroups/rg./providers/Microsoft.KeyVault/vaults/kv",
        "/providers/Microsoft.Management/managementGroups/c\u00f6ntoso",  # letters a-z only
        "/providers/Microsoft.Management/managementGroups/contoso\u0663",  # an Arabic-Indic digit
        "/providers/Microsoft.Management/managementGroups/" + "m" * 91,  # at most 90
        "/providers/Microsoft.Management/managementGroups/contoso!",
        "/providers/Microsoft.Management/managementGroups/\u212aontoso",  # the Kelvin sign, "k" case-insensitively
    ],
)
def test_a_scope_no_resource_group_or_management_group_can_have_is_refused(scope: str) -> None:
    """Before: each passed the plan; the role assignment then fails in Azure (the scope can't exist).
    Resource groups: 1 to 90 letters or digits (Unicode), '-', '_', '(', ')', '.', not ending with '.' (Microsoft Learn,
    Azure.Provisioning.Resources.ResourceGroup.Name and SynapseWorkspaceData.ManagedResourceGroupName). Management
    groups: 1 to 90 of a-z, A-Z, 0-9, '-', '_', '.', '(', ')' (Azure/enterprise-azure-policy-as-code,
    Test-HydrationManagementGroupName.ps1; Get-AzManagementGroupNameAvailability refuses 'testMG!')."""
    from partner_attribution.azure_ids import InvalidScopeError, parse_scope

    with pytest.raises(InvalidScopeError):
        parse_scope(scope)


@pytest.mark.parametrize(
    "scope",
    [
        f"{SUB}/resourceGroups/rg-app.prod(1)",
        f"{SUB}/resourceGroups/r\u00e9seau",  # Unicode letters are allowed in resource group names
        "/providers/Microsoft.Management/managementGroups/contoso-landing_zones.(eu)",
        "/providers/Microsoft.Management/managementGroups/" + "m" * 90,
    ],
)
def test_scopes_azure_accepts_still_pass(scope: str) -> None:
    from partner_attribution.azure_ids import parse_scope

    parse_scope(scope)


# -- a link password written in clear in the stack file -----------------------------------------------------------

_EXISTING_WITH_PASSWORD = """config:
  partner-attribution:partnerId: "1234567"
  partner-attribution:linkSecrets:
    customer-sp: {value}
  partner-attribution:principals:
    - name: customer-sp
      existingApplication: {{clientId: 33333333-3333-4333-8333-333333333333, objectId: 44444444-4444-4444-8444-444444444444}}
      linkCredential: password
      roles:
        - role: Contributor
          scope: /subscriptions/11111111-1111-4111-8111-111111111111
"""


def _plan_text(tmp_path: Path, value: str) -> str:
    stack = tmp_path / "Pulumi.customer.yaml"
    stack.write_text(_EXISTING_WITH_PASSWORD.format(value=value), encoding="utf-8")
    result = CliRunner().invoke(app, ["plan", "-c", str(stack)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return " ".join(result.output.replace("│", " ").split())


def test_a_link_password_in_clear_in_the_stack_file_is_warned_about_and_not_called_a_secret(tmp_path: Path) -> None:
    """Before: the plan said 'password from linkSecrets (a Pulumi secret)' of a password written in clear in a file
    that is usually committed; it can't know, so it says where the password comes from and warns when it is in clear."""
    text = _plan_text(tmp_path, '"Sup3r~Secret-value"')
    assert "(a Pulumi secret)" not in text and "Sup3r" not in text
    assert "linkSecrets.customer-sp is in clear text" in text and "pulumi config set --secret --path" in text


def test_a_link_password_set_as_a_secret_is_called_one(tmp_path: Path) -> None:
    text = _plan_text(tmp_path, "{secure: AAABAHnQ2l1cAAAAEEEEEEEE}")
    assert "password from linkSecrets" in text and "clear text" not in text


# -- Lighthouse text shown to the customer ---------------------------------------------------------------------------


@pytest.mark.parametrize("hidden", ["\u202e", "\u200b", "\u2028", "\ufeff"])
def test_a_lighthouse_offer_or_display_name_with_invisible_characters_is_refused(hidden: str) -> None:
    """Before: the delegation's own rule refused control characters only, so a right-to-left override or a zero-width
    space in the offer name or a principal's display name (shown to the customer in the portal) passed, where the same
    characters in a principal's displayName are refused. One rule now (validators.CONTROL_CHARACTERS)."""
    from partner_attribution.lighthouse import LighthouseAuthorizationArgs, LighthouseDelegationArgs, resolve_delegation

    args = LighthouseDelegationArgs(
        offer_name=f"Fabrikam{hidden}managed",
        managing_tenant_id="55555555-5555-4555-8555-555555555555",
        authorizations=[
            LighthouseAuthorizationArgs(
                "66666666-6666-4666-8666-666666666666", f"Fabrikam{hidden}delivery", "Contributor", pal_linked=True
            )
        ],
        scopes=[SUB],
    )
    _, problems = resolve_delegation("contoso", args, project="p", stack="s")
    fields = sorted(str(p.path[-1]) for p in problems)
    assert fields == ["offer_name", "principal_display_name"], [p.render() for p in problems]
