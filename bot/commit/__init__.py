"""commit: chunks of 3-5 methods, each compiled before it becomes a commit."""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import git

from bot.errors import BadInput
from bot.implement._models import CommitInfo

T = TypeVar('T')
MIN_CHUNK, MAX_CHUNK = 3, 5


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


def compile_check(path: Path, text: str) -> None:
    """Raise if `text` is not valid Python; nothing is written or committed then."""
    compile(text, str(path), 'exec', dont_inherit=True)


def read_source(path: Path) -> tuple[str, str]:
    """A file's text with `\n` line ends, and the line end to write it back with: `\r\n`
    for a file that uses it throughout (a Windows checkout), else `\n`."""
    raw = path.read_bytes().decode('utf-8')
    crlf = raw.count('\r\n')
    text = raw.replace('\r\n', '\n').replace('\r', '\n')
    return text, '\r\n' if crlf and crlf == raw.count('\n') else '\n'


def write_atomic(path: Path, text: str, newline: str = '\n') -> None:
    """Write through a temp file and rename: never a half-written file. `text` has `\n`
    line ends; `newline` is what the file gets."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f'.{path.name}.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'w', encoding='utf-8', newline=newline) as f:
            f.write(text)
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def open_repo(path: Path) -> git.Repo:
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
