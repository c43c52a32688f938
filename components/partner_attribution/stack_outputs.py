"""The stack outputs a Pulumi program exports so the command line works on its stacks: public helpers.

A partner's own program that declares :class:`~partner_attribution.DeliveryPrincipal` components exports what the
bundled program exports, and ``partner-attribution report`` and ``verify`` then read its stack as they read the
bundled one's::

    import pulumi
    from partner_attribution import DeliveryPrincipal, attribution_output, link_credentials_output

    delivery = DeliveryPrincipal("app-delivery", ...)
    pulumi.export("attribution", attribution_output([delivery]))           # report, verify, plan
    pulumi.export("linkCredentials", link_credentials_output([delivery]))  # verify of password links (a secret)

The documents' schemas are in :mod:`partner_attribution.attribution` (version 1); ``docs/component-reference.md`` describes both.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .attribution import WorkloadEntry
from .attribution import attribution_output as _document_output
from .attribution import link_credentials_output as _credentials_output

if TYPE_CHECKING:
    import pulumi

    from .component import DeliveryPrincipal


class StackOutputArgumentsError(ValueError):
    """An argument of :func:`attribution_output` or :func:`link_credentials_output` is wrong; the message names it
    and says what to give instead. Raised before anything is exported."""


def _components(principals: Iterable[DeliveryPrincipal] | Mapping[str, DeliveryPrincipal], who: str) -> list[DeliveryPrincipal]:
    from .component import DeliveryPrincipal

    components = list(principals.values()) if isinstance(principals, Mapping) else list(principals)
    if not components:
        raise StackOutputArgumentsError(f"{who}: principals is empty; give the DeliveryPrincipal components the program declares")
    for index, component in enumerate(components):
        if not isinstance(component, DeliveryPrincipal):
            raise StackOutputArgumentsError(
                f"{who}: principals[{index}] is a {type(component).__name__}, not a DeliveryPrincipal"
            )
    names = [component.spec.name for component in components]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise StackOutputArgumentsError(f"{who}: principals: {', '.join(repeated)} given more than once; give each once")
    return components


def _stack_partner_id(components: Sequence[DeliveryPrincipal], partner_id: str | None) -> str:
    from .validators import check_partner_id

    if partner_id is not None:
        if (message := check_partner_id(partner_id)) is not None:
            raise StackOutputArgumentsError(f"attribution_output: partner_id: {message}")
        return partner_id
    distinct = sorted({component.spec.partner_id for component in components})
    if len(distinct) > 1:
        raise StackOutputArgumentsError(
            f"attribution_output: the principals link to different partner IDs ({', '.join(distinct)}); give partner_id, "
            "the stack's own Associated Partner ID"
        )
    return distinct[0]


def _checked_workloads(workloads: Sequence[WorkloadEntry], names: set[str]) -> tuple[WorkloadEntry, ...]:
    from .workloads import PRODUCTS

    for index, workload in enumerate(workloads):
        where = f"attribution_output: non_azure_workloads[{index}]"
        product = PRODUCTS.get(workload.product)
        if product is None:
            raise StackOutputArgumentsError(f"{where}.product: {workload.product!r} is not one of {', '.join(sorted(PRODUCTS))}")
        if workload.principal is not None and not product.needs_principal:
            raise StackOutputArgumentsError(
                f"{where}.principal: {product.display_name} is claimed by hand in Partner Center (CPOR), not through a "
                "principal's PAL link; leave principal out"
            )
        if workload.principal is not None and workload.principal not in names:
            raise StackOutputArgumentsError(
                f"{where}.principal: {workload.principal!r} is not one of the principals given ({', '.join(sorted(names))})"
            )
    return tuple(workloads)


def attribution_output(
    principals: Iterable[DeliveryPrincipal] | Mapping[str, DeliveryPrincipal],
    *,
    partner_id: str | None = None,
    non_azure_workloads: Sequence[WorkloadEntry] = (),
    cua_partner_id: str | None = None,
) -> pulumi.Output[dict[str, Any]]:
    """The ``attribution`` stack output of a program: the attribution document (version 1, no secret) that
    ``partner-attribution report``, ``verify`` and ``plan`` read, as the bundled program exports it.

    Args:
        principals: the program's :class:`~partner_attribution.DeliveryPrincipal` components (a list, or a mapping
            of name to component), in the order the report lists them.
        partner_id: the stack's Associated Partner ID; default: the one every principal links to (required when they
            link to different IDs).
        non_azure_workloads: work outside Azure to attribute (:class:`~partner_attribution.attribution.WorkloadEntry`:
            name, product, notes, the principal whose PAL link attributes it); docs/attribution-models.md.
        cua_partner_id: the Customer Usage Attribution GUID the program's explicit providers send (their
            ``partner_id``), when it sets one. Otherwise the document says what the default providers send, read from
            the stack's ``azure-native:*`` and ``azuread:*`` configuration and the ``ARM_*`` variables.

    Raises:
        StackOutputArgumentsError: an argument is wrong (the message names it); nothing is exported.
    """
    from .config import customer_usage_attribution, read_pulumi_config
    from .validators import check_cua_partner_id

    components = _components(principals, "attribution_output")
    partner = _stack_partner_id(components, partner_id)
    workloads = _checked_workloads(non_azure_workloads, {component.spec.name for component in components})
    if cua_partner_id is not None and (message := check_cua_partner_id(cua_partner_id)) is not None:
        raise StackOutputArgumentsError(f"attribution_output: cua_partner_id: {message}")
    cua = customer_usage_attribution(cua_partner_id, read_pulumi_config(), os.environ)
    return _document_output(partner, components, workloads, cua)


def link_credentials_output(
    principals: Iterable[DeliveryPrincipal] | Mapping[str, DeliveryPrincipal],
) -> pulumi.Output[dict[str, Any]]:
    """The ``linkCredentials`` stack output (a Pulumi secret): tenant, client ID and secret of each principal whose
    link signs in with a password, by name; what ``partner-attribution verify`` signs in with
    (``pulumi stack output --json --show-secrets``). Federated principals have no entry (there is no secret).

    Raises:
        StackOutputArgumentsError: ``principals`` is empty, holds something else, or names a principal twice.
    """
    components = _components(principals, "link_credentials_output")
    return _credentials_output({component.spec.name: component for component in components})
