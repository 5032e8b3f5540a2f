"""Verify time per DAL: table creation, script run, parse (and implement, when it is available).

    python bench/verify_bench.py                 # every fixture DAL, implemented copies
    python bench/verify_bench.py DIR [DIR ...]   # these DAL folders, copied, verified as they are
    options: --runner uv|python (default python), --endpoint URL, --no-implement

Each DAL is copied to a temporary folder (with its parent's schema.json) so the fixtures stay
untouched; without DIRs every tests/fixtures/dals/*/generated_dal is used and, when `bot.implement`
imports, implemented first. Targets (issue 3, 2 cores): < 5 s verify per fixture DAL with the
embedded backend, < 60 s implement + verify for all fixture DALs together.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.model import load_dal  # noqa: E402
from bot.verify import verify_dal  # noqa: E402

FIXTURES = ROOT / 'tests' / 'fixtures' / 'dals'


def _implementer():
    try:
        from bot.implement import implement_dal
    except Exception as e:  # not landed, or broken: verify the stubs as they are
        print(f'(bot.implement unavailable: {type(e).__name__}: {e}; verifying as-is)')
        return None
    return implement_dal


def _copy(dal: Path, into: Path) -> Path:
    target = into / dal.parent.name / dal.name
    shutil.copytree(dal, target, ignore=shutil.ignore_patterns('__pycache__'))
    schema = dal.parent / 'schema.json'
    if schema.is_file():
        shutil.copy(schema, target.parent / 'schema.json')
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('dirs', nargs='*', type=Path)
    parser.add_argument('--runner', choices=('uv', 'python'), default='python')
    parser.add_argument('--endpoint')
    parser.add_argument('--no-implement', action='store_true')
    parser.add_argument('--timeout', type=float, default=120)
    args = parser.parse_args(argv)
    dirs = args.dirs or sorted(FIXTURES.glob('*/generated_dal'))
    implement = None if (args.dirs or args.no_implement) else _implementer()
    header = f'{"dal":<22} {"pat":>4} {"ok":>4} {"empty":>5} {"err":>4} {"nrun":>4} {"left":>4}'
    header += f' {"impl s":>7} {"tables s":>8} {"run s":>6} {"parse s":>7} {"verify s":>8}'
    print(f'runner={args.runner} backend={args.endpoint or "embedded moto"}')
    print(header)
    grand = time.perf_counter()
    slowest = 0.0
    with tempfile.TemporaryDirectory(prefix='dalbot-bench-') as tmp:
        for dal_dir in dirs:
            copy = _copy(dal_dir.resolve(), Path(tmp))
            impl_s, left = 0.0, '-'
            if implement is not None:
                start = time.perf_counter()
                try:
                    left = len(implement(copy).left)  # stubs refused, with a reason
                except Exception as e:
                    print(f'  implement failed on {dal_dir}: {type(e).__name__}: {e}')
                impl_s = time.perf_counter() - start
            start = time.perf_counter()
            result = verify_dal(
                load_dal(copy), endpoint=args.endpoint, timeout=args.timeout, runner=args.runner
            )
            verify_s = time.perf_counter() - start
            slowest = max(slowest, verify_s)
            c, d = result.counts(), result.durations
            name = dal_dir.resolve().parent.name
            print(
                f'{name:<22} {len(result.patterns):>4} {c["ok"]:>4} {c["empty"]:>5} '
                f'{c["error"]:>4} {c["not-run"]:>4} {left:>4} {impl_s:>7.2f} {d.tables:>8.2f} '
                f'{d.run:>6.2f} {d.parse:>7.3f} {verify_s:>8.2f}'
                + (' (crash)' if result.crash else '')
            )
    total = time.perf_counter() - grand
    print(f'slowest verify {slowest:.2f}s (target < 5 s); all {len(dirs)} DALs {total:.1f}s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
