"""`Sandbox`: the emulator object: state, fault rules, request log and the Starlette app."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.api import API_PREFIX, PortkeyApi
from sandbox.errors import error_body
from sandbox.faults import Faults
from sandbox.handlers import invites, usage_limits
from sandbox.handlers.users import check_email
from sandbox.handlers.workspaces import add_workspace
from sandbox.quirks import Quirks
from sandbox.requestlog import RequestLog, RequestRecord
from sandbox.routes import OPERATIONS, PUBLIC_OPERATIONS, Router
from sandbox.seed import ensure_seeded
from sandbox.store import Store


def _as_quirks(value: Quirks | Mapping[str, str]) -> Quirks:
    return value if isinstance(value, Quirks) else Quirks.from_dict(value)


OPERATION_NAMES = frozenset(name for op in OPERATIONS + PUBLIC_OPERATIONS for name in op.names)


class Sandbox:
    """A local Portkey Admin API with state in SQLite (`db` is a file path or ":memory:").

    `app` is the ASGI app: the API under `/v1`, the public routes at the root (model pricing),
    plus keyless control routes `GET /_sandbox/health`, `GET|DELETE /_sandbox/requests`,
    `GET|PUT /_sandbox/faults` and `GET|PUT /_sandbox/quirks`.

    `quirks` (a `Quirks` or a `{name: value}` mapping; see `sandbox.quirks`) picks how the sandbox
    behaves where Portkey's behaviour is thin on evidence or differs from the spec. Left as None, the
    quirks come from $PORTKEY_SANDBOX_QUIRKS (`name=value,…`), else the defaults.
    """

    def __init__(
        self,
        db: str | Path = ":memory:",
        api_key: str = "sandbox-key",
        faults: Faults | None = None,
        quirks: Quirks | Mapping[str, str] | None = None,
    ):
        self._quirks = Quirks.from_env() if quirks is None else _as_quirks(quirks)
        self._store = Store(db)
        self._org = ensure_seeded(self._store)
        self._log = RequestLog()
        self._faults = Faults()
        self.faults = faults
        api = PortkeyApi(
            self._store, self._org, api_key, lambda: self._faults, self._log, quirks=lambda: self._quirks
        )
        public = PortkeyApi(
            self._store, self._org, None, lambda: self._faults, self._log, Router(PUBLIC_OPERATIONS), prefix="",
            quirks=lambda: self._quirks,
        )
        self.app = Starlette(
            routes=[
                Route("/_sandbox/health", self._health, methods=["GET"]),
                Route("/_sandbox/requests", self._get_requests, methods=["GET"]),
                Route("/_sandbox/requests", self._delete_requests, methods=["DELETE"]),
                Route("/_sandbox/faults", self._get_faults, methods=["GET"]),
                Route("/_sandbox/faults", self._put_faults, methods=["PUT"]),
                Route("/_sandbox/quirks", self._get_quirks, methods=["GET"]),
                Route("/_sandbox/quirks", self._put_quirks, methods=["PUT"]),
                *(Route(op.path, public, methods=None) for op in PUBLIC_OPERATIONS),
                Route(API_PREFIX, api, methods=None),
                Route(API_PREFIX + "/{rest:path}", api, methods=None),
            ],
            exception_handlers={HTTPException: self._http_error},
        )

    # -- Python API -------------------------------------------------------------------------

    @property
    def faults(self) -> Faults:
        """The fault rules in force; assign a new `Faults` to change them (None = no faults)."""
        return self._faults

    @faults.setter
    def faults(self, value: Faults | None) -> None:
        value = value or Faults()
        unknown = set(value.per_operation) - OPERATION_NAMES
        if unknown:
            raise ValueError(f"faults name unknown operations: {sorted(unknown)}")
        self._faults = value

    @property
    def quirks(self) -> Quirks:
        """The quirks in force; assign a `Quirks` or a `{name: value}` mapping to change them (None or
        an empty mapping = the defaults). Unknown names or values raise `QuirkError` (a ValueError)."""
        return self._quirks

    @quirks.setter
    def quirks(self, value: Quirks | Mapping[str, str] | None) -> None:
        self._quirks = _as_quirks(value or {})

    @property
    def organisation_id(self) -> str:
        """UUID of the sandbox's one organisation."""
        return self._org.organisation_id

    @property
    def default_workspace_id(self) -> str:
        """UUID of the seeded default workspace."""
        return self._org.default_workspace_id

    @property
    def default_workspace_slug(self) -> str:
        """Slug (`ws-…`) of the seeded default workspace."""
        return self._org.default_workspace_slug

    def requests(self) -> list[RequestRecord]:
        """Every API request so far (public routes too, not `/_sandbox` ones), oldest first."""
        return self._log.snapshot()

    def reset_requests(self) -> None:
        """Empty the request log."""
        self._log.clear()

    def record_usage(self, policy_id: str, value_key: str, amount: float) -> dict[str, Any]:
        """Add usage to the entity `value_key` of usage-limit policy `policy_id` (created on
        first use); returns `{id, value_key, current_usage, status}`. KeyError if no policy."""
        with self._store.transaction() as tx:
            return usage_limits.record_usage(tx, policy_id, value_key, amount)

    def add_workspace(self, name: str) -> dict[str, Any]:
        """Create another workspace (with its default collection); returns `{id, slug, name}`."""
        with self._store.transaction() as tx:
            ws = add_workspace(tx, self._org.organisation_id, name)
        return {"id": ws["id"], "slug": ws["slug"], "name": ws["name"]}

    def add_user(self, email: str, role: str = "member") -> dict[str, Any]:
        """Invite `email` to the organisation (no workspaces) and accept at once, as the user
        would; returns `{id, email, role}`. ValueError on a bad role; ApiError
        400 for a bad address, 409 if taken."""
        if role not in ("admin", "member"):
            raise ValueError("role must be admin or member")
        with self._store.transaction() as tx:
            invite = invites.new_invite(tx, self._org.owner_id, check_email(email), role, [])
            user = invites.accept_invite(tx, invite["id"])
        return {"id": user["id"], "email": user["email"], "role": user["role"]}

    def accept_invite(self, invite_id: str) -> dict[str, Any]:
        """Accept a pending invite as its recipient would: the user joins the organisation and
        the invite's workspaces; returns `{id, email, role}`. KeyError/ValueError otherwise."""
        with self._store.transaction() as tx:
            user = invites.accept_invite(tx, invite_id)
        return {"id": user["id"], "email": user["email"], "role": user["role"]}

    def close(self) -> None:
        """Close the database."""
        self._store.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- /_sandbox routes -------------------------------------------------------------------

    async def _health(self, request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "organisation_id": self.organisation_id,
                "default_workspace_id": self.default_workspace_id,
                "default_workspace_slug": self.default_workspace_slug,
            }
        )

    async def _get_requests(self, request: Request) -> Response:
        return JSONResponse([r.to_dict() for r in self.requests()])

    async def _delete_requests(self, request: Request) -> Response:
        self.reset_requests()
        return JSONResponse({})

    async def _get_faults(self, request: Request) -> Response:
        return JSONResponse(self._faults.to_dict())

    async def _put_faults(self, request: Request) -> Response:
        try:
            data = json.loads(await request.body() or b"{}")
            if not isinstance(data, dict):
                raise ValueError("faults must be a JSON object")
            self.faults = Faults.from_dict(data)
        except ValueError as exc:
            return JSONResponse(error_body("AB01", f"faults: {exc}"), status_code=400)
        return JSONResponse(self._faults.to_dict())

    async def _get_quirks(self, request: Request) -> Response:
        return JSONResponse(self._quirks.to_dict())

    async def _put_quirks(self, request: Request) -> Response:
        """Set the quirks named in the body; the others keep their value. Answers every quirk."""
        try:
            data = json.loads(await request.body() or b"{}")
            given = Quirks.from_dict(data)  # checks every name and value
            self._quirks = self._quirks.with_values(**{name: given[name] for name in data})
        except ValueError as exc:
            return JSONResponse(error_body("AB01", f"quirks: {exc}"), status_code=400)
        return JSONResponse(self._quirks.to_dict())

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        """404/405 outside `/v1` as JSON; paths outside `/_sandbox` are logged like API requests."""
        assert isinstance(exc, HTTPException)
        code = {404: "SB404", 405: "SB405"}.get(exc.status_code, f"SB{exc.status_code}")
        if not request.url.path.startswith("/_sandbox/"):
            self._log.append(
                RequestRecord(request.method, request.url.path, None, exc.status_code, 0.0, None)
            )
        return JSONResponse(
            error_body(code, exc.detail),
            status_code=exc.status_code,
            headers=exc.headers,
        )
