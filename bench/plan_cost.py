"""Benchmark: HTTP requests and wall time of plan and apply as the project grows.

    python bench/plan_cost.py [--sizes 10,50,200] [--latency-ms 20]

Prints, per project size, the requests spent reading live state, requests per resource
(the real cost against a rate-limited API), plan and apply wall time, and the request count
of a second apply (must be reads only). Runs against the in-process sandbox, optionally with
added latency per request so concurrency shows.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import anyio
import httpx

from engine.gitops.workflow import apply_planned, plan_project
from engine.portkey import PortkeyClient, Secret, Settings
from sandbox import FaultRule, Faults, Sandbox

KEY = "bench-key"


def write_project(root: Path, prompts: int) -> None:
    (root / "prompts").mkdir(parents=True)
    (root / "partials").mkdir()
    (root / "portkey.yaml").write_text("version: 1\nbindings: {openai: vk-bench}\n")
    for index in range(max(1, prompts // 10)):
        (root / f"partials/part-{index}.partial.md").write_text(f"Shared guidance number {index}.\n")
    partials = max(1, prompts // 10)
    for index in range(prompts):
        partial = "{{>part-" + str(index % partials) + "}}"
        (root / f"prompts/p-{index}.prompt.yaml").write_text(
            "virtual_key: ${binding:openai}\nmodel: gpt-4o-mini\nparameters: {temperature: 0}\n"
            f"messages:\n  - role: system\n    content: 'You are bot {index}. {partial}'\n"
            "  - role: user\n    content: '{{question}}'\n"
        )


async def measure(size: int, latency_ms: float) -> dict[str, float]:
    sandbox = Sandbox(db=":memory:", api_key=KEY)
    settings = Settings(api_key=Secret(KEY), base_url="http://127.0.0.1/v1")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        write_project(root, size)
        async with PortkeyClient(settings, transport=httpx.ASGITransport(app=sandbox.app)) as client:
            first = await plan_project(client, root)
            await apply_planned(client, first)
            if latency_ms:
                sandbox.faults = Faults(default=FaultRule(latency_ms=latency_ms))
            sandbox.reset_requests()
            started = time.perf_counter()
            second = await plan_project(client, root)
            plan_seconds = time.perf_counter() - started
            started = time.perf_counter()
            result = await apply_planned(client, second)
            apply_seconds = time.perf_counter() - started
            writes = sum(1 for r in sandbox.requests() if r.method != "GET")
    sandbox.close()
    resources = len(first.state.resources)
    return {
        "resources": resources, "read_requests": second.plan.requests,
        "requests_per_resource": second.plan.requests / resources,
        "plan_s": plan_seconds, "apply_s": apply_seconds, "second_apply_writes": writes + result.writes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,50,200")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    print(f"{'prompts':>8} {'resources':>9} {'reads':>6} {'reads/res':>9} {'plan s':>7} {'apply s':>8} {'writes':>6}")
    for size in (int(s) for s in args.sizes.split(",")):
        row = anyio.run(measure, size, args.latency_ms)
        print(f"{size:>8} {row['resources']:>9.0f} {row['read_requests']:>6.0f} {row['requests_per_resource']:>9.2f} "
              f"{row['plan_s']:>7.2f} {row['apply_s']:>8.2f} {row['second_apply_writes']:>6.0f}")


if __name__ == "__main__":
    main()
