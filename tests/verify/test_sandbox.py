"""As root, the DAL's code runs as an unprivileged user: the token in a root process's
environment, the repository's `.git/config` and the job's files are out of its reach, while
the DAL folder, a private HOME/TMPDIR and the loopback endpoint are not.

The hunting script is what a hostile pull request could put in usage_examples.py. The same
script run without the sandbox finds the token, so the test can fail. These tests need root
(CI runs as root) and an interpreter every user can run (/usr/bin/python3: the bot's own may
live under a private /root)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from contextlib import nullcontext
from pathlib import Path

import pytest

from bot.verify._run import run_script
from bot.verify._sandbox import sandbox, sandbox_ids
from bot.verify._spawn import Forkserver
from tests.support.gitrepos import git

TOKEN = 'ghs_sandboxtesttoken0123456789'
PYTHON = '/usr/bin/python3'

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not os.access(PYTHON, os.X_OK),
    reason='the sandbox applies to root only, and needs an interpreter all users can run',
)

HUNT = """
import glob, json, os, sys
token = {token!r}
hits, denied = [], []
for path in glob.glob('/proc/*/environ') + {paths!r}:
    try:
        with open(path, 'rb') as f:
            if token.encode() in f.read():
                hits.append(path)
    except OSError:
        denied.append(path)
for top in {trees!r}:
    for root, dirs, files in os.walk(top, onerror=lambda e: denied.append(e.filename)):
        for name in files:
            try:
                with open(os.path.join(root, name), 'rb') as f:
                    if token.encode() in f.read():
                        hits.append(os.path.join(root, name))
            except OSError:
                denied.append(os.path.join(root, name))
home = os.environ['HOME']
open(os.path.join(home, 'scratch'), 'w').write('mine')
tmpdir = os.environ.get('TMPDIR')  # set for the sandbox only
if tmpdir:
    open(os.path.join(tmpdir, 'scratch'), 'w').write('mine')
try:
    open('entities.py', 'a').write('# changed by the DAL code')
    dal_writable = True
except OSError:
    dal_writable = False
print('RESULT ' + json.dumps({{
    'hits': hits, 'uid': os.getuid(), 'home': home, 'dal_writable': dal_writable,
    'reads_own_dal': open('entities.py').read().startswith('# entities'),
    'tmp_written': bool(tmpdir),
}}))
"""


@pytest.fixture
def job(tmp_path):
    """A root process holding the token in its environment (like the bot), a workspace whose
    `.git/config` holds it (actions/checkout's extraheader) with the DAL inside, a runner
    file-command folder, and a symlink in the DAL pointing at the token."""
    holder = subprocess.Popen(['sleep', '120'], env={'INPUT_GITHUB-TOKEN': TOKEN, 'PATH': '/bin'})
    workspace = tmp_path / 'workspace'
    dal = workspace / 'svc' / 'generated_dal'
    dal.mkdir(parents=True)
    git(workspace, 'init', '--quiet')
    git(workspace, 'config', 'http.https://github.com/.extraheader', f'AUTHORIZATION: {TOKEN}')
    commands = tmp_path / 'file_commands'
    commands.mkdir()
    (commands / 'set_env').write_text(f'SECRET={TOKEN}\n')
    for d in (tmp_path, workspace, workspace / 'svc', dal, commands):
        os.chmod(d, 0o755)  # as on a runner: readable by every user
    os.chmod(commands / 'set_env', 0o644)
    (dal / 'entities.py').write_text('# entities\n')
    (dal / 'repositories.py').write_text('class Repo:\n    def get(self):\n        return 1\n')
    os.symlink(f'/proc/{holder.pid}/environ', dal / 'leak')
    paths = [str(workspace / '.git' / 'config'), str(commands / 'set_env'), 'leak']
    (dal / 'usage_examples.py').write_text(
        HUNT.format(token=TOKEN, paths=paths, trees=[str(workspace), str(commands)])
    )
    yield {'dal': dal, 'workspace': workspace, 'commands': commands, 'tmp': tmp_path}
    holder.kill()
    holder.wait()


def _hunt(job, monkeypatch, protect=True, forkserver: Forkserver | None = None) -> dict:
    monkeypatch.setenv('GITHUB_WORKSPACE', str(job['workspace']))
    monkeypatch.setenv('GITHUB_ENV', str(job['commands'] / 'set_env'))
    workdir = Path(tempfile.mkdtemp(prefix='dalbot-test-'))  # as verify_dal's: under /tmp
    out = run_script(
        job['dal'],
        workdir,
        'http://127.0.0.1:9',
        runner='python',
        timeout=60,
        python=PYTHON,
        protect=[job['commands']] if protect else [],
        forkserver=forkserver,
    )
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith('RESULT ')), None)
    assert line, out.stdout + out.stderr
    result = json.loads(line.removeprefix('RESULT '))
    result['workdir'] = str(workdir)
    assert out.forked == (forkserver is not None)
    shutil.rmtree(workdir)
    return result


@pytest.mark.parametrize('forked', [False, True], ids=['fresh', 'forked'])
def test_the_dal_code_finds_no_token_and_still_runs(job, tmp_path, monkeypatch, forked):
    """Also forked from the warm interpreter (bot.verify._spawn): it runs as the sandbox user
    too, and its own environment is as clean as a run's."""
    modes = {d: os.stat(d).st_mode for d in (job['workspace'], job['commands'])}
    with contextlib.closing(Forkserver('python', PYTHON)) if forked else nullcontext() as server:
        assert server is None or server.user == sandbox_ids()
        result = _hunt(job, monkeypatch, forkserver=server)

    assert result['hits'] == []
    assert result['uid'] == sandbox_ids()[0] != 0
    assert result['reads_own_dal'] and not result['dal_writable']
    assert (job['dal'] / 'entities.py').read_text() == '# entities\n'
    assert Path(result['home']).is_relative_to(result['workdir']) and result['tmp_written']
    # the job's folders are open to others again afterwards, exactly as before
    assert {d: os.stat(d).st_mode for d in modes} == modes


def test_without_the_sandbox_the_same_script_finds_the_token(job, tmp_path, monkeypatch):
    """The control: as root, in place, the hunt succeeds (so the test above can fail)."""
    import bot.verify._run as run_module

    def as_bot(dal_dir, workdir, executables, **kw):
        from bot.verify._sandbox import Sandbox

        class _Same:
            def __enter__(self):
                return Sandbox(cwd=dal_dir)

            def __exit__(self, *exc):
                return False

        return _Same()

    monkeypatch.setattr(run_module, 'sandbox', as_bot)
    result = _hunt(job, monkeypatch)
    hits = result['hits']
    assert any(h.startswith('/proc/') for h in hits), hits
    assert str(job['workspace'] / '.git' / 'config') in hits


def test_an_unreachable_interpreter_is_refused_when_required(tmp_path, monkeypatch):
    """`DAL_BOT_SANDBOX=require` (the image): no silent fallback to running as root."""
    from bot.errors import InfrastructureError

    private = tmp_path / 'private'
    private.mkdir(mode=0o700)
    os.chmod(tmp_path, 0o755)
    (private / 'python').write_text('#!/bin/sh\n')
    os.chmod(private / 'python', 0o755)
    monkeypatch.setenv('DAL_BOT_SANDBOX', 'require')
    work = tmp_path / 'work'
    work.mkdir()
    with pytest.raises(InfrastructureError, match='cannot run .*private/python'):
        with sandbox(tmp_path, work, [str(private / 'python')]):
            pass
    monkeypatch.setenv('DAL_BOT_SANDBOX', 'auto')
    with sandbox(tmp_path, work, [str(private / 'python')]) as box:
        assert box.uid is None  # said why on stderr, runs as the bot


def test_the_range_probe_runs_the_dal_code_as_the_sandbox_user(tmp_path):
    """The set check (bot/verify/_ranges.py) calls the DAL's methods in the script's process
    after the script has ended: while that process waits for the probe's plan, it is still
    the sandbox user's."""
    dal = tmp_path / 'dal'
    dal.mkdir()
    (dal / 'repositories.py').write_text(
        'class Repository:\n    def find(self):\n        return 1\n'
    )
    (dal / 'usage_examples.py').write_text(
        'from repositories import Repository\n\nRepository().find()\n'
    )
    seen = {}

    def plan() -> str:
        start = json.loads((Path(work) / 'trace.jsonl').read_text().splitlines()[0])
        status = Path(f'/proc/{start["pid"]}/status').read_text()
        seen['uid'] = int(next(x for x in status.splitlines() if x.startswith('Uid:')).split()[1])
        return ''  # no plan: the process ends

    with tempfile.TemporaryDirectory() as work:  # /tmp: reachable by the sandbox user
        run = run_script(
            dal,
            Path(work),
            'http://127.0.0.1:9',
            runner='python',
            python=PYTHON,
            timeout=60,
            probe=plan,
        )
    assert not run.timed_out
    assert seen['uid'] == sandbox_ids()[0] != 0
