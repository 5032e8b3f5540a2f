"""How a run's process starts: forked from a warm interpreter of the runner (`Forkserver`),
or, without one, as a fresh interpreter (`subprocess.Popen`).

A bare `python usage_examples.py --all` spends about half its time importing boto3, botocore
and pydantic. The forkserver (`_forkserver.py`, started once per call in the runner's
environment, as the sandbox user when there is one) has imported them already and forks one
process per run, which then goes on exactly as the launcher would in a fresh interpreter: its
own session, folder, environment, streams. Both kinds of process look the same to
`bot.verify._run`: `pid`, `poll()`, `wait(timeout)`, `returncode`.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from bot.errors import InfrastructureError
from bot.verify._sandbox import private_env, run_as, sandbox_user

FORKSERVER = Path(__file__).with_name('_forkserver.py')
# How long a run may wait for the server to fork it (it may still be importing under load).
START_TIMEOUT = 60.0
LAUNCHER = Path(__file__).with_name('_launcher.py')
REQUESTS = Path(__file__).with_name('_requests.py')  # imported by the launcher when beside it
PROBE = Path(__file__).with_name('_probe.py')  # run by the launcher after the script
CHILD_FILES = {
    'dalbot_launcher.py': LAUNCHER,
    'dalbot_requests.py': REQUESTS,
    'dalbot_probe.py': PROBE,
}


PROBE_ENV = 'DALBOT_PROBE'
TRACE_ENV = 'DALBOT_TRACE'
PRICED_ENV = 'DALBOT_PRICED'  # Owner.method of the patterns whose DynamoDB requests are traced
SCRIPT = 'usage_examples.py'

# What the DAL's process may inherit: enough to find uv, python and its caches, nothing else
# (never AWS credentials, GITHUB_TOKEN or the action's INPUT_* variables).
_KEEP = frozenset(
    {
        'PATH',
        'HOME',
        'LANG',
        'LC_ALL',
        'LC_CTYPE',
        'TMPDIR',
        'SSL_CERT_FILE',
        'SSL_CERT_DIR',
        'XDG_CACHE_HOME',
        'XDG_DATA_HOME',
        'XDG_CONFIG_HOME',
        'HTTP_PROXY',
        'HTTPS_PROXY',
        'NO_PROXY',
        'http_proxy',
        'https_proxy',
        'no_proxy',
    }
)
_KEEP_PREFIXES = ('UV_', 'PYTHON')


def child_env(
    endpoint: str,
    trace: Path,
    base: dict[str, str] | None = None,
    region: str = 'us-east-1',
    priced: Iterable[str] = (),
) -> dict[str, str]:
    """The script's environment, built from scratch: dummy credentials, the loopback endpoint."""
    base = dict(os.environ if base is None else base)
    env = {k: v for k, v in base.items() if k in _KEEP or k.startswith(_KEEP_PREFIXES)}
    if any(k.lower() in ('http_proxy', 'https_proxy') for k in env):
        for name in ('NO_PROXY', 'no_proxy'):  # the endpoint is loopback: never via a proxy
            env[name] = ','.join(x for x in (env.get(name), 'localhost,127.0.0.1') if x)
    env.update(
        {
            'AWS_ACCESS_KEY_ID': 'testing',
            'AWS_SECRET_ACCESS_KEY': 'testing',
            'AWS_SESSION_TOKEN': 'testing',
            'AWS_DEFAULT_REGION': region,
            'AWS_REGION': region,
            'AWS_ENDPOINT_URL_DYNAMODB': endpoint,
            'AWS_ENDPOINT_URL': endpoint,  # any other AWS service also stays on loopback
            'AWS_MAX_ATTEMPTS': '2',  # moto answers some mistakes with HTTP 500: fail fast
            'AWS_RETRY_MODE': 'standard',
            'AWS_CONFIG_FILE': os.devnull,
            'AWS_SHARED_CREDENTIALS_FILE': os.devnull,
            'AWS_EC2_METADATA_DISABLED': 'true',
            'PYTHONUNBUFFERED': '1',
            'PYTHONIOENCODING': 'utf-8',
            'PYTHONDONTWRITEBYTECODE': '1',  # no __pycache__ left in the user's DAL
            TRACE_ENV: str(trace),
        }
    )
    if priced:
        env[PRICED_ENV] = ','.join(sorted(set(priced)))
    env.setdefault('LANG', 'C.UTF-8')
    return env


def interpreter(runner: str, python: str | None = None) -> list[str]:
    """The command that starts the runner's Python (the launcher's path and arguments follow)."""
    if runner == 'uv':
        uv = shutil.which('uv')
        if uv is None:
            raise InfrastructureError('uv is not on PATH (install it, or use --runner python)')
        return [uv, 'run', '--no-project', '--with', 'boto3', '--with', 'pydantic', 'python']
    if runner == 'python':
        return [python or sys.executable]
    raise ValueError(f'unknown runner {runner!r}')


def command(
    runner: str,
    launcher: Path,
    args: Sequence[str] = (SCRIPT, '--all'),
    python: str | None = None,
) -> list[str]:
    return [*interpreter(runner, python), str(launcher), *args]


def executables_of(cmd: Sequence[str]) -> list[str]:
    """What the sandbox user must be able to run for `cmd`: uv's Python too when it is pinned."""
    out = [cmd[0]]
    if Path(cmd[0]).name == 'uv' and os.environ.get('UV_PYTHON', '').startswith('/'):
        out.append(os.environ['UV_PYTHON'])
    return out


def copy_child_files(folder: Path) -> Path:
    """The launcher and the modules it imports from beside it; the launcher's path."""
    for name, source in CHILD_FILES.items():
        shutil.copyfile(source, folder / name)
        os.chmod(folder / name, 0o644)
    return folder / 'dalbot_launcher.py'


class Forked:
    """A run forked by the forkserver: its pid and, on its reply socket, its exit code."""

    def __init__(self, reply: socket.socket, start_timeout: float):
        self._reply = reply
        self._buffer = b''
        self.returncode: int | None = None
        try:
            line = self._line(timeout=start_timeout)
        except subprocess.TimeoutExpired:
            line = None
        if line is None or not line.startswith('pid '):
            raise ConnectionError('the forkserver did not start the run')
        self.pid = int(line.split()[1])

    def _line(self, timeout: float | None) -> str | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while b'\n' not in self._buffer:
            left = None if deadline is None else max(deadline - time.monotonic(), 0)
            if not select.select([self._reply], [], [], left)[0]:
                raise subprocess.TimeoutExpired('forked run', timeout or 0)
            chunk = self._reply.recv(64)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b'\n', 1)
        return line.decode()

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            line = self._line(timeout)
            # The waiter died without a word: the run is gone with it (killed with the server).
            self.returncode = int(line.split()[1]) if line else -9
            self._reply.close()
        return self.returncode

    def poll(self) -> int | None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            return self.wait(timeout=0)
        return None


class Forkserver:
    """One warm interpreter of the runner; `spawn` forks a run from it. It runs as the sandbox
    user when runs do (`user`: uid, gid; None: as the bot), in the runs' clean environment
    (its own HOME and TMPDIR), and imports while the caller goes on."""

    def __init__(self, runner: str, python: str | None = None):
        self.folder = Path(tempfile.mkdtemp(prefix='dalbot-forkserver-'))
        os.chmod(self.folder, 0o755)
        copy_child_files(self.folder)
        shutil.copyfile(FORKSERVER, self.folder / 'dalbot_forkserver.py')
        try:
            cmd = command(runner, self.folder / 'dalbot_forkserver.py', (), python)
            self.user = sandbox_user(executables_of(cmd), self.folder)
        except BaseException:  # no uv, or a sandbox required that cannot be
            shutil.rmtree(self.folder, ignore_errors=True)
            raise
        env = child_env('http://127.0.0.1', Path(os.devnull))  # each run brings its own
        if self.user is not None:
            uid, gid = self.user
            env |= private_env(self.folder, uid, gid, executables_of(cmd), os.environ)
        self._control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._lock = threading.Lock()
        with theirs:
            self.process = subprocess.Popen(
                [*cmd, str(theirs.fileno())],
                cwd=self.folder,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                pass_fds=(theirs.fileno(),),
                **run_as(self.user),
            )

    def spawn(
        self,
        cwd: Path,
        env: dict[str, str],
        args: Sequence[str],
        stdout: int,
        stderr: int,
        probe: tuple[int, int, Path] | None = None,
    ) -> Forked:
        """Fork a run; ConnectionError when the server is gone (the caller starts a fresh
        interpreter instead)."""
        if self.process.poll() is not None:
            raise ConnectionError(f'the forkserver ended (exit code {self.process.returncode})')
        ours, theirs = socket.socketpair()
        with theirs:
            request = {
                'cwd': str(cwd),
                'env': env,
                'args': list(args),
                'probe_result': str(probe[2]) if probe else None,
            }
            fds = [stdout, stderr, theirs.fileno(), *(probe[:2] if probe else ())]
            with self._lock:
                socket.send_fds(self._control, [json.dumps(request).encode()], fds)
        try:
            return Forked(ours, START_TIMEOUT)
        except ConnectionError:
            # Silent or gone: it serves no other run (killed with its waiters before it could
            # start this one late, next to the fresh interpreter that runs it instead).
            ours.close()
            self._stop()
            raise
        except BaseException:
            ours.close()
            raise

    def _stop(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def close(self) -> None:
        """The server ends when its control socket closes; runs still going are the caller's."""
        self._control.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
