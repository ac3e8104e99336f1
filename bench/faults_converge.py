"""Benchmark: does apply converge under injected faults, and without duplicates?

    python bench/faults_converge.py [--trials 30] [--resources 100] [--rate 0.2] [--max-runs 3]

Each trial starts from an empty in-process sandbox, copies the example project (plus generated
prompts up to ``--resources``) and runs plan + apply up to ``--max-runs`` times with
``Faults.uniform(rate, seed)`` injected (429, 500, 503 and dropped connections in equal shares).
After each run the faults are switched off and a plan shows whether the account has converged
(no changes left). A trial passes when it converges within the runs and its inventory (kind,
name, number of versions of every object) equals that of a fault-free apply: no duplicate object
and no duplicate version. The client uses the default retry policy; only its backoff sleeps are
skipped, so the trials run quickly.

Issue 12's target: at 20% faults, 100 resources, ≥ 95% of 30 trials converge within 3 runs.
Printed: each trial's outcome, how many trials needed 1, 2, 3… runs, the progress line of every run
that stopped part-way (with ``--verbose``), and the figure against the target. The test suite runs 6 of
these trials (tests/portkey/test_faults_converge.py); this script runs the full 30.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx

from engine.errors import EngineError
from engine.gitops.workflow import apply_planned, plan_project
from engine.portkey import PortkeyClient, Secret, Settings
from sandbox import Faults, Sandbox

KEY = "bench-faults-key"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "prompts"
Inventory = list[tuple[str, str, int]]


@dataclass
class Trial:
    """One seeded trial: the run that converged (None when none did) and duplicates found."""

    seed: int
    converged_after: int | None
    duplicates: list[str]
    errors: list[str]

    @property
    def passed(self) -> bool:
        return self.converged_after is not None and not self.duplicates


def write_project(root: Path, resources: int) -> None:
    """The example project plus generated prompts in its ``support`` collection, ``resources`` in all."""
    shutil.copytree(EXAMPLE, root)
    existing = _count_resources(root)
    extra = root / "prompts" / "support" / "bench"
    extra.mkdir(parents=True, exist_ok=True)
    for index in range(max(0, resources - existing)):
        (extra / f"gen-{index:03d}.prompt.yaml").write_text(
            "collection: support\nmodel: gpt-4o-mini\nparameters: {temperature: 0}\n"
            f"template: |\n  Answer question {index} briefly. {{{{>tone-of-voice}}}}\n  {{{{question}}}}\n"
            "variables: [question]\nrelease: {default: true}\n"
        )


def _count_resources(root: Path) -> int:
    suffixes = (".prompt.yaml", ".partial.md", ".label.yaml", ".collection.yaml", ".guardrail.yaml",
                ".config.yaml", ".rate-limit.yaml", ".usage-limit.yaml")
    return sum(1 for path in root.rglob("*") if path.name.endswith(suffixes))


async def _fast_sleep(_: float) -> None:
    await anyio.sleep(0)


def make_client(sb: Sandbox) -> PortkeyClient:
    """A client on the in-process sandbox with the default retry policy and no real waiting."""
    settings = Settings(api_key=Secret(KEY), base_url="http://127.0.0.1/v1")
    return PortkeyClient(settings, transport=httpx.ASGITransport(app=sb.app), sleep=_fast_sleep)


async def _rows(client: PortkeyClient, operation: str, **params: Any) -> list[dict[str, Any]]:
    answer = await client.call(operation, **params)
    return answer if isinstance(answer, list) else answer["data"]


async def inventory(client: PortkeyClient) -> Inventory:
    """(kind, name, versions) of every object in the account; read with faults off."""
    out: Inventory = []
    for kind, operation in (("label", "list_prompt_labels"), ("collection", "list_collections"),
                            ("guardrail", "list_guardrails"), ("config", "list_configs"),
                            ("rate_limit", "list_rate_limits"), ("usage_limit", "list_usage_limits")):
        items, _ = await client.list_all(operation)
        out += [(kind, str(i["name"]), 1) for i in items if i.get("status", "active") == "active"]
    for partial in (await client.list_all("list_prompt_partials"))[0]:
        versions = await _rows(client, "list_partial_versions", prompt_partial_id=partial["id"])
        out.append(("partial", str(partial["name"]), len(versions)))
    for prompt in (await client.list_all("list_prompts"))[0]:
        versions = await _rows(client, "list_prompt_versions", prompt_id=prompt["id"])
        out.append(("prompt", str(prompt["name"]), len(versions)))
    return sorted(out)


async def reference(root: Path) -> Inventory:
    """The inventory a fault-free apply of the project leaves."""
    with Sandbox(db=":memory:", api_key=KEY) as sb:
        async with make_client(sb) as client:
            await apply_planned(client, await plan_project(client, root))
            return await inventory(client)


def duplicates(found: Inventory, expected: Inventory) -> list[str]:
    """Objects present more often, or with more versions, than a fault-free apply leaves."""
    want = Counter(expected)
    problems = [f"{kind} {name!r}: {n} objects" for (kind, name), n in
                Counter((k, nm) for k, nm, _ in found).items() if n > 1]
    versions = {(k, nm): v for k, nm, v in expected}
    problems += [f"{k} {nm!r}: {v} versions, expected {versions[(k, nm)]}" for k, nm, v in found
                 if (k, nm) in versions and v > versions[(k, nm)]]
    return problems if problems or Counter(found) == want else []


async def trial(root: Path, expected: Inventory, seed: int, rate: float, max_runs: int) -> Trial:
    """Apply under faults up to ``max_runs`` times; stop at the first run after which nothing is left."""
    result = Trial(seed, None, [], [])
    with Sandbox(db=":memory:", api_key=KEY) as sb:
        async with make_client(sb) as client:
            for run in range(1, max_runs + 1):
                sb.faults = Faults.uniform(rate, seed=seed * 1000 + run)
                try:
                    planned = await plan_project(client, root)
                    if planned.plan.errors:
                        result.errors.append(f"plan: {planned.plan.errors[0]}"[:400])
                    else:
                        await apply_planned(client, planned)
                except EngineError as exc:  # the client's errors and the engine's (apply stopped, lease held)
                    result.errors.append(str(exc)[:400])
                sb.faults = Faults()
                if not (await plan_project(client, root)).plan.has_changes:
                    result.converged_after = run
                    break
            sb.faults = Faults()
            result.duplicates = duplicates(await inventory(client), expected)
    return result


async def run_trials(resources: int, trials: int, rate: float, max_runs: int, first_seed: int = 0) -> list[Trial]:
    """Every trial on one generated project; the project is written once."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        write_project(root, resources)
        expected = await reference(root)
        return [await trial(root, expected, seed, rate, max_runs) for seed in range(first_seed, first_seed + trials)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--resources", type=int, default=100)
    parser.add_argument("--rate", type=float, default=0.2)
    parser.add_argument("--max-runs", type=int, default=3)
    parser.add_argument("--verbose", action="store_true", help="print the first line of every failed run's error")
    args = parser.parse_args()
    started = time.perf_counter()
    results = anyio.run(run_trials, args.resources, args.trials, args.rate, args.max_runs)
    passed = sum(t.passed for t in results)
    runs = [t.converged_after for t in results if t.converged_after is not None]
    for t in results:
        outcome = f"converged after {t.converged_after}" if t.converged_after else "not converged"
        dups = "; DUPLICATES: " + "; ".join(t.duplicates) if t.duplicates else ""
        print(f"seed {t.seed:>3}: {outcome}{dups}")
        for error in t.errors if args.verbose else ():
            print(f"          {error.split('. Failures:')[0][:300]}")
    spread = Counter(t.converged_after for t in results if t.converged_after is not None)
    print("runs needed: " + ", ".join(f"{runs} run(s): {spread[runs]} trials" for runs in sorted(spread))
          + (f", not converged: {len(results) - sum(spread.values())}" if len(results) > sum(spread.values()) else ""))
    print(f"\n{passed}/{len(results)} trials converged within {args.max_runs} runs without duplicates "
          f"({100 * passed / len(results):.0f}%; target ≥ 95%) at {args.rate:.0%} faults, {args.resources} resources; "
          f"median runs {statistics.median(runs) if runs else '-'}; {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
