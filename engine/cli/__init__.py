"""The portkey-gitops command line (typer + rich)."""
