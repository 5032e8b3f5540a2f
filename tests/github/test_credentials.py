"""The job token is out of reach of the DAL's code while it runs, and the bot's own git
calls carry it exactly once, for both ways actions/checkout persists it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import git as gitpython
import pytest

from bot.github import gitops
from tests.support.gitrepos import git

HEADER = 'AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46Z2hzX3NlY3JldA=='


def _headers(workspace: Path, env: dict[str, str] | None = None) -> list[str]:
    """Every extraheader git would send from the workspace (all scopes, includes followed),
    which is what the DAL's code, or the bot's push, gets."""
    proc = subprocess.run(
        ['git', 'config', '--get-regexp', r'^http\..*extraheader$'],
        cwd=workspace,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.splitlines()


def _workspace(tmp_path: Path) -> Path:
    workspace = tmp_path / 'workspace'
    workspace.mkdir()
    git(workspace, 'init', '--quiet')
    git(workspace, 'remote', 'add', 'origin', 'https://github.com/acme/shop.git')
    return workspace


def _checkout_v4(workspace: Path, tmp_path: Path) -> None:
    git(workspace, 'config', '--local', 'http.https://github.com/.extraheader', HEADER)


def _checkout_v6(workspace: Path, tmp_path: Path) -> None:
    runner_temp = tmp_path / 'runner_temp'
    runner_temp.mkdir()
    credentials = runner_temp / 'git-credentials-5f0c.config'
    credentials.write_text(f'[http "https://github.com/"]\n\textraheader = {HEADER}\n')
    git_dir = (workspace / '.git').resolve()
    git(workspace, 'config', '--local', f'includeIf.gitdir:{git_dir}.path', str(credentials))


@pytest.mark.parametrize('checkout', [_checkout_v4, _checkout_v6], ids=['v4', 'v6'])
def test_the_token_is_hidden_during_the_run_and_given_once_to_the_bot(tmp_path, checkout):
    workspace = _workspace(tmp_path)
    checkout(workspace, tmp_path)
    assert len(_headers(workspace)) == 1
    local_config = sorted(git(workspace, 'config', '--local', '--list').splitlines())

    with gitops.hidden_credentials(gitpython.Repo(workspace), token='ghs_other') as env:
        assert _headers(workspace) == [], 'the DAL code can read the token'
        pushed = _headers(workspace, env)
        assert len(pushed) == 1, pushed
        assert pushed[0].endswith(HEADER)

    assert sorted(git(workspace, 'config', '--local', '--list').splitlines()) == local_config
    assert len(_headers(workspace)) == 1


def test_without_a_persisted_token_the_bot_uses_the_input_token(tmp_path):
    workspace = _workspace(tmp_path)
    with gitops.hidden_credentials(gitpython.Repo(workspace), token='ghs_input') as env:
        pushed = _headers(workspace, env)
    assert pushed == ['http.extraheader AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46Z2hzX2lucHV0']
    assert _headers(workspace) == []
