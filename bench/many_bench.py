"""Many DALs: `dal-bot run` over every fixture DAL in one call against the bare scripts.

    python bench/many_bench.py [--runner python|uv] [--jobs N] [--repeat N]

Measured in one run, on fresh copies of tests/fixtures/dals (stubs as committed):

1. bare: each DAL implemented in-process, its tables created on a warm embedded moto, then
   `python usage_examples.py --all` timed alone (the floor a user's own loop could reach);
2. `dal-bot run <folder holding every fixture DAL>` as one command, wall time;
3. `dal-bot implement <largest fixture>` as a command, wall time, against that DAL's bare run,
   the two interleaved --repeat times (fresh copy, fresh tables), medians compared. The bot
   as installed: a copy of bot/ with its byte code written, as pip install and the image build
   write it (this checkout may run under PYTHONDONTWRITEBYTECODE, which would compile every
   module of the bot on every run: printed too);
4. in-process implement over every fixture: stubs per second.

Targets (issue 11): ratio 2 <= 1.0x the sum of 1; ratio 3 <= 0.5x; 4 >= 500 stubs/s.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
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
# How the checkout's bot runs here: without byte code, every module is compiled on every run.
COMPILING = ' (PYTHONDONTWRITEBYTECODE: compiled on every run)' if sys.dont_write_bytecode else ''


def _fixtures() -> list[Path]:
    return sorted(p for p in FIXTURES.iterdir() if (p / 'generated_dal').is_dir())


def _copy_all(into: Path) -> list[Path]:
    for fixture in _fixtures():
        shutil.copytree(fixture, into / fixture.name, ignore=shutil.ignore_patterns('__pycache__'))
    return [into / f.name / 'generated_dal' for f in _fixtures()]


def bare_run(server_url: str, dal_dir: Path, work: Path) -> float:
    """Seconds of one `python usage_examples.py --all` of an implemented DAL on fresh tables."""
    client = admin_client(server_url)
    tables = tables_of(load_dal(dal_dir))
    create_tables(client, tables)
    env = child_env(server_url, work / 'unused-trace')
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, 'usage_examples.py', '--all'],
        cwd=dal_dir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    seconds = time.perf_counter() - started
    drop_tables(client, [t.name for t in tables])
    return seconds


def bare_runs(server_url: str, work: Path) -> tuple[dict[str, float], int, float]:
    """Seconds of each bare script run on a warm moto; stubs and in-process implement time."""
    seconds, stubs, implement_s = {}, 0, 0.0
    for dal_dir in _copy_all(work):
        stubs += len(load_dal(dal_dir).stubs)
        started = time.perf_counter()
        implement_dal(dal_dir)
        implement_s += time.perf_counter() - started
        seconds[dal_dir.parent.name] = bare_run(server_url, dal_dir, work)
    return seconds, stubs, implement_s


def timed(cmd: list[str], bot_at: Path = ROOT) -> float:
    """Wall seconds of a command run with the bot from `bot_at` (cwd elsewhere: `-m bot`
    must not find a bot/ in the current folder)."""
    env = dict(os.environ, PYTHONPATH=str(bot_at))
    started = time.perf_counter()
    subprocess.run(
        cmd,
        env=env,
        cwd=tempfile.gettempdir(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - started


def installed_bot(into: Path) -> Path:
    """A copy of bot/ with its byte code, as `pip install` (and the image build) leave it."""
    shutil.copytree(ROOT / 'bot', into / 'bot', ignore=shutil.ignore_patterns('__pycache__'))
    compileall.compile_dir(into / 'bot', quiet=1)
    return into


def implement_command_vs_bare(
    server_url: str, fixture: Path, work: Path, repeat: int
) -> tuple[float, float, float]:
    """Medians of `dal-bot implement` of the fixture as a command (the bot as installed, then
    compiling the bot's modules each run) and of its bare run, interleaved `repeat` times."""
    (work / 'bare').mkdir(parents=True)
    dal_dir = work / 'bare' / 'generated_dal'
    shutil.copytree(
        fixture / 'generated_dal', dal_dir, ignore=shutil.ignore_patterns('__pycache__')
    )
    implement_dal(dal_dir)
    installed = installed_bot(work / 'installed')
    bare, as_installed, compiling = [], [], []
    for _ in range(repeat):
        bare.append(bare_run(server_url, dal_dir, work))
        for bot_at, times in ((installed, as_installed), (ROOT, compiling)):
            copy = work / f'{len(times)}-{bot_at.name}'
            shutil.copytree(fixture, copy, ignore=shutil.ignore_patterns('__pycache__'))
            cmd = [sys.executable, '-m', 'bot', 'implement', str(copy / 'generated_dal')]
            times.append(timed(cmd, bot_at))
    median = statistics.median
    return median(as_installed), median(compiling), median(bare)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runner', choices=('python', 'uv'), default='python')
    parser.add_argument('--jobs', type=int, default=None)
    parser.add_argument(
        '--repeat', type=int, default=5, help='runs of the implement command and its bare run'
    )
    args = parser.parse_args()
    dal_bot = [sys.executable, '-m', 'bot']
    with tempfile.TemporaryDirectory(prefix='many-bench-') as tmp:
        tmp = Path(tmp)
        largest = max(_fixtures(), key=lambda f: len(load_dal(f / 'generated_dal').stubs))
        server = EmbeddedMoto().start()
        try:
            bare, stubs, implement_s = bare_runs(server.url, tmp / 'bare')
            impl_cmd_s, impl_compiling_s, largest_bare_s = implement_command_vs_bare(
                server.url, largest, tmp / 'one', args.repeat
            )
        finally:
            server.stop()
        (tmp / 'run').mkdir()
        _copy_all(tmp / 'run')
        jobs = ['-j', str(args.jobs)] if args.jobs else []
        run_s = timed([*dal_bot, 'run', str(tmp / 'run'), '--runner', args.runner, *jobs])

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
        f'{impl_cmd_s / largest_bare_s:.2f}x its bare run {largest_bare_s:.2f} s '
        f'(target <= 0.5x; medians of {args.repeat}, the bot as installed); the bot from this '
        f'checkout{COMPILING}: {impl_compiling_s:.2f} s = {impl_compiling_s / largest_bare_s:.2f}x'
    )
    print(
        f'in-process implement: {stubs} stubs in {implement_s:.2f} s = '
        f'{stubs / implement_s:.0f} stubs/s (target >= 500)'
    )
    return 0


if __name__ == '__main__':
    sys.exit(main())
