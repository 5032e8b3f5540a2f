"""Sweep mode end to end: one PR per DAL with stubs; a second sweep updates, never duplicates."""

from __future__ import annotations

import time

from tests.support.actionrun import REPO, Run, run_action
from tests.support.events import action_env, schedule_event
from tests.support.gitrepos import clone, commit_all, git, make_pr_repos


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


def test_sweep_opens_a_pr_for_unwritten_index_keys_of_a_dal_with_no_stubs(tmp_path, gh):
    """Every stub of `analytics` is implemented on the default branch, but its create() and
    update() still never write the GSI key attributes: sweep opens a PR with the index-key
    repair alone, titled for it. `shop` (stubs and keys done) gets none; with
    `fix-index-keys: false` neither does `analytics`."""
    from bot.implement import implement_dal

    repos = make_pr_repos(
        tmp_path / 'git', {}, base_dals={'analytics': 'user_analytics', 'shop': 'shop_example'}
    )
    dev = clone(repos.origin, tmp_path / 'dev')
    assert implement_dal(dev / 'analytics/generated_dal', fix_index_keys=False).implemented
    assert implement_dal(dev / 'shop/generated_dal').implemented
    base = commit_all(dev, 'implement the stubs')
    git(dev, 'push', '--quiet', 'origin', 'main')
    workspace = clone(repos.origin, tmp_path / 'main-ws')
    branch = 'dal-bot/implement/analytics-generated_dal'

    off = _sweep_env(tmp_path, gh, workspace, **{'fix-index-keys': 'false'})
    assert run_action(off.env) == 0
    assert gh.pulls == [] and not gh.writes()
    assert 'nothing to do' in off.summary

    dry = _sweep_env(tmp_path, gh, workspace, **{'dry-run': 'true'})
    assert run_action(dry.env) == 0
    assert gh.pulls == [] and not gh.writes()
    assert 'would write 9 GSI key attributes on dal-bot/implement/analytics-' in dry.summary
    assert 'shop/generated_dal' not in dry.summary

    run = _sweep_env(tmp_path, gh, workspace)
    assert run_action(run.env) == 0
    (pull,) = gh.pulls
    assert pull['head']['ref'] == branch
    assert pull['title'] == 'dal-bot: write 9 GSI key attributes in analytics/generated_dal'
    assert '**Index keys repaired**' in pull['body']
    assert '`User.status_pk` = `STATUS#{status}` (StatusIndex)' in pull['body']
    assert gh.labels(pull['number']) == ['dal-bot']
    # One commit on the branch: the repair, entities.py only; the default branch untouched.
    log = git(repos.origin, 'log', '--format=%s', f'{base}..{branch}').splitlines()
    assert log == ['dal-bot: write the GSI key attributes that create() and update() leave out']
    changed = git(repos.origin, 'show', '--name-only', '--format=', branch).splitlines()
    assert changed == ['analytics/generated_dal/entities.py']
    assert repos.remote_sha('main', repos.origin) == base
    (outcome,) = run.report()['dals']
    assert outcome['verify']['counts']['ok'] == 12, outcome['verify']['counts']
