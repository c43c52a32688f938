"""The fake of the ManagementPartner API on Azure Resource Manager: one link per caller (tenant, object ID)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import FakeAzure, RequestContext

API_VERSION = "2018-02-01"
OPERATIONS = [  # spec example GetOperations.json
    {
        "name": f"Microsoft.ManagementPartner/partners/{op}",
        "display": {
            "provider": "Microsoft ManagementPartner",
            "resource": "ManagementPartner",
            "operation": title,
            "description": desc,
        },
    }
    for op, title, desc in [
        ("read", "Get ManagementPartner", "Read All ManagementPartner"),
        ("write", "Create ManagementPartner", "Create any ManagementPartner"),
        ("action", "Update ManagementPartner", "Update any ManagementPartner"),
        ("delete", "Delete ManagementPartner", "Delete any ManagementPartner"),
    ]
]


def arm_error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def serve_arm(h: RequestContext, parts: list[str], path: str, query: dict[str, list[str]]) -> None:
    fake = h.azure
    auth = h.headers.get("Authorization", "")
    identity = fake.tokens.get(auth.removeprefix("Bearer ")) if auth.startswith("Bearer ") else None
    if identity is None:
        h.send("arm", path, 401, arm_error("InvalidAuthenticationToken", "The access token is invalid."))
        return
    tenant, client_id = identity
    h.meta.update(client_id=client_id, tenant_id=tenant)
    app = fake.apps[client_id]
    if fake.clock() < app.arm_ready_at:
        h.send(
            "arm",
            path,
            401,
            arm_error(
                "InvalidAuthenticationTokenTenant",
                f"The principal {app.object_id} is not known to Azure Resource Manager yet.",
            ),
        )
        return
    if query.get("api-version") != [API_VERSION]:
        h.send("arm", path, 400, arm_error("InvalidApiVersionParameter", f"The api-version must be '{API_VERSION}'."))
        return
    lowered = [p.lower() for p in parts]
    if lowered[:2] != ["providers", "microsoft.managementpartner"]:
        h.send("arm", path, 404, arm_error("InvalidResourceType", "Unknown resource type"))
        return
    if lowered[2:] == ["operations"] and h.command == "GET":
        h.send("arm", path, 200, {"value": OPERATIONS})
        return
    if lowered[2:3] != ["partners"] or len(parts) > 4:
        h.send("arm", path, 404, arm_error("InvalidResourceType", "Unknown resource type"))
        return
    partner_id = parts[3] if len(parts) == 4 else None
    key = (tenant, app.object_id)
    with fake.lock:
        current = fake.links.get(key)
        active = current if current and current["state"] == "Active" else None
        method = h.command
        if method == "GET":
            if (
                current is None
                or (partner_id is not None and current["partnerId"] != partner_id)
                or (current["state"] != "Active" and fake.deleted_links == "404")
            ):
                _not_found(h, path)
            else:
                h.send("arm", path, 200, link_body(current, partner_id))
            return
        if partner_id is None:
            h.send("arm", path, 405, arm_error("MethodNotAllowed", f"{method} needs a partner ID"))
            return
        if method in ("PUT", "PATCH") and not _known_partner(fake, partner_id):
            h.send(
                "arm",
                path,
                400,
                arm_error("InvalidPartnerId", f"The partner ID '{partner_id}' is not a valid MPN ID."),
            )
            return
        if method == "PUT":
            if active and active["partnerId"] != partner_id and fake.put_when_linked_elsewhere == "conflict":
                h.send(
                    "arm",
                    path,
                    409,
                    arm_error("Conflict", f"The principal is already associated with partner ID '{active['partnerId']}'."),
                )
                return
            h.send("arm", path, 200, link_body(fake.write_link(tenant, app.object_id, partner_id), partner_id))
        elif method == "PATCH":
            if active is None:
                _not_found(h, path)
                return
            h.send("arm", path, 200, link_body(fake.write_link(tenant, app.object_id, partner_id), partner_id))
        elif method == "DELETE":
            if active is None or active["partnerId"] != partner_id:
                _not_found(h, path)
                return
            fake.delete_link(tenant, app.object_id)
            h.send("arm", path, 200, None)
        else:
            h.send("arm", path, 405, arm_error("MethodNotAllowed", f"{method} is not supported"))


def _known_partner(fake: FakeAzure, partner_id: str) -> bool:
    if partner_id in fake.rejected_partner_ids or not partner_id.isdigit():
        return False
    return fake.accept_any_partner or partner_id in fake.partners


def _not_found(h: RequestContext, path: str) -> None:
    h.send("arm", path, 404, arm_error("PartnerNotFound", "No management partner is associated with the caller."))


def link_body(link: dict[str, Any], partner_id: str | None) -> dict[str, Any]:
    """The recorded response shape: lower-case resource ID, integer etag equal to the version."""
    return {
        "id": f"/providers/microsoft.managementpartner/partners/{partner_id or link['partnerId']}",
        "type": "Microsoft.ManagementPartner/partners",
        "name": link["partnerId"],
        "etag": link["version"],
        "properties": dict(link),
    }
