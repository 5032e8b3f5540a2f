"""A run forked from the warm interpreter (bot.verify._spawn) is the run a fresh interpreter
gives: the same exit code, output, traceback, environment, folder, threads and atexit; a
timeout still kills its whole group; a server that is gone leaves runs to fresh interpreters.

Each script runs both ways and the outcomes are compared, so a difference fails the test."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from bot.verify import _spawn
from bot.verify._run import run_script
from bot.verify._spawn import Forkserver

SCRIPTS = {
    'environment': """
import json, os, sys, tempfile
import boto3
client = boto3.resource('dynamodb').meta.client  # the default session the server warmed
print(json.dumps({
    'region': os.environ['AWS_REGION'], 'trace': os.path.basename(os.environ['DALBOT_TRACE']),
    'boto3': [client.meta.region_name, client.meta.endpoint_url],
    'cwd': os.path.basename(os.getcwd()), 'argv': sys.argv, 'stdin': sys.stdin.read(),
    'tmp_is_the_run_s': tempfile.gettempdir() == os.environ.get('TMPDIR', tempfile.gettempdir()),
}))
""",
    'exit code': "import sys\nprint('before')\nsys.exit(3)\n",
    'exit message': "import sys\nsys.exit('no tables to work on')\n",
    'exception': "def main():\n    raise ValueError('boom')\n\nmain()\n",
    'thread and atexit': """
import atexit, threading, time
atexit.register(lambda: print('atexit ran', flush=True))
def late():
    time.sleep(0.3)
    print('thread finished', flush=True)
threading.Thread(target=late).start()
print('main done', flush=True)
""",
}


def _dal(tmp_path: Path, script: str) -> Path:
    dal = tmp_path / 'generated_dal'
    dal.mkdir(exist_ok=True)
    (dal / 'repositories.py').write_text(
        'class Repository:\n    def find(self):\n        return 1\n'
    )
    (dal / 'usage_examples.py').write_text(script)
    return dal


def _run(dal: Path, work: Path, server: Forkserver | None, *, region='eu-west-1', timeout=60):
    work.mkdir()
    return run_script(
        dal,
        work,
        'http://127.0.0.1:9',
        runner='python',
        timeout=timeout,
        region=region,
        forkserver=server,
    )


@pytest.fixture(scope='module')
def server():
    server = Forkserver('python')
    yield server
    server.close()


def _comparable(run) -> tuple:
    """What the judge reads of a run; tracebacks compared from their last frame of the script."""
    stderr = run.stderr
    if 'Traceback' in stderr:
        stderr = stderr[stderr.index('usage_examples.py') :]
    return run.returncode, run.timed_out, run.stdout, stderr


@pytest.mark.parametrize('name', SCRIPTS)
def test_a_forked_run_is_the_run_a_fresh_interpreter_gives(tmp_path, server, name):
    dal = _dal(tmp_path, SCRIPTS[name])
    fresh = _run(dal, tmp_path / 'fresh', None)
    forked = _run(dal, tmp_path / 'forked', server)
    assert not fresh.forked and forked.forked
    assert _comparable(forked) == _comparable(fresh)
    if name == 'environment':
        seen = json.loads(forked.stdout)
        assert seen['region'] == 'eu-west-1' and seen['trace'] == 'trace.jsonl'
        assert seen['boto3'] == ['eu-west-1', 'http://127.0.0.1:9']
        assert seen['argv'] == ['usage_examples.py', '--all'] and seen['stdin'] == ''
        assert seen['tmp_is_the_run_s']
    if name == 'exception':
        assert forked.returncode == 1 and forked.stderr.rstrip().endswith('ValueError: boom')
    if name == 'thread and atexit':
        assert forked.stdout.split() == ['main', 'done', 'thread', 'finished', 'atexit', 'ran']


def test_two_forked_runs_at_once_keep_their_own_environment(tmp_path, server):
    """verify_many forks several runs at once: each sees its own region and folder."""
    from concurrent.futures import ThreadPoolExecutor

    dal = _dal(tmp_path, SCRIPTS['environment'])
    with ThreadPoolExecutor(2) as pool:
        runs = list(
            pool.map(
                lambda r: _run(dal, tmp_path / r, server, region=r), ['us-east-2', 'ap-south-1']
            )
        )
    seen = [json.loads(r.stdout) for r in runs]
    assert [s['region'] for s in seen] == ['us-east-2', 'ap-south-1']
    assert [s['boto3'][0] for s in seen] == ['us-east-2', 'ap-south-1']
    assert all(r.forked for r in runs)


def test_a_timeout_kills_the_forked_run_and_what_it_started(tmp_path, server):
    script = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])
print(child.pid, flush=True)
time.sleep(600)
"""
    started = time.monotonic()
    run = _run(_dal(tmp_path, script), tmp_path / 'work', server, timeout=3)
    assert run.forked and run.timed_out and run.returncode is None
    assert time.monotonic() - started < 30
    child = int(run.stdout.split()[0])
    time.sleep(0.2)
    assert not Path(f'/proc/{child}').exists() or 'Z' in _state(child)


def _state(pid: int) -> str:
    try:
        return Path(f'/proc/{pid}/stat').read_text().split(')')[-1].split()[0]
    except OSError:
        return 'Z'


def test_a_gone_forkserver_leaves_the_run_to_a_fresh_interpreter(tmp_path):
    gone = Forkserver('python')
    try:
        gone.process.kill()
        gone.process.wait()
        run = _run(_dal(tmp_path, "print('ran')\n"), tmp_path / 'work', gone)
    finally:
        gone.close()
    assert not run.forked and run.returncode == 0 and run.stdout == 'ran\n'
    assert not gone.folder.exists() and os.path.isdir(tmp_path / 'work')


def test_a_silent_forkserver_is_stopped_and_the_run_goes_to_a_fresh_one(tmp_path, monkeypatch):
    """A server that does not fork the run in time (stuck) is killed, so it can never start
    the run late next to the fresh interpreter that runs it instead."""
    monkeypatch.setattr(_spawn, 'START_TIMEOUT', 1.0)
    silent = Forkserver('python')
    try:
        os.kill(silent.process.pid, signal.SIGSTOP)
        run = _run(_dal(tmp_path, "print('ran')\n"), tmp_path / 'work', silent)
        assert not run.forked and run.returncode == 0 and run.stdout == 'ran\n'
        assert silent.process.wait(timeout=10) == -signal.SIGKILL
    finally:
        silent.close()
