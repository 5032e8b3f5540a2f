"""The shipped artifact: the image built from the real Dockerfile (by ``.ci/image``), run the way
GitHub runs a Docker action.

The image is built outside pytest (``.ci/image``: dockerd, a debootstrap base, ``docker build``)
and named by ``DAL_BOT_IMAGE`` (default ``dal-bot:ci``). Without a running dockerd or without
the image, these tests are skipped with the reason, except when ``DAL_BOT_REQUIRE_DOCKER=1``
(CI), where that is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_DAL = ROOT / 'examples' / 'shop' / 'generated_dal'
FIXTURE_DAL = ROOT / 'tests' / 'fixtures' / 'dals' / 'shop_example' / 'generated_dal'
IMAGE = os.environ.get('DAL_BOT_IMAGE', 'dal-bot:ci')
REQUIRE_DOCKER = os.environ.get('DAL_BOT_REQUIRE_DOCKER') == '1'
# .ci/run pushes the image to a local registry, removes it and pulls it back: DAL_BOT_IMAGE is
# then `localhost:PORT/dal-bot:ci` and the image must be the one that registry serves.
REQUIRE_REGISTRY = os.environ.get('DAL_BOT_REQUIRE_REGISTRY') == '1'
# The target: 350 MB (pyproject asks for moto[dynamodb] + flask + flask-cors, not
# moto[server], whose cfn-lint, sympy and networkx alone add ~150 MB). Override with
# DAL_BOT_IMAGE_MAX_MB.
SIZE_CEILING_MB = int(os.environ.get('DAL_BOT_IMAGE_MAX_MB', '350'))


def unavailable(reason: str):
    if REQUIRE_DOCKER:
        pytest.fail(f'{reason} (DAL_BOT_REQUIRE_DOCKER=1: the container tests must run)')
    pytest.skip(reason)


def docker(*args: str, timeout: float = 600, check: bool = False) -> subprocess.CompletedProcess:
    result = subprocess.run(
        ['docker', *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f'docker {" ".join(args)} exited {result.returncode}\n'
            f'--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}'
        )
    return result


@pytest.fixture(scope='session')
def image() -> str:
    if shutil.which('docker') is None:
        unavailable('no docker CLI on PATH')
    try:
        info = docker('info', '--format', '{{.ServerVersion}}', timeout=60)
    except subprocess.TimeoutExpired:
        unavailable('`docker info` timed out: dockerd does not answer')
    if info.returncode != 0:
        unavailable(
            'dockerd does not answer (`docker info` failed: '
            f'{info.stderr.strip().splitlines()[-1:] or "no output"}); start it with .ci/image'
        )
    if docker('image', 'inspect', IMAGE).returncode != 0:
        unavailable(f'image {IMAGE} is not built; build it with .ci/image')
    return IMAGE


# -- the Dockerfile as GitHub needs it (no dockerd needed) -----------------------------------


def test_dockerfile_base_is_a_build_arg_and_runs_as_the_default_user():
    lines = [
        line.strip()
        for line in (ROOT / 'Dockerfile').read_text().splitlines()
        if line.strip() and not line.lstrip().startswith('#')
    ]
    assert lines[0].startswith('ARG BASE_IMAGE=python:3.'), lines[0]
    assert lines[1] == 'FROM ${BASE_IMAGE}'
    # GitHub runs Docker actions as the image's default user: a USER line would leave the
    # mounted workspace unwritable.
    assert not any(line.startswith('USER') for line in lines)
    text = '\n'.join(lines)
    assert "safe.directory '*'" in text
    assert 'UV_CACHE_DIR=' in text and 'UV_PYTHON_DOWNLOADS=never' in text


def test_dockerignore_keeps_what_the_build_needs():
    ignore = (ROOT / '.dockerignore').read_text().splitlines()
    for needed in ('!bot/', '!pyproject.toml', '!README.md'):
        assert needed in ignore


# -- the built image --------------------------------------------------------------------------


@pytest.mark.docker
def test_image_size_within_ceiling(image):
    size_mb = int(docker('image', 'inspect', '--format', '{{.Size}}', image).stdout) / 1e6
    print(f'{image}: {size_mb:.0f} MB')
    assert size_mb <= SIZE_CEILING_MB, f'{image} is {size_mb:.0f} MB (ceiling {SIZE_CEILING_MB})'


@pytest.mark.docker
def test_image_tools_and_offline_uv(image):
    """git, uv and the bot are there, the workspace is a safe directory, and uv runs a script
    with boto3 and pydantic without any network (the cache warmed at build time)."""
    script = (
        'set -e; git --version; uv --version; dal-bot --help >/dev/null; '
        "git config --system --get-all safe.directory | grep -qx '\\*'; "
        'uv run --no-project --with boto3 --with pydantic '
        'python -c \'import boto3, pydantic; print("imports-ok")\''
    )
    result = docker(
        'run', '--rm', '--network', 'none', '--entrypoint', 'sh', image, '-c', script, check=True
    )
    assert 'imports-ok' in result.stdout


@pytest.mark.docker
def test_entrypoint_is_the_action(image):
    config = json.loads(docker('image', 'inspect', '--format', '{{json .Config}}', image).stdout)
    assert config['Entrypoint'] == ['dal-bot', 'action']
    assert not config.get('User')


def registry_of(image: str) -> str | None:
    """`host[:port]` of an image name like `localhost:5000/dal-bot:ci`; None for `dal-bot:ci`."""
    first, _, rest = image.partition('/')
    if rest and ('.' in first or ':' in first or first == 'localhost'):
        return first
    return None


@pytest.mark.docker
def test_image_is_the_one_its_registry_serves(image):
    """The image under test was pulled from its registry (it has that registry's digest), and
    the registry serves that very manifest under the tag, whose config is this image."""
    registry = registry_of(image)
    if registry is None:
        if REQUIRE_REGISTRY:
            pytest.fail(f'DAL_BOT_IMAGE={image} names no registry (DAL_BOT_REQUIRE_REGISTRY=1)')
        pytest.skip(f'{image} names no registry (.ci/run pulls it from a local one)')
    name, _, tag = image.removeprefix(f'{registry}/').rpartition(':')
    info = json.loads(docker('image', 'inspect', '--format', '{{json .}}', image).stdout)
    digests = [
        d.split('@', 1)[1] for d in info['RepoDigests'] if d.startswith(f'{registry}/{name}@')
    ]
    assert digests, f'{image} was not pulled from {registry}: RepoDigests {info["RepoDigests"]}'
    host = registry.rpartition(':')[0] or registry
    if host not in ('localhost', '127.0.0.1'):
        return  # a remote registry wants a token for its API; the digest above is the proof
    request = urllib.request.Request(
        f'http://{registry}/v2/{name}/manifests/{tag}',
        headers={'Accept': 'application/vnd.docker.distribution.manifest.v2+json'},
    )
    # Straight to loopback, whatever proxy the environment names.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=30) as response:
        served = response.headers['Docker-Content-Digest']
        manifest = json.loads(response.read())
    assert served in digests, f'{registry} serves {name}:{tag} as {served}, pulled {digests}'
    assert manifest['config']['digest'] == info['Id'], (manifest['config'], info['Id'])


def example_dal() -> Path:
    """The shipped example, else the same generated DAL from the test fixtures."""
    for candidate in (EXAMPLE_DAL, FIXTURE_DAL):
        if (candidate / 'repositories.py').is_file():
            return candidate
    pytest.skip('no example DAL (examples/shop/generated_dal) to run')


def pattern_statuses(report: object) -> dict[str, str]:
    """`{"<dal>#<id> <method>": status}` from every `patterns` list in a JSON report."""
    found: dict[str, str] = {}

    def walk(node: object, dal: str) -> None:
        if isinstance(node, dict):
            dal = str(node.get('dal', dal))
            for p in node.get('patterns') or []:
                if isinstance(p, dict) and 'status' in p:
                    found[f'{dal}#{p.get("id")} {p.get("method")}'] = p['status']
            for key, value in node.items():
                if key != 'patterns':
                    walk(value, dal)
        elif isinstance(node, list):
            for item in node:
                walk(item, dal)

    walk(report, '')
    return found


@pytest.mark.docker
def test_run_implements_and_verifies_the_example_offline(image, tmp_path):
    """`dal-bot run` in the container: implement every stub of the example DAL, then verify each
    access pattern on the embedded backend (moto on the container's loopback) with
    `uv run --with boto3 --with pydantic`. `--network none`: nothing may need the network."""
    dal = tmp_path / 'generated_dal'
    shutil.copytree(example_dal(), dal, ignore=shutil.ignore_patterns('__pycache__'))
    before = (dal / 'repositories.py').read_text()
    help_text = docker('run', '--rm', '--network', 'none', '--entrypoint', 'dal-bot', image,
                       'run', '--help').stdout  # fmt: skip
    json_args = ['--json', '/work/dal/result.json'] if '--json' in help_text else []

    started = time.perf_counter()
    result = docker(
        'run', '--rm', '--network', 'none',
        '-v', f'{dal}:/work/dal',
        '--entrypoint', 'dal-bot',
        image, 'run', '/work/dal', *json_args,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    output = result.stdout + result.stderr
    print(f'dal-bot run in the container: {seconds:.1f}s')
    assert result.returncode == 0, output
    assert (dal / 'repositories.py').read_text() != before, 'no stub was implemented'
    if json_args:
        data = json.loads((dal / 'result.json').read_text())
        statuses = pattern_statuses(data)
        assert statuses, 'the JSON report lists no access pattern'
        # forked from the warm uv interpreter, as the sandbox user (the image requires it)
        assert data['forked'] is True, output
        not_ok = {k: v for k, v in statuses.items() if v != 'ok'}
        assert not not_ok, f'patterns not ok: {not_ok}\n{output}'


# Run in the container with PYTHONDONTWRITEBYTECODE=1 (so the run itself writes none): the
# modules `dal-bot implement` loaded whose byte code the image lacks.
WITHOUT_BYTE_CODE = """
import json, os, sys
from bot.cli import main
code = main(sys.argv[1:])
missing = sorted(
    name for name, module in list(sys.modules.items())
    if (spec := getattr(module, '__spec__', None)) is not None
    and (spec.origin or '').endswith('.py') and spec.cached and not os.path.exists(spec.cached)
)
print(json.dumps([code, missing]))
"""


@pytest.mark.docker
def test_implement_in_the_container_compiles_no_module(image, tmp_path):
    """A container starts fresh on every run: a module the image holds no byte code for is
    compiled on every run (implement of one DAL: 0.39 s of CPU instead of 0.26 s). The build
    writes it for every module the command loads."""
    dal = tmp_path / 'generated_dal'
    shutil.copytree(example_dal(), dal, ignore=shutil.ignore_patterns('__pycache__'))
    result = docker(
        'run', '--rm', '--network', 'none', '-e', 'PYTHONDONTWRITEBYTECODE=1',
        '-v', f'{dal}:/work/dal', '--entrypoint', 'python',
        image, '-c', WITHOUT_BYTE_CODE, 'implement', '/work/dal',
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    code, missing = json.loads(result.stdout.splitlines()[-1])
    assert code == 0
    assert missing == []


@pytest.mark.docker
def test_pull_request_flow_in_the_container(image, tmp_path):
    """The action as GitHub runs it: `docker run` of the image with the workspace mounted at
    /github/workspace (owned by another uid, as on a runner), GITHUB_* and INPUT_* variables and
    a pull_request event; the GitHub API is the local stand-in. The container implements the
    stubs, commits and pushes them to the PR branch, verifies on its embedded backend and
    comments on the pull request."""
    from bot.github.comment import MARKER
    from bot.github.workflow import parse_outputs
    from tests.support.events import action_env, pull_request_event
    from tests.support.github_standin import GitHubStandIn
    from tests.support.gitrepos import git, make_pr_repos

    repo = 'acme/shop'
    repos = make_pr_repos(tmp_path / 'git', {'services/shop': 'shop_example'})
    with GitHubStandIn(repo=repo, default_branch='main') as gh:
        gh.add_pull(7, repos.branch, head_sha=repos.head_sha, base_sha=repos.base_sha)
        event = pull_request_event(
            repo=repo,
            number=7,
            head_ref=repos.branch,
            head_sha=repos.head_sha,
            base_sha=repos.base_sha,
        )
        env = action_env(
            tmp_path / 'runner',
            api_url=gh.url,
            workspace=Path('/github/workspace'),
            repo=repo,
            event_name='pull_request',
            event=event,
            inputs={
                'mode': 'pr',
                'paths': '**',
                'dynamodb-endpoint': '',
                'commit': 'true',
                'fail-on-error': 'true',
                'comment-when-clean': 'true',
                'commit-author': 'dal-bot <dal-bot@users.noreply.github.com>',
                'chunk-size': '4',
            },
        )
        env['HOME'] = '/github/home'
        (tmp_path / 'home').mkdir()
        # As on a runner: the checkout belongs to the runner's user, the container runs as root.
        subprocess.run(['chown', '-R', '1001:1001', str(repos.workspace)], check=False)
        env_args = [arg for name, value in env.items() for arg in ('-e', f'{name}={value}')]
        started = time.perf_counter()
        result = docker(
            'run', '--rm', '--network', 'host',
            '-v', f'{repos.workspace}:/github/workspace',
            '-v', f'{tmp_path / "home"}:/github/home',
            # the runner's files (event, outputs, summary) and the origin the clone pushes to
            '-v', f'{tmp_path}:{tmp_path}',
            '--workdir', '/github/workspace',
            *env_args,
            image,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        subprocess.run(['chown', '-R', '0:0', str(repos.workspace)], check=False)
        output = result.stdout + result.stderr
        print(f'PR flow in the container: {seconds:.1f}s')

        outputs = parse_outputs((tmp_path / 'runner' / 'output').read_text())
        assert result.returncode == 0, output
        assert outputs['dals'] == '["services/shop/generated_dal"]', outputs
        assert int(outputs['implemented']) > 0, outputs
        assert int(outputs['patterns-ok']) > 0 and outputs['patterns-failed'] == '0', outputs
        report = repos.workspace / outputs['report']
        assert report.is_file(), outputs['report']
        assert pattern_statuses(json.loads(report.read_text())), 'report lists no pattern'

        # Commits by the bot, pushed to the PR branch of the origin.
        log = git(
            repos.origin, 'log', '--format=%an <%ae>|%s', f'{repos.head_sha}..{repos.branch}'
        )
        assert log, 'nothing was pushed to the PR branch'
        authors = {line.split('|')[0] for line in log.splitlines()}
        assert authors == {'dal-bot <dal-bot@users.noreply.github.com>'}, log
        # Nothing left uncommitted but the report the action leaves for later steps.
        leftover = git(repos.workspace, 'status', '--porcelain').splitlines()
        assert leftover in ([], [f'?? {outputs["report"]}']), leftover

        # One comment on the pull request, and no request the stand-in did not know.
        comments = gh.comments(7)
        assert len(comments) == 1 and comments[0]['body'].startswith(MARKER), comments
        assert 'services/shop/generated_dal' in comments[0]['body']
        assert not gh.unknown, gh.unknown
        assert (tmp_path / 'runner' / 'summary').read_text().strip()


# -- the token out of the DAL code's reach, the workspace left as the runner owns it ------------

RUNNER_UID = 1001
HUNT_TOKEN = 'ghs_containerhunt0123456789abcdef'
# What a hostile pull request could put in usage_examples.py: look for the job token in every
# process's environment, the workspace (its .git included) and the runner's file-command, event
# and home folders, then carry on so the DAL still verifies. The findings go to /hunt, a
# world-writable folder the test mounts for that purpose.
HUNTER = """
import glob as _g, json as _j, os as _o
_hits, _read, _denied = [], 0, 0
def _look(_p):
    global _read, _denied
    try:
        with open(_p, 'rb') as _f:
            _read += 1
            if TOKEN.encode() in _f.read():
                _hits.append(_p)
    except OSError:
        _denied += 1
for _p in _g.glob('/proc/[0-9]*/environ'):
    _look(_p)
for _top in ('/github/workspace', '/github/file_commands', '/github/workflow', '/github/home'):
    _look(_top + '/.git/config')
    for _root, _dirs, _files in _o.walk(_top, onerror=lambda e: None):
        for _n in _files:
            _look(_o.path.join(_root, _n))
with open('/hunt/result.json', 'w') as _f:
    _j.dump({'hits': _hits, 'read': _read, 'denied': _denied, 'uid': _o.getuid()}, _f)
"""


@pytest.fixture(scope='module')
def runner_job(image):
    """One pull_request run of the image as GitHub lays it out (/github/workspace owned by the
    runner's uid 1001, /github/home, /github/file_commands, /github/workflow), the token in
    INPUT_GITHUB-TOKEN and GITHUB_TOKEN and persisted in `.git/config` like actions/checkout
    does, and a usage_examples.py that hunts for the token."""
    from bot.github.workflow import parse_outputs
    from tests.support.events import action_env, pull_request_event
    from tests.support.github_standin import GitHubStandIn
    from tests.support.gitrepos import commit_all, git, make_pr_repos

    top = Path(tempfile.mkdtemp(prefix='dalbot-container-'))
    os.chmod(top, 0o755)  # uid 1001 must reach the workspace afterwards
    repo = 'acme/shop'
    try:
        repos = make_pr_repos(top / 'git', {'services/shop': 'shop_example'})
        usage = repos.workspace / 'services/shop/generated_dal/usage_examples.py'
        text = usage.read_text()
        anchor = 'from repositories import'
        at = text.index('\n', text.index(anchor)) + 1
        usage.write_text(text[:at] + f'TOKEN = {HUNT_TOKEN!r}\n' + HUNTER + text[at:])
        head = commit_all(repos.workspace, 'a usage example that looks around')
        git(repos.workspace, 'push', '--quiet', 'origin', repos.branch)
        git(repos.workspace, 'config', 'http.https://github.com/.extraheader',
            f'AUTHORIZATION: bearer {HUNT_TOKEN}')  # fmt: skip
        hunt = top / 'hunt'
        hunt.mkdir()
        os.chmod(hunt, 0o777)
        with GitHubStandIn(repo=repo, default_branch='main') as gh:
            gh.add_pull(7, repos.branch, head_sha=head, base_sha=repos.base_sha)
            event = pull_request_event(
                repo=repo, number=7, head_ref=repos.branch, head_sha=head,
                base_sha=repos.base_sha,
            )  # fmt: skip
            runner = top / 'runner'
            env = action_env(
                runner, api_url=gh.url, workspace=Path('/github/workspace'), repo=repo,
                event_name='pull_request', event=event, token=HUNT_TOKEN,
                inputs={'mode': 'pr', 'commit-author': 'dal-bot <dal-bot@users.noreply.github.com>'},
            )  # fmt: skip
            (runner / 'event.json').rename(runner / 'workflow.json')
            env.update(
                GITHUB_TOKEN=HUNT_TOKEN,
                HOME='/github/home',
                GITHUB_EVENT_PATH='/github/workflow/event.json',
                GITHUB_OUTPUT='/github/file_commands/output',
                GITHUB_STEP_SUMMARY='/github/file_commands/summary',
                RUNNER_TEMP='/home/runner/work/_temp',  # as on GitHub: not mounted
            )
            for name in ('home', 'file_commands', 'workflow'):
                (top / name).mkdir()
            (runner / 'workflow.json').rename(top / 'workflow' / 'event.json')
            for name in ('output', 'summary'):
                (runner / name).rename(top / 'file_commands' / name)
            for path in (repos.workspace, top / 'home', top / 'file_commands', top / 'workflow'):
                subprocess.run(
                    ['chown', '-R', f'{RUNNER_UID}:{RUNNER_UID}', str(path)], check=True
                )
            env_args = [arg for name, value in env.items() for arg in ('-e', f'{name}={value}')]
            result = docker(
                'run', '--rm', '--network', 'host',
                '-v', f'{repos.workspace}:/github/workspace',
                '-v', f'{top / "home"}:/github/home',
                '-v', f'{top / "file_commands"}:/github/file_commands',
                '-v', f'{top / "workflow"}:/github/workflow',
                '-v', f'{repos.origin}:{repos.origin}',
                '-v', f'{hunt}:/hunt',
                '--workdir', '/github/workspace',
                *env_args, image,
            )  # fmt: skip
            outputs = parse_outputs((top / 'file_commands' / 'output').read_text())
            found = hunt / 'result.json'
            yield {
                'result': result,
                'output': result.stdout + result.stderr,
                'outputs': outputs,
                'hunt': json.loads(found.read_text()) if found.is_file() else None,
                'repos': repos,
                'top': top,
                'comments': gh.comments(7),
            }
    finally:
        shutil.rmtree(top, ignore_errors=True)


@pytest.mark.docker
def test_the_dal_code_cannot_find_the_token_and_still_verifies(runner_job):
    job = runner_job
    assert job['result'].returncode == 0, job['output']
    hunt = job['hunt']
    assert hunt is not None, 'the hunting usage example did not run\n' + job['output']
    assert hunt['uid'] == 65534, hunt  # nobody, not root
    assert hunt['read'] > 0, hunt  # it could read its own /proc entries: it did look
    print('hunt:', hunt)
    assert hunt['hits'] == [], hunt
    outputs = job['outputs']
    assert int(outputs['patterns-ok']) > 0 and outputs['patterns-failed'] == '0', outputs
    assert len(job['comments']) == 1


@pytest.mark.docker
def test_the_workspace_stays_the_runners_and_git_works_there(runner_job):
    job = runner_job
    workspace = job['repos'].workspace
    root_owned = [
        str(Path(r, n).relative_to(workspace))
        for r, dirs, files in os.walk(workspace)
        for n in dirs + files
        if Path(r, n).lstat().st_uid == 0
    ]
    assert root_owned == [], root_owned
    assert 'new entries under the workspace' in job['output']
    home = job['top'] / 'runner-home'
    home.mkdir()
    (home / '.gitconfig').write_text('[safe]\n\tdirectory = *\n')  # the origin is root's here
    os.chown(home, RUNNER_UID, RUNNER_UID)
    (workspace / 'later.txt').write_text('a later step\n')
    os.chown(workspace / 'later.txt', RUNNER_UID, RUNNER_UID)
    env = {
        'PATH': os.environ['PATH'], 'HOME': str(home),
        'GIT_AUTHOR_NAME': 'r', 'GIT_AUTHOR_EMAIL': 'r@x', 'GIT_COMMITTER_NAME': 'r',
        'GIT_COMMITTER_EMAIL': 'r@x',
    }  # fmt: skip
    for args in (['add', 'later.txt'], ['commit', '-qm', 'later'], ['fetch', '-q', 'origin']):
        done = subprocess.run(
            ['git', *args], cwd=workspace, env=env, user=RUNNER_UID, group=RUNNER_UID,
            extra_groups=[], capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, (args, done.stderr)
