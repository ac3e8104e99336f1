"""Exit codes of every command (Terraform's -detailed-exitcode meaning for 0/1/2), and the code of an error."""

from __future__ import annotations

from engine.errors import ApplyFailure, PlanBlockedError

EXIT_OK = 0  # success; for plan: no changes (or changes without --detailed-exitcode)
EXIT_ERROR = 1  # invalid files, API failure, stale saved plan; nothing was written
EXIT_CHANGES = 2  # plan --detailed-exitcode: changes present
EXIT_DRIFT = 3  # drift --detailed-exitcode: objects changed outside git
EXIT_BLOCKED = 4  # a safety rule (protected, incomplete listing, mass delete) blocked the plan
EXIT_PARTIAL = 5  # apply stopped part-way; re-run apply to converge


def exit_code(error: BaseException) -> int:
    """The exit code for an error that ends a command, chosen by its base class (engine.errors)."""
    if isinstance(error, PlanBlockedError):
        return EXIT_BLOCKED
    if isinstance(error, ApplyFailure) and error.writes:
        return EXIT_PARTIAL
    return EXIT_ERROR  # any other EngineError (nothing was written), or an unexpected failure
