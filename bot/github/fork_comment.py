"""Comment mode: the report of a fork pull request's run, posted by a `workflow_run` workflow.

A fork's `pull_request` run has a read-only token: it cannot comment. Its job uploads the report
as the artifact `dal-bot-report` (dal-bot-report.json, dal-bot-comment.md, dal-bot.patch). A
second workflow, on `workflow_run: completed`, runs the action in `mode: comment` with
`pull-requests: write`: this module downloads that artifact through the API and creates or
edits the sticky comment. It never checks out or runs the pull request's code, and everything
in the artifact is untrusted data:

- sizes are checked before and while downloading and before unzipping (no zip bomb);
- only the expected file names are read; the JSON report is validated field by field
  (`RunReport.from_json_dict`) and the comment is rendered again from it: the markdown in the
  artifact is never posted;
- the pull request comes from the `workflow_run` event (its `pull_requests`, else the open pull
  requests of its head branch), kept only when its head is the run's head SHA; a report that
  names another pull request or repository is refused;
- the patch is posted only when it looks like `git format-patch` output and cannot close the
  code fence it is shown in.
A refusal is an error naming the artifact and what is wrong; nothing is posted then.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Mapping

from bot.errors import BadInput, InfrastructureError
from bot.github import comment as comment_md
from bot.github import gitops, steps
from bot.github.client import api_call
from bot.github.context import Context
from bot.github.results import RunReport

ARTIFACT = 'dal-bot-report'
FILES = (steps.REPORT_FILE, steps.MARKDOWN_FILE, steps.PATCH_FILE)
MAX_ARTIFACT_BYTES = 2_000_000  # the zip, as GitHub stores it
MAX_FILE_BYTES = 4_000_000  # each file, unzipped
_FENCE_LINE = re.compile(r'^ {0,3}~{3,}\s*$', re.M)


class Refused(BadInput):
    """The artifact (or the event) is not something the bot will post."""


def _run_fields(event: Mapping) -> dict:
    run = event.get('workflow_run')
    if not isinstance(run, dict):
        raise BadInput('GITHUB_EVENT_PATH', 'not a workflow_run event: no `workflow_run` object')
    if run.get('event') != 'pull_request':
        raise BadInput(
            'GITHUB_EVENT_PATH',
            f'the workflow run was triggered by {run.get("event")!r}, not pull_request: '
            'comment mode posts the reports of pull_request runs only',
        )
    try:
        head_repo = (run.get('head_repository') or {}).get('full_name') or ''
        return {
            'id': int(run['id']),
            'head_sha': gitops.check_sha(run['head_sha']),
            'head_branch': gitops.check_branch_name(run['head_branch']),
            'head_owner': head_repo.split('/')[0],
            'numbers': [
                int(p['number'])
                for p in run.get('pull_requests') or []
                if isinstance(p, dict) and 'number' in p
            ],
        }
    except (KeyError, TypeError, ValueError, InfrastructureError) as e:
        raise BadInput('GITHUB_EVENT_PATH', f'malformed workflow_run event: {e}') from e


def _pull_of_run(repo_api, run: dict):
    """The open pull request whose head is the run's head SHA; None when it moved on."""
    numbers = run['numbers']
    if not numbers and run['head_owner']:
        # GitHub leaves `pull_requests` empty for runs from forks: ask by head branch.
        with api_call(f'listing the pull requests of {run["head_owner"]}:{run["head_branch"]}'):
            numbers = [
                p.number
                for p in repo_api.get_pulls(
                    state='open', head=f'{run["head_owner"]}:{run["head_branch"]}'
                )
            ]
    for number in numbers:
        with api_call(f'reading pull request {number}'):
            pull = repo_api.get_pull(number)
        if pull.head.sha == run['head_sha'] and pull.state == 'open':
            return pull
    return None


def _download(ctx: Context, url: str, where: str) -> bytes:
    import requests

    headers = {
        'Authorization': f'Bearer {ctx.inputs.github_token}',
        'Accept': 'application/vnd.github+json',
        'User-Agent': 'dal-bot',
    }
    data = bytearray()
    try:
        # requests drops the Authorization header when GitHub redirects to its blob storage
        with requests.get(url, headers=headers, stream=True, timeout=60) as response:
            if response.status_code != 200:
                raise InfrastructureError(
                    f'downloading {where} failed: HTTP {response.status_code} '
                    '(the comment workflow needs `actions: read`)'
                )
            for chunk in response.iter_content(65_536):
                data += chunk
                if len(data) > MAX_ARTIFACT_BYTES:
                    raise Refused(where, f'larger than {MAX_ARTIFACT_BYTES} bytes: refused')
    except requests.RequestException as e:
        raise InfrastructureError(f'downloading {where} failed: {e}') from e
    return bytes(data)


def _unzip(data: bytes, where: str) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except zipfile.BadZipFile as e:
        raise Refused(where, f'not a zip archive: {e}') from e
    files: dict[str, bytes] = {}
    for info in members:
        if info.filename not in FILES:
            continue  # anything else in the artifact is not read at all
        if info.file_size > MAX_FILE_BYTES:
            raise Refused(
                where,
                f'{info.filename} is {info.file_size} bytes unzipped (limit {MAX_FILE_BYTES})',
            )
        with archive.open(info) as f:
            content = f.read(MAX_FILE_BYTES + 1)
        if len(content) > MAX_FILE_BYTES:
            raise Refused(where, f'{info.filename} unzips past {MAX_FILE_BYTES} bytes')
        files[info.filename] = content
    if steps.REPORT_FILE not in files:
        raise Refused(where, f'no {steps.REPORT_FILE} in the artifact')
    return files


def _report(files: dict[str, bytes], where: str) -> RunReport:
    try:
        data = json.loads(files[steps.REPORT_FILE].decode('utf-8'))
        report = RunReport.from_json_dict(data)
    except (UnicodeDecodeError, ValueError) as e:
        raise Refused(where, f'{steps.REPORT_FILE} is not a valid report: {e}') from e
    if report.mode not in ('fork', 'report-only', 'pr'):
        raise Refused(where, f'a {report.mode!r} report is not a pull request report')
    patch = files.get(steps.PATCH_FILE, b'')
    if patch:
        try:
            text = patch.decode('utf-8')
        except UnicodeDecodeError as e:
            raise Refused(where, f'{steps.PATCH_FILE} is not UTF-8 text') from e
        if not text.startswith('From ') or _FENCE_LINE.search(text):
            raise Refused(where, f'{steps.PATCH_FILE} is not a git format-patch patch')
        report.patch = text
    for outcome in report.outcomes:  # sweep-only links never come from an artifact
        outcome.pull_url = outcome.pull_number = None
    return report


def run_comment(ctx: Context) -> int:
    run = _run_fields(ctx.event)
    where = f'artifact {ARTIFACT} of workflow run {run["id"]}'
    gh = ctx.github()
    with api_call(f'reading repository {ctx.repository}'):
        repo_api = gh.get_repo(ctx.repository)
    pull = _pull_of_run(repo_api, run)
    if pull is None:
        steps.log(
            f'no open pull request has head {run["head_sha"][:7]} any more (closed, or a newer '
            'push is being checked): nothing to comment'
        )
        return 0
    with api_call(f'listing the artifacts of workflow run {run["id"]}'):
        artifacts = [
            a for a in repo_api.get_workflow_run(run['id']).get_artifacts() if a.name == ARTIFACT
        ]
    if not artifacts:
        raise Refused(where, 'not found: did the pull_request job upload it?')
    artifact = artifacts[0]
    if artifact.expired:
        raise Refused(where, 'expired')
    if artifact.size_in_bytes > MAX_ARTIFACT_BYTES:
        raise Refused(
            where, f'{artifact.size_in_bytes} bytes, more than the {MAX_ARTIFACT_BYTES} allowed'
        )
    report = _report(_unzip(_download(ctx, artifact.archive_download_url, where), where), where)
    if report.pull_number != pull.number:
        raise Refused(
            where,
            f'it reports on pull request {report.pull_number}, but the workflow run is for pull '
            f'request {pull.number} (head {run["head_sha"][:7]}): refused',
        )
    if report.repository != ctx.repository:
        raise Refused(
            where, f'it reports on {report.repository!r}, not on {ctx.repository!r}: refused'
        )
    report.head_sha = run['head_sha']
    body = _body(report, ctx.env)
    from bot.github.pr import find_comment, upsert_comment

    with api_call(f'listing the comments of pull request {pull.number}'):
        existing = find_comment(pull)
    if existing is not None and getattr(existing.user, 'type', '') != 'Bot':
        existing = None  # a marker planted by the fork's author is not ours to edit
    if existing is None and report.clean and not ctx.inputs.comment_when_clean:
        steps.log('nothing to do and comment-when-clean is false: no comment')
        return 0
    with api_call(f'commenting on pull request {pull.number}'):
        steps.log(f'{upsert_comment(pull, existing, body)} from {where}')
    from bot.github import workflow

    workflow.write_summary(body, ctx.env)
    return 0


def _body(report: RunReport, env: Mapping[str, str]) -> str:
    if report.clean:
        return comment_md.render_short(report, env=env)
    body = comment_md.render(report, env=env)
    if not comment_md.fits(body) and report.patch:
        report.patch_file = steps.PATCH_FILE  # in the artifact, for `git am`
        body = comment_md.render(report, patch_inline=False, env=env)
    if not comment_md.fits(body):
        body = comment_md.render(report, patch_inline=False, compact=True, env=env)
    return body if comment_md.fits(body) else comment_md.cut(body)
