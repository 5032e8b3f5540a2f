"""What the verification gate costs: `implement --commit` then one verify, against the gate
(implement, verify, take out what raised, commit what passed, re-verify only when needed).

    python bench/gate_bench.py            # every fixture DAL, plus shop_example whose
                                          # base repository cannot parse Order items
    options: --runner uv|python (default python), --endpoint URL

Each DAL is copied into a fresh git repository per run. Target: with nothing to take out the
gate verifies once and costs less than one extra implement (< 0.5 s per DAL); with methods
taken out, one more verification.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.gate import implement_verified  # noqa: E402
from bot.implement import implement_dal  # noqa: E402
from bot.model import load_dal  # noqa: E402
from bot.verify import verify_dal  # noqa: E402

FIXTURES = ROOT / 'tests' / 'fixtures' / 'dals'
AUTHOR = ('bench', 'bench@example.com')
BROKEN = 'shop_example (Order parsing raises)'


def _repo(fixture: Path, into: Path, broken: bool) -> Path:
    shutil.copytree(fixture, into / fixture.name, ignore=shutil.ignore_patterns('__pycache__'))
    dal = into / fixture.name / 'generated_dal'
    if broken:
        base = dal / 'base_repository.py'
        base.write_text(
            base.read_text().replace(
                "        items = []\n        for item in response.get('Items', []):",
                '        items = []\n'
                "        if self.model_class.__name__ == 'Order' and response.get('Items'):\n"
                "            raise ValueError('Order items cannot be parsed')\n"
                "        for item in response.get('Items', []):",
            )
        )
    env = ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com']
    for args in (['init', '-q'], ['add', '-A'], [*env, 'commit', '-qm', 'base']):
        subprocess.run(['git', *args], cwd=into, check=True)
    return dal


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runner', choices=('uv', 'python'), default='python')
    parser.add_argument('--endpoint')
    args = parser.parse_args(argv)

    def verify(path: Path):
        return verify_dal(load_dal(path), endpoint=args.endpoint, runner=args.runner)

    cases = [(p.parent.name, p.parent, False) for p in sorted(FIXTURES.glob('*/generated_dal'))]
    cases.append((BROKEN, FIXTURES / 'shop_example', True))
    print(f'{"dal":<38} {"commit+verify s":>15} {"gate s":>7} {"verifies":>8} {"not pushed":>10}')
    totals = [0.0, 0.0]
    with tempfile.TemporaryDirectory(prefix='dalbot-gate-bench-') as tmp:
        for i, (name, fixture, broken) in enumerate(cases):
            dal = _repo(fixture, Path(tmp) / f'plain{i}', broken)
            start = time.perf_counter()
            implement_dal(dal, commit=True, author=AUTHOR)
            verify(dal)
            plain = time.perf_counter() - start
            dal = _repo(fixture, Path(tmp) / f'gated{i}', broken)
            start = time.perf_counter()
            gated = implement_verified(dal, verify, commit=True, author=AUTHOR)
            gate = time.perf_counter() - start
            totals[0] += plain
            totals[1] += gate
            print(
                f'{name:<38} {plain:>15.2f} {gate:>7.2f} {gated.verifications:>8} '
                f'{len(gated.implement.not_pushed):>10}'
            )
    print(f'{"total":<38} {totals[0]:>15.2f} {totals[1]:>7.2f}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
