"""Helpers of :mod:`engine.gitops.load`: YAML with positions, substitution, one module per concern."""
