"""Portkey behaviour, one module per resource group; each handler takes a `Ctx`."""
