"""Model pricing: a small fixed table in Portkey's format (prices in USD cents per token).

`GET /model-configs/pricing/{provider}/{model}` is public: it lives at the host root, not
under `/v1`, and needs no API key. The same table prices the custom logs of `POST /logs`.
"""

from __future__ import annotations

from typing import Any

from sandbox.context import Ctx
from sandbox.errors import not_found

_CALCULATE = {
    "request": {
        "operation": "sum",
        "operands": [
            {"operation": "multiply", "operands": [{"value": "input_tokens"}, {"value": "rates.request_token"}]},
            {
                "operation": "multiply",
                "operands": [{"value": "cache_read_tokens"}, {"value": "rates.cache_read_input_token"}],
            },
        ],
    },
    "response": {
        "operation": "multiply",
        "operands": [{"value": "output_tokens"}, {"value": "rates.response_token"}],
    },
}

# (provider, model) -> (request, response, cache read, cache write) in cents per token
_RATES: dict[tuple[str, str], tuple[float, float, float, float]] = {
    ("openai", "gpt-4o"): (0.00025, 0.001, 0.000125, 0.0),
    ("openai", "gpt-4o-mini"): (0.000015, 0.00006, 0.0000075, 0.0),
    ("anthropic", "claude-3-5-sonnet-20241022"): (0.0003, 0.0015, 0.00003, 0.000375),
    ("google", "gemini-2.5-pro"): (0.000125, 0.001, 0.0000313, 0.0),
}


def rates(provider: str | None, model: str | None) -> tuple[float, float] | None:
    """(request, response) cents per token for a priced model, else None."""
    found = _RATES.get(((provider or "").lower(), model or ""))
    return (found[0], found[1]) if found else None


def pricing(provider: str, model: str) -> dict[str, Any] | None:
    """The `ModelPricingConfig` of a priced model, else None."""
    found = _RATES.get((provider.lower(), model))
    if found is None:
        return None
    request, response, cache_read, cache_write = found
    return {
        "pay_as_you_go": {
            "request_token": {"price": request},
            "response_token": {"price": response},
            "cache_read_input_token": {"price": cache_read},
            "cache_write_input_token": {"price": cache_write},
        },
        "calculate": _CALCULATE,
        "currency": "USD",
    }


def get_model_pricing(ctx: Ctx) -> Any:
    """GET /model-configs/pricing/{provider}/{model} (public, no key) → ModelPricingConfig."""
    provider, model = ctx.params["provider"], ctx.params["model"]
    found = pricing(provider, model)
    if found is None:
        raise not_found("pricing", f"{provider}/{model}")
    return found
