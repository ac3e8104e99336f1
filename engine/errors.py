"""The product's errors: one tree per layer under one base, which the CLI maps to exit codes.

    EngineError                       an expected failure: one clear line, never a traceback (CLI exit 1)
    ├── PortkeyError                  the client: Portkey or HTTP failed (engine.portkey.errors has its tree below it)
    └── GitOpsError                   the GitOps engine refused or stopped (never raised as a PortkeyError)
        ├── LoadError                 the project cannot be loaded (a file outside the project, a secret, a lock file)
        ├── PlanningError             no usable plan: a saved plan that is stale or malformed
        │   └── PlanBlockedError      a safety rule blocks the plan (CLI exit 4)
        ├── ApplyFailure              apply stopped; ``writes`` says how many writes reached Portkey
        │   │                         (CLI exit 5 when any did, else 1)
        │   └── LeaseError            one apply at a time: the apply lease or this machine's apply lock
        │                             could not be taken or kept, or its setting is wrong
        ├── ExportError               export refused to write (engine.gitops.export)
        └── AdoptRefused              import would break one object per key (engine.gitops.adopt)

The classes that are raised live beside the code that raises them and name their layer's base here:
``engine.gitops.workflow.StalePlanError`` and ``SavedPlanBlockedError``, ``engine.gitops.plan_format.
PlanFormatError``, ``engine.gitops.apply.ApplyError`` and ``ApplyRefusal`` (one step refused; apply goes on
with the steps that do not depend on it), ``engine.gitops.lease.LeaseHeldError`` (a LeaseError:
another apply holds the lease), ``engine.gitops.load.SecretError``, ``engine.gitops.loading.context.
UnsafeFileError``. This module imports nothing of the engine but the redaction registry, so every layer (the
client included) may import it. Front doors classify by these bases: the CLI's exit code
(``engine.cli.exits``), ``ci``'s ``failure_reason`` (``engine.ci.commands``), the MCP error ``code``
(``mcp_server.errors``). A refusal of the engine's own is therefore never a ``PortkeyError``: that would be
reported as a failure of Portkey.

Every message is scrubbed of registered secrets when it is turned into text.
"""

from __future__ import annotations

from engine import redaction


class EngineError(Exception):
    """Base of every error the product expects; its text never shows a registered secret."""

    def __str__(self) -> str:
        return redaction.scrub(super().__str__())


class GitOpsError(EngineError):
    """Base of the GitOps engine's errors (loader, planner, apply)."""


class LoadError(GitOpsError):
    """The project cannot be loaded; the message names the file or value to fix."""


class PlanningError(GitOpsError):
    """No usable plan: a saved plan no longer matches the files or the account, or is not a plan."""


class PlanBlockedError(PlanningError):
    """A safety rule (protected object, mass delete, incomplete listing) blocks the plan; nothing was applied."""


class ApplyFailure(GitOpsError):
    """Apply stopped. ``writes`` is how many writes reached Portkey (or may have) before it stopped."""

    @property
    def writes(self) -> int:
        result = getattr(self, "result", None)  # engine.gitops.apply.ApplyError keeps its ApplyResult
        count = getattr(result, "writes", 0)
        return count if isinstance(count, int) else 0


class LeaseError(ApplyFailure):
    """One apply at a time could not be ensured (engine.gitops.lease): another apply holds the lease, the lease's
    labels or this machine's lock file could not be written, or ``PORTKEY_GITOPS_LEASE_TTL`` is wrong."""
