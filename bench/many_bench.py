"""Many DALs: `dal-bot run` over every fixture DAL in one call against the bare scripts.

    python bench/many_bench.py [--runner python|uv] [--jobs N]

Measured in one run, on fresh copies of tests/fixtures/dals (stubs as committed):

1. bare: each DAL implemented in-process, its tables created on a warm embedded moto, then
   `python usage_examples.py --all` timed alone (the floor a user's own loop could reach);
2. `dal-bot run <folder holding every fixture DAL>` as one command, wall time;
3. `dal-bot implement <largest fixture>` as a command, wall time, against that DAL's bare run;
4. in-process implement over every fixture: stubs per second.

Targets (issue 11): ratio 2 <= 1.0x the sum of 1; ratio 3 <= 0.5x; 4 >= 500 stubs/s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.implement import implement_dal  # noqa: E402
from bot.model import load_dal  # noqa: E402
from bot.verify._backend import EmbeddedMoto, admin_client  # noqa: E402
from bot.verify._run import child_env  # noqa: E402
from bot.verify._tables import create_tables, drop_tables, tables_of  # noqa: E402

FIXTURES = ROOT / 'tests' / 'fixtures' / 'dals'


def _fixtures() -> list[Path]:
    return sorted(p for p in FIXTURES.iterdir() if (p / 'generated_dal').is_dir())


def _copy_all(into: Path) -> list[Path]:
    for fixture in _fixtures():
        shutil.copytree(fixture, into / fixture.name, ignore=shutil.ignore_patterns('__pycache__'))
    return [into / f.name / 'generated_dal' for f in _fixtures()]


def bare_runs(work: Path) -> tuple[dict[str, float], int, float]:
    """Seconds of each bare script run on a warm moto; stubs and in-process implement time."""
    seconds, stubs, implement_s = {}, 0, 0.0
    server = EmbeddedMoto().start()
    try:
        client = admin_client(server.url)
        for dal_dir in _copy_all(work):
            stubs += len(load_dal(dal_dir).stubs)
            started = time.perf_counter()
            implement_dal(dal_dir)
            implement_s += time.perf_counter() - started
            tables = tables_of(load_dal(dal_dir))
            create_tables(client, tables)
            env = child_env(server.url, work / 'unused-trace')
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, 'usage_examples.py', '--all'],
                cwd=dal_dir,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
            seconds[dal_dir.parent.name] = time.perf_counter() - started
            drop_tables(client, [t.name for t in tables])
    finally:
        server.stop()
    return seconds, stubs, implement_s


def timed(cmd: list[str]) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    started = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runner', choices=('python', 'uv'), default='python')
    parser.add_argument('--jobs', type=int, default=None)
    args = parser.parse_args()
    dal_bot = [sys.executable, '-m', 'bot']
    with tempfile.TemporaryDirectory(prefix='many-bench-') as tmp:
        tmp = Path(tmp)
        bare, stubs, implement_s = bare_runs(tmp / 'bare')
        (tmp / 'run').mkdir()
        _copy_all(tmp / 'run')
        jobs = ['-j', str(args.jobs)] if args.jobs else []
        run_s = timed([*dal_bot, 'run', str(tmp / 'run'), '--runner', args.runner, *jobs])
        largest = max(_fixtures(), key=lambda f: len(load_dal(f / 'generated_dal').stubs))
        (tmp / 'one').mkdir()
        shutil.copytree(largest, tmp / 'one' / largest.name)
        impl_cmd_s = timed(
            [*dal_bot, 'implement', str(tmp / 'one' / largest.name / 'generated_dal')]
        )

    total = sum(bare.values())
    print(f'{"fixture":<22}{"bare run s":>11}')
    for name, s in bare.items():
        print(f'{name:<22}{s:>11.2f}')
    print(f'{"sum":<22}{total:>11.2f}')
    print()
    print(
        f'dal-bot run, all {len(bare)} DALs, one call ({args.runner}, {os.cpu_count()} CPUs): '
        f'{run_s:.2f} s = {run_s / total:.2f}x the bare sum (target <= 1.0x)'
    )
    print(
        f'dal-bot implement {largest.name} as a command: {impl_cmd_s:.2f} s = '
        f'{impl_cmd_s / bare[largest.name]:.2f}x its bare run {bare[largest.name]:.2f} s '
        '(target <= 0.5x)'
    )
    print(
        f'in-process implement: {stubs} stubs in {implement_s:.2f} s = '
        f'{stubs / implement_s:.0f} stubs/s (target >= 500)'
    )
    return 0


if __name__ == '__main__':
    sys.exit(main())
