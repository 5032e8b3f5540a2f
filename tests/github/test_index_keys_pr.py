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


def test_comment_claims_empty_before_only_where_create_was_the_only_writer():
    from bot.github.comment import render
    from bot.github.results import DalOutcome, RunReport
    from bot.implement import ImplementResult
    from bot.implement._models import IndexKeyAdded
    from bot.verify import PatternResult, VerifyResult

    def key(entity, attribute, readers, writers):
        return IndexKeyAdded(
            entity=entity,
            attribute=attribute,
            index='StatusIndex',
            part='pk',
            template='STATUS#{status}',
            line=1,
            patterns=readers,
            writers=writers,
        )

    verdicts = {2: 'ok', 3: 'ok', 4: 'empty'}
    outcome = DalOutcome(
        dal='d',
        implement=ImplementResult(
            dal='d',
            index_keys=[
                key('Ride', 'status_pk', [2], [7]),
                key('Ticket', 'status_pk', [3, 4], []),
            ],
        ),
        verify=VerifyResult(
            dal='d',
            backend='b',
            endpoint='e',
            runner='python',
            patterns=[
                PatternResult(id=i, owner='R', method=f'm{i}', status=s)
                for i, s in verdicts.items()
            ],
        ),
    )
    body = render(RunReport(mode='pr', repository='o/r', outcomes=[outcome]), env={})
    assert 'turned from empty to ok: &#35;3.' in body
    assert (
        'ok: &#35;2 (before the repair they found only items written by pattern &#35;7).' in body
    )
    assert 'still not ok (see below): &#35;4 empty.' in body
