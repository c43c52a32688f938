"""The stack outputs' schemas: the attribution document and the link credentials.

The **attribution document** is the ``attribution`` stack output, in one schema with a version.

Built here from resolved principals (:class:`~partner_attribution.spec.PrincipalSpec`) and the live
values of their resources; parsed here for ``report``, ``verify`` and ``plan``. Nothing else writes
or reads its keys. It never holds a secret.

Schema (version 1; documents written by 0.1.0 have no ``version`` and the same fields; fields added since are
optional, so every version-1 document stays readable and older readers ignore them)::

    {"version": 1, "partnerId": "1234567",
     "nonAzureWorkloads": [{"name": ..., "product": "powerbi", "notes": ..., "principal": "platform-delivery"}],
     "customerUsageAttribution": {"partnerId": <GUID or null>,
                                  "providers": [{"provider": "azure-native", "sends": <GUID or null>,
                                                 "source": "cuaPartnerId"}]},
     "principals": [{"name", "displayName", "clientId", "objectId", "tenantId", "partnerId",
                     "linkState", "configuredPartnerId", "palEligible", "credentialEndDate", "linkCredential",
                     "roles": [{"role", "roleDefinitionId", "scope", "palEligible", "palListing"}]}]}

``partnerId`` of a principal is the live one (after a refresh: what Microsoft reports);
``configuredPartnerId`` is the one the stack asks for.

``lighthouse`` (optional, with ``managingStack`` when the stack names one) is the Azure Lighthouse view of a
customer's stack: per delegation its offer, managing tenant, delegated scopes and authorizations, each with the managing
principal (object ID, its name in the managing stack when known), role, permanent or eligible (just-in-time),
PEC eligibility, whether it earns the credit, and the principal's link state as the managing stack's own
``attribution`` output reports it (``unknown`` when it is not one of that stack's principals)::

    "managingStack": "fabrikam/partner-attribution/managing",
    "lighthouse": [{"name", "offerName", "managingTenantId", "earnsCredit", "scopes": [...],
                    "authorizations": [{"principalId", "principalName", "displayName", "role", "roleDefinitionId",
                                        "permanent", "palLinked", "pecEligible", "earnsCredit", "linkState",
                                        "linkedPartnerId", "configuredPartnerId"}]}]

``principal`` of a workload (optional) names the delivery principal whose PAL link attributes it (Power Platform
and Customer Insights; :mod:`.workloads`). ``customerUsageAttribution`` (optional) says which Customer Usage
Attribution ID each provider the program uses sends with its requests, and why (``source``, one of
:data:`CUA_SOURCES`); absent in documents written before it existed.

The **link credentials** (``linkCredentials``, always a Pulumi secret) map the name of each principal whose link
signs in with a password to ``{"tenantId", "clientId", "clientSecret"}``: what ``verify`` signs in with. A
federated principal has no entry: there is no secret; ``verify`` signs it in with the pipeline's token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pulumi

    from .component import DeliveryPrincipal
    from .lighthouse.spec import DelegationSpec

SCHEMA_VERSION = 1
PLANNED_LINK_STATE = "Planned"
"""``linkState`` of a principal in what ``partner-attribution plan --format attribution`` writes: the link is made by
``pulumi up``; nothing is live yet."""


class AttributionFormatError(ValueError):
    """The document is not an attribution document this version can read; the message says what is wrong."""


MAX_DOCUMENT_DEPTH = 32
"""Deepest nesting of a stack output read as an attribution document (the document itself is 6 deep)."""
MAX_DOCUMENT_BYTES = 8 * 1024 * 1024
"""Largest stack output read as an attribution document (JSON): thousands of principals fit."""


def check_bounds(value: Any, where: str) -> None:
    """Refuse a document nested deeper than :data:`MAX_DOCUMENT_DEPTH` or larger than :data:`MAX_DOCUMENT_BYTES`
    before anything walks it recursively (a managing stack's output comes from another stack: an input like any)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    size = 0
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DOCUMENT_DEPTH:
            raise AttributionFormatError(f"{where}: nested deeper than {MAX_DOCUMENT_DEPTH} levels; not an attribution document")
        if isinstance(item, dict):
            size += sum(len(str(k)) + 4 for k in item)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            size += len(item) + 2
            stack.extend((v, depth + 1) for v in item)
        else:
            size += len(item) if isinstance(item, str) else 8
        if size > MAX_DOCUMENT_BYTES:
            raise AttributionFormatError(f"{where}: larger than {MAX_DOCUMENT_BYTES} bytes; not an attribution document")


def _get(obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any = ...) -> Any:
    if key not in obj or obj[key] is None:
        if default is not ...:
            return default
        raise AttributionFormatError(f"{where}: '{key}' is missing")
    value = obj[key]
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise AttributionFormatError(f"{where}.{key}: expected {getattr(kind, '__name__', kind)}, got {value!r}")
    return value


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise AttributionFormatError(f"{where}: expected an object, got {type(value).__name__}")
    return value


@dataclass(frozen=True)
class RoleEntry:
    role: str
    role_definition_id: str
    scope: str
    pal_eligible: bool
    pal_listing: str

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "roleDefinitionId": self.role_definition_id,
            "scope": self.scope,
            "palEligible": self.pal_eligible,
            "palListing": self.pal_listing,
        }

    @classmethod
    def from_json(cls, value: Any, where: str) -> RoleEntry:
        obj = _mapping(value, where)
        return cls(
            role=_get(obj, "role", str, where),
            role_definition_id=_get(obj, "roleDefinitionId", str, where, ""),
            scope=_get(obj, "scope", str, where),
            pal_eligible=_get(obj, "palEligible", bool, where),
            pal_listing=_get(obj, "palListing", str, where, ""),
        )


def _link_credential(value: str, where: str) -> str:
    if value not in ("password", "federated"):
        raise AttributionFormatError(f"{where}.linkCredential: expected 'password' or 'federated', got {value!r}")
    return value


@dataclass(frozen=True)
class PrincipalEntry:
    name: str
    display_name: str
    client_id: str
    object_id: str
    tenant_id: str
    partner_id: str
    """The partner ID the link reports (live after a refresh)."""
    link_state: str
    configured_partner_id: str
    pal_eligible: bool
    credential_end_date: str | None
    """When the link password expires; None when the stack created no password (federated or existing)."""
    roles: tuple[RoleEntry, ...]
    link_credential: str = "password"
    """How the link signs in as the principal: ``password`` or ``federated`` (absent before 0.2: ``password``)."""
    link_audience: str | None = None
    """A federated link's token audience (the stack's ``linkFederation.audience`` or the cloud's default), what
    ``verify`` requests the pipeline's token for; optional (absent for password links and in older documents)."""

    @property
    def linked(self) -> bool:
        """Linked, and to the partner ID the stack asks for."""
        return self.link_state == "Active" and self.partner_id == self.configured_partner_id

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "displayName": self.display_name,
            "clientId": self.client_id,
            "objectId": self.object_id,
            "tenantId": self.tenant_id,
            "partnerId": self.partner_id,
            "linkState": self.link_state,
            "configuredPartnerId": self.configured_partner_id,
            "palEligible": self.pal_eligible,
            "credentialEndDate": self.credential_end_date,
            "linkCredential": self.link_credential,
            **({"linkAudience": self.link_audience} if self.link_audience is not None else {}),
            "roles": [r.to_json() for r in self.roles],
        }

    @classmethod
    def from_json(cls, value: Any, where: str) -> PrincipalEntry:
        obj = _mapping(value, where)
        name = _get(obj, "name", str, where)
        roles = _get(obj, "roles", list, where)
        partner_id = str(_get(obj, "partnerId", (str, int), where, ""))
        return cls(
            name=name,
            display_name=_get(obj, "displayName", str, where, name),
            client_id=_get(obj, "clientId", str, where, ""),
            object_id=_get(obj, "objectId", str, where, ""),
            tenant_id=_get(obj, "tenantId", str, where, ""),
            partner_id=partner_id,
            link_state=_get(obj, "linkState", str, where, ""),
            configured_partner_id=str(_get(obj, "configuredPartnerId", (str, int), where, partner_id)),
            pal_eligible=_get(obj, "palEligible", bool, where, False),
            credential_end_date=_get(obj, "credentialEndDate", str, where, None),
            roles=tuple(RoleEntry.from_json(r, f"{where}.roles[{i}]") for i, r in enumerate(roles)),
            link_credential=_link_credential(_get(obj, "linkCredential", str, where, "password"), where),
            link_audience=_get(obj, "linkAudience", str, where, None),
        )


@dataclass(frozen=True)
class WorkloadEntry:
    """A non-Azure workload; ``principal`` names the delivery principal whose PAL link attributes it."""

    name: str
    """What the work is, as the report shows it."""
    product: str
    """``powerapps``, ``powerautomate``, ``powerbi``, ``customerinsights`` (through a principal's PAL link),
    ``microsoft365`` or ``dynamics365`` (CPOR claims made by hand)."""
    notes: str | None = None
    """Free text shown with it."""
    principal: str | None = None
    """The delivery principal that owns or publishes it (PAL-attributed products only)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "product": self.product,
            **({"notes": self.notes} if self.notes else {}),
            **({"principal": self.principal} if self.principal else {}),
        }

    @classmethod
    def from_json(cls, value: Any, where: str) -> WorkloadEntry:
        obj = _mapping(value, where)
        return cls(
            _get(obj, "name", str, where),
            _get(obj, "product", str, where),
            _get(obj, "notes", str, where, None),
            _get(obj, "principal", str, where, None),
        )


CUA_SOURCES = {
    "cuaPartnerId": "partner-attribution:cuaPartnerId, set on the program's explicit provider",
    "provider-config": "the provider's own partnerId (stack configuration or ARM_PARTNER_ID)",
    "pulumi-default": "Pulumi's own partner ID, which azure-native sends when no partnerId is set",
    "terraform-default": "Terraform's partner ID, which azuread (a bridged Terraform provider) sends when no partnerId is set",
    "disabled": "none: the provider's default ID is disabled and no partnerId is set",
}
"""Why a provider sends the Customer Usage Attribution ID it sends."""


@dataclass(frozen=True)
class ProviderAttribution:
    """The Customer Usage Attribution ID one provider sends (``pid-<sends>`` in its User-Agent)."""

    provider: str
    sends: str | None
    source: str

    def to_json(self) -> dict[str, Any]:
        return {"provider": self.provider, "sends": self.sends, "source": self.source}

    @classmethod
    def from_json(cls, value: Any, where: str) -> ProviderAttribution:
        obj = _mapping(value, where)
        return cls(_get(obj, "provider", str, where), _get(obj, "sends", str, where, None), _get(obj, "source", str, where, ""))


@dataclass(frozen=True)
class CustomerUsageAttribution:
    """The stack's CUA GUID (``partner-attribution:cuaPartnerId``, None when unset) and what each provider sends."""

    partner_id: str | None
    providers: tuple[ProviderAttribution, ...]

    def to_json(self) -> dict[str, Any]:
        return {"partnerId": self.partner_id, "providers": [p.to_json() for p in self.providers]}

    @classmethod
    def from_json(cls, value: Any, where: str) -> CustomerUsageAttribution:
        obj = _mapping(value, where)
        providers = _get(obj, "providers", list, where, [])
        return cls(
            _get(obj, "partnerId", str, where, None),
            tuple(ProviderAttribution.from_json(p, f"{where}.providers[{i}]") for i, p in enumerate(providers)),
        )


UNKNOWN_LINK_STATE = "unknown"
"""The link state of a Lighthouse principal that the managing stack's attribution does not report."""


@dataclass(frozen=True)
class LighthouseAuthorizationEntry:
    """One authorization of a Lighthouse delegation, with what the managing stack says about its principal."""

    principal_id: str
    display_name: str
    role: str
    role_definition_id: str
    permanent: bool
    pal_linked: bool
    pec_eligible: bool
    earns_credit: bool
    link_state: str = UNKNOWN_LINK_STATE
    """The managing stack's ``linkState`` of this principal, or ``unknown``."""
    principal_name: str | None = None
    """Its name in the managing stack, when it is one of that stack's principals."""
    linked_partner_id: str | None = None
    """The partner ID its link reports, when known."""
    configured_partner_id: str | None = None
    """The partner ID the managing stack links it to, when known."""

    @property
    def linked(self) -> bool | None:
        """Whether its link is live (active, to the partner ID its stack asks for); None when unknown."""
        if self.link_state == UNKNOWN_LINK_STATE:
            return None
        return self.link_state == "Active" and self.linked_partner_id == self.configured_partner_id

    @property
    def who(self) -> str:
        """The principal as a reader knows it: its managing stack name and object ID, or its display name and ID."""
        return (
            f"{self.principal_name} ({self.principal_id})"
            if self.principal_name
            else f"{self.display_name} ({self.principal_id})"
        )

    def to_json(self) -> dict[str, Any]:
        optional = {
            "principalName": self.principal_name,
            "linkedPartnerId": self.linked_partner_id,
            "configuredPartnerId": self.configured_partner_id,
        }
        return {
            "principalId": self.principal_id,
            "displayName": self.display_name,
            "role": self.role,
            "roleDefinitionId": self.role_definition_id,
            "permanent": self.permanent,
            "palLinked": self.pal_linked,
            "pecEligible": self.pec_eligible,
            "earnsCredit": self.earns_credit,
            "linkState": self.link_state,
            **{key: value for key, value in optional.items() if value is not None},
        }

    @classmethod
    def from_json(cls, value: Any, where: str) -> LighthouseAuthorizationEntry:
        obj = _mapping(value, where)
        return cls(
            principal_id=_get(obj, "principalId", str, where),
            display_name=_get(obj, "displayName", str, where, ""),
            role=_get(obj, "role", str, where),
            role_definition_id=_get(obj, "roleDefinitionId", str, where, ""),
            permanent=_get(obj, "permanent", bool, where),
            pal_linked=_get(obj, "palLinked", bool, where, False),
            pec_eligible=_get(obj, "pecEligible", bool, where, False),
            earns_credit=_get(obj, "earnsCredit", bool, where, False),
            link_state=_get(obj, "linkState", str, where, UNKNOWN_LINK_STATE),
            principal_name=_get(obj, "principalName", str, where, None),
            linked_partner_id=_get(obj, "linkedPartnerId", str, where, None),
            configured_partner_id=_get(obj, "configuredPartnerId", str, where, None),
        )


@dataclass(frozen=True)
class LighthouseEntry:
    """One Azure Lighthouse delegation of a customer's stack."""

    name: str
    offer_name: str
    managing_tenant_id: str
    scopes: tuple[str, ...]
    authorizations: tuple[LighthouseAuthorizationEntry, ...]

    @property
    def earns_credit(self) -> bool:
        return any(a.earns_credit for a in self.authorizations)

    @property
    def credited(self) -> tuple[LighthouseAuthorizationEntry, ...]:
        """The authorizations that earn the partner credit on every delegated scope."""
        return tuple(a for a in self.authorizations if a.earns_credit)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "offerName": self.offer_name,
            "managingTenantId": self.managing_tenant_id,
            "earnsCredit": self.earns_credit,
            "scopes": list(self.scopes),
            "authorizations": [a.to_json() for a in self.authorizations],
        }

    @classmethod
    def from_json(cls, value: Any, where: str) -> LighthouseEntry:
        obj = _mapping(value, where)
        scopes = _get(obj, "scopes", list, where)
        authorizations = _get(obj, "authorizations", list, where)
        for index, scope in enumerate(scopes):
            if not isinstance(scope, str):
                raise AttributionFormatError(f"{where}.scopes[{index}]: expected str, got {scope!r}")
        return cls(
            name=_get(obj, "name", str, where),
            offer_name=_get(obj, "offerName", str, where, ""),
            managing_tenant_id=_get(obj, "managingTenantId", str, where, ""),
            scopes=tuple(scopes),
            authorizations=tuple(
                LighthouseAuthorizationEntry.from_json(a, f"{where}.authorizations[{i}]") for i, a in enumerate(authorizations)
            ),
        )


@dataclass(frozen=True)
class AttributionDocument:
    """What a stack attributes to the partner."""

    partner_id: str
    principals: tuple[PrincipalEntry, ...]
    non_azure_workloads: tuple[WorkloadEntry, ...] = ()
    version: int = SCHEMA_VERSION
    customer_usage_attribution: CustomerUsageAttribution | None = None
    """None in documents written before the field existed."""
    lighthouse: tuple[LighthouseEntry, ...] = ()
    """Azure Lighthouse delegations of a customer's stack; none in other stacks and in older documents."""
    managing_stack: str | None = None
    """The managing stack the delegations' principals come from (org/project/stack), when the stack names one."""

    def to_json(self) -> dict[str, Any]:
        cua = self.customer_usage_attribution
        return {
            "version": self.version,
            "partnerId": self.partner_id,
            "nonAzureWorkloads": [w.to_json() for w in self.non_azure_workloads],
            **({"customerUsageAttribution": cua.to_json()} if cua is not None else {}),
            "principals": [p.to_json() for p in self.principals],
            **({"managingStack": self.managing_stack} if self.managing_stack is not None else {}),
            **({"lighthouse": [d.to_json() for d in self.lighthouse]} if self.lighthouse else {}),
        }

    @classmethod
    def from_json(cls, value: Any) -> AttributionDocument:
        """Parse the ``attribution`` value; raise :class:`AttributionFormatError` naming what is wrong."""
        obj = _mapping(value, "attribution")
        version = _get(obj, "version", int, "attribution", 1)
        if version > SCHEMA_VERSION:
            raise AttributionFormatError(
                f"attribution: version {version} is newer than this tool reads ({SCHEMA_VERSION}); upgrade partner-attribution"
            )
        principals = _get(obj, "principals", list, "attribution")
        workloads = _get(obj, "nonAzureWorkloads", list, "attribution", [])
        cua = obj.get("customerUsageAttribution")
        lighthouse = _get(obj, "lighthouse", list, "attribution", [])
        return cls(
            partner_id=str(_get(obj, "partnerId", (str, int), "attribution", "")),
            principals=tuple(PrincipalEntry.from_json(p, f"attribution.principals[{i}]") for i, p in enumerate(principals)),
            non_azure_workloads=tuple(
                WorkloadEntry.from_json(w, f"attribution.nonAzureWorkloads[{i}]") for i, w in enumerate(workloads)
            ),
            version=version,
            customer_usage_attribution=(
                CustomerUsageAttribution.from_json(cua, "attribution.customerUsageAttribution") if cua is not None else None
            ),
            lighthouse=tuple(LighthouseEntry.from_json(d, f"attribution.lighthouse[{i}]") for i, d in enumerate(lighthouse)),
            managing_stack=_get(obj, "managingStack", str, "attribution", None),
        )

    @classmethod
    def from_stack_output(cls, document: Any) -> AttributionDocument:
        """From ``pulumi stack output --json`` (with an ``attribution`` value) or that value alone."""
        if isinstance(document, dict) and "attribution" in document:
            return cls.from_json(document["attribution"])
        if isinstance(document, dict) and "principals" in document:
            return cls.from_json(document)
        raise AttributionFormatError(
            "expected the output of 'pulumi stack output --json' (with an 'attribution' value) or that value itself"
        )


LIVE_VALUES = ("clientId", "objectId", "tenantId", "partnerId", "linkState")
"""The live values of one principal that its entry needs, in the order :func:`attribution_output` gathers them."""


def principal_entry(component: DeliveryPrincipal, live: Sequence[Any], scopes: Sequence[str]) -> PrincipalEntry:
    """One principal's entry, given its resolved :data:`LIVE_VALUES` and its roles' resolved scopes and
    definition IDs (``scopes`` holds scope, definition ID pairs flattened, in role order)."""
    spec = component.spec
    values = dict(zip(LIVE_VALUES, live, strict=True))
    return PrincipalEntry(
        name=spec.name,
        display_name=spec.display_name,
        client_id=values["clientId"],
        object_id=values["objectId"],
        tenant_id=values["tenantId"],
        partner_id=values["partnerId"],
        link_state=values["linkState"],
        configured_partner_id=spec.partner_id,
        pal_eligible=spec.pal_eligible,
        credential_end_date=spec.credential_end_date,
        link_credential=spec.link_credential,
        link_audience=spec.link_trust.audience if spec.federated and spec.link_trust is not None else None,
        roles=tuple(
            RoleEntry(
                role=r.role.name,
                role_definition_id=scopes[2 * i + 1],
                scope=scopes[2 * i],
                pal_eligible=r.role.pal_eligible,
                pal_listing=r.role.pal.value,
            )
            for i, r in enumerate(spec.roles)
        ),
    )


def lighthouse_entry(spec: DelegationSpec, principal_ids: Sequence[str], managing: AttributionDocument | None) -> LighthouseEntry:
    """One delegation's entry, given the resolved object ID of each authorization (permanent then eligible) and the
    managing stack's attribution document when the stack names one. A principal is found in the managing stack by
    name (``principal:``) or by object ID; its link state is that stack's, else ``unknown``."""
    from .lighthouse.args import StackPrincipalReference
    from .lighthouse.spec import AuthorizationSpec

    by_name = {p.name: p for p in managing.principals} if managing is not None else {}
    by_object = {p.object_id.lower(): p for p in managing.principals if p.object_id} if managing is not None else {}
    entries = []
    for auth, object_id in zip(spec.every_authorization, principal_ids, strict=True):
        reference = auth.principal_id if isinstance(auth.principal_id, StackPrincipalReference) else None
        found = by_name.get(reference.name) if reference is not None else by_object.get(object_id.lower())
        permanent = isinstance(auth, AuthorizationSpec)
        pal_linked = isinstance(auth, AuthorizationSpec) and auth.pal_linked
        entries.append(
            LighthouseAuthorizationEntry(
                principal_id=object_id,
                display_name=auth.principal_display_name,
                role=auth.role.name,
                role_definition_id=auth.role_definition_id,
                permanent=permanent,
                pal_linked=pal_linked,
                pec_eligible=auth.role.pal_eligible,
                earns_credit=isinstance(auth, AuthorizationSpec) and auth.earns_credit,
                link_state=(found.link_state or UNKNOWN_LINK_STATE) if found is not None else UNKNOWN_LINK_STATE,
                principal_name=found.name if found is not None else (reference.name if reference else None),
                linked_partner_id=(found.partner_id or None) if found is not None else None,
                configured_partner_id=(found.configured_partner_id or None) if found is not None else None,
            )
        )
    return LighthouseEntry(
        name=spec.name,
        offer_name=spec.offer_name,
        managing_tenant_id=spec.managing_tenant_id,
        scopes=tuple(a.scope for a in spec.assignments),
        authorizations=tuple(entries),
    )


def attribution_output(
    partner_id: pulumi.Input[str],
    components: Sequence[DeliveryPrincipal],
    workloads: Sequence[WorkloadEntry] = (),
    customer_usage_attribution: CustomerUsageAttribution | None = None,
    lighthouse: pulumi.Output[list[LighthouseEntry]] | None = None,
    managing_stack: str | None = None,
) -> pulumi.Output[dict[str, Any]]:
    """The ``attribution`` stack output for ``components``: one Output over every live value and one
    apply (far fewer Outputs, and engine round trips, than an Output per field; see BENCHMARKS.md).

    ``lighthouse`` (a customer's stack) adds the Azure Lighthouse view, ``managing_stack`` the managing stack's name;
    ``partner_id`` may be an Output (read from the managing stack when the stack configures none)."""
    import pulumi

    per_principal = [
        [component.client_id, component.object_id, component.tenant_id, component.partner_id, component.link_state]
        + [value for r in component.spec.roles for value in (r.scope, r.definition_id)]
        for component in components
    ]
    flat = [value for values in per_principal for value in values]

    def build(resolved: list[Any]) -> dict[str, Any]:
        partner, delegations, resolved = resolved[0], resolved[1], resolved[2:]
        entries = []
        offset = 0
        for component, values in zip(components, per_principal, strict=True):
            chunk = resolved[offset : offset + len(values)]
            offset += len(values)
            entries.append(principal_entry(component, chunk[: len(LIVE_VALUES)], chunk[len(LIVE_VALUES) :]))
        return AttributionDocument(
            partner or "",
            tuple(entries),
            tuple(workloads),
            customer_usage_attribution=customer_usage_attribution,
            lighthouse=tuple(delegations or ()),
            managing_stack=managing_stack,
        ).to_json()

    return pulumi.Output.all(partner_id, lighthouse, *flat).apply(build)


LINK_CREDENTIAL_FIELDS = ("tenantId", "clientId", "clientSecret")


def link_credentials_output(components: Mapping[str, DeliveryPrincipal]) -> pulumi.Output[dict[str, Any]]:
    """The ``linkCredentials`` stack output, a Pulumi secret."""
    import pulumi

    with_secret = {name: c for name, c in components.items() if c.client_secret is not None}
    names = list(with_secret)
    values = pulumi.Output.all(*[o for c in with_secret.values() for o in (c.tenant_id, c.client_id, c.client_secret)])
    width = len(LINK_CREDENTIAL_FIELDS)
    return pulumi.Output.secret(
        values.apply(
            lambda v: {
                name: dict(zip(LINK_CREDENTIAL_FIELDS, v[i * width : (i + 1) * width], strict=True))
                for i, name in enumerate(names)
            }
        )
    )
