"""The papers benchmark still runs end to end (a tiny pack, a few recipients): the full run is
``python -m bench.bench_papers``."""

from __future__ import annotations

import argparse

from bench.bench_papers import run_bench


def test_the_papers_benchmark_runs_at_a_small_size() -> None:
    result = run_bench(argparse.Namespace(recipients=25, size_mb=0.3, papers=3))
    ours, bare = result["clerk"], result["bare"]
    assert (ours["recipients"], ours["sent"], ours["failed"], bare["sent"]) == (25, 25, 0, 25)
    assert ours["shared_bodies"] == 1 and ours["outbox_rows"] == 25
    assert ours["heads_bytes"] < ours["shared_body_bytes"], "each head is small; the pack is shared"
    assert result["ratio"] > 0 and ours["peak_mb"] > 0
