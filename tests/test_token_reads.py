"""Every read of a pipeline token is bounded in size and time, permanent answers fail at once, and a token is
normalised or refused with a message that says why (issue 18, "Federation and tokens")."""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import waits_on
from partner_attribution.pal import CloudEndpoints, PartnerLinkClient
from partner_attribution.pal.errors import AssertionTimeRangeError, FederationMismatchError, NoTokenSourceError
from partner_attribution.pal.federation import MAX_TOKEN_BYTES, OidcRequest, TokenFile, TokenSourceError, find_token_source
from partner_attribution.pal.identity import ClientAssertionSource
from partner_attribution.pal.retry import Backoff
from partner_attribution.testing import FakeApp, FakeAzure, Fault

PARTNER = "1234567"
GITHUB = "https://token.actions.githubusercontent.com"
MAIN = "repo:contoso-partner/landing-zone:ref:refs/heads/main"
AUDIENCE = "api://AzureADTokenExchange"


def client(azure: FakeAzure, app: FakeApp, env: dict[str, str], timeout: float = 60) -> PartnerLinkClient:
    source = ClientAssertionSource(
        app.tenant_id, app.client_id, find_token_source(env), audience=AUDIENCE, trusted_issuer=GITHUB, trusted_subject=MAIN
    )
    endpoints = CloudEndpoints.for_cloud(authority_host=azure.authority_host, arm_endpoint=azure.arm_endpoint)
    return PartnerLinkClient(
        source, endpoints, timeout_seconds=timeout, backoff=Backoff(rng=random.Random(5)), **waits_on(azure)
    )  # its waits take no wall time


@pytest.fixture
def trusted_app(fake_azure: FakeAzure) -> FakeApp:
    app = fake_azure.add_app()
    fake_azure.add_federated_credential(app, GITHUB, MAIN)
    return app


# -- token files ------------------------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_token_file_that_is_a_fifo_fails_at_once(fake_azure: FakeAzure, trusted_app: FakeApp, tmp_path: Path) -> None:
    """600 s (the whole budget) before: the read blocked on a FIFO nobody writes to."""
    fifo = tmp_path / "token"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(NoTokenSourceError) as error:
        client(fake_azure, trusted_app, {"AZURE_FEDERATED_TOKEN_FILE": str(fifo)}).link(PARTNER)
    assert time.monotonic() - started < 10
    assert waits_on(fake_azure)["clock"].slept == []  # not retried (its waits take no wall time: the bound can't say)
    assert "FIFO" in str(error.value) and "not a regular file" in str(error.value)
    assert fake_azure.requests == []


def test_a_token_file_linked_to_dev_zero_fails_at_once(fake_azure: FakeAzure, trusted_app: FakeApp, tmp_path: Path) -> None:
    """A link to /dev/zero grew the process without end before (its size is 0, its content endless)."""
    link = tmp_path / "token"
    link.symlink_to("/dev/zero")
    with pytest.raises(NoTokenSourceError) as error:
        client(fake_azure, trusted_app, {"ARM_OIDC_TOKEN_FILE_PATH": str(link)}).link(PARTNER)
    assert "character device" in str(error.value) and "ARM_OIDC_TOKEN_FILE_PATH" in str(error.value)


def test_a_regular_file_is_read_no_further_than_a_token_can_be(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_bytes(b"a" * (MAX_TOKEN_BYTES + 10))
    with pytest.raises(TokenSourceError) as error:
        TokenFile("AZURE_FEDERATED_TOKEN_FILE", path).token(AUDIENCE)
    assert error.value.permanent and "too large" in str(error.value)


def test_a_token_with_a_byte_order_mark_and_surrounding_whitespace_is_normalised(
    fake_azure: FakeAzure, trusted_app: FakeApp, tmp_path: Path
) -> None:
    path = tmp_path / "token"
    path.write_bytes(b"\xef\xbb\xbf  " + fake_azure.issue_oidc_token(MAIN, issuer=GITHUB).encode() + b"\r\n\n")
    assert client(fake_azure, trusted_app, {"AZURE_FEDERATED_TOKEN_FILE": str(path)}).link(PARTNER).partner_id == PARTNER


@pytest.mark.parametrize("inner", ["\n", " ", "\r\n"])
def test_a_token_broken_across_lines_is_refused_with_why(
    fake_azure: FakeAzure, trusted_app: FakeApp, tmp_path: Path, inner: str
) -> None:
    token = fake_azure.issue_oidc_token(MAIN, issuer=GITHUB)
    path = tmp_path / "token"
    path.write_text(token[:40] + inner + token[40:])
    with pytest.raises(NoTokenSourceError) as error:
        client(fake_azure, trusted_app, {"AZURE_FEDERATED_TOKEN_FILE": str(path)}).link(PARTNER)
    assert "line break or space inside the token" in str(error.value)
    assert token[:40] not in str(error.value)  # never the token
    assert fake_azure.requests_to("token") == []


def test_a_token_given_as_is_with_an_inner_newline_is_refused(fake_azure: FakeAzure, trusted_app: FakeApp) -> None:
    token = fake_azure.issue_oidc_token(MAIN, issuer=GITHUB)
    with pytest.raises(NoTokenSourceError) as error:
        client(fake_azure, trusted_app, {"ARM_OIDC_TOKEN": token[:30] + "\n" + token[30:]}).get()
    assert "ARM_OIDC_TOKEN" in str(error.value) and "line break" in str(error.value)


# -- token endpoints -----------------------------------------------------------------------------------------------


class _Endless(BaseHTTPRequestHandler):
    """A token endpoint that answers 200 and never stops sending."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        chunk = b'{"value": "' + b"a" * 65536
        try:
            while True:
                self.wfile.write(chunk)
        except OSError:
            return

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's signature
        return


@pytest.fixture
def endless_endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Endless)
    server.daemon_threads = True
    # polling for shutdown every 20 ms, not socketserver's 500: the teardown does not wait half a second
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/token"
    server.shutdown()
    server.server_close()


def test_an_endpoint_that_streams_forever_fails_fast_and_small(endless_endpoint: str) -> None:
    """2.6 GB in 8 s before: the whole answer was read into memory."""
    started = time.monotonic()
    with pytest.raises(TokenSourceError) as error:
        OidcRequest("ACTIONS_ID_TOKEN_REQUEST_URL", endless_endpoint, "request-token").token(AUDIENCE, timeout=20)
    assert time.monotonic() - started < 10
    assert error.value.permanent and f"larger than {MAX_TOKEN_BYTES} bytes" in str(error.value)


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        (Fault("oidc", "status", status=400, times=None), "HTTP 400"),
        (Fault("oidc", "status", status=401, times=None), "refused the request token (HTTP 401)"),
        (Fault("oidc", "status", status=403, times=None), "id-token: write"),
        (Fault("oidc", "status", status=404, times=None), "request URL is wrong"),
        (Fault("oidc", "body", payload={"count": 1}, times=None), "answered without a 'value'"),
        (Fault("oidc", "body", payload=b"<html>proxy</html>", times=None), "not JSON"),
    ],
    ids=["400", "401", "403", "404", "no-token", "not-json"],
)
def test_a_permanent_answer_of_the_token_endpoint_fails_at_once(
    fake_azure: FakeAzure, trusted_app: FakeApp, fault: Fault, said: str
) -> None:
    """Retried for the whole budget before."""
    fake_azure.inject(fault)
    started = time.monotonic()
    with pytest.raises(NoTokenSourceError) as error:
        client(fake_azure, trusted_app, fake_azure.github_actions_environment(MAIN), timeout=120).link(PARTNER)
    assert time.monotonic() - started < 10
    assert said in str(error.value)
    assert len(fake_azure.requests_to("oidc")) == 1 and fake_azure.requests_to("token") == []


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_busy_token_endpoint_is_still_retried(fake_azure: FakeAzure, trusted_app: FakeApp, status: int) -> None:
    fake_azure.inject(Fault("oidc", "status", status=status))
    assert client(fake_azure, trusted_app, fake_azure.github_actions_environment(MAIN)).link(PARTNER).partner_id == PARTNER
    assert len(fake_azure.requests_to("oidc")) == 2


def test_entra_refusing_a_fresh_token_as_out_of_time_again_is_permanent(fake_azure: FakeAzure, trusted_app: FakeApp) -> None:
    """AADSTS700024 (expired or not yet valid) was retried for the whole budget; one fresh token is tried, then it
    is permanent: a clock that is off does not heal by waiting."""
    fake_azure.inject(
        Fault(
            "token",
            "status",
            status=401,
            times=None,
            payload={
                "error": "invalid_client",
                "error_description": "AADSTS700024: Client assertion is not within its valid time range.",
            },
        )
    )
    started = time.monotonic()
    with pytest.raises(AssertionTimeRangeError) as error:
        client(fake_azure, trusted_app, fake_azure.github_actions_environment(MAIN), timeout=120).link(PARTNER)
    assert time.monotonic() - started < 15
    assert "twice in a row" in str(error.value) and "clock" in str(error.value)
    assert len(fake_azure.requests_to("oidc")) == 2 and len(fake_azure.requests_to("token")) == 2


# -- lookalike subjects ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("presented", "shown"),
    [
        (MAIN.replace("contoso", "cont\u043eso"), "U+043E CYRILLIC SMALL LETTER O"),
        (MAIN + " ", 'nothing (it ends there) where " " (U+0020 SPACE) was presented'),
        (MAIN.replace("main", "Main"), "U+004D LATIN CAPITAL LETTER M"),
    ],
    ids=["cyrillic", "trailing-space", "case"],
)
def test_a_subject_that_only_looks_the_same_is_shown_so_the_difference_is_visible(
    fake_azure: FakeAzure, trusted_app: FakeApp, presented: str, shown: str
) -> None:
    with pytest.raises(FederationMismatchError) as error:
        client(fake_azure, trusted_app, {"ARM_OIDC_TOKEN": fake_azure.issue_oidc_token(presented, issuer=GITHUB)}).get()
    message = str(error.value)
    assert shown in message and "Exactly: the trusted subject is" in message
    if "\u043e" in presented:
        assert "cont\\u043eso" in message


def test_aadsts90023_is_an_invalid_request_not_an_unknown_tenant(fake_azure: FakeAzure, trusted_app: FakeApp) -> None:
    """Microsoft's error code table: AADSTS90023 is InvalidRequest. It was reported as 'the tenant was not found'."""
    from partner_attribution.pal.errors import PermanentLinkError, TenantNotFoundError

    fake_azure.inject(
        Fault(
            "token",
            "status",
            status=400,
            payload={
                "error": "invalid_request",
                "error_description": "AADSTS90023: The authentication service request isn't valid.",
            },
        )
    )
    with pytest.raises(PermanentLinkError) as error:
        client(fake_azure, trusted_app, fake_azure.github_actions_environment(MAIN)).get()
    assert not isinstance(error.value, TenantNotFoundError) and "not found" not in str(error.value)
    assert "AADSTS90023" in str(error.value)


def test_the_plan_shows_a_lookalike_subject_escaped() -> None:
    """A Cyrillic 'о' in the trusted subject looks right in every tool and never matches what GitHub presents."""
    from partner_attribution.config import load_stack_config
    from tests.conftest import config_with

    subject = MAIN.replace("contoso", "cont\u043eso")
    config = load_stack_config(
        config_with(
            [{"name": "fed", "linkCredential": "federated", "roles": []}], linkFederation={"issuer": GITHUB, "subject": subject}
        )
    )
    (advice,) = config.principals[0].advice
    assert "outside ASCII" in advice and "cont\\u043eso" in advice
