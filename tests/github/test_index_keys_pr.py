"""PR mode on a DAL whose GSIs are keyed on built attributes: the repair is its own pushed
commit and the comment says what it added and which patterns it turned from empty to ok;
with `fix-index-keys: false` the comment keeps the explanation instead."""

from __future__ import annotations

from tests.support.actionrun import pr_env, run_action
from tests.support.gitrepos import git, make_pr_repos


def _pr(tmp_path, gh):
    repos = make_pr_repos(tmp_path / 'git', {'services/analytics': 'user_analytics'})
    gh.add_pull(
        7, repos.branch, head_sha=repos.head_sha, base_sha=repos.base_sha, title='Analytics DAL'
    )
    return repos


def test_repair_commit_and_comment(tmp_path, gh):
    repos = _pr(tmp_path, gh)
    run = pr_env(tmp_path, gh, repos)
    run_action(run.env)
    subjects = git(repos.workspace, 'log', '--format=%s', f'{repos.head_sha}..HEAD').splitlines()
    assert subjects[-1] == (
        'dal-bot: write the GSI key attributes that create() and update() leave out'
    )
    files = git(
        repos.workspace, 'show', '--name-only', '--format=', 'HEAD~' + str(len(subjects) - 1)
    )
    assert files.splitlines() == ['services/analytics/generated_dal/entities.py']
    body = gh.comments(7)[0]['body']
    assert '**Index keys repaired**' in body
    assert '`User.status_pk` = `STATUS#{status}` (StatusIndex)' in body
    ids = ', '.join(f'&#35;{i}' for i in range(2, 13))
    assert f'turned from empty to ok: {ids}.' in body
    report = run.report()['dals'][0]
    assert len(report['implement']['index_keys']) == 9
    assert report['verify']['counts']['ok'] == 12


def test_turned_off_keeps_the_explanation(tmp_path, gh):
    repos = _pr(tmp_path, gh)
    run = pr_env(tmp_path, gh, repos, inputs={'fix-index-keys': 'false'})
    run_action(run.env)
    log = git(repos.workspace, 'log', '--format=%s', f'{repos.head_sha}..HEAD')
    assert 'GSI key attributes' not in log
    body = gh.comments(7)[0]['body']
    assert 'Index keys repaired' not in body
    assert 'the generated create() does not write them' in body
    assert body.count('StatusIndex are built keys') == 1  # one note for #2, #3 and #12
    assert run.outputs['patterns-failed'] == '11'
