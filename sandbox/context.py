"""What a handler gets: the request's parts, the open transaction and the organisation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.errors import invalid
from sandbox.quirks import DEFAULT, Quirks
from sandbox.store import Doc, Tx


@dataclass(frozen=True)
class Org:
    """The one organisation of a sandbox, its owner and its seeded default workspace."""

    organisation_id: str
    owner_id: str
    default_workspace_id: str
    default_workspace_slug: str


@dataclass
class Ctx:
    """One request as a handler sees it."""

    tx: Tx
    org: Org
    params: dict[str, str]
    query: Mapping[str, str]
    body: dict[str, Any]
    quirks: Quirks = DEFAULT

    def workspace(self, value: Any = None, field: str = "workspace_id") -> Doc:
        """The workspace named by `value` (UUID or slug), else the default one; 400 if unknown."""
        if value is None or value == "":
            found = self.tx.get("workspace", self.org.default_workspace_id)
            assert found is not None, "default workspace missing"
            return found
        if not isinstance(value, str):
            raise invalid(field, "must be a workspace UUID or slug")
        found = self.tx.find("workspace", value)
        if found is None:
            raise invalid(field, f"no workspace '{value}'")
        return found

    def requested_workspace(self) -> Doc:
        """The workspace from `workspace_id` in the body, else in the query, else the default."""
        value = self.body.get("workspace_id")
        if value is None or value == "":
            value = self.query.get("workspace_id")
        return self.workspace(value)

    def check_organisation(self, source: Mapping[str, Any] | None = None) -> None:
        """400 when an `organisation_id` is given and is not this sandbox's organisation."""
        value = (source if source is not None else self.body).get("organisation_id")
        if value not in (None, "") and value != self.org.organisation_id:
            raise invalid("organisation_id", f"no organisation '{value}'")
