"""Every benchmark run twice in one sitting: on an earlier commit (the baseline) and on the
working tree, one after the other, with the headline figures printed side by side.

    .venv/bin/python -m bench.side_by_side REF                  # every benchmark
    .venv/bin/python -m bench.side_by_side REF --only startup planning --rounds 2
    .venv/bin/python -m bench.side_by_side REF --against HEAD   # a commit, not the working tree

REF is a commit (for issue 14's redesign: the commit before it). The baseline is checked out into
a temporary git worktree and run with the same Python and packages, its own code first on the
import path; each benchmark is that commit's own ``bench/`` module, so both sides measure the same
thing. With ``--rounds`` above 1 the sides alternate (baseline, current, current, baseline, ...)
so that a busy moment on the machine falls on both alike, and the median of the rounds is shown.
A figure is "within 10%" when the current one is no worse than the baseline's by more than 10%.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARGIN = 0.10


@dataclass(frozen=True)
class Figure:
    """One headline figure of a benchmark, read from its output."""

    name: str
    pattern: str  # a regular expression whose groups hold the number(s)
    lower_is_better: bool = True
    group: int = 1
    occurrence: int = 0  # which match, when the same line appears in several sections

    def read(self, output: str) -> float | None:
        matches = list(re.finditer(self.pattern, output))
        if len(matches) <= self.occurrence:
            return None
        return float(matches[self.occurrence].group(self.group).replace(",", ""))


BOT_P95 = r"update -> the bot's answer:\s+n=\d+\s+p50\s+[\d.]+ ms\s+p95\s+([\d.]+) ms"
BENCHMARKS: dict[str, tuple[list[str], list[Figure]]] = {
    "console": (["bench.bench_console"], [
        Figure("dashboard (admin), server p95 ms", r"dashboard, admin: server p95 ([\d.]+) ms"),
        Figure("meeting page, server p95 ms", r"meeting page: server p95 ([\d.]+) ms"),
    ]),
    "startup": (["bench.bench_startup"], [
        Figure("meetings list --json, median s", r"clerk meetings list --json\s+median ([\d.]+) s"),
        Figure("clerk --help, median s", r"clerk --help\s+median ([\d.]+) s"),
    ]),
    "planning": (["bench.bench_planning"], [
        Figure("planning, best s", r"deadlines in ([\d.]+) s best of 5"),
        Figure("idle clerk run, MB", r"idle clerk run: ([\d.]+) MB"),
    ]),
    "ingest": (["bench.bench_ingest"], [
        Figure("ingest, messages/s", r"ingest path: [\d.]+ s, ([\d,]+) messages/s",
               lower_is_better=False),
        Figure("ingest, x the parser's time", r"([\d.]+)x the parser's time"),
        Figure("ingest, peak MB", r"peak memory ([\d.]+) MB"),
    ]),
    "bot": (["bench.bench_bot"], [
        Figure("20 observers, answer p95 ms", BOT_P95, occurrence=0),
        Figure("200 members, answer p95 ms", BOT_P95, occurrence=1),
        Figure("observers during fan-out, p95 ms", BOT_P95, occurrence=2),
    ]),
    "papers": (["bench.bench_papers"], [
        Figure("papers, clerk s", r"clerk:\s+([\d.]+) s"),
        Figure("papers, x bare send", r"ratio:\s+([\d.]+) x"),
        Figure("papers, peak MB", r"peak memory:\s+([\d.]+) MB"),
    ]),
}


def run_one(module: list[str], checkout: Path) -> str:
    """Run one benchmark module with ``checkout``'s code first on the import path; its output
    (a benchmark that misses its own target exits 1 but has still measured: say so and go on)."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    env.pop("CLERK_CONFIG", None)
    proc = subprocess.run([sys.executable, "-m", *module], cwd=checkout, env=env,
                          capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        print(f"({' '.join(module)} in {checkout} exited {proc.returncode}: "
              f"{proc.stderr.strip().splitlines()[-1:] or 'see its output'})")
    return proc.stdout


def verdict(figure: Figure, before: float, after: float) -> str:
    if before == 0:
        return ""
    worse = (after - before) / before if figure.lower_is_better else (before - after) / before
    change = (after - before) / before * 100
    return f"{change:+6.1f}%  {'within 10%' if worse <= MARGIN else 'WORSE by more than 10%'}"


def compare(ref: str, names: list[str], rounds: int, against: str | None = None,
            echo: Callable[[str], None] = print) -> bool:
    """Run ``names`` on ``ref`` and on the working tree (or the commit ``against``); print the
    table; True if every figure is within 10%."""
    ok = True
    with tempfile.TemporaryDirectory(prefix="clerk-baseline-") as tmp:
        baseline = Path(tmp) / "baseline"
        current = ROOT if against is None else Path(tmp) / "current"
        checkouts = [(baseline, ref)] + ([] if against is None else [(current, against)])
        for folder, commit in checkouts:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q",
                            str(folder), commit], check=True)
        try:
            for name in names:
                module, figures = BENCHMARKS[name]
                outputs: dict[str, list[str]] = {"baseline": [], "current": []}
                for i in range(rounds):
                    order = ["baseline", "current"] if i % 2 == 0 else ["current", "baseline"]
                    for side in order:
                        outputs[side].append(run_one(module, baseline if side == "baseline"
                                                     else current))
                echo(f"\n== {name} ({' '.join(module)}, {rounds} round(s); baseline {ref}, "
                     f"against {against or 'the working tree'})")
                for side in ("baseline", "current"):
                    echo(f"-- {side}, last round:\n{outputs[side][-1].rstrip()}")
                echo(f"{'figure':<36} {'baseline':>10} {'current':>10}  change")
                for figure in figures:
                    values = {side: [v for out in outs if (v := figure.read(out)) is not None]
                              for side, outs in outputs.items()}
                    if not values["baseline"] or not values["current"]:
                        echo(f"{figure.name:<36} (not found in the output)")
                        ok = False
                        continue
                    before = statistics.median(values["baseline"])
                    after = statistics.median(values["current"])
                    line = verdict(figure, before, after)
                    ok = ok and "WORSE" not in line
                    echo(f"{figure.name:<36} {before:>10g} {after:>10g}  {line}")
        finally:
            for folder, _ in checkouts:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                str(folder)], check=False)
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("ref", help="the baseline commit")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), default=list(BENCHMARKS))
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--against", help="a commit to compare instead of the working tree")
    args = parser.parse_args(argv)
    ok = compare(args.ref, args.only, max(1, args.rounds), args.against)
    print("\nall within 10% of the baseline" if ok else "\nsome figures are worse by more than 10%")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
