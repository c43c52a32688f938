"""Non-Azure workloads: the products a stack may list, and how Microsoft attributes each to the partner.

The one home of the product catalog. Two routes exist today (sources below, and in docs/attribution-models.md):

* **PAL through a delivery principal** (Power Apps, Power Automate, Power BI, Dynamics 365 Customer Insights):
  the same ``Microsoft.ManagementPartner`` link this project makes, *plus* the linked identity must own or
  publish the deliverable. A workload of these products names the principal that does so (``principal``).
* **CPOR claim in Partner Center** (Microsoft 365, Dynamics 365 business applications): a claim made by hand in
  Partner Center; no public API to make one was found (FACTS.md §2), so the report lists it as a manual step.

DPOR (Digital Partner of Record) is not a route this project uses; see :data:`DPOR`.

Sources (``reference/power-platform-and-cua/FACTS.md``, which names each with its version):

* PP-2023: learn.microsoft.com/azure/cost-management-billing/manage/link-partner-id-power-apps-accounts, "Link a
  partner ID to your Power Platform and Dynamics Customer Insights accounts", ms.date 08/10/2023 (MicrosoftDocs/
  azure-docs ``articles/cost-management-billing/manage/link-partner-id-power-apps-accounts.md``, index id
  745602797). A 12/29/2025 revision exists; its full text was not read here.
* CPOR: learn.microsoft.com/partner-center/incentives/submit-osa-claim ("Customer associations via the Claiming
  Partner of Record (CPOR) model"), read through FACTS.md §2.
"""

from __future__ import annotations

from dataclasses import dataclass

PAL = "pal"
"""Attributed through the PAL link of the principal that owns or publishes the deliverable."""
CPOR = "cpor"
"""Claimed by hand in Partner Center (Claiming Partner of Record)."""

PP_2023 = (
    "Microsoft Learn, 'Link a partner ID to your Power Platform and Dynamics Customer Insights accounts' "
    "(learn.microsoft.com/azure/cost-management-billing/manage/link-partner-id-power-apps-accounts, ms.date 2023-08-10)"
)
CPOR_SOURCE = (
    "Microsoft Learn, 'Customer associations via the Claiming Partner of Record (CPOR) model' "
    "(learn.microsoft.com/partner-center/incentives/submit-osa-claim)"
)
_CPOR_WHERE = (
    "Partner Center: Incentives > Customer claims > {area} > Add customer (partner ID, customer tenant ID, "
    "claim type; the Incentives admin role; no public API)"
)


@dataclass(frozen=True)
class Product:
    """A non-Azure product and how Microsoft attributes it to the partner."""

    key: str
    """The value of ``product`` in the stack configuration."""
    display_name: str
    model: str
    """:data:`PAL` or :data:`CPOR`."""
    association: str
    """The association in a few words, as the report shows it."""
    where: str
    """Where the association is made."""
    requirement: str
    """What the partner must do for the attribution to hold."""
    source: str

    @property
    def needs_principal(self) -> bool:
        """Attributed through a delivery principal's PAL link: the workload must name that principal."""
        return self.model == PAL


def _pal(key: str, name: str, requirement: str) -> Product:
    return Product(key, name, PAL, "PAL (Partner Admin Link) through the principal's link", "the principal's PAL link",
                   requirement, PP_2023)  # fmt: skip


def _cpor(key: str, name: str, area: str) -> Product:
    return Product(key, name, CPOR, "CPOR (Claiming Partner of Record) claim", _CPOR_WHERE.format(area=area),
                   "submit the claim by hand; the customer is notified and may decline", CPOR_SOURCE)  # fmt: skip


PRODUCTS: dict[str, Product] = {
    p.key: p
    for p in (
        _pal(
            "powerapps",
            "Power Apps",
            "import the apps into the customer's production environment as a managed solution with the linked "
            "principal: the importing account owns every component, and the last PAL-linked account to import "
            "the solution gets the usage credit",
        ),
        _pal(
            "powerautomate",
            "Power Automate",
            "create the flows with the linked principal, or import them as a managed solution with it: a flow's "
            "creator is the attributed account",
        ),
        _pal(
            "powerbi",
            "Power BI",
            "publish the datasets with the linked principal (PowerShell can publish as it, or change the owner "
            "to it): a dataset's publisher is the attributed account; solutions are not available for Power BI",
        ),
        _pal(
            "customerinsights",
            "Dynamics 365 Customer Insights",
            "keep the linked principal an active user of the Customer Insights instance; solutions are not "
            "available for Customer Insights",
        ),
        _cpor("microsoft365", "Microsoft 365", "Modern Work & Security"),
        _cpor("dynamics365", "Dynamics 365", "Business Applications"),
    )
}


@dataclass(frozen=True)
class RetiredModel:
    """An association model the project no longer recommends, with what the recommendation follows."""

    name: str
    status: str
    source: str


DPOR = RetiredModel(
    "DPOR (Digital Partner of Record)",
    "not used by this project. Older third-party guidance (2020) said Power BI needed a DPOR association; "
    "Microsoft's current page attributes Power BI through PAL (the dataset's publisher) and names no DPOR step. "
    "A Microsoft page of 2022-10-27 (Partner Center, 'Link a PartnerID with PAL or DPOR') limits DPOR to "
    "Enterprise Agreement subscriptions. No source read for this project gives a date on which DPOR was retired: "
    "check Partner Center before relying on it",
    PP_2023,
)
