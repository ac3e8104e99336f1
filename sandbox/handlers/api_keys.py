"""Portkey API keys: organisation-service, workspace-service and workspace-user keys.

The secret is answered only by create (`{id, key, object: "api-key"}`) and rotate
(`{id, key, key_transition_expires_at}`); the sandbox keeps only its masked form, which reads
show. `type` and `user_id` cannot change after creation.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox import ids
from sandbox.context import Ctx
from sandbox.errors import invalid, not_found
from sandbox.fields import opt_bool, opt_dict, opt_enum, opt_list, opt_number, opt_str
from sandbox.handlers.admin_fields import API_KEY_RATE_UNITS, mask, opt_datetime, rate_limits, usage_limits
from sandbox.handlers.members import membership
from sandbox.handlers.users import check_email, find_user
from sandbox.paging import page
from sandbox.store import Doc, Tx

KIND = "api_key"
MIN_TRANSITION_MS = 1_800_000


def find_key(tx: Tx, ident: str) -> Doc:
    """An API key by UUID; 404 if unknown (ids are UUIDs only)."""
    found = tx.get(KIND, ident) if ids.is_uuid(ident) else None
    if found is None:
        raise not_found("api key", ident)
    return found


def _new_secret(key: Doc) -> str:
    secret = secrets.token_urlsafe(24)
    key["masked_key"] = mask(secret)
    return secret


def _scopes(body: dict[str, Any], required: bool) -> list[str] | None:
    scopes = opt_list(body, "scopes", required=required)
    if scopes is not None and not all(isinstance(s, str) and s for s in scopes):
        raise invalid("scopes", "must be an array of non-empty strings")
    return scopes


def _transition_ms(body: dict[str, Any], field: str = "key_transition_period_ms") -> int | None:
    value = opt_number(body, "key_transition_period_ms")
    if value is None:
        return None
    if not isinstance(value, int) or value < MIN_TRANSITION_MS:
        raise invalid(field, f"must be an integer >= {MIN_TRANSITION_MS}")
    return value


def _apply(ctx: Ctx, key: Doc) -> None:
    """Copy the fields shared by create and update onto `key`."""
    body = ctx.body
    name = opt_str(body, "name", nonblank=True)
    if name is not None:
        key["name"] = name
    if "description" in body:
        key["description"] = opt_str(body, "description")
    scopes = _scopes(body, required=False)
    if scopes is not None:
        key["scopes"] = scopes
    if "usage_limits" in body:
        key["usage_limits"] = usage_limits(body["usage_limits"])
    if "rate_limits" in body:
        key["rate_limits"] = rate_limits(body["rate_limits"], units=API_KEY_RATE_UNITS)
    defaults = opt_dict(body, "defaults")
    if defaults is not None:
        if "config_id" in defaults:  # null unpins the config ([tf])
            ref = opt_str(defaults, "config_id")
            config = ctx.tx.find("config", ref) if ref else None
            if ref and config is None:
                raise invalid("defaults.config_id", f"no config '{ref}'")
            key["config_id"] = config["id"] if config else None
        if "metadata" in defaults:
            key["metadata"] = opt_dict(defaults, "metadata") or {}
        override = opt_bool(defaults, "allow_config_override")
        if override is not None:
            key["allow_config_override"] = int(override)
    emails = opt_list(body, "alert_emails")
    if emails is not None:
        key["alert_emails"] = [check_email(e, "alert_emails") for e in emails]
    if "expires_at" in body:
        key["expires_at"] = opt_datetime(body, "expires_at")
    policy = opt_dict(body, "rotation_policy")
    if policy is not None:
        _transition_ms(policy, "rotation_policy.key_transition_period_ms")
        opt_enum(policy, "rotation_period", ("weekly", "monthly"))
        opt_datetime(policy, "next_rotation_at")
        key["rotation_policy"] = policy
    if opt_bool(body, "reset_usage"):
        key["status"] = "active"


def _view(key: Doc) -> dict[str, Any]:
    defaults = {"metadata": key["metadata"], "config_id": key["config_id"]}
    view = {
        "id": key["id"],
        "key": key["masked_key"],
        "name": key["name"],
        "description": key["description"],
        "type": key["type"],
        "organisation_id": key["organisation_id"],
        "workspace_id": key["workspace_id"],
        "user_id": key["user_id"],
        "status": key["status"],
        "created_at": key["created_at"],
        "last_updated_at": key["last_updated_at"],
        "creation_mode": "api",
        "rate_limits": key["rate_limits"],
        "usage_limits": key["usage_limits"],
        "scopes": key["scopes"],
        "defaults": {k: v for k, v in defaults.items() if v is not None},
        "allow_config_override": key["allow_config_override"],  # top level on read (§8)
        "alert_emails": key["alert_emails"],
        "expires_at": key["expires_at"],
        "rotation_policy": key["rotation_policy"],
        "object": "api-key",
    }
    return {k: v for k, v in view.items() if v is not None}


def create_api_key(ctx: Ctx) -> Any:
    """POST /api-keys/{organisation|workspace}/{user|service} {name*, scopes*, workspace_id,
    user_id, …} → {id, key, object: "api-key"}: the only time the secret is shown."""
    scope = ctx.params["type"]
    sub_type = ctx.params["sub_type"]
    if scope not in ("organisation", "workspace"):
        raise invalid("type", "must be organisation or workspace")
    if sub_type not in ("user", "service"):
        raise invalid("sub-type", "must be user or service")
    if scope == "organisation" and sub_type == "user":
        raise invalid("sub-type", "organisation keys are service keys")
    opt_str(ctx.body, "name", required=True)
    _scopes(ctx.body, required=True)
    ctx.check_organisation()
    workspace_id = user_id = None
    if scope == "workspace":
        if not ctx.body.get("workspace_id"):
            raise invalid("workspace_id", "field required for workspace keys")
        workspace_id = ctx.workspace(ctx.body["workspace_id"])["id"]
    if sub_type == "user":
        ref = opt_str(ctx.body, "user_id", required=True)
        assert ref is not None and workspace_id is not None
        user_id = find_user(ctx.tx, ref, "user_id")["id"]
        if membership(ctx.tx, workspace_id, user_id) is None:
            raise invalid("user_id", "the user is not a member of this workspace")
    now = ids.now_iso()
    key: Doc = {
        "id": ids.new_uuid(),
        "type": f"{scope}-{sub_type}",
        "organisation_id": ctx.org.organisation_id,
        "workspace_id": workspace_id,
        "user_id": user_id,
        "description": None,
        "status": "active",
        "rate_limits": [],
        "usage_limits": None,
        "metadata": {},
        "config_id": None,
        "allow_config_override": 1,
        "alert_emails": [],
        "expires_at": None,
        "rotation_policy": None,
        "created_at": now,
        "last_updated_at": now,
    }
    _apply(ctx, key)
    secret = _new_secret(key)
    ctx.tx.put(KIND, key)
    return {"id": key["id"], "key": secret, "object": "api-key"}


def list_api_keys(ctx: Ctx) -> Any:
    """GET /api-keys?workspace_id&current_page&page_size → {total, object: "list", data}."""
    items = ctx.tx.listing(KIND)
    if ctx.query.get("workspace_id"):
        items = ctx.tx.listing(KIND, workspace_id=ctx.workspace(ctx.query["workspace_id"])["id"])
    return {"total": len(items), "object": "list", "data": [_view(k) for k in page(items, ctx.query)]}


def get_api_key(ctx: Ctx) -> Any:
    """GET /api-keys/{id}: the key with its secret masked."""
    return _view(find_key(ctx.tx, ctx.params["id"]))


def update_api_key(ctx: Ctx) -> Any:
    """PUT /api-keys/{id} {name, description, scopes, limits, reset_usage, defaults, alert_emails,
    expires_at, rotation_policy} → {}; `type` and `user_id` are immutable."""
    key = find_key(ctx.tx, ctx.params["id"])
    for field in ("type", "user_id"):
        if field in ctx.body and ctx.body[field] != key.get(field):
            raise invalid(field, "cannot be changed; create a new key instead")
    _apply(ctx, key)
    key["last_updated_at"] = ids.now_iso()
    ctx.tx.put(KIND, key)
    return {}


def delete_api_key(ctx: Ctx) -> Any:
    """DELETE /api-keys/{id}: revoked at once → {}."""
    key = find_key(ctx.tx, ctx.params["id"])
    ctx.tx.delete(KIND, key["id"])
    return {}


def rotate_api_key(ctx: Ctx) -> Any:
    """POST /api-keys/{id}/rotate {key_transition_period_ms (>= 1800000)} →
    {id, key, key_transition_expires_at}: the new secret, shown once; the old one keeps
    working until the transition ends."""
    key = find_key(ctx.tx, ctx.params["id"])
    period = _transition_ms(ctx.body) or MIN_TRANSITION_MS
    ends = datetime.now(UTC) + timedelta(milliseconds=period)
    secret = _new_secret(key)
    key["key_transition_expires_at"] = ends.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    key["last_updated_at"] = ids.now_iso()
    ctx.tx.put(KIND, key)
    return {"id": key["id"], "key": secret, "key_transition_expires_at": key["key_transition_expires_at"]}
