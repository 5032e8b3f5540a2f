"""The workspace stays the runner's. A Docker action runs as root in a workspace the runner's
user owns: every file the bot writes there (the files it replaces, `.git/objects/..`, the
index, refs, its report) would end up root's, and a later step that commits or fetches, or the
next checkout on a self-hosted runner, fails on them.

Before the action exits, what the bot created under the workspace gets the owner and group of
the workspace folder itself (modes untouched). Only entries the bot made or changed are given
away: owned by the bot's user, changed since the run started (a folder it added entries to
counts), and in a folder whose entries changed since then (creating, renaming or replacing a
file changes its folder's mtime); a root-owned file of an earlier step stays as it is. Folders whose entries did
not change are listed, not stat'ed entry by entry, so a large repository costs one directory
listing per folder.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# File systems stamp times with a coarse clock that can lag time.time() by a tick.
SLACK = 2.0


@dataclass
class Returned:
    entries: int = 0  # entries whose owner was changed
    folders: int = 0  # folders listed
    seconds: float = 0.0


def return_to_owner(top: Path, since: float, uid: int, gid: int) -> Returned:
    """Give uid:gid every entry under `top` owned by this process's user and changed since
    `since` (epoch seconds, less a clock tick's slack). Symlinks are changed themselves,
    never followed."""
    me = os.geteuid()
    since -= SLACK
    done = Returned()
    started = time.perf_counter()
    stack = [str(top)]
    while stack:
        folder = stack.pop()
        try:
            st = os.lstat(folder)
            entries = list(os.scandir(folder))
        except OSError:
            continue
        done.folders += 1
        changed_here = max(st.st_mtime, st.st_ctime) >= since
        for entry in entries:
            is_dir = entry.is_dir(follow_symlinks=False)
            if is_dir:
                stack.append(entry.path)
            if not changed_here:
                continue
            try:
                est = entry.stat(follow_symlinks=False)
                if (
                    est.st_uid == me
                    and est.st_ctime >= since
                    and (est.st_uid, est.st_gid)
                    != (
                        uid,
                        gid,
                    )
                ):
                    os.lchown(entry.path, uid, gid)
                    done.entries += 1
            except OSError as e:
                print(f'dal-bot: could not give {entry.path} to {uid}:{gid}: {e}', file=sys.stderr)
    done.seconds = time.perf_counter() - started
    return done


@contextlib.contextmanager
def kept_for_owner(workspace: Path) -> Iterator[None]:
    """Around a whole action run: on the way out (success, failure or error), what the run
    created under `workspace` gets the workspace's owner. A no-op unless the bot runs as root
    in a workspace someone else owns."""
    try:
        st = workspace.stat()
    except OSError:
        st = None
    if os.geteuid() != 0 or st is None or (st.st_uid, st.st_gid) == (0, 0):
        yield
        return
    since = time.time()
    try:
        yield
    finally:
        done = return_to_owner(workspace, since, st.st_uid, st.st_gid)
        print(
            f'dal-bot: gave {done.entries} new entries under the workspace to '
            f'{st.st_uid}:{st.st_gid} ({done.folders} folders checked, {done.seconds:.2f}s)',
            file=sys.stderr,
            flush=True,
        )
