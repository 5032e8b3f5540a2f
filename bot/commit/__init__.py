"""commit: git only — chunks of 3-5 methods, each chunk one commit of exactly its files."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel

from bot.errors import BadInput

if TYPE_CHECKING:
    import git

T = TypeVar('T')
MIN_CHUNK, MAX_CHUNK = 3, 5


class CommitInfo(BaseModel):
    sha: str
    message: str


def chunks(items: Sequence[T], size: int = 4) -> list[list[T]]:
    """Split in file order into near-equal chunks of 3-5 (fewer only when there are fewer)."""
    n = len(items)
    if n == 0:
        return []
    count = max(math.ceil(n / MAX_CHUNK), min(max(1, n // MIN_CHUNK), max(1, round(n / size))))
    base, extra = divmod(n, count)
    out, start = [], 0
    for i in range(count):
        end = start + base + (1 if i < extra else 0)
        out.append(list(items[start:end]))
        start = end
    return out


def open_repo(path: Path) -> git.Repo:
    import git  # here: `implement` without --commit never pays for gitpython's import

    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as e:
        raise BadInput(path, '--commit needs the DAL to be inside a git repository') from e


def commit_files(
    repo: git.Repo, files: list[Path], message: str, author: tuple[str, str] | None = None
) -> CommitInfo | None:
    """Commit exactly these files: `--only` keeps whatever else is staged out of it."""
    top = Path(repo.working_tree_dir).resolve()
    rel = [str(Path(f).resolve().relative_to(top)) for f in files]
    repo.git.add('--', *rel)
    if repo.head.is_valid() and not repo.git.diff('--cached', '--name-only', 'HEAD', '--', *rel):
        return None
    env = {}
    args = ['--only', '--no-verify', '-m', message]
    if author:
        name, email = author
        args.append(f'--author={name} <{email}>')
        env = {'GIT_COMMITTER_NAME': name, 'GIT_COMMITTER_EMAIL': email}
    repo.git.commit(*args, '--', *rel, env=env)
    return CommitInfo(sha=repo.head.commit.hexsha, message=message)
