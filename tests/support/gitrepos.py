"""Real git repositories for the bot's tests: a bare "origin", clones, a PR branch with DALs.

    repos = make_pr_repos(tmp_path, {'services/shop': 'shop_example'})
    repos.workspace   # a clone checked out on the PR branch (what actions/checkout gives)
    repos.origin      # the bare repository the bot pushes to (the base repository)
    repos.base_sha, repos.head_sha, repos.branch

Fixture DALs come from tests/fixtures/dals/<name>/ (schema.json + generated_dal/), copied to
the destination folder, so the DAL folder is `<dest>/generated_dal`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / 'fixtures' / 'dals'
IDENTITY = {
    'GIT_AUTHOR_NAME': 'Dev Eloper',
    'GIT_AUTHOR_EMAIL': 'dev@example.com',
    'GIT_COMMITTER_NAME': 'Dev Eloper',
    'GIT_COMMITTER_EMAIL': 'dev@example.com',
}


def git(cwd: Path | str, *args: str, env: dict[str, str] | None = None) -> str:
    full_env = {**os.environ, **IDENTITY, **(env or {})}
    proc = subprocess.run(
        ['git', *args], cwd=cwd, env=full_env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f'git {" ".join(args)} failed in {cwd}: {proc.stderr.strip()}')
    return proc.stdout.strip()


def copy_fixture(name: str, dest: Path) -> Path:
    """Copy fixture DAL `name` (its schema and generated_dal/) to `dest`; the DAL folder."""
    src = FIXTURES / name
    dest.mkdir(parents=True, exist_ok=True)
    for item in src.iterdir():
        if item.name == '__pycache__':
            continue
        if item.is_dir():
            shutil.copytree(item, dest / item.name, ignore=shutil.ignore_patterns('__pycache__'))
        else:
            shutil.copy2(item, dest / item.name)
    return dest / 'generated_dal'


def commit_all(cwd: Path, message: str) -> str:
    git(cwd, 'add', '-A')
    git(cwd, 'commit', '--quiet', '--allow-empty', '-m', message)
    return git(cwd, 'rev-parse', 'HEAD')


def init_origin(tmp: Path, name: str = 'origin.git', default_branch: str = 'main') -> Path:
    origin = tmp / name
    git(tmp, 'init', '--quiet', '--bare', f'--initial-branch={default_branch}', str(origin))
    return origin


def clone(origin: Path, dest: Path, branch: str | None = None) -> Path:
    args = ['clone', '--quiet', str(origin), str(dest)]
    if branch:
        args[2:2] = ['--branch', branch]
    git(dest.parent, *args)
    return dest


@dataclass
class PrRepos:
    origin: Path  # the base repository (bare)
    workspace: Path  # the clone the bot runs in, on the PR branch
    head_origin: Path  # where the PR branch lives (== origin unless fork)
    branch: str
    default_branch: str
    base_sha: str
    head_sha: str
    dals: list[str]  # DAL folders the PR added, relative to the repo root

    def remote_sha(self, branch: str | None = None, origin: Path | None = None) -> str | None:
        out = git(
            origin or self.head_origin,
            'for-each-ref',
            '--format=%(objectname)',
            f'refs/heads/{branch or self.branch}',
        )
        return out or None

    def log(self, ref: str | None = None, origin: Path | None = None) -> list[str]:
        """Subjects of the commits on `ref` (default: the PR branch) since the base, oldest
        first."""
        out = git(
            origin or self.head_origin,
            'log',
            '--reverse',
            '--format=%s',
            f'{self.base_sha}..{ref or self.branch}',
        )
        return out.splitlines() if out else []


def make_pr_repos(
    tmp: Path,
    dals: dict[str, str],
    *,
    branch: str = 'feature/dals',
    default_branch: str = 'main',
    base_dals: dict[str, str] | None = None,
    fork: bool = False,
) -> PrRepos:
    """An origin whose default branch holds `base_dals` (and a README), and a PR branch that
    adds `dals` ({dest folder: fixture name}); with `fork`, the PR branch lives in a fork."""
    tmp.mkdir(parents=True, exist_ok=True)
    origin = init_origin(tmp, default_branch=default_branch)
    seed = tmp / 'seed'
    git(tmp, 'init', '--quiet', f'--initial-branch={default_branch}', str(seed))
    (seed / 'README.md').write_text('# a service with generated DALs\n')
    for dest, name in (base_dals or {}).items():
        copy_fixture(name, seed / dest)
    base_sha = commit_all(seed, 'initial commit')
    git(seed, 'remote', 'add', 'origin', str(origin))
    git(seed, 'push', '--quiet', 'origin', default_branch)
    head_origin = origin
    if fork:
        head_origin = tmp / 'fork.git'
        git(tmp, 'clone', '--quiet', '--bare', str(origin), str(head_origin))
        git(seed, 'remote', 'add', 'fork', str(head_origin))
    git(seed, 'checkout', '--quiet', '-b', branch)
    added = []
    for dest, name in dals.items():
        copy_fixture(name, seed / dest)
        added.append(f'{dest}/generated_dal')
    head_sha = commit_all(seed, 'Add generated DALs')
    git(seed, 'push', '--quiet', 'fork' if fork else 'origin', branch)
    workspace = clone(head_origin, tmp / 'workspace', branch)
    shutil.rmtree(seed)
    return PrRepos(
        origin, workspace, head_origin, branch, default_branch, base_sha, head_sha, sorted(added)
    )


def push_change(
    origin: Path, branch: str, relpath: str, content: str, tmp: Path, message: str = 'human edit'
) -> str:
    """Another developer pushes a commit to `branch` of `origin` (from their own clone)."""
    other = tmp / f'other-{os.urandom(4).hex()}'
    clone(origin, other, branch)
    path = other / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    sha = commit_all(other, message)
    git(other, 'push', '--quiet', 'origin', branch)
    shutil.rmtree(other)
    return sha
