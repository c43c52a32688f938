"""The PAL link's provider under the real engine (issue 23): a failed link is one message with no Python stack
frames, and waiting on Entra's replication is a couple of lines, not one per retry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from partner_attribution.testing.engine import FakeDeployment
from partner_attribution.testing.fake.model import Fault

PARTNER, OTHER = "1234567", "7654321"


def one_link(deployment: FakeDeployment, work_dir: Path, client_id: str, secret: str) -> Any:
    """A stack whose program is one PartnerAdminLink with a password, for the principal ``client_id``."""

    def program() -> None:
        import pulumi

        from partner_attribution.partner_link import PartnerAdminLink, PartnerAdminLinkArgs

        PartnerAdminLink(
            "delivery-pal",
            PartnerAdminLinkArgs(
                partner_id=PARTNER,
                tenant_id=deployment.tenant_id,
                client_id=client_id,
                client_secret=pulumi.Output.secret(secret),
                timeout_seconds=60,
            ),
        )

    work_dir.mkdir(parents=True)
    (work_dir / "Pulumi.yaml").write_text("name: partner-attribution-one-link\nruntime: python\n")
    (work_dir / "Pulumi.dev.yaml").write_text("config: {}\n")
    return deployment.stack(work_dir, "dev", program)


def test_a_failed_link_is_one_message_without_stack_frames(deployment: FakeDeployment, tmp_path: Path) -> None:
    app = deployment.fake.add_app(deployment.tenant_id)
    secret = deployment.fake.add_secret(app)
    deployment.fake.set_link(app, OTHER)
    stack = one_link(deployment, tmp_path / "project", app.client_id, secret)
    with pytest.raises(auto.CommandError) as error:
        stack.up()
    output = str(error.value)
    assert (
        f"PAL link 'delivery-pal': linking to partner ID {PARTNER} failed: service principal {app.client_id} in tenant "
        f"{deployment.tenant_id} is already linked to partner ID {OTHER}, not {PARTNER}." in output
    )
    assert "Traceback" not in output and 'File "' not in output
    assert secret not in output
    assert deployment.fake.link_of(app)["partnerId"] == OTHER


def test_waiting_is_said_once_and_ended_once(deployment: FakeDeployment, tmp_path: Path) -> None:
    """Entra's token endpoint answers 503 three times (a few seconds of retries): one line when the wait starts, one
    when it ends, none per retry."""
    app = deployment.fake.add_app(deployment.tenant_id)
    secret = deployment.fake.add_secret(app)
    stack = one_link(deployment, tmp_path / "project", app.client_id, secret)
    deployment.fake.inject(Fault("token", "status", status=503, times=3))
    lines: list[str] = []
    stack.up(on_output=lines.append)
    output = "\n".join(lines)
    assert deployment.fake.link_of(app)["partnerId"] == PARTNER
    # The CLI shows each diagnostic live and again in its summary: count the summary's.
    summary = output.split("Diagnostics:", 1)[1].splitlines()
    who = f"service principal {app.client_id} in tenant {deployment.tenant_id}"
    started = [line for line in summary if who in line and ": waiting (" in line]
    ended = [line for line in summary if f"{who}: linked after waiting" in line]
    assert len(started) == 1 and "HTTP 503" in started[0], output
    assert len(ended) == 1 and ended[0].endswith("and 6 attempts"), output  # 3 refused; a read, a write, a read that confirms
    assert "retrying in" not in output and "still waiting" not in output  # seconds: no line between start and end
