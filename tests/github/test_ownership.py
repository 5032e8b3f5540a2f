"""The workspace stays the runner's: after a run as root in a workspace owned by uid 1001,
nothing under it is root's, and git works there as 1001 (commit, fetch). Only what the bot
made changes owner. Needs root (CI runs as root)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from bot.github.ownership import SLACK, return_to_owner
from tests.support.actionrun import pr_env, run_action
from tests.support.gitrepos import make_pr_repos

RUNNER = 1001

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='only root can give files away')


def owned_by(top: Path, uid: int) -> list[str]:
    found = []
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            path = Path(root, name)
            if path.lstat().st_uid == uid:
                found.append(str(path.relative_to(top)))
    return found


def as_runner(cwd: Path, *args: str, home: Path) -> subprocess.CompletedProcess:
    env = {
        'PATH': os.environ['PATH'],
        'HOME': str(home),
        'GIT_AUTHOR_NAME': 'runner',
        'GIT_AUTHOR_EMAIL': 'runner@example.com',
        'GIT_COMMITTER_NAME': 'runner',
        'GIT_COMMITTER_EMAIL': 'runner@example.com',
    }
    return subprocess.run(
        ['git', *args], cwd=cwd, env=env, user=RUNNER, group=RUNNER, extra_groups=[],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


@pytest.fixture
def shared_tmp():
    """A folder uid 1001 can reach (pytest's own tmp is private to root)."""
    path = Path(tempfile.mkdtemp(prefix='dalbot-owner-'))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_only_entries_made_since_the_start_change_owner(shared_tmp):
    old_dir = shared_tmp / 'old'
    old_dir.mkdir()
    (old_dir / 'earlier-step.txt').write_text('root wrote me before the run\n')
    os.chmod(old_dir / 'earlier-step.txt', 0o640)
    time.sleep(SLACK + 0.2)  # before the run, beyond the clock slack
    since = time.time()
    (old_dir / 'new.txt').write_text('the bot\n')
    os.chmod(old_dir / 'new.txt', 0o600)
    (shared_tmp / 'new' / 'deep').mkdir(parents=True)
    (shared_tmp / 'new' / 'deep' / 'object').write_text('x')
    os.symlink('/etc/passwd', shared_tmp / 'link')

    done = return_to_owner(shared_tmp, since, RUNNER, RUNNER)

    # `old` is root's from before, but the bot added to it: changed, so it is the runner's now
    assert sorted(owned_by(shared_tmp, RUNNER)) == [
        'link', 'new', 'new/deep', 'new/deep/object', 'old', 'old/new.txt',
    ]  # fmt: skip
    assert done.entries == 6
    assert (old_dir / 'earlier-step.txt').stat().st_uid == 0  # not the bot's: left alone
    assert os.stat('/etc/passwd').st_uid == 0  # a link is changed itself, never followed
    assert (old_dir / 'new.txt').stat().st_mode & 0o777 == 0o600  # modes kept


def test_after_a_pr_run_git_works_as_the_runner(shared_tmp, gh):
    repos = make_pr_repos(shared_tmp / 'git', {'svc': 'shop_example'})
    gh.add_pull(7, repos.branch, head_sha=repos.head_sha, base_sha=repos.base_sha)
    subprocess.run(['chown', '-R', f'{RUNNER}:{RUNNER}', str(repos.workspace)], check=True)
    mode = repos.workspace.stat().st_mode
    run = pr_env(shared_tmp / 'job', gh, repos)

    assert run_action(run.env) == 0

    assert repos.remote_sha() != repos.head_sha  # the bot did commit and push
    assert owned_by(repos.workspace, 0) == []
    assert repos.workspace.stat().st_mode == mode
    home = shared_tmp / 'runner-home'
    home.mkdir()
    # the origin (a local path here) is root's: the runner's git must accept it
    (home / '.gitconfig').write_text('[safe]\n\tdirectory = *\n')
    os.chown(home, RUNNER, RUNNER)
    (repos.workspace / 'later-step.txt').write_text('a later step commits\n')
    os.chown(repos.workspace / 'later-step.txt', RUNNER, RUNNER)
    for args in (
        ('add', 'later-step.txt'),
        ('commit', '--quiet', '-m', 'a later step'),
        ('fetch', '--quiet', 'origin'),
        ('gc', '--quiet', '--prune=now'),
    ):
        done = as_runner(repos.workspace, *args, home=home)
        assert done.returncode == 0, (args, done.stderr)
