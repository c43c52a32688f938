"""Non-Azure workloads: the products a stack may list, and how each is attributed to the partner.

They have no PAL API call of their own in this project; the attribution report lists them as claims
to make by hand. Routes as issue 4 stated them (CPOR claims in Partner Center, DPOR for Power BI);
confirm current rules in Partner Center documentation.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    """A non-Azure product and where its claim is made."""

    key: str
    """The value of ``product`` in the stack configuration."""
    display_name: str
    association: str
    where: str


PRODUCTS: dict[str, Product] = {
    p.key: p
    for p in (
        Product("microsoft365", "Microsoft 365", "CPOR (Claiming Partner of Record)", "Partner Center: submit a CPOR claim"),
        Product("dynamics365", "Dynamics 365", "CPOR (Claiming Partner of Record)", "Partner Center: submit a CPOR claim"),
        Product("powerbi", "Power BI", "DPOR (Digital Partner of Record)", "Partner Center: DPOR association for Power BI"),
    )
}
