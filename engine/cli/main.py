"""The ``portkey-gitops`` command line: root app, exit codes and the one error boundary."""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from typing import Annotated

import typer

from engine import __version__, redaction
from engine.cli import (
    apply_cmd,
    doctor_cmd,
    drift_cmd,
    export_cmd,
    import_cmd,
    plan_cmd,
    sandbox_cmd,
    terminal,
    validate_cmd,
)
from engine.cli.ci_cmd import app as ci_app
from engine.cli.exits import EXIT_ERROR, exit_code
from engine.errors import EngineError

app = typer.Typer(
    name="portkey-gitops",
    help="Prompt-as-code for Portkey: keep prompts, partials, labels, configs, guardrails and "
    "limits in git; plan and apply them to a Portkey account or the local sandbox.\n\n"
    "Exit codes: 0 success or no changes; 1 error (nothing written); 2 plan --detailed-exitcode "
    "found changes; 3 drift --detailed-exitcode found drift; 4 blocked by a safety rule; "
    "5 apply stopped part-way (re-run apply).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(sandbox_cmd.app, name="sandbox")
app.add_typer(ci_app, name="ci")
app.command()(validate_cmd.validate)
app.command()(plan_cmd.plan)
app.command()(apply_cmd.apply)
app.command()(drift_cmd.drift)
app.command()(export_cmd.export)
app.command("import")(import_cmd.import_)
app.command()(doctor_cmd.doctor)


@app.callback()
def main(
    debug: Annotated[
        bool, typer.Option("--debug", help=f"Show the traceback of an unexpected error (or set {ENV_DEBUG}=1).")
    ] = False,
) -> None:
    """Prompt-as-code for Portkey."""
    global _debug
    _debug = _debug or debug


@app.command()
def version() -> None:
    """Print the version."""
    terminal.say(__version__)


ENV_DEBUG = "PORTKEY_GITOPS_DEBUG"
_debug = False
# Secrets the process may know from its environment: scrubbed from every output even if never used.
_ENV_SECRETS = ("PORTKEY_API_KEY", "MCP_AUTH_TOKEN", "GITHUB_TOKEN", "GH_TOKEN", "ACTIONS_RUNTIME_TOKEN",
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN")


def run() -> None:
    """Console-script entry point: every output scrubbed of known secrets, every failure one line.

    Exit codes: those of the command; 1 for an error (nothing was written), 2 for a usage error,
    130 when interrupted. An unexpected exception is one ``internal error`` line (exit 1); with
    ``--debug`` or PORTKEY_GITOPS_DEBUG=1 its traceback follows.
    """
    global _debug
    _debug = os.environ.get(ENV_DEBUG, "").strip().lower() not in ("", "0", "false", "no")
    redaction.register_all(os.environ.get(name) for name in _ENV_SECRETS)
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = redaction.ScrubbingStream(sys.stdout), redaction.ScrubbingStream(sys.stderr)
    try:
        code = _run_app()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        sys.stdout, sys.stderr = streams
    sys.exit(code)


def _run_app() -> int:
    """Run the app and turn every way it can end into an exit code."""
    try:
        code = app(standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        terminal.error("aborted")
        return EXIT_ERROR
    except KeyboardInterrupt:
        terminal.error("interrupted")
        return 130
    except typer.TyperException as exc:  # usage errors: bad option, missing argument, wrong path type
        show = getattr(exc, "show", None)
        if show is None:
            return _failed(exc)
        show()
        return int(getattr(exc, "exit_code", 2))
    except BaseException as exc:
        if not isinstance(exc, Exception) and not isinstance(exc, BaseExceptionGroup):
            raise  # SystemExit and the like keep their meaning
        return _failed(exc)
    return code if isinstance(code, int) else 0


def _failed(exc: BaseException) -> int:
    """One line for a failure that escaped a command; the traceback too with --debug."""
    failure = first_failure(exc)
    if isinstance(failure, KeyboardInterrupt):
        terminal.error("interrupted")
        return 130
    if isinstance(failure, typer.Exit):
        return failure.exit_code
    if _debug:
        traceback.print_exception(failure, file=sys.stderr)
    if isinstance(failure, EngineError | OSError):
        terminal.error(describe_failure(failure))
        return exit_code(failure)
    terminal.error(
        f"internal error: {describe_failure(failure)}; please report it "
        f"(run again with --debug or {ENV_DEBUG}=1 for the traceback)"
    )
    return EXIT_ERROR


def describe_failure(exc: BaseException) -> str:
    """One scrubbed line for ``exc``: its message, or its type and message when unexpected."""
    if isinstance(exc, EngineError):
        text = str(exc)
    elif isinstance(exc, OSError) and exc.strerror:
        text = f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    else:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return redaction.scrub(" ".join(text.split("\n")))


def first_failure(exc: BaseException) -> BaseException:
    """The first real failure inside (possibly nested) exception groups from concurrent work."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc
