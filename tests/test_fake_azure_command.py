"""``partner-attribution fake-azure start|stop``: the fake of Entra and ARM as a background process, and the shell lines
that point the live commands at it."""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from partner_attribution.cli import app
from partner_attribution.testing.fake import process

runner = CliRunner()
PARTNER = "1234567"


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, list(args), env=env, catch_exceptions=False)


def exported(lines: str) -> dict[str, str | None]:
    """What a shell would do with ``lines`` (``export NAME=value`` or ``unset NAME``), as name -> value or None."""
    variables: dict[str, str | None] = {}
    for line in lines.splitlines():
        words = shlex.split(line)
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            variables[name] = value
        else:
            assert words[0] == "unset" and len(words) == 2, line
            variables[words[1]] = None
    return variables


@pytest.fixture
def state_dir(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "fake"
    yield directory
    process.stop(directory)  # whatever the test did, no process outlives it


def test_start_prints_what_to_export_and_the_live_commands_use_it(state_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "proxy.example")
    monkeypatch.setenv("AZURE_CLIENT_ID", "the-developer's-own")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "the-developer's-real-secret")
    started = invoke("fake-azure", "start", "--state-dir", str(state_dir))
    assert started.exit_code == 0, started.stderr
    variables = exported(started.stdout)
    running = process.find(state_dir)
    assert running is not None and running.base_url.startswith("https://127.0.0.1:")
    assert variables == {
        "AZURE_TENANT_ID": running.identity.tenant_id,
        "AZURE_CLIENT_ID": running.identity.client_id,
        "AZURE_CLIENT_SECRET": running.identity.client_secret,
        "PARTNER_ATTRIBUTION_AUTHORITY_HOST": running.base_url,
        "PARTNER_ATTRIBUTION_ARM_ENDPOINT": running.base_url,
        "REQUESTS_CA_BUNDLE": str(state_dir.resolve() / "ca-bundle.pem"),
        "NO_PROXY": "127.0.0.1,localhost,proxy.example",
        "PARTNER_ATTRIBUTION_FAKE_AZURE_DIR": str(state_dir.resolve()),
    }
    secret = running.identity.client_secret
    assert secret.startswith("fake-secret-") and secret not in started.stderr
    assert (state_dir / "fake-azure.json").stat().st_mode & 0o077 == 0  # it holds the fake's secret: the user's only
    on_disk = "".join(path.read_text(errors="replace") for path in state_dir.iterdir())
    assert "the-developer's-real-secret" not in on_disk  # the shell's own secret is never written down

    env = {k: v for k, v in variables.items() if v is not None}
    assert invoke("show", env=env).exit_code == 1  # not linked yet: the fake answered, as the seeded identity
    linked = invoke("link", "--partner-id", PARTNER, "-f", "json", env=env)
    assert linked.exit_code == 0, linked.stderr
    assert json.loads(linked.stdout)["tenant_id"] == running.identity.tenant_id
    assert json.loads(invoke("show", "-f", "json", env=env).stdout)["object_id"] == running.identity.object_id

    again = invoke("fake-azure", "start", "--state-dir", str(state_dir))
    assert again.exit_code == 0 and "already running" in again.stderr
    assert exported(again.stdout) == variables  # the same fake, the same lines (its links kept)
    assert invoke("show", env=env).exit_code == 0

    stopped = invoke("fake-azure", "stop", env={"PARTNER_ATTRIBUTION_FAKE_AZURE_DIR": str(state_dir)})
    assert stopped.exit_code == 0 and f"stopped (process {running.pid})" in stopped.stderr
    restored = exported(stopped.stdout)
    assert restored["NO_PROXY"] == "proxy.example" and restored["AZURE_CLIENT_ID"] == "the-developer's-own"
    assert restored["AZURE_CLIENT_SECRET"] is None and restored["PARTNER_ATTRIBUTION_ARM_ENDPOINT"] is None
    assert "AZURE_CLIENT_SECRET was set before 'fake-azure start' and its value is not kept on disk" in stopped.stderr
    assert set(restored) == set(variables)
    assert process.find(state_dir) is None and not (state_dir / "fake-azure.json").exists()
    with pytest.raises(ProcessLookupError):
        os.kill(running.pid, 0)


def test_stop_with_nothing_running(state_dir: Path) -> None:
    result = invoke("fake-azure", "stop", "--state-dir", str(state_dir))
    assert result.exit_code == 0 and result.stdout == "" and "no fake Azure was running" in result.stderr


def test_a_state_file_whose_process_is_gone_is_not_taken_for_a_fake(state_dir: Path) -> None:
    running, started = process.start(state_dir)
    assert started
    state = json.loads((state_dir / "fake-azure.json").read_text())
    process.stop(state_dir)
    (state_dir / "fake-azure.json").write_text(json.dumps(state))  # left behind, as by a killed process
    assert process.find(state_dir) is None and not (state_dir / "fake-azure.json").exists()
    restarted, started = process.start(state_dir)
    assert started and restarted.pid != running.pid


def test_a_fake_that_cannot_start_says_why(state_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(process, "MODULE", "partner_attribution.testing.fake.no_such_module")
    result = invoke("fake-azure", "start", "--state-dir", str(state_dir))
    assert result.exit_code == 1 and result.stdout == ""
    assert "the fake exited with 1 before serving" in result.stderr and "No module named" in result.stderr


def test_start_with_a_replication_delay_makes_its_identity_new_to_entra(state_dir: Path) -> None:
    """``--replication-delay``: the seeded identity was just made, so Entra does not know it yet (AADSTS700016)."""
    import requests

    started = invoke("fake-azure", "start", "--state-dir", str(state_dir), "--replication-delay", "3600")
    assert started.exit_code == 0, started.stderr
    running = process.find(state_dir)
    assert running is not None
    answer = requests.post(
        f"{running.base_url}/{running.identity.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": running.identity.client_id,
            "client_secret": running.identity.client_secret,
            "scope": "https://management.azure.com/.default",
        },
        verify=running.ca_bundle,
        timeout=10,
    )
    assert (answer.status_code, answer.json()["error_codes"]) == (400, [700016])


@pytest.mark.parametrize("command", [("fake-azure", "start"), ("rehearse", "up")])
@pytest.mark.parametrize("value", ["-1", "nan", "inf", "3601", "soon"])
def test_a_replication_delay_that_is_not_seconds_is_a_usage_error_naming_the_option(
    command: tuple[str, ...], value: str, tmp_path: Path
) -> None:
    environment = {"PARTNER_ATTRIBUTION_FAKE_AZURE_DIR": str(tmp_path)}
    result = runner.invoke(app, [*command, "--replication-delay", value], env=environment)
    assert result.exit_code == 2, result.output
    assert "--replication-delay" in result.output
    assert process.find(tmp_path) is None  # nothing started


def test_rehearse_gives_its_fake_the_replication_delay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``rehearse --replication-delay 20`` runs the stack against a fake whose new principals replicate in 20 s."""
    from partner_attribution.testing import engine, rehearse

    seen: list[float] = []

    class Deployment:
        def __init__(self, pulumi_bin: Path, root: Path, fake: Any) -> None:
            seen.append(fake.app_ready_after)
            self.fake_state_file = root / "fake-azure.json"

        def __enter__(self) -> Deployment:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

    monkeypatch.setattr(engine, "find_pulumi", lambda: tmp_path)
    monkeypatch.setattr(engine, "FakeDeployment", Deployment)
    monkeypatch.setattr(rehearse.Rehearsal, "prepare", lambda self: None)
    monkeypatch.setattr(rehearse.Rehearsal, "run", lambda self, *args, **kwargs: 0)
    result = runner.invoke(app, ["rehearse", "up", "--dir", str(tmp_path), "--replication-delay", "20"])
    assert result.exit_code == 0, result.output
    assert seen == [20.0]
