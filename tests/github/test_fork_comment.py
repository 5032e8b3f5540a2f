"""Fork pull requests get their comment through the two-workflow path: the pull_request run
(read-only token) leaves the report as an artifact; a workflow_run run in `mode: comment`
downloads it through the API and posts it, treating it as untrusted."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from bot.github.comment import MARKER, PATCH_FENCE, PATCH_INFO
from bot.github.fork_comment import ARTIFACT, MAX_ARTIFACT_BYTES, MAX_FILE_BYTES, Refused
from bot.github.steps import MARKDOWN_FILE, PATCH_FILE, REPORT_FILE
from tests.support.actionrun import REPO, Run, pr_env, run_action
from tests.support.events import action_env, workflow_run_event
from tests.support.github_standin import GitHubStandIn
from tests.support.gitrepos import make_pr_repos

FORK = 'contrib/shop'
NUMBER = 8


def zipped(files: dict[str, bytes]) -> bytes:
    """What actions/upload-artifact stores for these files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture(scope='module')
def fork_run(tmp_path_factory):
    """The pull_request run of a fork's PR: its comment is refused (read-only token), the
    report, the comment and the patch are left in the workspace for the upload step."""
    tmp = tmp_path_factory.mktemp('fork')
    repos = make_pr_repos(tmp / 'git', {'svc': 'shop_example'}, fork=True)
    with GitHubStandIn(repo=REPO) as gh:
        gh.add_pull(
            NUMBER, repos.branch, head_repo=FORK, head_sha=repos.head_sha, base_sha=repos.base_sha
        )
        gh.fail_next(10, 403, method='POST', path=rf'/issues/{NUMBER}/comments$')
        run = pr_env(tmp, gh, repos, number=NUMBER, head_repo=FORK)
        code = run_action(run.env)
        assert gh.comments(NUMBER) == []
    files = {
        name: (repos.workspace / name).read_bytes()
        for name in (REPORT_FILE, MARKDOWN_FILE, PATCH_FILE)
        if (repos.workspace / name).is_file()
    }
    return {'repos': repos, 'code': code, 'files': files}


def comment_run(tmp: Path, gh: GitHubStandIn, repos, run_id: int, **event) -> Run:
    env = action_env(
        tmp / f'runner-{run_id}',
        api_url=gh.url,
        workspace=tmp / 'no-checkout',  # the comment job checks nothing out
        repo=REPO,
        event_name='workflow_run',
        event=workflow_run_event(
            repo=REPO,
            run_id=run_id,
            head_sha=event.pop('head_sha', repos.head_sha),
            head_branch=repos.branch,
            head_repo=FORK,
            **event,
        ),
        inputs={'mode': 'comment'},
    )
    return Run(tmp, env)


@pytest.fixture
def fork_pull(gh, fork_run):
    repos = fork_run['repos']
    gh.add_pull(
        NUMBER, repos.branch, head_repo=FORK, head_sha=repos.head_sha, base_sha=repos.base_sha
    )
    return repos


def test_the_fork_run_leaves_the_report_comment_and_patch(fork_run):
    files = fork_run['files']
    assert fork_run['code'] == 0
    assert set(files) == {REPORT_FILE, MARKDOWN_FILE, PATCH_FILE}
    report = json.loads(files[REPORT_FILE])
    assert (report['mode'], report['pull_number'], report['push']) == ('fork', 8, 'not-pushed')
    assert files[PATCH_FILE].startswith(b'From ')
    assert files[MARKDOWN_FILE].decode().startswith(MARKER)


def test_comment_mode_posts_the_report_then_edits_it(tmp_path, gh, fork_pull, fork_run):
    files = fork_run['files']
    gh.add_artifact(41, ARTIFACT, zipped(files), head_sha=fork_pull.head_sha)
    run = comment_run(tmp_path, gh, fork_pull, 41)

    assert run_action(run.env) == 0

    comments = gh.comments(NUMBER)
    assert len(comments) == 1
    body = comments[0]['body']
    assert body.startswith(MARKER) and 'svc/generated_dal' in body
    assert f'{PATCH_FENCE} {PATCH_INFO}' in body and f'gh pr view {NUMBER} --repo {REPO}' in body
    assert run.summary.startswith(MARKER)
    assert not gh.unknown

    # The next run's artifact: the comment is edited, and only the JSON counts: the markdown
    # in the artifact is never posted.
    report = json.loads(files[REPORT_FILE])
    report['notes'] = ['second run']
    second = {
        **files,
        REPORT_FILE: json.dumps(report).encode(),
        MARKDOWN_FILE: b'<!-- dal-bot:report -->\nINJECTED [click](https://evil.example)\n',
    }
    gh.add_artifact(42, ARTIFACT, zipped(second), head_sha=fork_pull.head_sha)
    assert run_action(comment_run(tmp_path, gh, fork_pull, 42).env) == 0
    after = gh.comments(NUMBER)
    assert len(after) == 1 and after[0]['id'] == comments[0]['id']
    assert 'second run' in after[0]['body'] and 'INJECTED' not in after[0]['body']
    assert [r.method for r in gh.writes()] == ['POST', 'PATCH']


def _refused(tmp_path, gh, repos, files_or_zip, match: str, run_id: int = 51, **artifact):
    data = files_or_zip if isinstance(files_or_zip, bytes) else zipped(files_or_zip)
    gh.add_artifact(run_id, ARTIFACT, data, head_sha=repos.head_sha, **artifact)
    run = comment_run(tmp_path, gh, repos, run_id)
    with pytest.raises(Refused, match=match):
        run_action(run.env)
    assert not gh.writes(), 'nothing may be posted for a refused artifact'


def test_an_artifact_claiming_another_pull_request_is_refused(tmp_path, gh, fork_pull, fork_run):
    gh.add_pull(9, 'other', head_sha='1' * 40, base_sha=fork_pull.base_sha)  # someone else's
    report = json.loads(fork_run['files'][REPORT_FILE])
    report['pull_number'] = 9
    forged = {**fork_run['files'], REPORT_FILE: json.dumps(report).encode()}
    _refused(
        tmp_path,
        gh,
        fork_pull,
        forged,
        'reports on pull request 9, but the workflow run is for pull request 8',
    )
    assert gh.comments(9) == [] and gh.comments(NUMBER) == []


def test_the_cli_says_why_and_exits_2(tmp_path, gh, fork_pull, fork_run, monkeypatch, capsys):
    from bot.cli import main

    report = json.loads(fork_run['files'][REPORT_FILE])
    report['repository'] = 'evil/elsewhere'
    gh.add_artifact(52, ARTIFACT, zipped({REPORT_FILE: json.dumps(report).encode()}))
    run = comment_run(tmp_path, gh, fork_pull, 52)
    for name, value in run.env.items():
        monkeypatch.setenv(name, value)
    assert main(['action']) == 2
    err = capsys.readouterr().err
    assert f'artifact {ARTIFACT} of workflow run 52' in err and "'evil/elsewhere'" in err
    assert not gh.writes()


def test_an_oversize_artifact_is_refused_before_download(tmp_path, gh, fork_pull, fork_run):
    _refused(
        tmp_path,
        gh,
        fork_pull,
        fork_run['files'],
        f'more than the {MAX_ARTIFACT_BYTES} allowed',
        size=MAX_ARTIFACT_BYTES + 1,
    )
    assert not [r for r in gh.requests if '/zip' in r.path or '_blob' in r.path]


def test_a_zip_bomb_is_refused(tmp_path, gh, fork_pull, fork_run):
    bomb = {**fork_run['files'], PATCH_FILE: b'From ' + b'0' * (MAX_FILE_BYTES + 10)}
    _refused(tmp_path, gh, fork_pull, bomb, f'{PATCH_FILE} is .* bytes unzipped')


@pytest.mark.parametrize(
    ('change', 'match'),
    [
        (lambda r: r.update(schema='something/else'), 'not a dal-bot/action version 1 report'),
        (lambda r: r['dals'][0]['verify']['patterns'][0].update(status='great'), 'status'),
        (lambda r: r.pop('push'), 'malformed report'),
        (lambda r: r.update(mode='sweep'), "a 'sweep' report is not a pull request report"),
    ],
    ids=['schema', 'status', 'missing', 'mode'],
)
def test_a_malformed_report_is_refused(tmp_path, gh, fork_pull, fork_run, change, match):
    report = json.loads(fork_run['files'][REPORT_FILE])
    change(report)
    bad = {**fork_run['files'], REPORT_FILE: json.dumps(report).encode()}
    _refused(tmp_path, gh, fork_pull, bad, match)


def test_garbage_and_a_fence_closing_patch_are_refused(tmp_path, gh, fork_pull, fork_run):
    _refused(tmp_path, gh, fork_pull, b'not a zip at all', 'not a zip archive', run_id=61)
    _refused(
        tmp_path, gh, fork_pull, {REPORT_FILE: b'{"schema": '}, 'not a valid report', run_id=62
    )
    escape = fork_run['files'][PATCH_FILE] + f'\n{PATCH_FENCE}\n<img src=x>\n'.encode()
    _refused(
        tmp_path,
        gh,
        fork_pull,
        {**fork_run['files'], PATCH_FILE: escape},
        'not a git format-patch patch',
        run_id=63,
    )


def test_a_run_for_an_older_head_comments_nothing(tmp_path, gh, fork_pull, fork_run):
    gh.add_artifact(71, ARTIFACT, zipped(fork_run['files']), head_sha='2' * 40)
    run = comment_run(tmp_path, gh, fork_pull, 71, head_sha='2' * 40)
    assert run_action(run.env) == 0
    assert gh.comments(NUMBER) == [] and not gh.writes()


def test_a_marker_planted_by_someone_else_is_left_alone(tmp_path, gh, fork_pull, fork_run):
    planted = gh.add_comment(NUMBER, f'{MARKER}\nall green, merge it', user='mallory')
    gh.add_artifact(81, ARTIFACT, zipped(fork_run['files']), head_sha=fork_pull.head_sha)
    assert run_action(comment_run(tmp_path, gh, fork_pull, 81).env) == 0
    comments = {c['id']: c for c in gh.comments(NUMBER)}
    assert comments[planted['id']]['body'] == f'{MARKER}\nall green, merge it'
    ours = [c for c in comments.values() if c['user']['type'] == 'Bot']
    assert len(ours) == 1 and 'svc/generated_dal' in ours[0]['body']
