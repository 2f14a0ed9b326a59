"""The attendance report benchmark still runs end to end (a few bodies): the full run is
``python -m bench.bench_report``."""

from __future__ import annotations

import argparse

from bench.bench_report import run_bench


def test_the_report_benchmark_runs_at_a_small_size() -> None:
    result = run_bench(argparse.Namespace(bodies=3, members=10, meetings=4))
    assert result["sizes"]["members"] == 10 and result["sizes"]["meetings"] == 4
    assert result["sizes"]["csv"] > 0 and result["sizes"]["html"] > 0
    assert all(seconds >= 0 for seconds in result["best"].values())
