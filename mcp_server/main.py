"""``portkey-admin-mcp``: start the MCP server over stdio (default) or streamable HTTP.

The selection and safety options also read environment variables; a flag wins over its variable. Start-up
problems (missing PORTKEY_API_KEY, unknown toolset, HTTP without a token or with a short one)
end with one line on stderr and exit code 1, never a traceback. The MCP token and the Portkey key
are registered as secrets (:mod:`engine.redaction`) before anything is served.

``--generate-token`` prints a fresh token for ``MCP_AUTH_TOKEN`` and exits. Bound to a non-loopback
address without ``--allowed-hosts``, the server logs a warning at start (clients reaching it by
another name, e.g. through a proxy, get 421). ``--per-session-key`` (HTTP only) serves without a
Portkey key of its own: each session sends one in ``x-portkey-api-key`` (:mod:`mcp_server.state`).
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
import httpx

from engine import redaction
from engine.portkey import PortkeyClient, PortkeyConfigError, Secret, Settings
from engine.portkey.settings import is_loopback
from mcp_server.http_transport import (
    DEFAULT_MAX_SESSIONS,
    DEFAULT_SESSION_IDLE_TIMEOUT,
    ENV_AUTH_TOKEN,
    check_token,
    http_app,
)
from mcp_server.logs import configure_logging
from mcp_server.selection import ALL, Selection, SelectionError, env_flag, split_names
from mcp_server.server import ClientFactory, build_server
from mcp_server.state import DEFAULT_REQUIRED_METADATA, KEY_HEADER, ToolOptions

PROG = "portkey-admin-mcp"
ENV_REQUIRED_METADATA = "PORTKEY_REQUIRED_METADATA"
ENV_CONFIRM_DESTRUCTIVE = "PORTKEY_MCP_CONFIRM_DESTRUCTIVE"
ENV_LOG_LEVEL = "PORTKEY_MCP_LOG_LEVEL"
ENV_SESSION_IDLE_TIMEOUT = "PORTKEY_MCP_SESSION_IDLE_TIMEOUT"
ENV_MAX_SESSIONS = "PORTKEY_MCP_MAX_SESSIONS"
ENV_PROJECT_ROOTS = "PORTKEY_MCP_PROJECT_ROOTS"
ENV_EXPOSE_PROMPTS = "PORTKEY_MCP_EXPOSE_PROMPTS"
ENV_PROMPTS_WORKSPACE = "PORTKEY_MCP_PROMPTS_WORKSPACE"
ENV_PROMPTS_COLLECTION = "PORTKEY_MCP_PROMPTS_COLLECTION"
ENV_PER_SESSION_KEY = "PORTKEY_MCP_PER_SESSION_KEY"
SANDBOX_BASE_URL = "http://127.0.0.1/v1"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class StartupError(Exception):
    """A problem the operator must fix; printed as one line."""


def parser() -> argparse.ArgumentParser:
    """Command-line options of the MCP server."""
    cli = argparse.ArgumentParser(
        prog=PROG,
        description="MCP server for the Portkey Admin API plus the GitOps workflow (validate, plan, apply, drift, "
                    "export). Reads PORTKEY_API_KEY and "
                    "PORTKEY_BASE_URL from the environment.",
    )
    cli.add_argument("--transport", choices=["stdio", "http"], default="stdio",
                     help="stdio (default) or streamable HTTP at /mcp")
    cli.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    cli.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    cli.add_argument("--insecure-no-auth", action="store_true",
                     help="serve HTTP without MCP_AUTH_TOKEN (only on a loopback host)")
    cli.add_argument("--allowed-hosts", help="extra Host header values for HTTP, comma-separated (host:port)")
    cli.add_argument("--allowed-origins", help="extra Origin values for HTTP, comma-separated")
    cli.add_argument("--session-idle-timeout", metavar="SECONDS",
                     help=f"HTTP sessions idle this long are closed (default {DEFAULT_SESSION_IDLE_TIMEOUT:g}) "
                          f"[{ENV_SESSION_IDLE_TIMEOUT}]")
    cli.add_argument("--max-sessions", metavar="N",
                     help=f"most HTTP sessions open at once (default {DEFAULT_MAX_SESSIONS}) [{ENV_MAX_SESSIONS}]")
    cli.add_argument("--read-only", action="store_true", default=None,
                     help="register read-only tools only [PORTKEY_MCP_READ_ONLY]")
    cli.add_argument("--toolsets", help="comma-separated toolsets, or all (default) [PORTKEY_MCP_TOOLSETS]")
    cli.add_argument("--tools", help="extra tools by name, comma-separated [PORTKEY_MCP_TOOLS]")
    cli.add_argument("--exclude-tools", help="tools never registered, comma-separated [PORTKEY_MCP_EXCLUDE_TOOLS]")
    cli.add_argument("--confirm-destructive", action="store_true", default=None,
                     help="ask the user before destructive tools run [PORTKEY_MCP_CONFIRM_DESTRUCTIVE]")
    cli.add_argument("--required-metadata",
                     help="billing metadata fields run_prompt_completion requires, comma-separated "
                          f"(default {','.join(DEFAULT_REQUIRED_METADATA)}) [{ENV_REQUIRED_METADATA}]")
    cli.add_argument("--sandbox", action="store_true",
                     help="serve against an embedded Portkey sandbox; no Portkey key needed")
    cli.add_argument("--sandbox-db", metavar="FILE", help="SQLite file for the sandbox (default: in memory)")
    cli.add_argument("--log-level", default=None, help=f"stderr log level (default WARNING) [{ENV_LOG_LEVEL}]")
    cli.add_argument("--project-root", action="append", metavar="DIR",
                     help="directory the GitOps tools may read projects from and export into; repeatable "
                          f"(default: the working directory) [{ENV_PROJECT_ROOTS}, {os.pathsep}-separated]")
    cli.add_argument("--expose-prompts", action="store_true", default=None,
                     help="offer the Portkey prompts as MCP prompts (prompts/list, prompts/get) "
                          f"[{ENV_EXPOSE_PROMPTS}]")
    cli.add_argument("--prompts-workspace", metavar="ID",
                     help="workspace id or slug whose prompts are exposed (default: the key's) "
                          f"[{ENV_PROMPTS_WORKSPACE}]")
    cli.add_argument("--prompts-collection", metavar="ID",
                     help=f"expose only this collection's prompts (id or slug) [{ENV_PROMPTS_COLLECTION}]")
    cli.add_argument("--per-session-key", action="store_true", default=None,
                     help=f"HTTP only: no server key; each session sends its own Portkey API key in the {KEY_HEADER} "
                          f"header, never logged nor shared between sessions [{ENV_PER_SESSION_KEY}]")
    cli.add_argument("--generate-token", action="store_true",
                     help=f"print a strong random token for {ENV_AUTH_TOKEN} and exit")
    return cli


@dataclass(frozen=True)
class Config:
    """Parsed options, environment applied."""

    args: argparse.Namespace
    selection: Selection
    options: ToolOptions
    token: str | None
    log_level: str
    session_idle_timeout: float = DEFAULT_SESSION_IDLE_TIMEOUT
    max_sessions: int = DEFAULT_MAX_SESSIONS
    prompts: Any = None  # a PromptSource when --expose-prompts


def _number(value: str | None, default: float, what: str, kind: type = float) -> Any:
    """A positive number from a flag or variable, or ``default`` when not given."""
    if value is None or not value.strip():
        return default
    try:
        number = kind(value.strip())
    except ValueError:
        number = 0
    if not number > 0 or number == float("inf"):
        raise StartupError(f"{what} must be a positive {'whole ' if kind is int else ''}number, not {value!r}")
    return number


def configure(argv: Sequence[str] | None, env: Mapping[str, str]) -> Config:
    """Parse ``argv`` over ``env``; raise StartupError for unusable combinations."""
    args = parser().parse_args(argv)
    from_env = Selection.from_env(env)
    selection = Selection(
        read_only=from_env.read_only if args.read_only is None else args.read_only,
        toolsets=(split_names(args.toolsets) if args.toolsets is not None else from_env.toolsets) or (ALL,),
        tools=split_names(args.tools) if args.tools is not None else from_env.tools,
        exclude_tools=split_names(args.exclude_tools) if args.exclude_tools is not None else from_env.exclude_tools,
    )
    required = split_names(args.required_metadata if args.required_metadata is not None
                           else env.get(ENV_REQUIRED_METADATA)) or DEFAULT_REQUIRED_METADATA
    confirm = env_flag(env, ENV_CONFIRM_DESTRUCTIVE) if args.confirm_destructive is None else args.confirm_destructive
    per_session = env_flag(env, ENV_PER_SESSION_KEY) if args.per_session_key is None else args.per_session_key
    if per_session and args.transport != "http":
        raise StartupError(f"--per-session-key needs --transport http: each HTTP session sends its key in {KEY_HEADER}")
    if per_session and args.sandbox:
        raise StartupError("--per-session-key and --sandbox do not go together: the sandbox has its own key")
    options = ToolOptions(required_metadata=required, confirm_destructive=confirm,
                          project_roots=project_roots(args.project_root, env), per_session_key=per_session)
    token = None
    if args.transport == "http":
        token = env.get(ENV_AUTH_TOKEN, "").strip() or None
        if token is None and not args.insecure_no_auth:
            raise StartupError(f"{ENV_AUTH_TOKEN} is not set: HTTP clients must send it as a bearer token "
                               "(use --insecure-no-auth only for local experiments on a loopback host)")
        if token is None and not is_loopback(args.host):
            raise StartupError(f"--insecure-no-auth is allowed only on a loopback host, not {args.host}; set "
                               f"{ENV_AUTH_TOKEN}")
        if token is not None:
            try:
                check_token(token)
            except ValueError as exc:
                raise StartupError(str(exc)) from None
            redaction.register(token)
    idle = _number(args.session_idle_timeout if args.session_idle_timeout is not None
                   else env.get(ENV_SESSION_IDLE_TIMEOUT), DEFAULT_SESSION_IDLE_TIMEOUT, "--session-idle-timeout")
    sessions = _number(args.max_sessions if args.max_sessions is not None else env.get(ENV_MAX_SESSIONS),
                       DEFAULT_MAX_SESSIONS, "--max-sessions", int)
    if args.sandbox_db and not args.sandbox:
        raise StartupError("--sandbox-db needs --sandbox")
    log_level = (args.log_level or env.get(ENV_LOG_LEVEL) or "WARNING").upper()
    if log_level not in LOG_LEVELS:
        raise StartupError(f"log level {log_level!r} is not one of {', '.join(LOG_LEVELS)}")
    return Config(args, selection, options, token, log_level, idle, sessions, prompt_source(args, env))


def project_roots(flags: Sequence[str] | None, env: Mapping[str, str]) -> tuple[str, ...]:
    """The GitOps project roots: each must be an existing directory (none given: the working directory)."""
    names = list(flags) if flags else [p for p in env.get(ENV_PROJECT_ROOTS, "").split(os.pathsep) if p.strip()]
    for name in names:
        if not os.path.isdir(name):
            raise StartupError(f"--project-root {name!r} is not an existing directory")
    return tuple(os.path.abspath(name) for name in names)


def prompt_source(args: argparse.Namespace, env: Mapping[str, str]) -> Any:
    """The PromptSource for ``--expose-prompts`` (None when off)."""
    expose = env_flag(env, ENV_EXPOSE_PROMPTS) if args.expose_prompts is None else args.expose_prompts
    workspace = args.prompts_workspace or env.get(ENV_PROMPTS_WORKSPACE) or None
    collection = args.prompts_collection or env.get(ENV_PROMPTS_COLLECTION) or None
    if not expose:
        if args.prompts_workspace or args.prompts_collection:
            raise StartupError("--prompts-workspace and --prompts-collection need --expose-prompts")
        return None
    from mcp_server.exposed_prompts import PromptSource

    return PromptSource(workspace=workspace, collection=collection)


def generate_token() -> str:
    """A token for MCP_AUTH_TOKEN: 256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def exposure_warning(host: str, allowed_hosts: Sequence[str]) -> str | None:
    """The start-up warning for a non-loopback bind without --allowed-hosts (None when not needed)."""
    if is_loopback(host) or allowed_hosts:
        return None
    return (f"serving HTTP on {host}, which is not a loopback address, without --allowed-hosts: only requests "
            f"whose Host header is {host}:<port> are answered; every other name (a DNS name, a proxy) gets 421. "
            "Add the names clients use with --allowed-hosts name:port (or name:*)")


def client_factory(config: Config, env: Mapping[str, str]) -> tuple[ClientFactory, Any]:
    """The Portkey client factory, and the embedded sandbox when ``--sandbox`` (else None)."""
    if config.args.sandbox:
        from sandbox import Sandbox

        key = secrets.token_urlsafe(24)
        sandbox = Sandbox(db=config.args.sandbox_db or ":memory:", api_key=key)
        settings = Settings(api_key=Secret(key), base_url=SANDBOX_BASE_URL)
        return (lambda: PortkeyClient(settings, transport=httpx.ASGITransport(app=sandbox.app))), sandbox
    if config.options.per_session_key:
        return (lambda: _no_shared_client()), None
    try:
        settings = Settings.from_env(env)
    except PortkeyConfigError as exc:
        raise StartupError(str(exc)) from None
    redaction.register(settings.api_key.reveal())
    return (lambda: PortkeyClient(settings)), None


def _no_shared_client() -> PortkeyClient:
    raise RuntimeError("--per-session-key: there is no shared Portkey client")


def session_client_factory(env: Mapping[str, str]) -> Any:
    """``--per-session-key``: a client per key sent by a session (base URL and retries from the environment)."""
    template = {k: v for k, v in env.items() if k != "PORTKEY_API_KEY"}

    def make(key: str) -> PortkeyClient:
        try:
            return PortkeyClient(Settings.from_env({**template, "PORTKEY_API_KEY": key}))
        except PortkeyConfigError as exc:
            raise RuntimeError(str(exc)) from None

    try:  # check PORTKEY_BASE_URL and friends now, with a placeholder key, so mistakes stop the start
        Settings.from_env({**template, "PORTKEY_API_KEY": "placeholder-key-for-checking"})
    except PortkeyConfigError as exc:
        raise StartupError(str(exc)) from None
    return make


def serve(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> None:
    """Configure and run until the transport closes."""
    env = os.environ if env is None else env
    if parser().parse_args(argv).generate_token:
        print(generate_token())
        return
    config = configure(argv, env)
    factory, sandbox = client_factory(config, env)
    configure_logging(config.log_level)
    session_client = session_client_factory(env) if config.options.per_session_key else None
    extra: tuple[Any, ...] = ()
    if config.prompts is not None:
        from mcp_server.exposed_prompts import ExposedPrompts

        extra = (ExposedPrompts(config.prompts),)
    try:
        server = build_server(factory, selection=config.selection, options=config.options,
                              session_client=session_client, extra_middleware=extra)
    except SelectionError as exc:
        if sandbox is not None:
            sandbox.close()
        raise StartupError(str(exc)) from None
    try:
        if config.args.transport == "stdio":
            anyio.run(server.run_stdio_async)
        else:
            import uvicorn

            args = config.args
            warning = exposure_warning(args.host, split_names(args.allowed_hosts))
            if warning:
                logging.getLogger("portkey_admin_mcp.http").warning(warning)
            app = http_app(server, host=args.host, token=config.token, port=args.port,
                           allowed_hosts=split_names(args.allowed_hosts),
                           allowed_origins=split_names(args.allowed_origins),
                           session_idle_timeout=config.session_idle_timeout, max_sessions=config.max_sessions)
            uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    finally:
        if sandbox is not None:
            sandbox.close()


def run(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        serve(argv)
    except StartupError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
