"""The ``portkey-gitops`` command line: root app, exit codes and the one error boundary."""

from __future__ import annotations

import sys

import typer

from engine import __version__
from engine.cli import apply_cmd, drift_cmd, export_cmd, import_cmd, plan_cmd, sandbox_cmd, terminal, validate_cmd
from engine.cli.exits import EXIT_ERROR
from engine.portkey.errors import PortkeyError

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
app.command()(validate_cmd.validate)
app.command()(plan_cmd.plan)
app.command()(apply_cmd.apply)
app.command()(drift_cmd.drift)
app.command()(export_cmd.export)
app.command("import")(import_cmd.import_)


@app.command()
def version() -> None:
    """Print the version."""
    terminal.out().print(__version__)


def run() -> None:
    """Console-script entry point: expected failures become one line and exit code 1."""
    try:
        code = app(standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        terminal.error("aborted")
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        terminal.error("interrupted")
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors: bad option, missing argument, wrong path type
        show = getattr(exc, "show", None)
        if show is None:
            raise
        show()
        sys.exit(getattr(exc, "exit_code", 2))
    except BaseException as exc:
        failure = first_failure(exc)
        if isinstance(failure, PortkeyError):
            terminal.error(str(failure))
            sys.exit(EXIT_ERROR)
        raise
    sys.exit(code if isinstance(code, int) else 0)


def first_failure(exc: BaseException) -> BaseException:
    """The first real failure inside (possibly nested) exception groups from concurrent work."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc
