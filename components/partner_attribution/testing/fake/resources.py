"""The fake of Azure Resource Manager's resources other than the PAL link: role assignments, with ARM's own
conflicts, and any other resource by its ID (Lighthouse registration definitions and assignments among them).

Role assignments behave as ARM documents them (Microsoft.Authorization/roleAssignments, "Troubleshoot Azure RBAC"):
an assignment of the same role to the same principal at the same scope under another name answers 409
``RoleAssignmentExists``; changing the principal, role or scope of an existing name answers 409
``RoleAssignmentUpdateNotPermitted``. Any other ``PUT``/``GET``/``DELETE`` on a resource ID stores, returns and
removes the resource as sent. Callers authenticate with a fake access token (the deploying identity).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from .arm import arm_error

if TYPE_CHECKING:
    from .server import RequestContext

ROLE_ASSIGNMENTS = "/providers/microsoft.authorization/roleassignments/"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _same_assignment(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all(str(a.get(k, "")).lower() == str(b.get(k, "")).lower() for k in ("scope", "roleDefinitionId", "principalId"))


def serve_resources(h: RequestContext, path: str, body: bytes) -> None:
    fake = h.azure
    if fake.caller(h) is None:
        h.send("arm", path, 401, arm_error("InvalidAuthenticationToken", "The access token is invalid."))
        return
    resource_id = path.rstrip("/")
    key = resource_id.lower()
    method = h.command
    try:
        payload: dict[str, Any] = json.loads(body) if body else {}
    except ValueError:
        h.send(
            "arm", path, 400, arm_error("InvalidRequestContent", "The request content was invalid and could not be deserialized.")
        )
        return
    kind = _resource_type(resource_id)
    with fake.lock:
        current = fake.arm_resources.get(key)
        if method == "GET":
            if current is None:
                code = "RoleAssignmentNotFound" if ROLE_ASSIGNMENTS in key else "ResourceNotFound"
                h.send("arm", path, 404, arm_error(code, f"The resource '{resource_id}' was not found."))
            else:
                h.send("arm", path, 200, current)
            return
        if method == "DELETE":
            if current is None:
                h.send("arm", path, 204, None)
            else:
                del fake.arm_resources[key]
                h.send("arm", path, 200, current)
            return
        if method != "PUT":
            h.send("arm", path, 405, arm_error("MethodNotAllowed", f"{method} is not supported"))
            return
        properties = dict(payload.get("properties") or {})
        if ROLE_ASSIGNMENTS in key:
            scope = resource_id[: key.index(ROLE_ASSIGNMENTS)] or "/"
            properties["scope"] = scope
            if current is not None and not _same_assignment(current["properties"], properties):
                h.send(
                    "arm",
                    path,
                    409,
                    arm_error(
                        "RoleAssignmentUpdateNotPermitted",
                        "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
                    ),
                )
                return
            for other_key, other in fake.arm_resources.items():
                if other_key != key and ROLE_ASSIGNMENTS in other_key and _same_assignment(other["properties"], properties):
                    h.send("arm", path, 409, arm_error("RoleAssignmentExists", "The role assignment already exists."))
                    return
            properties.setdefault("createdOn", current["properties"].get("createdOn") if current else _now())
            properties["updatedOn"] = _now()
        resource = {
            "id": resource_id,
            "name": resource_id.rsplit("/", 1)[-1],
            "type": kind,
            **({"location": payload["location"]} if "location" in payload else {}),
            "properties": {**properties, "provisioningState": "Succeeded"} if ROLE_ASSIGNMENTS not in key else properties,
        }
        fake.arm_resources[key] = resource
        h.send("arm", path, 200 if current is not None else 201, resource)


def _resource_type(resource_id: str) -> str:
    """``Namespace/type[/type…]`` of an ARM resource ID: the segments after its last ``providers``."""
    parts = resource_id.strip("/").split("/")
    last = max(i for i, p in enumerate(parts) if p.lower() == "providers")
    tail = parts[last + 1 :]
    return "/".join([tail[0], *tail[1::2]]) if tail else ""
