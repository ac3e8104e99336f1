"""The tool catalogue: the operation table of :mod:`portkey_catalogue`, one row per tool.

Each row gives the tool's name, toolset (``group``), effect (``kind``), HTTP method and path, and the
parameters users know, typed in parentheses (``version(int)``, ``role(enum:a|b)``, ``scopes(string[])``,
``label_id(string|null)``; no parentheses = string).
"""

from __future__ import annotations

from portkey_catalogue import Param, ParamType, Row, parse_params
from portkey_catalogue import load as load_catalogue

__all__ = ["Param", "ParamType", "Row", "load_catalogue", "parse_params"]
