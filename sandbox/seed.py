"""The state a fresh sandbox starts with: one organisation, its owner, a default workspace
with a default collection, the universal labels production, staging and development, and two
SCIM groups as an identity provider would push them."""

from __future__ import annotations

from sandbox import ids
from sandbox.context import Org
from sandbox.handlers.scim import add_group
from sandbox.handlers.workspaces import add_workspace
from sandbox.store import Store

UNIVERSAL_LABELS = (
    ("production", "Published for production traffic", "#16a34a"),
    ("staging", "Candidate under test", "#d97706"),
    ("development", "Work in progress", "#2563eb"),
)
SCIM_GROUPS = ("Engineering", "Support")


def ensure_seeded(store: Store) -> Org:
    """Seed an empty database once; return the organisation either way."""
    with store.transaction() as tx:
        org_id = tx.meta("organisation_id")
        if org_id is None:
            org_id = ids.new_uuid()
            owner_id = ids.new_uuid()
            now = ids.now_iso()
            tx.put(
                "user",
                {
                    "id": owner_id,
                    "first_name": "Sandbox",
                    "last_name": "Owner",
                    "email": "owner@sandbox.invalid",
                    "role": "owner",
                    "created_at": now,
                },
            )
            workspace = add_workspace(tx, org_id, "Shared Team Workspace", is_default=True)
            for name, description, colour in UNIVERSAL_LABELS:
                tx.put(
                    "label",
                    {
                        "id": ids.new_uuid(),
                        "name": name,
                        "description": description,
                        "color_code": colour,
                        "organisation_id": org_id,
                        "workspace_id": None,
                        "is_universal": True,
                        "status": "active",
                        "created_at": now,
                        "last_updated_at": now,
                    },
                )
            for group in SCIM_GROUPS:
                add_group(tx, group)
            tx.put(
                "org_settings",
                {
                    "id": org_id,
                    "input_guardrails": [],
                    "output_guardrails": [],
                    "input_exclusions": {},
                    "output_exclusions": {},
                    "last_updated_at": now,
                },
            )
            tx.set_meta("organisation_id", org_id)
            tx.set_meta("owner_id", owner_id)
            tx.set_meta("default_workspace_id", workspace["id"])
        default_ws = tx.get("workspace", tx.meta("default_workspace_id") or "")
        assert default_ws is not None, "sandbox database has no default workspace"
        return Org(
            organisation_id=org_id,
            owner_id=tx.meta("owner_id") or "",
            default_workspace_id=default_ws["id"],
            default_workspace_slug=default_ws["slug"],
        )
