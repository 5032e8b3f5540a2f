"""End to end, the less travelled paths: `commit: false`, a fork whose token cannot comment,
and a sweep that finds its branch behind a moved default branch (rebuild with a lease)."""

from __future__ import annotations

import time

from bot.github import gitops
from bot.github.comment import MARKER, PATCH_FENCE, PATCH_INFO
from tests.support.actionrun import REPO, Run, pr_env, run_action
from tests.support.events import action_env, schedule_event
from tests.support.gitrepos import clone, git, make_pr_repos, push_change

BOT_EMAIL = 'dal-bot@users.noreply.github.com'


def _heads(origin) -> list[str]:
    return git(origin, 'for-each-ref', '--format=%(refname)', 'refs/heads').splitlines()


def _pattern_rows(report: dict) -> list[str]:
    """The table row openings the comment must show for every verified access pattern."""
    rows = []
    for dal in report['dals']:
        for p in dal['verify']['patterns']:
            rows.append(f'| {p["id"]} | `{p["owner"]}.{p["method"]}` |')
    return rows


def test_commit_false_verifies_and_reports_but_pushes_nothing(tmp_path, gh):
    repos = make_pr_repos(tmp_path / 'git', {'svc': 'shop_example'})
    gh.add_pull(7, repos.branch, head_sha=repos.head_sha, base_sha=repos.base_sha)
    heads_before = _heads(repos.origin)
    run = pr_env(tmp_path, gh, repos, inputs={'commit': 'false'})
    assert run.env['INPUT_COMMIT'] == 'false'

    code = run_action(run.env)

    assert code == 0
    # nothing pushed: the PR branch is where the author left it, no new branch either
    assert repos.remote_sha() == repos.head_sha
    assert _heads(repos.origin) == heads_before
    assert repos.log() == ['Add generated DALs']

    report = run.report()
    assert report['mode'] == 'report-only' and report['push'] == 'not-pushed'
    commits = [c for d in report['dals'] for c in d['implement']['commits']]
    assert len(commits) >= 2
    patterns = report['dals'][0]['verify']['patterns']
    assert patterns and all(p['status'] == 'ok' for p in patterns)
    outputs = run.outputs
    assert outputs['dals'] == '["svc/generated_dal"]'
    assert int(outputs['implemented']) > 0
    assert (outputs['patterns-ok'], outputs['patterns-failed']) == (str(len(patterns)), '0')

    comments = gh.comments(7)
    assert len(comments) == 1
    body = comments[0]['body']
    assert body.startswith(MARKER)
    assert f'all {len(patterns)} access patterns verified' in body
    assert f'{len(commits)} commits not pushed (patch below)' in body
    assert f'**Commits made (not pushed)** ({len(commits)})' in body
    assert 'pushed to' not in body
    # The local commits' sha would lead nowhere on GitHub: the comment names the patch.
    assert 'verified with the patch applied' in body and 'verified at' not in body
    assert 'The action runs with `commit: false`, so dal-bot did not push.' in body
    for row in _pattern_rows(report):
        assert row in body
    assert body.count('✅ ok |') == len(patterns)
    assert f'{PATCH_FENCE} {PATCH_INFO}' in body
    assert body.count('Subject: [PATCH') == len(commits)
    assert run.summary.startswith(MARKER)
    assert not gh.unknown


def test_fork_comment_forbidden_warns_and_still_reports(tmp_path, gh, capsys):
    repos = make_pr_repos(tmp_path / 'git', {'svc': 'shop_example'}, fork=True)
    gh.add_pull(
        8,
        repos.branch,
        head_repo='contrib/shop',
        head_sha=repos.head_sha,
        base_sha=repos.base_sha,
    )
    # a fork's token is read-only: every attempt to create the comment is refused
    gh.fail_next(10, 403, method='POST', path=r'/issues/8/comments$')
    run = pr_env(tmp_path, gh, repos, number=8, head_repo='contrib/shop')

    code = run_action(run.env)

    assert code == 0
    stdout = capsys.readouterr().out
    warnings = [line for line in stdout.splitlines() if line.startswith('::warning')]
    assert len(warnings) == 1
    assert warnings[0].startswith(
        '::warning title=dal-bot::GitHub API error 403 while commenting on pull request 8: '
        'Resource not accessible by integration'
    )
    assert not [line for line in stdout.splitlines() if line.startswith('::error')]

    posts = [r for r in gh.requests if r.method == 'POST' and r.path.endswith('/8/comments')]
    assert posts and {r.status for r in posts} == {403}
    assert gh.comments(8) == []

    # the job summary carries what the comment would have said, patch included
    summary = run.summary
    assert summary.startswith(MARKER)
    assert 'This pull request comes from a fork, so dal-bot did not push.' in summary
    assert f'{PATCH_FENCE} {PATCH_INFO}' in summary
    report = run.report()
    for row in _pattern_rows(report):
        assert row in summary
    assert report['mode'] == 'fork' and report['push'] == 'not-pushed'
    outputs = run.outputs
    assert outputs['dals'] == '["svc/generated_dal"]'
    assert int(outputs['implemented']) == report['implemented'] > 0
    assert outputs['patterns-failed'] == '0' and int(outputs['patterns-ok']) > 0
    assert outputs['report'] == 'dal-bot-report.json'
    # nothing pushed anywhere
    assert repos.remote_sha() == repos.head_sha
    assert repos.remote_sha(origin=repos.origin) is None


def _sweep(tmp_path, gh, workspace) -> Run:
    env = action_env(
        tmp_path / f'runner-{time.monotonic_ns()}',
        api_url=gh.url,
        workspace=workspace,
        repo=REPO,
        event_name='schedule',
        event=schedule_event(REPO),
    )
    env['DAL_BOT_RUNNER'] = 'python'
    return Run(tmp_path, env)


def _pull_writes(gh, since: int) -> list[str]:
    return [
        f'{r.method} {r.path}'
        for r in gh.requests[since:]
        if '/pulls' in r.path and r.method != 'GET'
    ]


def test_sweep_rebuilds_own_branch_with_lease_and_never_clobbers(tmp_path, gh, monkeypatch):
    repos = make_pr_repos(tmp_path / 'git', {}, base_dals={'a': 'shop_example'})
    origin = repos.origin
    branch = 'dal-bot/implement/a-generated_dal'
    workspace = clone(origin, tmp_path / 'main-ws')

    # 1. the first sweep opens the PR
    assert run_action(_sweep(tmp_path, gh, workspace).env) == 0
    assert len(gh.pulls) == 1
    number = gh.pulls[0]['number']
    first_tip = repos.remote_sha(branch, origin)
    bot_subjects = repos.log(branch, origin)

    # 2. the default branch moves on: the bot's branch is rebuilt on it, the PR updated
    main2 = push_change(origin, 'main', 'NOTES.md', 'merged meanwhile\n', tmp_path)
    mark = len(gh.requests)
    run2 = _sweep(tmp_path, gh, workspace)
    assert run_action(run2.env) == 0
    tip2 = repos.remote_sha(branch, origin)
    assert tip2 != first_tip
    assert gitops.is_ancestor(gitops.open_repo(origin), main2, tip2)
    assert not gitops.is_ancestor(gitops.open_repo(origin), first_tip, tip2)  # rebuilt
    rebuilt = git(origin, 'log', '--format=%s', '--reverse', f'{main2}..{tip2}').splitlines()
    assert rebuilt == bot_subjects
    assert set(git(origin, 'log', '--format=%ae', f'{main2}..{tip2}').splitlines()) == {BOT_EMAIL}
    assert len(gh.pulls) == 1  # updated, not duplicated
    assert _pull_writes(gh, mark) == [f'PATCH /repos/{REPO}/pulls/{number}']
    assert tip2[:7] in gh.pull(number)['body']
    dal = run2.report()['dals'][0]
    assert (dal['action'], dal['pull_number']) == ('updated PR', number)
    assert f'updated PR ([pull request {number}](' in run2.summary

    # 3. someone pushes to the bot's branch after the bot fetched it: the lease refuses
    push_change(origin, 'main', 'NOTES.md', 'merged again\n', tmp_path)
    human = {}
    real_push = gitops.push

    def push_after_a_human(repo, sha, ref, **kw):
        if ref == branch and not human:
            human['sha'] = push_change(origin, branch, 'HUMAN.md', 'mine\n', tmp_path)
        return real_push(repo, sha, ref, **kw)

    monkeypatch.setattr(gitops, 'push', push_after_a_human)
    body_before = gh.pull(number)['body']
    mark = len(gh.requests)
    run3 = _sweep(tmp_path, gh, workspace)
    assert run_action(run3.env) == 1
    monkeypatch.setattr(gitops, 'push', real_push)
    assert repos.remote_sha(branch, origin) == human['sha']  # the human's commit survives
    assert git(origin, 'log', '-1', '--format=%s', branch) == 'human edit'
    assert _pull_writes(gh, mark) == []
    assert gh.pull(number)['body'] == body_before
    dal = run3.report()['dals'][0]
    assert dal['action'] == 'not pushed'
    assert dal['error'].startswith(f'{branch}: ') and 'stale info' in dal['error']
    assert 'not pushed' in run3.summary

    # 4. the branch now holds someone else's commit: left alone, said so
    mark = len(gh.requests)
    run4 = _sweep(tmp_path, gh, workspace)
    assert run_action(run4.env) == 1
    assert repos.remote_sha(branch, origin) == human['sha']
    assert _pull_writes(gh, mark) == []
    assert len(gh.pulls) == 1
    dal = run4.report()['dals'][0]
    assert dal['action'] == 'left alone: the branch has commits by others'
    assert 'dev@example.com' in dal['error']
    assert 'left alone' in run4.summary
    assert 'dev&#64;example.com' in run4.summary  # escaped: no @-mention
    assert git(workspace, 'rev-parse', '--abbrev-ref', 'HEAD') == 'main'
    assert not gh.unknown
