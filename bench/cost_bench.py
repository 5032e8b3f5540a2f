"""What each fixture DAL's access patterns cost when its usage_examples.py runs them.

    python bench/cost_bench.py                 # every fixture DAL, implemented copies
    python bench/cost_bench.py DIR [DIR ...]   # these DAL folders, copied, verified as they are
    options: --runner uv|python (default python), --endpoint URL, --top N (default 3)

Per DAL: total read and write capacity units of the patterns that ran (DynamoDB's sizing rules,
bot/verify/cost.py), the flags raised, and the N most expensive patterns (ranked by RCU + WCU)
with what they read and returned. The numbers are those of the script's sample data: a Scan
costs little on ten items and grows with the table; the flags say which patterns will.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))

from verify_bench import FIXTURES, _copy, _implementer  # noqa: E402

from bot.model import load_dal  # noqa: E402
from bot.report import cost_cell, cost_totals  # noqa: E402
from bot.verify import verify_dal  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('dirs', nargs='*', type=Path)
    parser.add_argument('--runner', choices=('uv', 'python'), default='python')
    parser.add_argument('--endpoint')
    parser.add_argument('--top', type=int, default=3)
    parser.add_argument('--timeout', type=float, default=120)
    args = parser.parse_args(argv)
    dirs = args.dirs or sorted(FIXTURES.glob('*/generated_dal'))
    implement = None if args.dirs else _implementer()
    with tempfile.TemporaryDirectory(prefix='dalbot-cost-') as tmp:
        for dal_dir in dirs:
            copy = _copy(dal_dir.resolve(), Path(tmp))
            if implement is not None:
                implement(copy)
            result = verify_dal(
                load_dal(copy), endpoint=args.endpoint, timeout=args.timeout, runner=args.runner
            )
            ran = [p for p in result.patterns if p.rcu is not None]
            rcu, wcu = cost_totals(result) or (0, 0)
            flagged = sum(1 for p in ran if p.flags)
            name = dal_dir.resolve().parent.name
            print(
                f'{name}: {len(ran)}/{len(result.patterns)} patterns priced, '
                f'{rcu:g} RCU, {wcu:g} WCU, {flagged} flagged'
            )
            top = sorted(ran, key=lambda p: (-(p.rcu + p.wcu), p.id))[: args.top]
            for p in top:
                print(f'  #{p.id} {p.owner}.{p.method} ({p.operation}): {cost_cell(p)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
