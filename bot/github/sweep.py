"""Sweep mode (schedule / workflow_dispatch): one PR per DAL that still has work: stubs, or
GSI key attributes its create() and update() leave out (the index-key repair,
`bot.implement.index_keys`, unless `fix-index-keys: false`), which a DAL with no stub left
can still need.

For each such DAL on the default branch: branch `dal-bot/implement/<slug of the DAL path>`,
the verification gate (verify, take out what raised, chunk commits of what passed:
`bot.gate`), push, and a pull request (label `dal-bot`, body = the report) whose title says
what it does.

An existing bot branch is handled without clobbering anyone:
- it is up to date with the default branch (the default tip is its ancestor): the bot works
  on top of it and pushes fast-forward only (usually nothing new: the PR is just refreshed);
- the default branch moved on: the branch is rebuilt from the default tip and pushed with
  `--force-with-lease` pinned to the SHA the bot fetched — only when every commit on it is
  the bot's own (same author e-mail); a branch with someone else's commits is left alone and
  reported.
An open PR for the branch is updated (title, body), never duplicated. `dry_run` only reports.
"""

from __future__ import annotations

import contextlib
import re

from bot.discover import find_dals
from bot.errors import BadInput, InfrastructureError
from bot.github import comment as comment_md
from bot.github import gitops, steps
from bot.github.client import api_call
from bot.github.context import Context
from bot.github.results import DalOutcome, RunReport

BRANCH_PREFIX = 'dal-bot/implement/'
LABEL = 'dal-bot'


def slug(dal: str) -> str:
    """`services/Shop Orders/generated_dal` -> `services-shop-orders-generated_dal`."""
    text = re.sub(r'[^A-Za-z0-9._]+', '-', dal.strip('/')).strip('-.').lower()
    text = re.sub(r'\.{2,}', '.', text)
    return (text or 'root')[:100].rstrip('-.')


def branch_for(dal: str) -> str:
    return gitops.check_branch_name(BRANCH_PREFIX + slug(dal))


def _work(ctx: Context, dal: str) -> tuple[int, int]:
    """(stubs, GSI key attributes the index-key repair would add) of a DAL, nothing written."""
    from bot.files import read_source
    from bot.implement import index_keys
    from bot.model import load_dal

    model = load_dal(ctx.workspace / dal)
    entities = model.path / index_keys.FILE
    keys = 0
    if ctx.inputs.fix_index_keys and entities.is_file():
        repaired = index_keys.repair_index_keys(model, read_source(entities)[0])
        keys = len(repaired[1]) if repaired else 0
    return len(model.stubs), keys


def _what(stubs: int, keys: int) -> str:
    """`implement 3 stubs and write 2 GSI key attributes` (either part alone when the other is 0)."""
    parts = []
    if stubs:
        parts.append(f'implement {stubs} stub{"s" if stubs != 1 else ""}')
    if keys:
        parts.append(f'write {keys} GSI key attribute{"s" if keys != 1 else ""}')
    return ' and '.join(parts)


def _authors(repo, base: str, tip: str) -> set[str]:
    out = repo.git.log('--format=%ae', f'{base}..{tip}')
    return {line.strip() for line in out.splitlines() if line.strip()}


def run_sweep(ctx: Context) -> int:
    inputs = ctx.inputs
    gh = ctx.github()
    with api_call(f'reading repository {ctx.repository}'):
        repo_api = gh.get_repo(ctx.repository)
        default = repo_api.default_branch
    gitops.check_branch_name(default)
    owner = ctx.repository.split('/')[0]
    report = RunReport(
        mode='sweep',
        repository=ctx.repository,
        event=ctx.event_name,
        branch=default,
        dry_run=inputs.dry_run,
    )
    repo = gitops.open_repo(ctx.workspace)
    start_ref, start_sha = gitops.current_branch(repo), gitops.head_sha(repo)
    if not gitops.is_clean(repo):
        raise InfrastructureError(
            'the workspace has uncommitted changes; sweep needs a clean checkout'
        )

    with gitops.hidden_credentials(repo, inputs.github_token) as git_env:
        default_sha = gitops.fetch_branch(repo, default, env=git_env)
        if default_sha is None:
            raise InfrastructureError(f'the default branch {default!r} is not on origin')
        try:
            gitops.checkout_branch(repo, f'{BRANCH_PREFIX}_scan', default_sha)
            candidates = []
            for dal in find_dals(ctx.workspace, inputs.paths):
                try:
                    stubs, keys = _work(ctx, dal)
                except BadInput as e:
                    report.outcomes.append(DalOutcome(dal=dal, error=str(e), action='skipped'))
                    continue
                if stubs or keys:
                    candidates.append((dal, _what(stubs, keys)))
                else:
                    checked = (
                        'no unwritten GSI key attributes'
                        if inputs.fix_index_keys
                        else 'GSI key attributes not checked (fix-index-keys: false)'
                    )
                    steps.log(f'{dal}: no stubs, {checked}: nothing to do')
            for dal, what in candidates:
                outcome = DalOutcome(dal=dal, branch=branch_for(dal))
                report.outcomes.append(outcome)
                with api_call(f'looking for an open pull request from {outcome.branch}'):
                    open_pulls = list(
                        repo_api.get_pulls(
                            state='open', head=f'{owner}:{outcome.branch}', base=default
                        )
                    )
                pull = open_pulls[0] if open_pulls else None
                if inputs.dry_run:
                    outcome.action = f'would {what} on {outcome.branch} and ' + (
                        f'update pull request {pull.number}' if pull else 'open a pull request'
                    )
                    steps.log(f'{dal}: {outcome.action}')
                    continue
                _sweep_one(
                    ctx, report, repo, repo_api, outcome, pull, default, default_sha, git_env
                )
        finally:
            gitops.restore(repo, start_ref, start_sha)
            with contextlib.suppress(Exception):  # best-effort cleanup of the scan branch
                repo.git.branch('-D', f'{BRANCH_PREFIX}_scan')
    report.head_sha = default_sha
    markdown = _summary(report)
    return steps.finish(ctx, report, markdown)


def _sweep_one(ctx, report, repo, repo_api, outcome, pull, default, default_sha, git_env):
    branch = outcome.branch
    bot_email = ctx.inputs.commit_author[1]
    remote = gitops.fetch_branch(repo, branch, env=git_env)
    lease = None
    if remote and gitops.is_ancestor(repo, default_sha, remote):
        start = remote  # up to date with the default branch: continue on top of it
    elif remote:
        others = _authors(repo, default_sha, remote) - {bot_email}
        if others:
            outcome.action = 'left alone: the branch has commits by others'
            outcome.error = (
                f'the branch {branch} has commits by {", ".join(sorted(others))}; dal-bot did '
                'not touch it'
            )
            return
        start, lease = default_sha, remote  # rebuild from the default tip (own branch only)
    else:
        start = default_sha
    gitops.checkout_branch(repo, branch, start)
    steps.implement(ctx, outcome, commit=True)
    if outcome.error:  # nothing of it was committed (bot.gate)
        outcome.action = 'not pushed'
        return
    head = gitops.head_sha(repo)
    if head != start or (remote is None and head != default_sha) or lease:
        result = gitops.push(repo, head, branch, env=git_env, lease=lease)
        if not result.ok:
            outcome.error = f'{branch}: {result.message}'
            outcome.action = 'not pushed'
            return
        steps.log(f'{branch}: pushed {head[:7]}' + (' (rebuilt)' if lease else ''))
    elif remote is None:
        outcome.action = 'nothing to implement'
        return

    one = RunReport(
        mode='sweep',
        repository=ctx.repository,
        event=ctx.event_name,
        branch=branch,
        head_sha=head,
        outcomes=[outcome],
        push='pushed' if head != default_sha else 'nothing',
    )
    body = comment_md.render(one, env=ctx.env)
    if not comment_md.fits(body):
        body = comment_md.render(one, compact=True, env=ctx.env)
    if not comment_md.fits(body):
        body = comment_md.cut(body)
    keys = len(outcome.implement.index_keys) if outcome.implement else 0
    what = _what(outcome.implemented, keys) or 'implement the stubs'
    title = f'dal-bot: {what} in {outcome.dal}'
    if pull is not None:
        with api_call(f'updating pull request {pull.number}'):
            pull.edit(title=title, body=body)
        outcome.action = 'updated PR'
    else:
        with api_call(f'opening a pull request from {branch}'):
            pull = repo_api.create_pull(title=title, body=body, head=branch, base=default)
        outcome.action = 'opened PR'
        with api_call(f'labelling pull request {pull.number}'):
            pull.add_to_labels(LABEL)
    outcome.pull_number = pull.number
    outcome.pull_url = pull.html_url
    steps.log(f'{outcome.dal}: {outcome.action} {pull.number}')


def _summary(report: RunReport) -> str:
    lines = [comment_md.MARKER, '## dal-bot sweep' + (' (dry run)' if report.dry_run else ''), '']
    if not report.outcomes:
        lines.append('No DAL has stubs or unwritten GSI key attributes left: nothing to do.')
    for o in report.outcomes:
        from bot.report import code_span, escape_cell

        line = f'- {code_span(o.dal)}: {escape_cell(o.action or "")}'
        if o.pull_number:
            line += f' ({comment_md.pull_link(o.pull_number, o.pull_url)})'
        if o.verify:
            from bot.report import summary_line

            line += f' — {summary_line(o.verify)}'
        if o.error:
            line += f' — {escape_cell(o.error, 500)}'
        lines.append(line)
    return '\n'.join(lines) + '\n'
