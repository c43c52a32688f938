"""``LighthouseDelegation``: an Azure Lighthouse offer delegated from a customer's tenant to the partner's.

Deployed in the **customer's** tenant, by an identity there that may write, delete and read role assignments
(``Microsoft.Authorization/roleAssignments/write``, ``/delete``, ``/read``, e.g. Owner) on the delegated subscriptions,
or for a CSP subscription by an Admin Agent of the partner's tenant (ONB, ``docs/lighthouse.md``). For a component
named ``contoso`` it declares, each with ``parent=self``:

* ``contoso-definition-<key>``: ``azure_native.managedservices.RegistrationDefinition`` in each subscription concerned
  (a definition lives in a subscription: ARCH), named by a deterministic GUID;
* ``contoso-assignment-<key>``: ``azure_native.managedservices.RegistrationAssignment`` at each delegated scope
  (subscription or resource group), referencing its subscription's definition.

Rules and names come from :mod:`.spec` and :mod:`.naming`; this module only declares.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi_azure_native import managedservices

from ..problems import InvalidArgumentsError, resolved
from .args import LighthouseDelegationArgs
from .naming import COMPONENT_TYPE
from .spec import AuthorizationSpec, DelegationSpec, EligibleAuthorizationSpec, references, resolve_delegation


class LighthouseDelegationArgsError(InvalidArgumentsError):
    """The delegation's arguments are invalid; raised before any resource is declared."""

    kind = "LighthouseDelegation"


def _authorization(auth: AuthorizationSpec) -> managedservices.AuthorizationArgs:
    return managedservices.AuthorizationArgs(
        principal_id=auth.principal_id,
        principal_id_display_name=auth.principal_display_name,
        role_definition_id=auth.role_definition_id,
        delegated_role_definition_ids=auth.delegated_role_definition_ids or None,
    )


def _eligible(auth: EligibleAuthorizationSpec) -> managedservices.EligibleAuthorizationArgs:
    return managedservices.EligibleAuthorizationArgs(
        principal_id=auth.principal_id,
        principal_id_display_name=auth.principal_display_name,
        role_definition_id=auth.role_definition_id,
        just_in_time_access_policy=managedservices.JustInTimeAccessPolicyArgs(
            multi_factor_auth_provider=auth.multi_factor_auth_provider,
            maximum_activation_duration=auth.maximum_activation_duration,
            managed_by_tenant_approvers=[
                managedservices.EligibleApproverArgs(
                    principal_id=a.principal_id, principal_id_display_name=a.principal_display_name
                )
                for a in auth.approvers
            ]
            or None,
        ),
    )


def _attribution_entry(auth: AuthorizationSpec | EligibleAuthorizationSpec, principal_id: str) -> dict[str, Any]:
    permanent = isinstance(auth, AuthorizationSpec)
    pal_linked = isinstance(auth, AuthorizationSpec) and auth.pal_linked
    return {
        "principalId": principal_id,
        "principalDisplayName": auth.principal_display_name,
        "role": auth.role.name,
        "roleDefinitionId": auth.role_definition_id,
        "permanent": permanent,
        "palLinked": pal_linked,
        "pecEligible": auth.role.pal_eligible,
        "earnsCredit": isinstance(auth, AuthorizationSpec) and auth.earns_credit,
    }


class LighthouseDelegation(pulumi.ComponentResource):
    """An Azure Lighthouse delegation: registration definitions and assignments in the customer's tenant."""

    definition_ids: pulumi.Output[dict[str, str]]
    """Resource ID of each registration definition, by subscription ID."""
    assignment_ids: pulumi.Output[dict[str, str]]
    """Resource ID of each registration assignment, by delegated scope."""
    authorizations: pulumi.Output[list[dict[str, Any]]]
    """Every authorization, permanent then eligible: principal ID and display name, role, ``permanent``,
    ``palLinked``, ``pecEligible`` and ``earnsCredit``."""
    credited_principal_ids: pulumi.Output[list[str]]
    """The principals that earn the partner credit on every delegated scope."""
    earns_credit: pulumi.Output[bool]
    """Whether a permanent authorization earns the partner credit (a PAL-linked principal with a PEC-eligible role)."""

    definitions: dict[str, managedservices.RegistrationDefinition]
    """The declared definitions, by subscription ID (for ``depends_on``)."""
    assignments: dict[str, managedservices.RegistrationAssignment]
    """The declared assignments, by delegated scope."""
    spec: DelegationSpec
    """The resolved arguments: authorizations with their roles, definitions, assignments, names and GUIDs."""

    def __init__(
        self, name: str, args: LighthouseDelegationArgs | DelegationSpec, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        """Declare the delegation. ``args`` may be a :class:`DelegationSpec` already resolved for ``name``.

        Raises:
            LighthouseDelegationArgsError: the arguments break a rule; nothing is declared.
        """
        spec = resolved(name, args, DelegationSpec, resolve_delegation, LighthouseDelegationArgsError)
        if references(spec):
            raise ValueError(
                f"LighthouseDelegation {name!r}: principals named by the managing stack ("
                + ", ".join(r.name for r in references(spec))
                + ") are not bound to object IDs; call bind_principals first"
            )
        super().__init__(COMPONENT_TYPE, name, None, opts)
        self.spec = spec

        properties = managedservices.RegistrationDefinitionPropertiesArgs(
            managed_by_tenant_id=spec.managing_tenant_id,
            registration_definition_name=spec.offer_name,
            description=spec.description,
            authorizations=[_authorization(a) for a in spec.authorizations],
            eligible_authorizations=[_eligible(a) for a in spec.eligible_authorizations] or None,
        )
        self.definitions = {}
        self.assignments = {}
        for definition in spec.definitions:
            declared = managedservices.RegistrationDefinition(
                definition.resource_name,
                scope=definition.scope,
                registration_definition_id=definition.definition_id,
                properties=properties,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.definitions[definition.subscription_id] = declared
            for assignment in definition.assignments:
                self.assignments[assignment.scope] = managedservices.RegistrationAssignment(
                    assignment.resource_name,
                    scope=assignment.scope,
                    registration_assignment_id=assignment.assignment_id,
                    properties=managedservices.RegistrationAssignmentPropertiesArgs(
                        registration_definition_id=assignment.definition_resource_id
                    ),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[declared]),
                )
        for advice in spec.advice:
            pulumi.log.warn(f"LighthouseDelegation {name!r}: {advice}", resource=self)

        entries: list[AuthorizationSpec | EligibleAuthorizationSpec] = [*spec.authorizations, *spec.eligible_authorizations]
        self.definition_ids = pulumi.Output.from_input({d.subscription_id: d.resource_id for d in spec.definitions})
        self.assignment_ids = pulumi.Output.from_input({a.scope: a.resource_id for a in spec.assignments})
        self.authorizations = pulumi.Output.all(*(e.principal_id for e in entries)).apply(
            lambda ids: [_attribution_entry(e, i) for e, i in zip(entries, ids, strict=True)]
        )
        self.credited_principal_ids = pulumi.Output.all(*(a.principal_id for a in spec.credited)).apply(list)
        self.earns_credit = pulumi.Output.from_input(spec.earns_credit)
        self.register_outputs(
            {
                "definition_ids": self.definition_ids,
                "assignment_ids": self.assignment_ids,
                "authorizations": self.authorizations,
                "credited_principal_ids": self.credited_principal_ids,
                "earns_credit": self.earns_credit,
            }
        )
