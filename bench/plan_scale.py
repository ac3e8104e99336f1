"""Benchmark: the product against a naive sequential loop, at 10, 100 and 1,000 prompts.

    python bench/plan_scale.py                      # sizes 10,100,1000, cold and warm plans; cold apply
                                                    # at 10,100 (~5 min on a quiet machine): the tables
    python bench/plan_scale.py --cpu-sizes 3000,10000 --write /tmp/tables.md
                                                    # the tables of bench/RESULTS.md (~20 min); its
                                                    # targets section is written from them by hand
                                                    # (--apply-sizes 10,100,1000 adds apply at 1,000)

One run, one sandbox served over real HTTP (uvicorn on a thread of this process), and every
measured operation in its own child process, so CPU time and peak RSS are the client's alone
(the sandbox's work is not counted) and imports are not timed. Per size N it measures, at the
sandbox's injected latency (default 50 ms per request) and again at latency 0 (for CPU):

- plan, product, cold: ``plan_project`` on an applied project with no lock and no ``.portkey/cache``;
- plan, product, warm: the same plan again, with the cache the cold plan left (``engine/gitops/cache.py``);
  the sandbox moves listing stamps on every change (quirk ``listing_stamp=moves``) and the project's
  ``.portkey/doctor.json`` is what ``run_doctor`` measured on it, so the engine trusts the stamps;
- plan, baseline: parse each file with PyYAML, list prompts (paged), then GET each prompt, one at a time
  (it has no warm form: a warm row's baseline is the cold row's, measured in the same run);
- cold apply (only for ``--apply-sizes``, at the injected latency), product: plan + ``apply_planned`` on
  an empty account; baseline: per prompt a search by name then a create, one at a time (own account).

Printed per row: wall s, CPU s, requests by method, requests per resource, peak RSS MB, the sandbox's
own handling time summed over the row's requests (injected latency excluded: it runs on this machine
too, so a busy machine slows every wall time through it), and the product/baseline ratios. ``--write``
writes the tables, the machine and the date as Markdown.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plan_cost import KEY, write_project

HERE = Path(__file__).resolve()


# ---------------------------------------------------------------- child side (one measured operation)


LOAD_CPU = [0.0]  # CPU seconds the product spent loading the project's files
PARALLELISM = [0]  # --parallelism for the product's reads (0: the product's default)


async def _product(url: str, root: Path, apply: bool, counts: Counter[str]) -> int:
    from engine.gitops import workflow
    from engine.gitops.workflow import apply_planned, plan_project
    from engine.portkey import PortkeyClient, Secret, Settings, operations

    load = workflow.load_project

    def timed_load(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return load(*args, **kwargs)
        finally:
            LOAD_CPU[0] += time.process_time() - started

    workflow.load_project = timed_load  # type: ignore[assignment]

    settings = Settings(api_key=Secret(KEY), base_url=url)
    # The product's own transport (its connection pool is part of what is measured); requests are
    # counted from the client's own tally, which holds every attempt, retries included.
    async with PortkeyClient(settings) as client:
        try:
            planned = await plan_project(client, root, **({"concurrency": PARALLELISM[0]} if PARALLELISM[0] else {}))
            if planned.plan.errors:
                raise SystemExit(f"plan failed: {planned.plan.errors[:3]}")
            if apply:
                await apply_planned(client, planned)
            elif any(a.value != "noop" for c in planned.plan.changes for a in c.actions):
                raise SystemExit("the product's plan is not a no-op")
            return len(planned.state.resources)
        finally:
            for name, sent in client.requests_sent.items():
                counts[operations.get(name).method] += sent


def _baseline(url: str, root: Path, apply: bool, counts: Counter[str]) -> int:
    """The naive loop: read files, then one request after another."""
    import yaml

    files = sorted((root / "prompts").glob("*.prompt.yaml"))
    docs = {f.name.removesuffix(".prompt.yaml"): yaml.safe_load(f.read_text()) for f in files}
    hooks = {"request": [lambda request: counts.update([request.method])]}
    with httpx.Client(base_url=url + "/", headers={"x-portkey-api-key": KEY}, event_hooks=hooks, timeout=60) as http:
        if apply:
            collection = http.get("collections").json()["data"][0]["id"]
            for name, doc in docs.items():
                found = http.get("prompts", params={"search": f"base:{name}"}).json()["data"]
                body = {"name": f"base:{name}", "collection_id": collection, "string": json.dumps(doc["messages"]),
                        "parameters": doc.get("parameters", {}), "model": doc["model"], "virtual_key": "vk-bench"}
                if found:
                    http.put(f"prompts/{found[0]['id']}", json=body).raise_for_status()
                else:
                    http.post("prompts", json=body).raise_for_status()
            return len(docs)
        listed: list[dict[str, Any]] = []
        page = 0
        while True:
            answer = http.get("prompts", params={"current_page": page, "page_size": 100}).json()
            listed += answer["data"]
            page += 1
            if not answer["data"] or len(listed) >= answer.get("total", 0):
                break
        for item in listed:
            http.get(f"prompts/{item['id']}").raise_for_status()
        return len(docs)


async def _doctor(url: str, root: Path) -> None:
    """Run the doctor on the bench's account and save ``.portkey/doctor.json`` as the CLI does."""
    from engine.gitops.behaviour import DOCTOR_FILE
    from engine.gitops.doctor import run_doctor
    from engine.portkey import PortkeyClient, Secret, Settings

    async with PortkeyClient(Settings(api_key=Secret(KEY), base_url=url)) as client:
        report = await run_doctor(client, None)
    if not report.clean:
        raise SystemExit(f"doctor did not run clean: {[(f.check, f.problem) for f in report.not_run]}")
    (root / DOCTOR_FILE).parent.mkdir(parents=True, exist_ok=True)
    (root / DOCTOR_FILE).write_text(json.dumps(report.to_json(), indent=2) + "\n")


def child(which: str, url: str, root: Path, apply: bool) -> None:
    if which == "doctor":
        anyio.run(_doctor, url, root)
        print(json.dumps({}))
        return
    counts: Counter[str] = Counter()
    if which == "product":  # imported before the clock starts: imports are not the operation
        import engine.gitops.workflow
        import engine.portkey  # noqa: F401
    else:
        import yaml  # noqa: F401
    wall, cpu = time.perf_counter(), time.process_time()
    if which == "product":
        resources = anyio.run(_product, url, root, apply, counts)
    else:
        resources = _baseline(url, root, apply, counts)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall": wall, "cpu": cpu, "requests": dict(counts), "resources": resources, "rss_mb": rss_mb,
                      "load_cpu": LOAD_CPU[0] if which == "product" else None}))


# ---------------------------------------------------------------- parent side


@dataclass
class Row:
    n: int
    what: str  # "plan @50ms", "plan @0ms", "cold apply @50ms"
    product: dict[str, Any]
    baseline: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def _run_child(which: str, url: str, root: Path, apply: bool) -> dict[str, Any]:
    cmd = [sys.executable, str(HERE), "--child", which, "--url", url, "--root", str(root),
           "--parallelism", str(PARALLELISM[0])]
    if apply:
        cmd.append("--apply")
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env={**os.environ, "PORTKEY_API_KEY": ""})
    if done.returncode != 0:
        raise SystemExit(f"{which} failed:\n{done.stderr[-2000:]}{done.stdout[-500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextmanager
def serve(sandbox: Any) -> Iterator[str]:
    """Serve ``sandbox`` over HTTP on a thread (``sandbox.serve.serve_in_thread``: TCP_NODELAY on every
    connection; without it each answer stalls ~45 ms on loopback behind the client's delayed ACK)."""
    from sandbox.serve import serve_in_thread

    with serve_in_thread(sandbox) as url:
        yield url


def _served(sandbox: Any, latency_ms: float, run: Any) -> dict[str, Any]:
    """``run()``'s figures plus ``sandbox_s``: the sandbox's own handling time summed over its requests
    (injected latency excluded). The sandbox shares this machine, so it is part of every wall time."""
    sandbox.reset_requests()
    figures = run()
    records = sandbox.requests()
    figures["sandbox_s"] = max(0.0, sum(r.duration_ms for r in records) / 1000 - len(records) * latency_ms / 1000)
    return figures


def _cold(root: Path) -> None:
    """Forget what earlier plans left: the plan cache (the doctor result stays)."""
    shutil.rmtree(root / ".portkey" / "cache", ignore_errors=True)


def _set_latency(sandbox: Any, ms: float) -> None:
    from sandbox import FaultRule, Faults

    sandbox.faults = Faults(default=FaultRule(latency_ms=ms)) if ms else None


def measure(n: int, latency_ms: float, apply: bool) -> list[Row]:
    from sandbox import Sandbox

    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        write_project(root, n)
        ours, theirs = Sandbox(db=":memory:", api_key=KEY), Sandbox(db=":memory:", api_key=KEY)
        ours.quirks = {"listing_stamp": "moves"}
        with serve(ours) as url, serve(theirs) as base_url:
            _run_child("doctor", url, root, False)
            if apply:
                _set_latency(ours, latency_ms)
                _set_latency(theirs, latency_ms)
                product = _run_child("product", url, root, True)
                baseline = _run_child("baseline", base_url, root, True)
                rows.append(Row(n, f"cold apply @{latency_ms:g}ms", product, baseline))
            else:
                _set_latency(ours, 0)
                _run_child("product", url, root, True)  # the account the plans read
            for ms in (latency_ms, 0):
                _set_latency(ours, ms)
                _cold(root)
                product = _served(ours, ms, lambda: _run_child("product", url, root, False))
                baseline = _served(ours, ms, lambda: _run_child("baseline", url, root, False))
                rows.append(Row(n, f"cold no-op plan @{ms:g}ms", product, baseline))
                time.sleep(0.05)  # the cache is written; a warm plan follows
                warm = _served(ours, ms, lambda: _run_child("product", url, root, False))
                rows.append(Row(n, f"warm no-op plan @{ms:g}ms", warm, baseline))
        ours.close()
        theirs.close()
    return rows


def measure_cpu(n: int) -> Row:
    """The product's no-op plan at latency 0 only (for CPU per resource as N grows)."""
    from sandbox import Sandbox

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        write_project(root, n)
        ours = Sandbox(db=":memory:", api_key=KEY)
        with serve(ours) as url:
            _run_child("product", url, root, True)
            _cold(root)
            row = Row(n, "cold no-op plan @0ms (product only)", _run_child("product", url, root, False), {})
        ours.close()
    return row


def _reqs(r: dict[str, Any]) -> str:
    return " ".join(f"{m} {c}" for m, c in sorted(r["requests"].items()))


def table(rows: list[Row]) -> str:
    lines = ["| N | operation | who | wall s | CPU s | CPU ms/resource | of which loading files | requests "
             "| req/resource | peak RSS MB | sandbox s |", "|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|"]
    for row in rows:
        for who, r in (("product", row.product), ("baseline", row.baseline)):
            if not r:
                continue
            total = sum(r["requests"].values())
            load = f"{r['load_cpu']:.2f} s" if r.get("load_cpu") is not None else ""
            lines.append(f"| {row.n} | {row.what} | {who} | {r['wall']:.2f} | {r['cpu']:.2f} | "
                         f"{1000 * r['cpu'] / max(r['resources'], 1):.2f} | {load} | {_reqs(r)} | "
                         f"{total / max(r['resources'], 1):.3f} | {r['rss_mb']:.0f} | "
                         f"{'' if r.get('sandbox_s') is None else format(r['sandbox_s'], '.2f')} |")
        if row.baseline:
            lines.append(f"| {row.n} | {row.what} | **ratio** | **{row.product['wall'] / row.baseline['wall']:.2f}×** "
                         f"| **{row.product['cpu'] / row.baseline['cpu']:.2f}×** | | | | | | |")
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        model = cpu
    return (f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} "
            f"{platform.release()}; load average at start {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--apply-sizes", default="10,100", help="sizes whose cold apply is also measured")
    parser.add_argument("--cpu-sizes", default="", help="extra sizes planned at latency 0 only (e.g. 3000,10000)")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--write", type=Path, help="write the Markdown tables to this file")
    parser.add_argument("--parallelism", type=int, default=0, help="the product's concurrent reads (default: its own)")
    parser.add_argument("--child", choices=["product", "baseline", "doctor"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--apply", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    PARALLELISM[0] = args.parallelism
    if args.child:
        child(args.child, args.url, args.root, args.apply)
        return
    header = f"Machine: {machine()}\nDate: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n"
    print(header)
    applies = {int(s) for s in args.apply_sizes.split(",") if s}
    rows: list[Row] = []
    for n in (int(s) for s in args.sizes.split(",")):
        started = time.perf_counter()
        rows += measure(n, args.latency_ms, n in applies)
        print(f"\n### N = {n} ({time.perf_counter() - started:.0f} s)\n")
        print(table([r for r in rows if r.n == n]))
    for n in (int(s) for s in args.cpu_sizes.split(",") if s):
        started = time.perf_counter()
        rows.append(measure_cpu(n))
        print(f"\n### N = {n}, CPU only ({time.perf_counter() - started:.0f} s)\n")
        print(table(rows[-1:]))
    if args.write:
        groups = [[r for r in rows if (r.n, bool(r.baseline)) == key]
                  for key in dict.fromkeys((r.n, bool(r.baseline)) for r in rows)]
        args.write.write_text(header + "\n" + "\n\n".join(table(g) for g in groups) + "\n")


if __name__ == "__main__":
    main()
