"""``validate_completion_metadata``: the billing-metadata check, locally and without HTTP.

The required fields come from ``PORTKEY_REQUIRED_METADATA`` or ``--required-metadata a,b``
(default ``client_id,app,env``); ``run_prompt_completion`` refuses a call that lacks them.
"""

from __future__ import annotations

from typing import Annotated, Any

from mcp.types import CallToolResult

from mcp_server import results
from mcp_server.mappers import missing_metadata
from mcp_server.schema import opt_object, opt_str
from mcp_server.state import ToolOptions

RECOMMENDED = ("project_id",)

Field = Annotated[str | None, opt_str("Billing metadata field (overrides the same key in metadata).")]
Metadata = Annotated[
    dict[str, Any] | None, opt_object("The whole metadata object, as run_prompt_completion would send it.")
]


def check_metadata(metadata: dict[str, Any], required: tuple[str, ...]) -> dict[str, Any]:
    """``{valid, errors, warnings, metadata, required}`` for one metadata object."""
    errors = [f"Missing required field: {name}" for name in missing_metadata(metadata, required)]
    warnings = [f"Missing recommended field: {name}" for name in RECOMMENDED
                if name not in required and not str(metadata.get(name) or "").strip()]
    return {"valid": not errors, "errors": errors, "warnings": warnings, "metadata": metadata,
            "required": list(required)}


def make_validate(options: ToolOptions) -> Any:
    """The tool function, bound to the server's required-field list."""

    async def validate_completion_metadata(
        client_id: Field = None,
        app: Field = None,
        env: Field = None,
        project_id: Field = None,
        feature: Field = None,
        metadata: Metadata = None,
    ) -> CallToolResult:
        """Check billing metadata before run_prompt_completion; no Portkey call."""
        merged: dict[str, Any] = dict(metadata or {})
        for name, value in (("client_id", client_id), ("app", app), ("env", env), ("project_id", project_id),
                            ("feature", feature)):
            if value is not None:
                merged[name] = value
        return results.ok("validate_completion_metadata", check_metadata(merged, options.required_metadata))

    return validate_completion_metadata
