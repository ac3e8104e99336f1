"""A typed async client for the Portkey Admin API, driven by one declaration per operation."""

from engine.portkey.client import PortkeyClient
from engine.portkey.errors import (
    PortkeyAnswerTooLarge,
    PortkeyAPIError,
    PortkeyConfigError,
    PortkeyDeadlineError,
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
    "PortkeyAnswerTooLarge",
    "PortkeyClient",
    "PortkeyConfigError",
    "PortkeyDeadlineError",
    "PortkeyError",
    "PortkeyRequestError",
    "PortkeyUsageError",
    "RetryPolicy",
    "Secret",
    "Settings",
]
