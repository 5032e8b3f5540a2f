"""PR mode (and fork mode): implement the DALs a pull request touched, push, verify, comment.

Order of work, so that nothing is half-done when something fails:
1. API reads first (repository, pull request, the existing comment): a bad token or missing
   permission stops the run before any git work.
2. git: fetch the PR head branch, start from its tip (the workspace must be clean).
3. implement each touched DAL through the verification gate (`bot.gate`): verified before
   anything is committed (commits pushed with GITHUB_TOKEN trigger no new workflow run, so
   this run reports on them), with the job token out of `.git/config`; a method whose own
   call raised is taken out again; chunk commits of what passed, and the verdict describes
   exactly what is committed.
4. push once, fast-forward only. A rejected push (someone pushed meanwhile) is re-fetched and
   the work redone on the new tip, once; a second rejection stops the run and says so. Never
   forced. Fork PRs (and `commit: false`) are not pushed: the commits become a patch.
5. one comment, found by its hidden marker and edited in place; summary, outputs, annotations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.discover import changed_files, find_dals, touched_dals
from bot.errors import BadInput, InfrastructureError
from bot.github import comment as comment_md
from bot.github import gitops, steps, workflow
from bot.github.client import api_call, api_errors, describe
from bot.github.context import Context
from bot.github.results import DalOutcome, RunReport


@dataclass
class Hooks:
    """Points where tests step in (e.g. push to the branch from elsewhere before our push)."""

    before_push: Callable[[int], None] | None = None  # called with the attempt number (0, 1)


def find_comment(pull):
    """The bot's comment on the PR (hidden marker at the start; bot authors first)."""
    mine = [c for c in pull.get_issue_comments() if (c.body or '').startswith(comment_md.MARKER)]
    bots = [c for c in mine if getattr(c.user, 'type', '') == 'Bot']
    return (bots or mine or [None])[0]


def upsert_comment(pull, existing, body: str) -> str:
    """Edit the bot's comment in place (only when its text changed), or create it; what was
    done, for the log."""
    if existing is not None:
        if existing.body != body:
            existing.edit(body)
        return f'comment {existing.id} updated'
    return f'comment {pull.create_issue_comment(body).id} created'


def _pull_fields(event: dict) -> dict:
    pr = event.get('pull_request')
    if not isinstance(pr, dict):
        raise BadInput('GITHUB_EVENT_PATH', 'not a pull_request event: no `pull_request` object')
    try:
        head, base = pr['head'], pr['base']
        return {
            'number': int(pr['number']),
            'head_ref': gitops.check_branch_name(head['ref']),
            'head_sha': gitops.check_sha(head['sha']),
            'head_repo': (head.get('repo') or {}).get('full_name'),  # None: fork deleted
            'base_sha': gitops.check_sha(base['sha']),
            'base_repo': (base.get('repo') or {}).get('full_name'),
        }
    except (KeyError, TypeError, ValueError) as e:
        raise BadInput('GITHUB_EVENT_PATH', f'malformed pull_request event: {e!r}') from e


def _changed(ctx: Context, base_sha: str, pull) -> list[str]:
    try:
        return changed_files(ctx.workspace, base_sha, 'HEAD')
    except InfrastructureError as e:
        steps.log(f'{e}; asking the API for the changed files instead')
        with api_call(f'listing the files of pull request {pull.number}'):
            return [f.filename for f in pull.get_files()]


def _start_on_branch(repo, branch: str, git_env: dict) -> str:
    """Check out the PR head branch at its remote tip (keeping local commits already on top
    of it); the SHA to start from."""
    remote = gitops.fetch_branch(repo, branch, env=git_env)
    if remote is None:
        raise InfrastructureError(f'the pull request branch {branch!r} is not on origin')
    if not gitops.is_clean(repo):
        raise InfrastructureError(
            'the workspace has uncommitted changes; dal-bot needs a clean checkout'
        )
    local = gitops.head_sha(repo)
    if gitops.is_ancestor(repo, local, remote):
        gitops.checkout_branch(repo, branch, remote)
    elif gitops.is_ancestor(repo, remote, local):
        gitops.checkout_branch(repo, branch, local)
    else:
        raise InfrastructureError(
            f'the checked-out commit {local[:7]} is not on the pull request branch {branch!r}; '
            'check out the PR head (actions/checkout with ref: the head ref)'
        )
    return gitops.head_sha(repo)


def run_pr(ctx: Context, hooks: Hooks | None = None) -> int:
    hooks = hooks or Hooks()
    fields = _pull_fields(ctx.event)
    number = fields['number']
    base_repo = fields['base_repo'] or ctx.repository
    fork = fields['head_repo'] != base_repo
    mode = 'fork' if fork else ('pr' if ctx.inputs.commit else 'report-only')
    branch = fields['head_ref']
    report = RunReport(
        mode=mode,
        repository=ctx.repository,
        event=ctx.event_name,
        pull_number=number,
        branch=branch,
    )
    steps.log(f'pull request {number} ({mode} mode)')

    gh = ctx.github()
    with api_call(f'reading repository {ctx.repository}'):
        repo_api = gh.get_repo(ctx.repository)
    with api_call(f'reading pull request {number}'):
        pull = repo_api.get_pull(number)
    with api_call(f'listing the comments of pull request {number}'):
        existing = find_comment(pull)

    repo = gitops.open_repo(ctx.workspace)
    with gitops.hidden_credentials(repo, ctx.inputs.github_token) as git_env:
        if mode == 'pr':
            start = _start_on_branch(repo, branch, git_env)
        else:
            if not gitops.is_clean(repo):
                raise InfrastructureError('the workspace has uncommitted changes')
            start = gitops.head_sha(repo)
        dals = find_dals(ctx.workspace, ctx.inputs.paths)
        touched = touched_dals(dals, _changed(ctx, fields['base_sha'], pull))
        steps.log(f'DALs touched: {touched or "none"}')
        if touched:
            ctx.backend()  # DynamoDB starts now, while the DALs are implemented

        if touched:
            _implement_and_push(ctx, report, repo, touched, start, branch, git_env, hooks)
        report.head_sha = gitops.head_sha(repo)

    return _publish(ctx, report, pull, existing, fork)


def _implement_and_push(ctx, report, repo, touched, start, branch, git_env, hooks) -> None:
    mode = report.mode
    for attempt in (0, 1):
        report.outcomes = [DalOutcome(dal=d) for d in touched]
        present = [o for o in report.outcomes if (ctx.workspace / o.dal).is_dir()]
        for outcome in report.outcomes:
            if outcome not in present:
                outcome.error = 'the DAL folder is gone from the branch'
        steps.implement_all(ctx, present, commit=True)
        head = gitops.head_sha(repo)
        if head == start:
            report.push = 'nothing'
            return
        if mode != 'pr':
            report.push = 'not-pushed'
            report.patch = gitops.format_patch(repo, start, head)
            return
        if hooks.before_push:
            hooks.before_push(attempt)
        result = gitops.push(repo, head, branch, env=git_env)
        if result.ok:
            report.push = 'pushed'
            report.push_message = f'pushed {head[:7]} to {branch}'
            steps.log(report.push_message)
            return
        steps.log(result.message)
        if not result.rejected:
            report.push = 'push-failed'
            report.push_message = result.message
            report.patch = gitops.format_patch(repo, start, head)
            return
        moved_to = gitops.fetch_branch(repo, branch, env=git_env)
        if moved_to is None:
            report.push = 'push-failed'
            report.push_message = f'the branch {branch!r} was deleted while dal-bot worked'
            return
        gitops.checkout_branch(repo, branch, moved_to)
        if attempt == 0:
            report.notes.append(
                f'The branch moved while dal-bot worked (now at {moved_to[:7]}); '
                'it redid its work on top of the new commits.'
            )
            start = moved_to
            continue
        report.push = 'branch-moved'
        report.push_message = (
            f'The branch {branch} moved twice while dal-bot worked (now at {moved_to[:7]}); '
            'it did not push (it never force-pushes). Re-run the workflow to try again.'
        )


def _publish(ctx: Context, report: RunReport, pull, existing, fork: bool) -> int:
    """Comment (edited in place), summary, outputs, annotations; the exit code."""
    env = ctx.env
    full = comment_md.render(report, env=env)
    body = full
    if not comment_md.fits(body) and report.patch:
        report.patch_file = steps.write_patch(ctx, report.patch)
        body = comment_md.render(report, patch_inline=False, env=env)
    if not comment_md.fits(body):
        body = comment_md.render(report, patch_inline=False, compact=True, env=env)
    if not comment_md.fits(body):
        body = comment_md.cut(body)
    if report.clean:
        body = comment_md.render_short(report, env=env)
    summary = full if report.patch_file is None else body

    if fork:
        steps.write_artifact_files(ctx, report, body)
    post = not report.clean or ctx.inputs.comment_when_clean or existing is not None
    api_failure = None
    if post:
        try:
            steps.log(upsert_comment(pull, existing, body))
        except api_errors() as e:
            api_failure = describe(e, f'commenting on pull request {report.pull_number}')
    code = steps.finish(ctx, report, summary)
    if api_failure:
        if fork:
            # a fork's token is read-only: the summary and the annotations carry the report,
            # and the comment workflow (mode: comment) posts it from the uploaded artifact
            workflow.emit(workflow.annotation('warning', api_failure, title='dal-bot'))
        else:
            raise InfrastructureError(api_failure)
    return code
