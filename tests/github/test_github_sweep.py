"""Sweep mode end to end: one PR per DAL with stubs; a second sweep updates, never duplicates."""

from __future__ import annotations

import time

from tests.support.actionrun import REPO, Run, run_action
from tests.support.events import action_env, schedule_event
from tests.support.gitrepos import clone, git, make_pr_repos


def _sweep_env(tmp_path, gh, workspace, **inputs):
    env = action_env(
        tmp_path / f'runner-{time.monotonic_ns()}',
        api_url=gh.url,
        workspace=workspace,
        repo=REPO,
        event_name='schedule',
        event=schedule_event(REPO),
        inputs=inputs,
    )
    env['DAL_BOT_RUNNER'] = 'python'
    return Run(tmp_path, env)


def test_sweep_opens_one_pr_per_dal_then_updates(tmp_path, gh):
    repos = make_pr_repos(
        tmp_path / 'git', {}, base_dals={'a': 'shop_example', 'b': 'synthetic_gsi'}
    )
    workspace = clone(repos.origin, tmp_path / 'main-ws')
    dry = _sweep_env(tmp_path, gh, workspace, **{'dry-run': 'true'})
    assert run_action(dry.env) == 0
    assert gh.pulls == [] and not gh.writes()
    assert 'would implement' in dry.summary

    started = time.perf_counter()
    run = _sweep_env(tmp_path, gh, workspace)
    assert run_action(run.env) == 0
    print(f'e2e sweep two DALs: {time.perf_counter() - started:.1f}s')
    pulls = sorted(gh.pulls, key=lambda p: p['head']['ref'])
    assert [p['head']['ref'] for p in pulls] == [
        'dal-bot/implement/a-generated_dal',
        'dal-bot/implement/b-generated_dal',
    ]
    assert all(gh.labels(p['number']) == ['dal-bot'] for p in pulls)
    assert all(p['base']['ref'] == 'main' for p in pulls)
    assert all('<!-- dal-bot:report -->' in p['body'] for p in pulls)
    tips = {p['head']['ref']: repos.remote_sha(p['head']['ref'], repos.origin) for p in pulls}
    assert all(tips.values())
    assert repos.remote_sha('main', repos.origin) == repos.base_sha  # never the default branch
    assert git(workspace, 'rev-parse', '--abbrev-ref', 'HEAD') == 'main'  # restored

    run2 = _sweep_env(tmp_path, gh, workspace)
    assert run_action(run2.env) == 0
    assert len(gh.pulls) == 2
    for ref, sha in tips.items():
        assert repos.remote_sha(ref, repos.origin) == sha  # nothing new to push
    patches = [r for r in gh.requests if r.method == 'PATCH' and '/pulls/' in r.path]
    assert len(patches) == 2
