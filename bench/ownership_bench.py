"""What giving the workspace back to the runner costs on a large repository.

    python bench/ownership_bench.py [--folders N] [--files-per-folder M] [--new K]

Builds a tree of N folders x M files (a large checkout: the default is 20,000 folders and
200,000 files), then, as a run would, creates K new files spread over a few folders plus a
`.git/objects`-like folder, and times `return_to_owner` on the whole tree. Run it as root to
measure real ownership changes (as another user it gives files to yourself: the walk costs the
same). Target: < 2 s for 20,000 folders (200,000 files) on the 2-core CI machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.github.ownership import SLACK, return_to_owner  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--folders', type=int, default=20_000)
    parser.add_argument('--files-per-folder', type=int, default=10)
    parser.add_argument('--new', type=int, default=200)
    args = parser.parse_args()
    top = Path(tempfile.mkdtemp(prefix='dalbot-owner-bench-'))
    try:
        mark = time.perf_counter()
        for i in range(args.folders):
            folder = top / f'd{i % 100:02d}' / f'sub{i}'
            folder.mkdir(parents=True)
            for j in range(args.files_per_folder):
                (folder / f'f{j}.txt').write_bytes(b'x')
        built = time.perf_counter() - mark
        time.sleep(SLACK + 0.5)  # the checkout is older than the run
        since = time.time()
        objects = top / '.git' / 'objects' / 'ab'
        objects.mkdir(parents=True)
        for k in range(args.new):
            target = objects if k % 2 else top / f'd{k % 7:02d}' / f'sub{k % 7}'
            (target / f'new{k}').write_bytes(b'y')
        uid, gid = os.geteuid(), os.getegid()
        if uid == 0:
            uid = gid = 1001
        done = return_to_owner(top, since, uid, gid)
        total = args.folders * args.files_per_folder
        print(f'tree: {args.folders} folders, {total} files (built in {built:.1f}s)')
        print(
            f'return_to_owner: {done.seconds:.3f}s, {done.folders} folders listed, '
            f'{done.entries} entries given to {uid}:{gid} (target < 2 s)'
        )
    finally:
        shutil.rmtree(top, ignore_errors=True)


if __name__ == '__main__':
    main()
