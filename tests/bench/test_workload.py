"""The benchmark's open-loop arrivals: a seeded Poisson process, the same for the same seed."""

from __future__ import annotations

import itertools
import statistics

import pytest

from bench.inference_phases import open_loop_requests
from bench.workload import BenchRequest, poisson_arrivals


def test_poisson_arrivals_are_the_same_for_the_same_seed_and_differ_across_seeds() -> None:
    first = poisson_arrivals(50, rate_per_s=2.0, seed=3)

    assert first == poisson_arrivals(50, rate_per_s=2.0, seed=3)
    assert first != poisson_arrivals(50, rate_per_s=2.0, seed=4)


def test_poisson_arrivals_start_at_zero_and_keep_their_rate() -> None:
    arrivals = poisson_arrivals(2000, rate_per_s=4.0, seed=0)

    assert arrivals[0] == 0.0
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert all(gap > 0 for gap in gaps)
    assert statistics.fmean(gaps) == pytest.approx(1 / 4.0, rel=0.1)
    # Exponential gaps: as spread as they are long (a fixed-rate sender would have none).
    assert statistics.stdev(gaps) == pytest.approx(1 / 4.0, rel=0.15)


def test_poisson_arrivals_refuse_a_rate_that_is_not_positive() -> None:
    with pytest.raises(ValueError):
        poisson_arrivals(3, rate_per_s=0.0, seed=0)
    assert poisson_arrivals(0, rate_per_s=1.0, seed=0) == []


def test_open_loop_requests_go_round_the_workload_with_their_own_ids() -> None:
    workload = [BenchRequest(f"bench-{i}", f"text {i}", (1, 2, i), 8 + i) for i in range(3)]

    chosen = open_loop_requests(workload, 5)

    assert [(r.text, r.prompt_ids, r.max_new_tokens) for r in chosen] == [
        (workload[i % 3].text, workload[i % 3].prompt_ids, workload[i % 3].max_new_tokens) for i in range(5)
    ]
    assert len({r.request_id for r in chosen} | {r.request_id for r in workload}) == 8
