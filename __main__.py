"""Pulumi program: delivery service principals with Azure roles and Partner Admin Link.

The logic lives in the installable package (components/partner_attribution) so partners can
reuse the DeliveryPrincipal component in their own programs.
"""

from partner_attribution.program import run

run()
