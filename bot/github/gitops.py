"""The bot's git edge (gitpython): branches, fast-forward pushes, patches, credentials.

Every ref name that came from an event is validated with `git check-ref-format` before use,
and git is only ever called with argument lists (gitpython or subprocess), never a shell.
"""

from __future__ import annotations

import base64
import contextlib
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import git

from bot.errors import InfrastructureError


def check_branch_name(name: str) -> str:
    """`name` if it is a valid branch name (`git check-ref-format --branch`), else an error."""
    if (
        not isinstance(name, str)
        or not name
        or name.startswith('-')
        or any(c in name for c in '\0\n\r')
        or name.startswith('@{')
    ):
        raise InfrastructureError(f'refusing an invalid branch name: {name!r}')
    proc = subprocess.run(
        ['git', 'check-ref-format', '--branch', name], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0 or proc.stdout.strip() != name:
        raise InfrastructureError(f'refusing an invalid branch name: {name!r}')
    return name


def check_sha(sha: str) -> str:
    if (
        not isinstance(sha, str)
        or len(sha) not in (40, 64)
        or not all(c in '0123456789abcdef' for c in sha)
    ):
        raise InfrastructureError(f'not a commit SHA: {sha!r}')
    return sha


def mark_safe_directory(path: Path | str) -> bool:
    """Add `path` to git's global safe.directory when git refuses it (owner differs, as with a
    workspace mounted into a container). True when it had to."""
    path = str(Path(path).resolve())
    probe = subprocess.run(
        ['git', '-C', path, 'rev-parse', '--git-dir'], capture_output=True, text=True, check=False
    )
    if probe.returncode == 0 or 'safe.directory' not in probe.stderr:
        return False
    subprocess.run(
        ['git', 'config', '--global', '--add', 'safe.directory', path],
        check=True,
        capture_output=True,
    )
    return True


def open_repo(path: Path | str) -> git.Repo:
    try:
        return git.Repo(path)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as e:
        raise InfrastructureError(
            f'{path}: not a git repository (check out the repo first)'
        ) from e


def head_sha(repo: git.Repo) -> str:
    return repo.head.commit.hexsha


def is_ancestor(repo: git.Repo, ancestor: str, descendant: str) -> bool:
    try:
        repo.git.merge_base('--is-ancestor', ancestor, descendant)
        return True
    except git.GitCommandError:
        return False


def is_clean(repo: git.Repo) -> bool:
    return not repo.is_dirty(index=True, working_tree=True, untracked_files=False)


def fetch_branch(repo: git.Repo, branch: str, remote: str = 'origin', env=None) -> str | None:
    """Fetch `branch` into `refs/remotes/<remote>/<branch>`; its SHA, or None when the remote
    has no such branch."""
    check_branch_name(branch)
    spec = f'+refs/heads/{branch}:refs/remotes/{remote}/{branch}'
    try:
        with repo.git.custom_environment(**(env or {})):
            repo.git.fetch('--no-tags', '--quiet', remote, spec)
    except git.GitCommandError as e:
        if "couldn't find remote ref" in str(e) or 'not found' in str(e).lower():
            return None
        raise InfrastructureError(f'git fetch {remote} {branch} failed: {_stderr(e)}') from e
    return repo.commit(f'refs/remotes/{remote}/{branch}').hexsha


def checkout_branch(repo: git.Repo, branch: str, start: str) -> None:
    """Point local `branch` at `start`, check it out, and make the work tree match (the
    tree must be clean: nothing of the user's is thrown away)."""
    check_branch_name(branch)
    repo.git.checkout('--quiet', '-B', branch, start, '--')
    repo.git.reset('--hard', '--quiet', start)


def restore(repo: git.Repo, ref: str | None, sha: str) -> None:
    """Go back to where a run started: branch `ref` (if any) or the detached `sha`."""
    if ref:
        repo.git.checkout('--quiet', ref, '--')
    else:
        repo.git.checkout('--quiet', '--detach', sha, '--')


def current_branch(repo: git.Repo) -> str | None:
    return None if repo.head.is_detached else repo.active_branch.name


@dataclass
class PushOutcome:
    ok: bool
    rejected: bool  # the remote branch moved (non-fast-forward / stale lease)
    message: str
    sha: str = ''


_BAD = (
    git.PushInfo.ERROR
    | git.PushInfo.REJECTED
    | git.PushInfo.REMOTE_REJECTED
    | git.PushInfo.REMOTE_FAILURE
    | git.PushInfo.NO_MATCH
)


def push(
    repo: git.Repo,
    sha: str,
    branch: str,
    *,
    remote: str = 'origin',
    env: dict[str, str] | None = None,
    lease: str | None = None,
) -> PushOutcome:
    """Push `sha` to `refs/heads/<branch>`: fast-forward only, unless `lease` is given (then
    `--force-with-lease=<branch>:<lease>`, used for the bot's own sweep branches only).

    A rejected push is not an exception in gitpython: the PushInfo flags are checked here.
    """
    check_branch_name(branch)
    kwargs: dict[str, str] = {}
    if lease:
        kwargs['force_with_lease'] = f'refs/heads/{branch}:{check_sha(lease)}'
    # gitpython parses the porcelain output only for named refs: push the local branch,
    # which must point at `sha`
    if repo.commit(f'refs/heads/{branch}').hexsha != sha:
        return PushOutcome(False, False, f'local branch {branch} is not at {sha[:7]}')
    refspec = f'refs/heads/{branch}:refs/heads/{branch}'
    try:
        with repo.git.custom_environment(**(env or {})):
            infos = repo.remote(remote).push(refspec, **kwargs)
    except git.GitCommandError as e:
        text = _stderr(e)
        rejected = any(w in text for w in ('non-fast-forward', 'fetch first', 'stale info'))
        return PushOutcome(False, rejected, f'git push failed: {text}')
    except ValueError as e:  # no such remote
        return PushOutcome(False, False, f'git push failed: {e}')
    if not infos:
        return PushOutcome(False, False, 'git push reported nothing (no such remote ref?)')
    for info in infos:
        if info.flags & _BAD:
            rejected = bool(info.flags & (git.PushInfo.REJECTED | git.PushInfo.REMOTE_REJECTED))
            rejected = rejected and 'hook' not in (info.summary or '')
            return PushOutcome(False, rejected, f'push rejected: {info.summary.strip()}')
    return PushOutcome(True, False, infos[0].summary.strip(), sha)


def format_patch(repo: git.Repo, base: str, head: str = 'HEAD') -> str:
    """`git format-patch --stdout base..head`: a patch `git am` applies."""
    if repo.commit(base).hexsha == repo.commit(head).hexsha:
        return ''
    return repo.git.format_patch('--stdout', '--no-signature', f'{base}..{head}') + '\n'


def _stderr(e: git.GitCommandError) -> str:
    return (e.stderr or str(e)).strip().replace('\n', ' ')[:500]


# ---- credentials -----------------------------------------------------------------------------
def config_env(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """git config entries passed through the environment (never written to disk, never in
    a process's argument list)."""
    env = {'GIT_CONFIG_COUNT': str(len(pairs))}
    for i, (key, value) in enumerate(pairs):
        env[f'GIT_CONFIG_KEY_{i}'] = key
        env[f'GIT_CONFIG_VALUE_{i}'] = value
    return env


def _config_entries(repo: git.Repo, *where: str, pattern: str) -> list[tuple[str, str]]:
    """(key, value) of the config entries matching `pattern`, in file order."""
    proc = subprocess.run(
        ['git', 'config', *where, '--null', '--get-regexp', pattern],
        cwd=repo.working_tree_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    pairs = []
    for entry in proc.stdout.split('\0'):
        if entry:
            key, _, value = entry.partition('\n')
            pairs.append((key, value))
    return pairs


_EXTRAHEADER = r'^http\..*extraheader$'


def _credential_includes(repo: git.Repo) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """actions/checkout v6 keeps the token in a file of its own under RUNNER_TEMP, which
    `.git/config` includes (`includeIf.gitdir:<workspace>/.git.path`). Returns the include
    entries whose file holds an extraheader, and those extraheaders."""
    git_dir = Path(repo.git_dir)
    includes, headers = [], []
    for key, value in _config_entries(repo, '--local', pattern=r'^include(if\..*)?\.path$'):
        path = Path(value).expanduser()
        target = path if path.is_absolute() else git_dir / path
        found = _config_entries(repo, '--file', str(target), pattern=_EXTRAHEADER)
        if found:
            includes.append((key, value))
            headers += found
    return includes, headers


def _unset(repo: git.Repo, entries: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Remove these keys from `.git/config`; returns every value they had, to restore."""
    keys = {key for key, _ in entries}
    removed = [(k, v) for k, v in _config_entries(repo, '--local', pattern='.') if k in keys]
    for key in keys:
        subprocess.run(
            ['git', 'config', '--local', '--unset-all', key],
            cwd=repo.working_tree_dir,
            check=False,
            capture_output=True,
        )
    return removed


@contextlib.contextmanager
def hidden_credentials(repo: git.Repo, token: str | None = None) -> Iterator[dict[str, str]]:
    """While the bot runs the DAL's code, the workspace's git config gives no token.

    actions/checkout (persist-credentials) stores the job token as an `http.<url>.extraheader`:
    up to v5 in the workspace's `.git/config`, from v6 in a file under RUNNER_TEMP that
    `.git/config` includes. Either way the PR's own code could read it with `git config`.
    This takes those entries (or the include) out of `.git/config` for the duration and puts
    them back afterwards; it yields the environment that gives the headers (or, when there
    were none and the remote is https, the `token`) to the bot's own fetches and pushes, so
    they carry exactly one Authorization header.
    """
    local = _config_entries(repo, '--local', pattern=_EXTRAHEADER)
    includes, included = _credential_includes(repo)
    removed = _unset(repo, local + includes)
    env_pairs = local + included
    if not env_pairs and token:
        url = _remote_url(repo)
        if url.startswith('https://'):
            basic = base64.b64encode(f'x-access-token:{token}'.encode()).decode()
            env_pairs.append(('http.extraheader', f'AUTHORIZATION: basic {basic}'))
    try:
        yield config_env(env_pairs) if env_pairs else {}
    finally:
        for key, value in removed:
            subprocess.run(
                ['git', 'config', '--local', '--add', key, value],
                cwd=repo.working_tree_dir,
                check=False,
                capture_output=True,
            )


def _remote_url(repo: git.Repo, remote: str = 'origin') -> str:
    try:
        return repo.remote(remote).url
    except ValueError:
        return ''


def git_env_for_commits(author: tuple[str, str]) -> dict[str, str]:
    """Committer identity for the bot's commits when the machine has none configured."""
    name, email = author
    return {'GIT_COMMITTER_NAME': name, 'GIT_COMMITTER_EMAIL': email}
