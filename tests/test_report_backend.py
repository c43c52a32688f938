"""``report --pulumi-backend`` where there is no Pulumi CLI (the backend itself: tests/engine/test_report_backend.py)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from partner_attribution.cli import app


def test_no_pulumi_cli_is_a_clear_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", "--pulumi-backend"], env={"PATH": str(tmp_path)}, catch_exceptions=False)
    assert result.exit_code == 2
    assert "the Pulumi CLI is needed to read a backend's stacks" in result.stderr
    assert "give the saved outputs as files" in result.stderr
