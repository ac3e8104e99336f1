"""``portkey-gitops sandbox``: run the local Portkey sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from engine.cli import terminal

DEFAULT_SANDBOX_KEY = "sandbox-key"

app = typer.Typer(help="Run the local Portkey sandbox (a Portkey Admin API emulator).", no_args_is_help=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind; loopback only.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8787,
    db: Annotated[
        Path | None, typer.Option(help="SQLite file holding the state (default: in memory).")
    ] = None,
    api_key: Annotated[
        str, typer.Option(help="Key clients must send in x-portkey-api-key.", envvar="SANDBOX_API_KEY")
    ] = DEFAULT_SANDBOX_KEY,
    latency_ms: Annotated[float, typer.Option(help="Latency added to every request.", min=0)] = 0,
    fault_rate: Annotated[
        float, typer.Option(help="Share of requests that fail (429, 500, 503, dropped).", min=0, max=1)
    ] = 0.0,
    seed: Annotated[int, typer.Option(help="Seed of the fault generator.")] = 0,
    quirk: Annotated[
        list[str] | None,
        typer.Option(help="NAME=VALUE: how the sandbox behaves where Portkey's behaviour is unsure "
                          "(repeatable; default: $PORTKEY_SANDBOX_QUIRKS, else the real API's shapes)."),
    ] = None,
) -> None:
    """Serve the sandbox over HTTP and print the base URL to use as PORTKEY_BASE_URL."""
    from engine.portkey.settings import is_loopback
    from sandbox import Faults, QuirkError, Quirks
    from sandbox.quirks import describe
    from sandbox.serve import serve as run_server

    if not is_loopback(host):
        terminal.error(f"--host {host} is not a loopback address; the sandbox only binds 127.0.0.1/::1")
        raise typer.Exit(1)
    try:
        quirks = Quirks.parse(quirk) if quirk else Quirks.from_env()
    except QuirkError as exc:
        terminal.error(f"--quirk: {exc}\nvalid quirks (default first):\n{describe()}")
        raise typer.Exit(2) from None
    faults = Faults.uniform(fault_rate, seed=seed, latency_ms=latency_ms)
    shown = f"[{host}]" if ":" in host else host
    base_url = f"http://{shown}:{port}/v1"
    terminal.say(f"PORTKEY_BASE_URL={base_url}")
    if api_key == DEFAULT_SANDBOX_KEY:
        terminal.say(f"PORTKEY_API_KEY={api_key}")
    terminal.info(f"Portkey sandbox listening on {base_url} (state: {db or 'in memory'}); Ctrl+C stops it.")
    run_server(host=host, port=port, db=str(db) if db else ":memory:", api_key=api_key, faults=faults, quirks=quirks)
