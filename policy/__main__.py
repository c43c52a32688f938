"""The partner-attribution policy pack (Pulumi CrossGuard): every stack of a partner held to PAL attribution.

Run by the Pulumi CLI (``pulumi preview --policy-pack policy``) through ``python -u -m pulumi.policy``;
``PolicyPack`` serves the policies over gRPC and writes its port to stdout. The policies live in
``partner_attribution_policy`` beside this file; see docs/policy-pack.md.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # also when this file, not its folder, is run

from partner_attribution_policy.pack import PACK_NAME, build_policies
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name=PACK_NAME,
    display_name="Partner attribution (PAL)",
    description="Holds every stack of a Microsoft partner to Partner Admin Link attribution: linked delivery "
    "principals, the partner's ID, PEC-eligible roles, short-lived link passwords, CUA and Lighthouse.",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=build_policies(),
    provider="azure",
    tags=["azure", "partner", "pal"],
)
