"""Implement speed: stubs per second and wall time per fixture DAL.

    python bench/implement_bench.py [--repeat N]

Every tests/fixtures/dals/*/generated_dal is copied to a temp folder and implemented N times
(a fresh copy each time); the best and the median run are reported, stubs/s from the best.
`cpu s` is the least CPU time of a run (this process and its ruff runs): on a machine others
load, wall time grows with their work and CPU time much less.

Targets (2 cores): >= 500 stubs/s overall (issue 11), < 0.5 s for a 25-stub DAL (issue 2).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.implement import implement_dal  # noqa: E402
from bot.model import load_dal  # noqa: E402

FIXTURES = ROOT / 'tests' / 'fixtures' / 'dals'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeat', type=int, default=3)
    args = parser.parse_args()
    total_stubs, total_seconds, total_median, total_cpu = 0, 0.0, 0.0, 0.0
    print(
        f'{"DAL":<22}{"stubs":>6}{"implemented":>13}{"best s":>9}{"median s":>10}{"stubs/s":>9}'
        f'{"cpu s":>8}'
    )
    for fixture in sorted(p for p in FIXTURES.iterdir() if (p / 'generated_dal').is_dir()):
        stubs = len(load_dal(fixture / 'generated_dal').stubs)
        runs, cpus, implemented = [], [], 0
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                copy = Path(tmp) / fixture.name
                shutil.copytree(fixture, copy)
                started, cpu = time.perf_counter(), _cpu()
                result = implement_dal(copy / 'generated_dal')
                runs.append(time.perf_counter() - started)
                cpus.append(_cpu() - cpu)
                implemented = len(result.implemented)
        best, median = min(runs), statistics.median(runs)
        total_stubs += stubs
        total_seconds += best
        total_median += median
        total_cpu += min(cpus)
        print(
            f'{fixture.name:<22}{stubs:>6}{implemented:>13}{best:>9.3f}{median:>10.3f}'
            f'{stubs / best:>9.1f}{min(cpus):>8.3f}'
        )
    print(
        f'{"all":<22}{total_stubs:>6}{"":>13}{total_seconds:>9.3f}{total_median:>10.3f}'
        f'{total_stubs / total_seconds:>9.1f}{total_cpu:>8.3f}'
    )
    print(
        f'load average {os.getloadavg()[0]:.1f}; {total_stubs / total_cpu:.0f} stubs per CPU second'
    )
    return 0


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the ruff runs)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


if __name__ == '__main__':
    sys.exit(main())
