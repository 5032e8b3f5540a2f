"""Does implement still write the same bytes? This tree against another checkout of the bot.

    git archive main | tar -x -C /tmp/main-tree
    python bench/implement_same_output.py /tmp/main-tree

Every tests/fixtures/dals/*/generated_dal (of this tree) is copied and implemented by each tree's
code, in its own interpreter, three ways: plainly, with --commit (chunks, commit messages and
their file lists compared too) and with every third stub excluded (the not-pushed diffs
compared). Exit 0 and `same` when every file and every printed line match; else the first
differences. For speed work: the output must not change.
"""

from __future__ import annotations

import argparse
import filecmp
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / 'tests' / 'fixtures' / 'dals'

# Run with the tree under test first on sys.path; prints what the files cannot show.
RUNNER = r"""
import shutil, subprocess, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from bot.implement import implement_dal, plan
from bot.model import load_dal
mode, fixtures, out = sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
for f in sorted(p for p in fixtures.iterdir() if (p / 'generated_dal').is_dir()):
    d = out / f.name
    shutil.copytree(f, d)
    dal = d / 'generated_dal'
    if mode == 'commit':
        git = lambda *a: subprocess.run(
            ['git', '-c', 'user.name=b', '-c', 'user.email=b@b', *a],
            cwd=d, check=True, capture_output=True, text=True,
        ).stdout
        git('init', '-q'); git('add', '-A'); git('commit', '-qm', 'generated')
        result = implement_dal(dal, commit=True, author=('b', 'b@b'))
        print(git('log', '--format=%B', '--stat'))
        shutil.rmtree(d / '.git')
    elif mode == 'exclude':
        planned, _ = plan(load_dal(dal))
        result = implement_dal(dal, exclude={p.key: 'excluded' for p in planned[::3]})
        for n in result.not_pushed:
            print(n.owner, n.name, n.line, n.reason, n.diff)
    else:
        result = implement_dal(dal)
    print(f.name, [i.name for i in result.implemented], result.left, result.files_written)
    print(result.usage_repairs, result.index_keys)
"""


def run(tree: Path, mode: str, out: Path) -> str:
    done = subprocess.run(
        [sys.executable, '-c', RUNNER, str(tree), mode, str(FIXTURES), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f'{tree} ({mode}) failed:\n{done.stderr[-3000:]}')
    return done.stdout


def differences(a: Path, b: Path) -> list[str]:
    cmp = filecmp.dircmp(a, b)
    out = [f'{a / n}: only on one side' for n in cmp.left_only + cmp.right_only]
    out += [
        f'{a / n} differs'
        for n in cmp.common_files
        if not filecmp.cmp(a / n, b / n, shallow=False)
    ]
    for sub in cmp.common_dirs:
        out += differences(a / sub, b / sub)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('reference', type=Path, help='another checkout of the bot (its root)')
    args = parser.parse_args()
    found = []
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ('plain', 'commit', 'exclude'):
            outs = {}
            for name, tree in (('reference', args.reference.resolve()), ('this', ROOT)):
                outs[name] = Path(tmp) / mode / name
                printed = run(tree, mode, outs[name])
                (Path(tmp) / mode / f'{name}.txt').write_text(printed)
            if (Path(tmp) / mode / 'reference.txt').read_text() != (
                Path(tmp) / mode / 'this.txt'
            ).read_text():
                found.append(f'{mode}: what implement returned or committed differs')
            found += [
                f'{mode}: {d.removeprefix(str(outs["reference"]) + "/")}'
                for d in differences(outs['reference'], outs['this'])
            ]
    print('\n'.join(found[:20]) if found else 'same')
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main())
