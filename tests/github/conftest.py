"""Fixtures for the GitHub-mode tests: the API stand-in and real repos."""

from __future__ import annotations

import pytest

from tests.support.actionrun import REPO
from tests.support.github_standin import GitHubStandIn
from tests.support.gitrepos import make_pr_repos


@pytest.fixture
def gh():
    with GitHubStandIn(repo=REPO, default_branch='main') as standin:
        yield standin


@pytest.fixture
def two_dal_pr(tmp_path, gh):
    repos = make_pr_repos(
        tmp_path / 'git',
        {'services/shop': 'shop_example', 'services/catalog': 'synthetic_gsi'},
    )
    gh.add_pull(
        7, repos.branch, head_sha=repos.head_sha, base_sha=repos.base_sha, title='Add DALs'
    )
    return repos
