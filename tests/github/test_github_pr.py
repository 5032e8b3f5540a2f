"""PR mode end to end: stand-in API, real git repos, the real implement and verify."""

from __future__ import annotations

import os
import re
import time

from bot.github.comment import MARKER
from tests.support.actionrun import REPO, pr_env, run_action
from tests.support.gitrepos import git, push_change


def _bot_commits(repos) -> list[str]:
    return [s for s in repos.log() if s != 'Add generated DALs']


def test_same_repo_pr_two_dals(tmp_path, gh, two_dal_pr):
    repos = two_dal_pr
    run = pr_env(tmp_path, gh, repos)
    started = time.perf_counter()
    code = run_action(run.env)
    seconds = time.perf_counter() - started
    print(f'e2e two DALs: {seconds:.1f}s')

    # commits on the PR branch, in order: blog's DAL first (sorted paths), chunks then usage
    subjects = _bot_commits(repos)
    assert subjects, 'no commits pushed'
    assert repos.remote_sha() == git(repos.workspace, 'rev-parse', 'HEAD')
    assert len(subjects) >= 4
    authors = git(repos.workspace, 'log', '--format=%an <%ae>', f'{repos.head_sha}..HEAD')
    assert set(authors.splitlines()) == {'dal-bot <dal-bot@users.noreply.github.com>'}

    comments = gh.comments(7)
    assert len(comments) == 1
    body = comments[0]['body']
    if os.environ.get('DAL_BOT_SHOW_COMMENT'):
        print(body)
    assert body.startswith(MARKER)
    assert 'services/shop/generated_dal' in body and 'services/catalog/generated_dal' in body
    assert 'dal-bot run services/shop/generated_dal' in body
    assert re.search(r'access patterns cost [\d.]+ RCU, [\d.]+ WCU', body)  # both DALs
    assert len(re.findall(r'ok · cost [\d.]+ RCU, [\d.]+ WCU \(', body)) == 2  # each DAL
    assert len(body) < 65536

    outputs = run.outputs
    assert outputs['dals'] == '["services/catalog/generated_dal", "services/shop/generated_dal"]'
    report = run.report()
    implemented = sum(len(d['implement']['implemented']) for d in report['dals'])
    assert int(outputs['implemented']) == implemented > 0
    backends = {d['verify']['backend'] for d in report['dals']}
    # verified at once, each worker on an embedded moto server of its own (one per CPU at most)
    assert all(b.startswith('embedded moto') for b in backends), report['dals']
    assert len(backends) <= (os.cpu_count() or 1)
    assert report['head_sha'] == repos.remote_sha()
    assert run.summary.startswith(MARKER)
    ok, failed = int(outputs['patterns-ok']), int(outputs['patterns-failed'])
    assert (ok, failed) == (21, 0)
    assert code == 0
    assert not gh.unknown

    # re-run: nothing new to commit, the same comment is edited
    sha = repos.remote_sha()
    run.reset_files()
    code2 = run_action(run.env)
    assert repos.remote_sha() == sha
    after = gh.comments(7)
    assert len(after) == 1 and after[0]['id'] == comments[0]['id']
    assert [r.method for r in gh.writes()] == ['POST', 'PATCH'] or failed
    assert run.outputs['implemented'] == '0'
    assert code2 == code
    assert not [r for r in gh.requests if r.method == 'POST' and r.path.endswith('/pulls')]
    assert os.environ.get('GITHUB_TOKEN') is None or True


def test_concurrent_push_is_redone_on_top_never_forced(tmp_path, gh, two_dal_pr):
    from bot.github.pr import Hooks

    repos = two_dal_pr
    run = pr_env(tmp_path, gh, repos, inputs={'paths': 'services/shop/*'})
    human = {}

    def before_push(attempt):
        if attempt == 0:
            human['sha'] = push_change(
                repos.origin, repos.branch, 'NOTES.md', 'a human was here\n', tmp_path
            )

    code = run_action(run.env, hooks=Hooks(before_push=before_push))
    tip = repos.remote_sha()
    assert git(repos.origin, 'merge-base', '--is-ancestor', human['sha'], tip) == ''
    subjects = repos.log()
    assert subjects.index('human edit') < len(subjects) - 1  # the bot's commits come after
    assert any('dal-bot' in s for s in subjects[subjects.index('human edit') :])
    body = gh.comments(7)[0]['body']
    assert 'moved while dal-bot worked' in body
    assert run.outputs['dals'] == '["services/shop/generated_dal"]'
    assert code == 0


def test_branch_moving_twice_stops_without_pushing(tmp_path, gh, two_dal_pr):
    from bot.github.pr import Hooks

    repos = two_dal_pr
    run = pr_env(tmp_path, gh, repos, inputs={'paths': 'services/shop/*'})
    shas = []

    def before_push(attempt):
        shas.append(push_change(repos.origin, repos.branch, f'n{attempt}.md', 'x\n', tmp_path))

    code = run_action(run.env, hooks=Hooks(before_push=before_push))
    assert repos.remote_sha() == shas[-1]  # nothing of the bot's, nothing forced
    assert code == 1
    body = gh.comments(7)[0]['body']
    assert 'moved twice' in body and 'did not push' in body
    assert run.report()['push'] == 'branch-moved'


def test_fork_pr_gets_a_patch_that_git_am_applies(tmp_path, gh):
    import subprocess

    from bot.github.comment import PATCH_FENCE, PATCH_INFO
    from tests.support.gitrepos import clone, make_pr_repos

    repos = make_pr_repos(tmp_path / 'git', {'svc': 'shop_example'}, fork=True)
    gh.add_pull(
        8,
        repos.branch,
        head_repo='contrib/shop',
        head_sha=repos.head_sha,
        base_sha=repos.base_sha,
    )
    run = pr_env(tmp_path, gh, repos, number=8, head_repo='contrib/shop')
    code = run_action(run.env)
    assert code == 0
    assert repos.remote_sha() == repos.head_sha  # the fork's branch untouched
    assert repos.remote_sha(origin=repos.origin) is None  # nothing pushed upstream either
    body = gh.comments(8)[0]['body']
    assert f'{PATCH_FENCE} {PATCH_INFO}' in body and 'gh pr view 8' in body
    import shlex

    from bot.github.comment import apply_command

    awk = shlex.split(apply_command(REPO, 8).split(' | ')[1])  # the comment's own command
    assert awk[0] == 'awk'
    patch = subprocess.run(awk, input=body, capture_output=True, text=True, check=True).stdout
    other = clone(repos.head_origin, tmp_path / 'contributor', repos.branch)
    subprocess.run(
        ['git', 'am', '--quiet'],
        cwd=other,
        input=patch,
        text=True,
        check=True,
        env={**os.environ, 'GIT_COMMITTER_NAME': 'c', 'GIT_COMMITTER_EMAIL': 'c@x'},
    )
    from bot.model import load_dal

    assert not load_dal(other / 'svc' / 'generated_dal').stubs
    assert len(git(other, 'log', '--format=%s', f'{repos.head_sha}..HEAD').splitlines()) >= 2


def test_no_dal_touched_short_comment_no_commits(tmp_path, gh):
    from tests.support.gitrepos import make_pr_repos

    repos = make_pr_repos(tmp_path / 'git', {}, base_dals={'svc': 'shop_example'})
    gh.add_pull(9, repos.branch, head_sha=repos.head_sha, base_sha=repos.base_sha)
    run = pr_env(tmp_path, gh, repos, number=9)
    assert run_action(run.env) == 0
    assert repos.remote_sha() == repos.head_sha
    body = gh.comments(9)[0]['body']
    assert 'no generated DAL changed' in body
    assert run.outputs['dals'] == '[]'
    # comment-when-clean false: no comment at all on a PR without one
    gh.add_pull(10, repos.branch, head_sha=repos.head_sha, base_sha=repos.base_sha)
    run2 = pr_env(tmp_path / 'b', gh, repos, number=10, inputs={'comment-when-clean': 'false'})
    assert run_action(run2.env) == 0
    assert gh.comments(10) == []
