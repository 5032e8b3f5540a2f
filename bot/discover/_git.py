"""The git edge of discover: which files a range of commits changed."""

from __future__ import annotations

from pathlib import Path

from bot.errors import InfrastructureError


def _check_rev(rev: str) -> str:
    if not rev or rev.startswith('-') or any(c in rev for c in '\0\n\r'):
        raise InfrastructureError(f'not a usable git revision: {rev!r}')
    return rev


def changed_files(repo_path: Path | str, base: str, head: str = 'HEAD') -> list[str]:
    """Paths changed between the merge base of `base` and `head`, and `head` (`base...head`).

    Renames count as both the old and the new path. Raises InfrastructureError when git
    cannot answer (e.g. `base` is not in a shallow clone).
    """
    import git

    try:
        repo = git.Repo(repo_path, search_parent_directories=True)
        out = repo.git.diff(
            '--name-only',
            '--no-renames',
            '-z',
            f'{_check_rev(base)}...{_check_rev(head)}',
            '--',
        )
    except (git.GitCommandError, git.InvalidGitRepositoryError, git.NoSuchPathError) as e:
        raise InfrastructureError(f'git diff {base}...{head} failed: {e}') from e
    toplevel = Path(repo.working_tree_dir).resolve()
    prefix = Path(repo_path).resolve().relative_to(toplevel).as_posix()
    files = [f for f in out.split('\0') if f]
    if prefix not in ('', '.'):
        files = [f[len(prefix) + 1 :] for f in files if f.startswith(prefix + '/')]
    return files
