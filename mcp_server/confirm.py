"""``--confirm-destructive``: ask the user before a destructive tool runs.

A ``Resolve`` dependency returns ``Elicit(question, Confirmation)``; the SDK asks through an
``InputRequiredResult`` on 2026-07-28 connections and a live ``elicitation/create`` request on
handshake-era ones. The question is built only from the call's arguments, so it is identical
in every round. A client that cannot elicit gets a refusal that says how to proceed.

A tool may say which calls need asking (:data:`Predicate`): by default every call except a dry
run (``dry_run: true`` writes nothing, so it never asks).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from mcp.server.mcpserver import AcceptedElicitation, Context, Elicit, ElicitationResult, Resolve
from pydantic import BaseModel, Field

from mcp_server.errors import DetailedToolError, detail
from mcp_server.schema import UNSET, bind_signature

PARAMETER = "confirmation"
NOT_NEEDED = "not-needed"  # the resolver's answer when this call needs no confirmation
Predicate = Callable[[dict[str, Any]], bool]


def unless_dry_run(arguments: dict[str, Any]) -> bool:
    """The default: ask unless the call is a dry run."""
    return not arguments.get("dry_run")


def when_publishing(arguments: dict[str, Any]) -> bool:
    """Ask only when the call publishes (``publish: true``) and is not a dry run."""
    return bool(arguments.get("publish")) and not arguments.get("dry_run")


class Confirmation(BaseModel):
    confirm: bool = Field(description="Tick to go ahead with the change.")


def can_elicit(ctx: Context[Any, Any]) -> bool:
    """True when the client declared form elicitation (a bare ``elicitation: {}`` counts)."""
    caps = ctx.client_capabilities
    elicitation = caps.elicitation if caps is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def question(tool: str, title: str, arguments: dict[str, Any]) -> str:
    shown = ", ".join(f"{k}={v!r}" for k, v in arguments.items() if v is not UNSET and v is not None)
    target = f" with {shown}" if shown else ""
    return f"Allow {tool} ({title}){target}? It changes or removes data in Portkey and may not be reversible."


def make_resolver(tool: str, title: str, argument_names: Sequence[str], all_names: Sequence[str] = (),
                  asks: Predicate | None = None) -> Callable[..., Any]:
    """A resolver asking to confirm ``tool``; it reads the tool arguments (``argument_names`` are shown)."""
    shown = tuple(argument_names)
    names = tuple(dict.fromkeys([*shown, *all_names]))
    needs = asks or unless_dry_run

    async def ask(**kwargs: Any) -> Any:
        ctx = kwargs.pop("ctx")
        arguments = {k: v for k, v in kwargs.items() if v is not UNSET}
        if not needs(arguments):
            return NOT_NEEDED
        kwargs = {k: v for k, v in kwargs.items() if k in shown}
        if not can_elicit(ctx):
            message = (f"{tool} needs the user's confirmation (the server runs with --confirm-destructive), but this "
                       "client cannot show confirmation prompts (no elicitation support). Nothing was changed.")
            step = ("Use a client that supports elicitation, or ask the operator to restart the server without "
                    "--confirm-destructive (or with --read-only).")
            raise DetailedToolError(f"{message} {step}", detail(message, code="confirmation_unavailable",
                                                                 next_step=step))
        return Elicit(question(tool, title, kwargs), Confirmation)

    params = [inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)]
    params += [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, annotation=Any) for n in names]
    bind_signature(ask, params)
    ask.__name__ = ask.__qualname__ = f"confirm_{tool}"
    return ask


def parameter(tool: str, title: str, argument_names: Sequence[str], all_names: Sequence[str] = (),
              asks: Predicate | None = None) -> inspect.Parameter:
    """The hidden tool parameter that carries the user's answer."""
    resolver = make_resolver(tool, title, argument_names, all_names, asks)
    annotation = Annotated[ElicitationResult[Confirmation], Resolve(resolver)]
    return inspect.Parameter(PARAMETER, inspect.Parameter.KEYWORD_ONLY, annotation=annotation)


def require(outcome: Any, tool: str) -> None:
    """Raise unless the user accepted and ticked the box (or the call needed no confirmation)."""
    if outcome == NOT_NEEDED or getattr(outcome, "data", None) == NOT_NEEDED:  # the SDK wraps plain answers
        return
    if isinstance(outcome, AcceptedElicitation):
        if isinstance(outcome.data, Confirmation) and outcome.data.confirm:
            return
        message = f"The user did not confirm {tool}; nothing was changed."
    else:
        action = {"decline": "declined", "cancel": "cancelled"}.get(getattr(outcome, "action", ""), "declined")
        message = f"The user {action} the confirmation for {tool}; nothing was changed."
    step = "Do not retry unless the user asks."
    raise DetailedToolError(f"{message} {step}", detail(message, code="not_confirmed", next_step=step))
