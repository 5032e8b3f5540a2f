"""Nothing the bot writes to GitHub links an unrelated issue: on GitHub a bare `#12` in a commit
message, a pull request title or body, a comment or a job summary is a link to issue (or pull
request) 12 of the repository, and a pushed commit that says `#12` shows up on that issue's
timeline. Patterns are named `access patterns 1, 2` / `AP 3` instead; code spans and code blocks
(which GitHub never links) may hold anything."""

from __future__ import annotations

import re

from tests.support.actionrun import REPO, Run, pr_env, run_action
from tests.support.events import action_env, schedule_event
from tests.support.gitrepos import clone, git, make_pr_repos

_FENCE = re.compile(r'^ {0,3}(`{3,}|~{3,})')
_SPAN = re.compile(r'(`+)(?:(?!\1).)+?\1', re.S)
# `#12` after a start, a space or punctuation (not `&#35;`, not `a#1`, not `owner/repo#1`),
# and `GH-12`: the forms GitHub autolinks.
_REFERENCE = re.compile(r'(?<![&\w/])#\d+\b|\bGH-\d+\b')


def bare_references(text: str) -> list[str]:
    """Every autolinkable issue reference in `text` outside code blocks and code spans, with
    its line."""
    found, fence = [], None
    for number, line in enumerate(text.splitlines(), 1):
        opener = _FENCE.match(line)
        if fence is not None:
            if opener and opener.group(1)[0] == fence[0] and len(opener.group(1)) >= len(fence):
                fence = None
            continue
        if opener:
            fence = opener.group(1)
            continue
        found += [
            f'line {number}: {m} in {line!r}' for m in _REFERENCE.findall(_SPAN.sub('', line))
        ]
    return found


def test_the_scanner_sees_references_and_ignores_code():
    assert bare_references('implement #1, #2 in X') == [
        "line 1: #1 in 'implement #1, #2 in X'",
        "line 1: #2 in 'implement #1, #2 in X'",
    ]
    assert bare_references('see GH-4') and bare_references('(#5)') and bare_references('#6')
    clean = 'AP 3, access patterns 1, 2, `#4`, &#35;5, C#7 a/b#8\n```\n#9\n```\n~~~~ x\n#1\n~~~~'
    assert bare_references(clean) == []


def _everything_written(gh, origin, run: Run, stdout: str) -> dict[str, str]:
    texts = {}
    for i, r in enumerate(gh.writes()):
        for key in ('title', 'body'):
            if isinstance(r.body, dict) and isinstance(r.body.get(key), str):
                texts[f'{r.method} {r.path} {key} ({i})'] = r.body[key]
    for sha in git(origin, 'rev-list', '--all').splitlines():
        texts[f'commit {sha[:7]}'] = git(origin, 'log', '-1', '--format=%B', sha)
    texts['job summary'] = run.summary
    texts['annotations'] = '\n'.join(ln for ln in stdout.splitlines() if ln.startswith('::'))
    return texts


def test_pr_commits_comment_summary_and_annotations_link_no_issue(tmp_path, gh, capsys):
    # stubs left (unmappable), failing patterns, usage repairs of both templates: every
    # sentence that names a pattern number
    repos = make_pr_repos(
        tmp_path / 'git',
        {'svc/a': 'messy_signatures', 'svc/b': 'legacy_blog', 'svc/c': 'user_analytics'},
    )
    gh.add_pull(7, repos.branch, head_sha=repos.head_sha, base_sha=repos.base_sha)
    run = pr_env(tmp_path, gh, repos)
    run_action(run.env)
    texts = _everything_written(gh, repos.origin, run, capsys.readouterr().out)

    subjects = [t.splitlines()[0] for k, t in texts.items() if k.startswith('commit ')]
    implement = [s for s in subjects if s.startswith('dal-bot: implement')]
    assert implement and all(re.search(r'access patterns? \d+(, \d+)* in ', s) for s in implement)
    comment = gh.comments(7)[0]['body']
    assert 'AP 5' in comment  # the ExecuteStatement stub left, still findable by its number
    assert any(t.startswith('::error') for t in texts['annotations'].splitlines())
    found = {k: refs for k, t in texts.items() if (refs := bare_references(t))}
    assert not found, found


def test_sweep_pull_request_title_body_and_commits_link_no_issue(tmp_path, gh, capsys):
    repos = make_pr_repos(tmp_path / 'git', {}, base_dals={'a': 'messy_signatures'})
    workspace = clone(repos.origin, tmp_path / 'main-ws')
    env = action_env(
        tmp_path / 'runner',
        api_url=gh.url,
        workspace=workspace,
        repo=REPO,
        event_name='schedule',
        event=schedule_event(REPO),
    )
    env['DAL_BOT_RUNNER'] = 'python'
    run = Run(tmp_path, env)
    run_action(run.env)
    assert gh.pulls, 'the sweep opened no pull request'
    texts = _everything_written(gh, repos.origin, run, capsys.readouterr().out)
    assert any(k.startswith('POST') and k.endswith('title (0)') or 'title' in k for k in texts)
    assert 'pull request 1' in run.summary
    found = {k: refs for k, t in texts.items() if (refs := bare_references(t))}
    assert not found, found
