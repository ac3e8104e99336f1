"""A typed async client for the Portkey Admin API, driven by one declaration per operation."""

from engine.portkey.client import PortkeyClient
from engine.portkey.errors import (
    PortkeyAPIError,
    PortkeyConfigError,
    PortkeyError,
    PortkeyRequestError,
    PortkeyUsageError,
)
from engine.portkey.operations import OPERATIONS, Kind, Operation, Paging
from engine.portkey.paging import Pager
from engine.portkey.settings import RetryPolicy, Secret, Settings

__all__ = [
    "OPERATIONS",
    "Kind",
    "Operation",
    "Pager",
    "Paging",
    "PortkeyAPIError",
    "PortkeyClient",
    "PortkeyConfigError",
    "PortkeyError",
    "PortkeyRequestError",
    "PortkeyUsageError",
    "RetryPolicy",
    "Secret",
    "Settings",
]
