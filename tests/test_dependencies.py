"""What the package declares it runs with is what its code needs (issue 18, "Docs that match the code")."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version
from pulumi.dynamic import ReadResult

ROOT = Path(__file__).resolve().parents[1]
READ_RESULT_INPUTS = Version("3.216.0")
"""The first pulumi release whose ReadResult takes ``inputs`` (3.215.0's does not: both wheels were inspected)."""


def test_the_declared_pulumi_has_the_read_result_the_link_uses() -> None:
    """pyproject.toml allowed pulumi>=3.200, whose ReadResult has no inputs: the link's refresh would fail."""
    declared = re.findall(r'^\s*"(pulumi[<>=!~][^"]*)"', (ROOT / "pyproject.toml").read_text(), re.MULTILINE)
    (pulumi,) = [Requirement(d) for d in declared]
    floor = min(Version(s.version) for s in pulumi.specifier if s.operator == ">=")
    assert floor >= READ_RESULT_INPUTS
    assert "inputs" in inspect.signature(ReadResult.__init__).parameters
    link = (ROOT / "components" / "partner_attribution" / "partner_link.py").read_text()
    # The link's refresh answers with outputs and the live inputs: ReadResult's third argument.
    assert "live_inputs = _live_inputs(props, link)" in link
    assert re.search(r"dynamic\.ReadResult\(id_, [^,\n]+\(outs, secret\), [^,\n]+\(live_inputs, secret\)\)", link)
