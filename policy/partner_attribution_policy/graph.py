"""A stack as a resource graph: service principals, their applications, role assignments, PAL links, passwords.

Relations are read from the graph the engine records, not from IDs, so they hold in a preview where every
object ID is still unknown, and for principals declared with plain ``azuread`` resources as well as with the
``DeliveryPrincipal`` component:

* a role assignment belongs to the service principal its ``principalId`` depends on (the property's
  dependencies; the resource's dependencies when the engine recorded no property dependencies at all);
* a service principal belongs to the application its ``clientId`` depends on;
* a PAL link covers a service principal when its ``clientId`` comes from it or its application (that property's
  dependencies: a link's ``depends_on`` on another resource links no one), or names its client ID;
* a password belongs to the application its ``applicationId`` depends on.

When both sides are known, equal IDs relate resources too (``principalId`` = the principal's ``objectId``,
a link's ``clientId`` = the application's ``clientId``), for resources whose outputs the engine passes.

Nothing here imports ``pulumi_policy``: resources are :class:`StackResource` values, built by the adapter
(:mod:`.pack`) or by tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

SERVICE_PRINCIPAL_TYPE = "azuread:index/servicePrincipal:ServicePrincipal"
APPLICATION_TYPE = "azuread:index/application:Application"
APPLICATION_PASSWORD_TYPE = "azuread:index/applicationPassword:ApplicationPassword"
ROLE_ASSIGNMENT_TYPES = frozenset(
    {
        "azure-native:authorization:RoleAssignment",
        "azure:authorization/assignment:Assignment",  # the classic azure provider
    }
)
PAL_LINK_TYPE = "partner-attribution:index:PartnerAdminLink"
"""``partner_attribution.naming.PAL_LINK_TYPE``; repeated so the graph needs no Pulumi import (a test keeps them equal)."""
PROVIDER_TYPES = frozenset({"pulumi:providers:azure-native", "pulumi:providers:azuread"})
REGISTRATION_DEFINITION_TYPE = "azure-native:managedservices:RegistrationDefinition"

UNKNOWN_VALUES = frozenset(
    {
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # string
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
    }
)
"""The engine's markers for values not known until the update (``pulumi_policy.proxy``)."""

_GUID = re.compile(r"\A[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")  # \Z: not "...\n"


def is_unknown(value: Any) -> bool:
    """Whether ``value`` is (or, for a container, is made of) a value not known until the update."""
    return isinstance(value, str) and value in UNKNOWN_VALUES


def known_str(value: Any) -> str | None:
    """``value`` as a string when it is known and not empty; None otherwise (absent, unknown or not a scalar)."""
    if value is None or is_unknown(value) or isinstance(value, (Mapping, list, tuple, bool)):
        return None
    text = str(value)
    return text or None


def is_guid(value: str) -> bool:
    """Whether ``value`` is a GUID in 8-4-4-4-12 form, any letter case."""
    return bool(_GUID.match(value))


@dataclass(frozen=True)
class StackResource:
    """One resource of the stack as the analyzer receives it: type, name, URN, properties and graph edges."""

    urn: str
    type: str
    name: str
    props: Mapping[str, Any]
    """Properties with the engine's unknown markers kept as strings (see :func:`is_unknown`); secrets in clear."""
    parent: str | None = None
    dependencies: tuple[str, ...] = ()
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """URNs each property depends on; empty when the engine recorded none."""

    def references(self, key: str) -> tuple[str, ...]:
        """URNs the property ``key`` depends on; all dependencies if no property dependencies were recorded."""
        if key in self.property_dependencies:
            return self.property_dependencies[key]
        if not self.property_dependencies:
            return self.dependencies
        return ()

    def all_references(self) -> set[str]:
        """Every URN this resource depends on, through a property or an explicit ``depends_on``."""
        urns = set(self.dependencies)
        for urns_of_key in self.property_dependencies.values():
            urns.update(urns_of_key)
        return urns


@dataclass(frozen=True)
class Principal:
    """A service principal of the stack with what relates to it."""

    resource: StackResource
    application: StackResource | None
    assignments: tuple[StackResource, ...]
    links: tuple[StackResource, ...]

    @property
    def linked(self) -> bool:
        return bool(self.links)

    @property
    def names(self) -> frozenset[str]:
        """Names the pack's configuration may use for this principal: the service principal's and its application's."""
        return frozenset({self.resource.name} | ({self.application.name} if self.application else set()))


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def link_as_the_plugin_writes_it(link: StackResource) -> StackResource:
    """A PAL link's properties in the plugin's camelCase. A link moved by alias from the dynamic provider of releases
    0.1 and 0.2 keeps that provider's outputs (``partner_id``, ``client_id``, ``credential_type``, ``__provider``)
    until its next refresh or update: the engine's ``same`` step carries the old outputs over. Each snake_case key is
    read under its camelCase name, which wins when both are there (property dependencies too); ``__provider`` (the
    pickled provider) is dropped."""
    props = {key: value for key, value in link.props.items() if not key.startswith("__")}
    for key, value in list(props.items()):
        if "_" in key:
            del props[key]
            props.setdefault(_camel(key), value)
    props.update({key: value for key, value in link.props.items() if "_" not in key})
    dependencies = {_camel(key): urns for key, urns in link.property_dependencies.items() if "_" in key}
    dependencies.update({key: urns for key, urns in link.property_dependencies.items() if "_" not in key})
    return replace(link, props=props, property_dependencies=dependencies)


class StackGraph:
    """Index of a stack's resources and the attribution relations between them (PAL links read in the plugin's
    camelCase: :func:`link_as_the_plugin_writes_it`)."""

    def __init__(self, resources: Iterable[StackResource]) -> None:
        self.resources: list[StackResource] = [
            link_as_the_plugin_writes_it(r) if r.type == PAL_LINK_TYPE else r for r in resources
        ]
        self.by_urn: dict[str, StackResource] = {r.urn: r for r in self.resources}
        self._by_type: dict[str, list[StackResource]] = {}
        for resource in self.resources:
            self._by_type.setdefault(resource.type, []).append(resource)

    def of_type(self, *types: str) -> list[StackResource]:
        """Resources of the given types, in stack order."""
        if len(types) == 1:
            return list(self._by_type.get(types[0], ()))
        wanted = set(types)
        return [r for r in self.resources if r.type in wanted]

    def _referenced(self, resource: StackResource, key: str, type_: str) -> list[StackResource]:
        found: list[StackResource] = []
        for urn in resource.references(key):
            target = self.by_urn.get(urn)
            if target is not None and target.type == type_ and target not in found:
                found.append(target)
        return found

    @cached_property
    def _principal_by_object_id(self) -> dict[str, StackResource]:
        index: dict[str, StackResource] = {}
        for sp in self.of_type(SERVICE_PRINCIPAL_TYPE):
            object_id = known_str(sp.props.get("objectId"))
            if object_id:
                index[object_id.lower()] = sp
        return index

    def principal_of_assignment(self, assignment: StackResource) -> StackResource | None:
        """The service principal a role assignment's ``principalId`` comes from, if it is in the stack."""
        found = self._referenced(assignment, "principalId", SERVICE_PRINCIPAL_TYPE)
        if found:
            return found[0]
        principal_id = known_str(assignment.props.get("principalId"))
        return self._principal_by_object_id.get(principal_id.lower()) if principal_id else None

    @cached_property
    def _application_by_client_id(self) -> dict[str, StackResource]:
        index: dict[str, StackResource] = {}
        for app in self.of_type(APPLICATION_TYPE):
            client_id = known_str(app.props.get("clientId"))
            if client_id:
                index.setdefault(client_id.lower(), app)
        return index

    def application_of_principal(self, principal: StackResource) -> StackResource | None:
        """The application a service principal's ``clientId`` comes from, if it is in the stack."""
        found = self._referenced(principal, "clientId", APPLICATION_TYPE)
        if found:
            return found[0]
        client_id = known_str(principal.props.get("clientId"))
        return self._application_by_client_id.get(client_id.lower()) if client_id else None

    def application_of_password(self, password: StackResource) -> StackResource | None:
        """The application a password credential belongs to (``applicationId``, or ``applicationObjectId`` of azuread v2)."""
        for key in ("applicationId", "applicationObjectId"):
            found = self._referenced(password, key, APPLICATION_TYPE)
            if found:
                return found[0]
        return None

    @cached_property
    def _link_index(self) -> tuple[dict[str, set[int]], dict[str, set[int]]]:
        """Positions of PAL links by each URN they depend on, and by their known ``clientId`` (lower case)."""
        by_urn: dict[str, set[int]] = {}
        by_client_id: dict[str, set[int]] = {}
        for position, link in enumerate(self._by_type.get(PAL_LINK_TYPE, ())):
            # Only what its client_id comes from: a link that merely waits for another resource (depends_on) does
            # not sign in as it, so it links no one else.
            # (With no property dependencies recorded at all, every dependency counts, as for the other relations.)
            sources = link.property_dependencies.get("clientId", ()) if link.property_dependencies else link.all_references()
            for urn in sources:
                by_urn.setdefault(urn, set()).add(position)
            client_id = known_str(link.props.get("clientId"))
            if client_id:
                by_client_id.setdefault(client_id.lower(), set()).add(position)
        return by_urn, by_client_id

    def links_of(self, principal: StackResource, application: StackResource | None) -> tuple[StackResource, ...]:
        """PAL links that depend on the principal or its application, or sign in with their client ID, in stack order."""
        by_urn, by_client_id = self._link_index
        ends = [principal] if application is None else [principal, application]
        positions: set[int] = set()
        for end in ends:
            positions |= by_urn.get(end.urn, set())
            client_id = known_str(end.props.get("clientId"))
            if client_id:
                positions |= by_client_id.get(client_id.lower(), set())
        links = self._by_type.get(PAL_LINK_TYPE, [])
        return tuple(links[p] for p in sorted(positions))

    @cached_property
    def principals(self) -> list[Principal]:
        """Every service principal of the stack with its application, role assignments and PAL links."""
        assignments: dict[str, list[StackResource]] = {}
        for assignment in self.of_type(*ROLE_ASSIGNMENT_TYPES):
            principal = self.principal_of_assignment(assignment)
            if principal is not None:
                assignments.setdefault(principal.urn, []).append(assignment)
        result: list[Principal] = []
        for sp in self.of_type(SERVICE_PRINCIPAL_TYPE):
            app = self.application_of_principal(sp)
            result.append(
                Principal(
                    resource=sp,
                    application=app,
                    assignments=tuple(assignments.get(sp.urn, ())),
                    links=self.links_of(sp, app),
                )
            )
        return result

    @cached_property
    def delivery_applications(self) -> dict[str, Principal]:
        """Applications whose service principal has a PAL link or a role assignment in the stack, by URN."""
        return {p.application.urn: p for p in self.principals if p.application is not None and (p.linked or p.assignments)}


def role_guid(role_definition_id: Any) -> str | None:
    """The role definition GUID at the end of a role definition ID (or a bare GUID), lower case; None if unknown or not one."""
    text = known_str(role_definition_id)
    if text is None:
        return None
    last = text.rstrip("/").rsplit("/", 1)[-1]
    return last.lower() if is_guid(last) else None
