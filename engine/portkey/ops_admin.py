"""Declarations for users, invites, workspaces and members, SCIM, API keys, virtual keys, providers,
integrations and secret references."""

from __future__ import annotations

from engine.portkey import bodies_admin as b
from engine.portkey import normalize as n
from engine.portkey.operation import PAGE_QUERY, WS_QUERY, D, Operation, Paging, R, W, q

CAMEL_PAGE_QUERY = q(currentPage=int, pageSize=int)  # users and invites (portkey-api.md §5)

OPERATIONS: tuple[Operation, ...] = (
    # users and invites
    Operation("list_all_users", "users", R, "GET", "/admin/users",
              query=q(CAMEL_PAGE_QUERY, role=str, email=str), paging=Paging.OFFSET_CAMEL, enterprise=True),
    Operation("get_user", "users", R, "GET", "/admin/users/{user_id}", enterprise=True),
    Operation("update_user", "users", W, "PUT", "/admin/users/{user_id}", body=b.UserUpdate, body_required=True),
    Operation("delete_user", "users", D, "DELETE", "/admin/users/{user_id}"),
    Operation("invite_user", "users", W, "POST", "/admin/users/invites", body=b.InviteCreate, body_required=True),
    Operation("list_user_invites", "users", R, "GET", "/admin/users/invites",
              query=q(CAMEL_PAGE_QUERY, role=str, email=str, status=str), paging=Paging.OFFSET_CAMEL,
              enterprise=True),
    Operation("get_user_invite", "users", R, "GET", "/admin/users/invites/{invite_id}"),
    Operation("delete_user_invite", "users", D, "DELETE", "/admin/users/invites/{invite_id}"),
    Operation("resend_user_invite", "users", W, "POST", "/admin/users/invites/{invite_id}/resend",
              normalize=n.invite_resent),
    # workspaces (list/get are core) and members
    Operation("create_workspace", "workspaces", W, "POST", "/admin/workspaces", body=b.WorkspaceCreate,
              body_required=True),
    Operation("update_workspace", "workspaces", W, "PUT", "/admin/workspaces/{workspace_id}",
              body=b.WorkspaceUpdate, body_required=True),
    Operation("delete_workspace", "workspaces", D, "DELETE", "/admin/workspaces/{workspace_id}",
              body=b.WorkspaceDelete),
    Operation("add_workspace_member", "workspaces", W, "POST", "/admin/workspaces/{workspace_id}/users",
              body=b.MembersAdd, body_required=True),
    Operation("list_workspace_members", "workspaces", R, "GET", "/admin/workspaces/{workspace_id}/users",
              query=q(PAGE_QUERY, role=str, email=str), paging=Paging.OFFSET),
    Operation("get_workspace_member", "workspaces", R, "GET", "/admin/workspaces/{workspace_id}/users/{user_id}"),
    Operation("update_workspace_member", "workspaces", W, "PUT",
              "/admin/workspaces/{workspace_id}/users/{user_id}", body=b.MemberUpdate, body_required=True),
    Operation("remove_workspace_member", "workspaces", D, "DELETE",
              "/admin/workspaces/{workspace_id}/users/{user_id}"),
    # SCIM
    Operation("list_scim_workspace_mappings", "scim", R, "GET", "/scim/workspaces",
              query=q(WS_QUERY, scim_group_id=str, role=str), enterprise=True),
    Operation("create_scim_workspace_mapping", "scim", W, "POST", "/scim/workspaces", body=b.ScimMappingCreate,
              body_required=True, enterprise=True),
    Operation("delete_scim_workspace_mapping", "scim", D, "DELETE", "/scim/workspaces/{mapping_id}",
              enterprise=True),
    # `page` is 0-based here (the successor's SCIM tools), unlike MCP capabilities
    Operation("list_scim_groups", "scim", R, "GET", "/scim/groups", query=q(search=str, page=int, page_size=int),
              paging=Paging.PAGE0, enterprise=True, in_spec=False),
    # API keys
    Operation("create_api_key", "api_keys", W, "POST", "/api-keys/{type}/{sub_type}", body=b.ApiKeyCreate,
              body_required=True, secret_fields=("key",)),
    Operation("list_api_keys", "api_keys", R, "GET", "/api-keys", query=q(PAGE_QUERY, WS_QUERY),
              paging=Paging.OFFSET),
    Operation("get_api_key", "api_keys", R, "GET", "/api-keys/{id}"),
    Operation("update_api_key", "api_keys", W, "PUT", "/api-keys/{id}", body=b.ApiKeyUpdate, body_required=True),
    Operation("delete_api_key", "api_keys", D, "DELETE", "/api-keys/{id}"),
    Operation("rotate_api_key", "api_keys", D, "POST", "/api-keys/{id}/rotate", body=b.ApiKeyRotate,
              secret_fields=("key",)),
    # virtual keys (the spec marks both paging parameters required, §10 row 15)
    Operation("list_virtual_keys", "virtual_keys", R, "GET", "/virtual-keys", query=q(PAGE_QUERY),
              required_query=("current_page", "page_size"), paging=Paging.OFFSET, normalize=n.limited_list),
    Operation("create_virtual_key", "virtual_keys", W, "POST", "/virtual-keys", body=b.VirtualKeyCreate,
              body_required=True, normalize=n.unwrap_data, secret_fields=("key",)),
    Operation("get_virtual_key", "virtual_keys", R, "GET", "/virtual-keys/{slug}", normalize=n.limited),
    Operation("update_virtual_key", "virtual_keys", W, "PUT", "/virtual-keys/{slug}", body=b.VirtualKeyUpdate,
              body_required=True),
    Operation("delete_virtual_key", "virtual_keys", D, "DELETE", "/virtual-keys/{slug}"),
    # providers (workspace_id travels in the query on single-provider calls)
    Operation("list_providers", "providers", R, "GET", "/providers", query=q(PAGE_QUERY, WS_QUERY),
              paging=Paging.OFFSET, normalize=n.limited_list),
    Operation("create_provider", "providers", W, "POST", "/providers", body=b.ProviderCreate, body_required=True),
    Operation("get_provider", "providers", R, "GET", "/providers/{slug}", query=q(WS_QUERY), normalize=n.limited),
    Operation("update_provider", "providers", W, "PUT", "/providers/{slug}", query=q(WS_QUERY),
              body=b.ProviderUpdate, body_required=True),
    Operation("delete_provider", "providers", D, "DELETE", "/providers/{slug}", query=q(WS_QUERY)),
    # integrations, their models and their workspace access
    Operation("list_integrations", "integrations", R, "GET", "/integrations",
              query=q(PAGE_QUERY, WS_QUERY, type=str), paging=Paging.OFFSET),
    Operation("create_integration", "integrations", W, "POST", "/integrations", body=b.IntegrationCreate,
              body_required=True),
    Operation("get_integration", "integrations", R, "GET", "/integrations/{slug}", enterprise=True),
    Operation("update_integration", "integrations", W, "PUT", "/integrations/{slug}", body=b.IntegrationUpdate,
              body_required=True),
    Operation("delete_integration", "integrations", D, "DELETE", "/integrations/{slug}"),
    Operation("list_integration_models", "integrations", R, "GET", "/integrations/{slug}/models",
              enterprise=True),
    Operation("update_integration_models", "integrations", W, "PUT", "/integrations/{slug}/models",
              body=b.IntegrationModelsUpdate, body_required=True),
    # the catalogue's `model_slug`; `slugs` takes a comma-separated list
    Operation("delete_integration_model", "integrations", D, "DELETE", "/integrations/{slug}/models",
              query=q(slugs=str), required_query=("slugs",)),
    Operation("list_integration_workspaces", "integrations", R, "GET", "/integrations/{slug}/workspaces",
              enterprise=True),
    # not safe to repeat: create_default_provider (default true) makes providers
    Operation("update_integration_workspaces", "integrations", W, "PUT", "/integrations/{slug}/workspaces",
              body=b.IntegrationWorkspacesUpdate, body_required=True, creates_version=True),
    # secret references
    Operation("create_secret_reference", "secrets", W, "POST", "/secret-references",
              body=b.SecretReferenceCreate, body_required=True),
    Operation("list_secret_references", "secrets", R, "GET", "/secret-references",
              query=q(PAGE_QUERY, manager_type=str, tags=str, search=str), paging=Paging.OFFSET),
    Operation("get_secret_reference", "secrets", R, "GET", "/secret-references/{id}"),
    Operation("update_secret_reference", "secrets", W, "PUT", "/secret-references/{id}",
              body=b.SecretReferenceUpdate, body_required=True),
    Operation("delete_secret_reference", "secrets", D, "DELETE", "/secret-references/{id}"),
)
