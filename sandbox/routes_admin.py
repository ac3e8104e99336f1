"""Route rows for users, invites, workspaces (writes) and members, SCIM, API keys, virtual keys, providers,
integrations, secret references."""

from __future__ import annotations

from sandbox.handlers import (
    api_keys,
    integrations,
    invites,
    members,
    providers,
    scim,
    secret_references,
    users,
    virtual_keys,
    workspace_admin,
)
from sandbox.routing import Operation

ROUTES: tuple[Operation, ...] = (
    # users and invites (`invites` is a literal segment, so it beats /admin/users/{user_id})
    Operation("list_all_users", "GET", "/admin/users", users.list_all_users),
    Operation("get_user", "GET", "/admin/users/{user_id}", users.get_user),
    Operation("update_user", "PUT", "/admin/users/{user_id}", users.update_user),
    Operation("delete_user", "DELETE", "/admin/users/{user_id}", users.delete_user),
    Operation("invite_user", "POST", "/admin/users/invites", invites.invite_user),
    Operation("list_user_invites", "GET", "/admin/users/invites", invites.list_user_invites),
    Operation("get_user_invite", "GET", "/admin/users/invites/{invite_id}", invites.get_user_invite),
    Operation("delete_user_invite", "DELETE", "/admin/users/invites/{invite_id}", invites.delete_user_invite),
    Operation("resend_user_invite", "POST", "/admin/users/invites/{invite_id}/resend", invites.resend_user_invite),
    # workspaces and members
    Operation("create_workspace", "POST", "/admin/workspaces", workspace_admin.create_workspace),
    Operation("update_workspace", "PUT", "/admin/workspaces/{workspace_id}", workspace_admin.update_workspace),
    Operation("delete_workspace", "DELETE", "/admin/workspaces/{workspace_id}", workspace_admin.delete_workspace),
    Operation("add_workspace_member", "POST", "/admin/workspaces/{workspace_id}/users", members.add_workspace_member),
    Operation("list_workspace_members", "GET", "/admin/workspaces/{workspace_id}/users",
              members.list_workspace_members),
    Operation("get_workspace_member", "GET", "/admin/workspaces/{workspace_id}/users/{user_id}",
              members.get_workspace_member),
    Operation("update_workspace_member", "PUT", "/admin/workspaces/{workspace_id}/users/{user_id}",
              members.update_workspace_member),
    Operation("remove_workspace_member", "DELETE", "/admin/workspaces/{workspace_id}/users/{user_id}",
              members.remove_workspace_member),
    # SCIM
    Operation("list_scim_workspace_mappings", "GET", "/scim/workspaces", scim.list_scim_workspace_mappings),
    Operation("create_scim_workspace_mapping", "POST", "/scim/workspaces", scim.create_scim_workspace_mapping),
    Operation("delete_scim_workspace_mapping", "DELETE", "/scim/workspaces/{mapping_id}",
              scim.delete_scim_workspace_mapping),
    Operation("list_scim_groups", "GET", "/scim/groups", scim.list_scim_groups),
    # API keys (`/api-keys/{id}/rotate` beats `/api-keys/{type}/{sub_type}`: literal last segment)
    Operation("create_api_key", "POST", "/api-keys/{key_type}/{sub_type}", api_keys.create_api_key),
    Operation("list_api_keys", "GET", "/api-keys", api_keys.list_api_keys),
    Operation("get_api_key", "GET", "/api-keys/{id}", api_keys.get_api_key),
    Operation("update_api_key", "PUT", "/api-keys/{id}", api_keys.update_api_key),
    Operation("delete_api_key", "DELETE", "/api-keys/{id}", api_keys.delete_api_key),
    Operation("rotate_api_key", "POST", "/api-keys/{id}/rotate", api_keys.rotate_api_key),
    # virtual keys
    Operation("list_virtual_keys", "GET", "/virtual-keys", virtual_keys.list_virtual_keys),
    Operation("create_virtual_key", "POST", "/virtual-keys", virtual_keys.create_virtual_key),
    Operation("get_virtual_key", "GET", "/virtual-keys/{slug}", virtual_keys.get_virtual_key),
    Operation("update_virtual_key", "PUT", "/virtual-keys/{slug}", virtual_keys.update_virtual_key),
    Operation("delete_virtual_key", "DELETE", "/virtual-keys/{slug}", virtual_keys.delete_virtual_key),
    # providers
    Operation("list_providers", "GET", "/providers", providers.list_providers),
    Operation("create_provider", "POST", "/providers", providers.create_provider),
    Operation("get_provider", "GET", "/providers/{slug}", providers.get_provider),
    Operation("update_provider", "PUT", "/providers/{slug}", providers.update_provider),
    Operation("delete_provider", "DELETE", "/providers/{slug}", providers.delete_provider),
    # integrations, their models and workspace access
    Operation("list_integrations", "GET", "/integrations", integrations.list_integrations),
    Operation("create_integration", "POST", "/integrations", integrations.create_integration),
    Operation("get_integration", "GET", "/integrations/{slug}", integrations.get_integration),
    Operation("update_integration", "PUT", "/integrations/{slug}", integrations.update_integration),
    Operation("delete_integration", "DELETE", "/integrations/{slug}", integrations.delete_integration),
    Operation("list_integration_models", "GET", "/integrations/{slug}/models", integrations.list_integration_models),
    Operation("update_integration_models", "PUT", "/integrations/{slug}/models",
              integrations.update_integration_models),
    Operation("delete_integration_model", "DELETE", "/integrations/{slug}/models",
              integrations.delete_integration_model),
    Operation("list_integration_workspaces", "GET", "/integrations/{slug}/workspaces",
              integrations.list_integration_workspaces),
    Operation("update_integration_workspaces", "PUT", "/integrations/{slug}/workspaces",
              integrations.update_integration_workspaces),
    # secret references
    Operation("create_secret_reference", "POST", "/secret-references", secret_references.create_secret_reference),
    Operation("list_secret_references", "GET", "/secret-references", secret_references.list_secret_references),
    Operation("get_secret_reference", "GET", "/secret-references/{id}", secret_references.get_secret_reference),
    Operation("update_secret_reference", "PUT", "/secret-references/{id}", secret_references.update_secret_reference),
    Operation("delete_secret_reference", "DELETE", "/secret-references/{id}",
              secret_references.delete_secret_reference),
)
