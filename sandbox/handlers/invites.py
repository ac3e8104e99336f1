"""User invites: the only way a user joins the organisation.

An invite is `pending` until accepted (Python API `Sandbox.accept_invite`), revoked by DELETE
(`cancelled`) or past its expiry (`expired`). Accepting creates the user and its workspace
memberships. Create answers `{id, invite_link}`, resend `{inviteLink}` (camelCase, §6).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import conflict, invalid, not_found
from sandbox.fields import opt_dict, opt_enum, opt_list, opt_str
from sandbox.handlers.members import ROLES as WORKSPACE_ROLES
from sandbox.handlers.members import add_membership
from sandbox.handlers.users import ORG_ROLES, camel_page, check_email, create_user
from sandbox.store import Doc, Tx

INVITE = "invite"
STATUSES = ("pending", "cancelled", "accepted", "expired")
VALID_FOR = timedelta(days=7)
LINK_BASE = "https://app.sandbox.invalid/invite/"


def _expiry() -> str:
    return (datetime.now(UTC) + VALID_FOR).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _status(invite: Doc) -> str:
    if invite["status"] == "pending" and invite["expires_at"] < ids.now_iso():
        return "expired"
    return invite["status"]


def _new_link(invite: Doc) -> str:
    invite["token"] = secrets.token_urlsafe(18)
    return LINK_BASE + invite["token"]


def find_invite(tx: Tx, ident: str) -> Doc:
    """An invite by UUID; 404 if unknown."""
    found = tx.get(INVITE, ident) if ids.is_uuid(ident) else None
    if found is None:
        raise not_found("invite", ident)
    return found


def _view(invite: Doc) -> dict[str, Any]:
    view = {
        "object": "invite",
        "id": invite["id"],
        "email": invite["email"],
        "role": invite["role"],
        "created_at": invite["created_at"],
        "expires_at": invite["expires_at"],
        "accepted_at": invite["accepted_at"],
        "status": _status(invite),
        "invited_by": invite["invited_by"],
        "workspaces": invite["workspaces"],
    }
    return {k: v for k, v in view.items() if v is not None}


def _workspaces(ctx: Ctx) -> list[dict[str, str]]:
    items = opt_list(ctx.body, "workspaces", required=True)
    assert items is not None
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise invalid(f"workspaces[{i}]", "must be an object")
        ws = ctx.workspace(opt_str(item, "id", required=True), f"workspaces[{i}].id")
        role = item.get("role")
        if role not in WORKSPACE_ROLES:
            raise invalid(f"workspaces[{i}].role", f"must be one of {', '.join(WORKSPACE_ROLES)}")
        out.append({"id": ws["id"], "slug": ws["slug"], "role": role})
    return out


def new_invite(tx: Tx, invited_by: str, email: str, role: str, workspaces: list[dict[str, str]]) -> Doc:
    """Store a pending invite; 409 if the user exists or is already invited."""
    if any(u["email"] == email for u in tx.list("user")):
        raise conflict(f"email: {email} is already a member of the organisation")
    if any(i["email"] == email and _status(i) == "pending" for i in tx.list(INVITE)):
        raise conflict(f"email: {email} already has a pending invite")
    now = ids.now_iso()
    invite = {
        "id": ids.new_uuid(),
        "email": email,
        "role": role,
        "workspaces": workspaces,
        "workspace_api_key_details": None,
        "first_name": "",
        "last_name": "",
        "status": "pending",
        "created_at": now,
        "last_updated_at": now,
        "expires_at": _expiry(),
        "accepted_at": None,
        "invited_by": invited_by,
    }
    _new_link(invite)
    return tx.put(INVITE, invite)


def accept_invite(tx: Tx, invite_id: str) -> Doc:
    """Accept a pending invite: the user joins the organisation and the invite's workspaces."""
    invite = tx.get(INVITE, invite_id)
    if invite is None:
        raise KeyError(f"no invite {invite_id}")
    if _status(invite) != "pending":
        raise ValueError(f"invite {invite_id} is {_status(invite)}, not pending")
    user = create_user(tx, invite["email"], invite["role"], invite["first_name"], invite["last_name"])
    for ws in invite["workspaces"]:
        add_membership(tx, ws["id"], user["id"], ws["role"])
    invite.update(status="accepted", accepted_at=ids.now_iso(), token=None)
    tx.put(INVITE, invite)
    return user


def invite_user(ctx: Ctx) -> Any:
    """POST /admin/users/invites {email*, role*, workspaces*[{id, role}], workspace_api_key_details,
    first_name, last_name} → {id, invite_link}."""
    email = check_email(ctx.body.get("email"))
    role = opt_enum(ctx.body, "role", ORG_ROLES, required=True)
    assert role is not None
    workspaces = _workspaces(ctx)
    details = opt_dict(ctx.body, "workspace_api_key_details")
    if details is not None:
        scopes = opt_list(details, "scopes", required=True)
        if not all(isinstance(s, str) for s in scopes or []):
            raise invalid("workspace_api_key_details.scopes", "must be an array of strings")
    invite = new_invite(ctx.tx, ctx.org.owner_id, email, role, workspaces)
    invite["workspace_api_key_details"] = details
    invite["first_name"] = opt_str(ctx.body, "first_name") or ""
    invite["last_name"] = opt_str(ctx.body, "last_name") or ""
    ctx.tx.put(INVITE, invite)
    return {"id": invite["id"], "invite_link": LINK_BASE + invite["token"]}


def list_user_invites(ctx: Ctx) -> Any:
    """GET /admin/users/invites?role&email&status&currentPage&pageSize → {object, total, data}."""
    items = ctx.tx.list(INVITE)
    role = opt_enum(ctx.query, "role", ORG_ROLES)
    if role:
        items = [i for i in items if i["role"] == role]
    email = (ctx.query.get("email") or "").lower()
    if email:
        items = [i for i in items if email in i["email"]]
    status = opt_enum(ctx.query, "status", STATUSES)
    if status:
        items = [i for i in items if _status(i) == status]
    return {"object": "list", "total": len(items), "data": [_view(i) for i in camel_page(items, ctx.query)]}


def get_user_invite(ctx: Ctx) -> Any:
    """GET /admin/users/invites/{id}."""
    return _view(find_invite(ctx.tx, ctx.params["invite_id"]))


def delete_user_invite(ctx: Ctx) -> Any:
    """DELETE /admin/users/invites/{id}: revokes the link (status `cancelled`) → {}.

    An invite already revoked is gone (404); an accepted one can no longer be revoked (409).
    """
    invite = find_invite(ctx.tx, ctx.params["invite_id"])
    status = _status(invite)
    if status == "cancelled":
        raise not_found("invite", invite["id"])
    if status == "accepted":
        raise conflict(f"invite {invite['id']} was already accepted")
    invite.update(status="cancelled", token=None, last_updated_at=ids.now_iso())
    ctx.tx.put(INVITE, invite)
    return {}


def resend_user_invite(ctx: Ctx) -> Any:
    """POST /admin/users/invites/{id}/resend → {inviteLink}: a fresh link and expiry."""
    invite = find_invite(ctx.tx, ctx.params["invite_id"])
    status = _status(invite)
    if status not in ("pending", "expired"):
        raise conflict(f"invite {invite['id']} is {status}; only pending or expired invites can be resent")
    link = _new_link(invite)
    invite.update(status="pending", expires_at=_expiry(), last_updated_at=ids.now_iso())
    ctx.tx.put(INVITE, invite)
    return {"inviteLink": link}
