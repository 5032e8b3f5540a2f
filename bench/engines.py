"""Per-engine results for every fixture DAL: embedded moto vs a second engine (dynalite).

    python bench/engines.py --endpoint http://127.0.0.1:4567   # a running dynalite
    python bench/engines.py                                     # starts `dynalite` from PATH

Each fixture is copied to a temporary folder, implemented, then verified on both engines. Prints
one markdown row per fixture (status counts and verify seconds per engine) and the patterns whose
status differs for a reason other than a feature the engine lacks (there should be none).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.implement import implement_dal  # noqa: E402
from bot.model import load_dal  # noqa: E402
from bot.verify import VerifyResult, verify_dal  # noqa: E402
from bot.verify._backend import free_port  # noqa: E402

FIXTURES = ROOT / 'tests' / 'fixtures' / 'dals'


def _counts(result: VerifyResult) -> str:
    return ', '.join(f'{n} {s}' for s, n in result.counts().items() if n) or 'no patterns'


def _start_dynalite() -> tuple[subprocess.Popen, str]:
    exe = shutil.which('dynalite')
    if exe is None:
        sys.exit('no dynalite on PATH (npm install dynalite@4.0.0), and no --endpoint given')
    port = free_port()
    proc = subprocess.Popen([exe, '--host', '127.0.0.1', '--port', str(port)])
    for _ in range(100):
        try:
            socket.create_connection(('127.0.0.1', port), 0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    return proc, f'http://127.0.0.1:{port}'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--endpoint', help='the second engine (default: start dynalite)')
    args = parser.parse_args(argv)
    proc, url = (None, args.endpoint) if args.endpoint else _start_dynalite()
    disagreements = []
    print('| fixture | moto | s | second engine | s |')
    print('|---|---|---:|---|---:|')
    try:
        with tempfile.TemporaryDirectory(prefix='dalbot-engines-') as tmp:
            for fixture in sorted(p.parent for p in FIXTURES.glob('*/generated_dal')):
                dal_dir = Path(tmp) / fixture.name / 'generated_dal'
                shutil.copytree(fixture, dal_dir.parent, dirs_exist_ok=True)
                implement_dal(dal_dir)
                dal = load_dal(dal_dir)
                moto = verify_dal(dal, runner='python')
                other = verify_dal(dal, endpoint=url, runner='python')
                print(
                    f'| {fixture.name} | {_counts(moto)} | {moto.durations.total:.1f} '
                    f'| {_counts(other)} | {other.durations.total:.1f} |'
                )
                for a, b in zip(moto.patterns, other.patterns, strict=True):
                    if a.status != b.status and b.status != 'unsupported':
                        disagreements.append(f'{fixture.name} #{a.id}: {a.status} / {b.status}')
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)
    print(f'\n{len(disagreements)} disagreement(s) on supported patterns')
    for line in disagreements:
        print(f'  {line}')
    return 1 if disagreements else 0


if __name__ == '__main__':
    sys.exit(main())
