"""Apply of the example project under 20% injected faults (429, 500, 503, drops in equal shares):
no duplicate object or version ever, and convergence in a few runs. The full measurement (30 trials,
100 resources) is `python bench/faults_converge.py`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.faults_converge import Trial, reference, run_trials, trial, write_project

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

SEEDS = 10
_RUN: list[Trial] = []  # the trials, run once for the tests of this module


@pytest.fixture
async def trials() -> list[Trial]:
    """Ten seeded trials of the example project, each allowed up to 10 runs."""
    if not _RUN:
        _RUN.extend(await run_trials(resources=0, trials=SEEDS, rate=0.2, max_runs=10))
    return _RUN


async def test_faults_never_leave_duplicates_and_every_trial_converges(trials: list[Trial]) -> None:
    assert [t.duplicates for t in trials] == [[]] * SEEDS
    assert all(t.converged_after is not None for t in trials), [(t.seed, t.errors) for t in trials]


async def test_reads_are_retried_until_their_attempts_run_out(trials: list[Trial]) -> None:
    """Failures left are writes the client must not repeat (they may have arrived). A read fails a run
    only when all 5 of its attempts failed (0.2^5: about one read in 3,000 here). Before this change a
    read failed on its first 500. How many trials converge within 3 runs is measured by
    bench/faults_converge.py, not asserted here (issue 12's target is not met yet)."""
    messages = [message for t in trials for message in t.errors]
    assert messages
    # Taking the apply lease is a write too (a label is created): under faults it can fail a run cleanly.
    reads = [m for m in messages if " (POST " not in m and " (PUT " not in m and "apply lease" not in m]
    assert [m for m in reads if "after 5 attempts" not in m] == []
    assert len(reads) <= 2


async def test_a_trial_with_no_faults_converges_in_one_run(tmp_path: Path) -> None:
    """Guards the harness: without faults one run converges, and its inventory is the reference."""
    root = tmp_path / "project"
    write_project(root, 0)
    result = await trial(root, await reference(root), seed=0, rate=0.0, max_runs=3)
    assert result.converged_after == 1 and result.duplicates == [] and result.errors == []
