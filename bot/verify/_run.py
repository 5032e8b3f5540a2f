"""Run usage_examples.py under the launcher: clean environment, sandbox user (as root),
timeout, process group."""

from __future__ import annotations

import contextlib
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.errors import InfrastructureError
from bot.verify._sandbox import sandbox

LAUNCHER = Path(__file__).with_name('_launcher.py')
REQUESTS = Path(__file__).with_name('_requests.py')  # imported by the launcher when beside it
PROBE = Path(__file__).with_name('_probe.py')  # run by the launcher after the script
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


def command(
    runner: str,
    launcher: Path,
    args: Sequence[str] = (SCRIPT, '--all'),
    python: str | None = None,
) -> list[str]:
    if runner == 'uv':
        uv = shutil.which('uv')
        if uv is None:
            raise InfrastructureError('uv is not on PATH (install it, or use --runner python)')
        return [
            uv,
            'run',
            '--no-project',
            '--with',
            'boto3',
            '--with',
            'pydantic',
            'python',
            str(launcher),
            *args,
        ]
    if runner == 'python':
        return [python or sys.executable, str(launcher), *args]
    raise ValueError(f'unknown runner {runner!r}')


@dataclass
class RunOutput:
    command: list[str]
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool
    seconds: float
    probe: str | None = None  # the range probe's result file, when one was asked for


# Process groups of the scripts running now (several when DALs are verified in parallel), so an
# interrupt on the main thread can stop the ones other threads are waiting for.
_RUNNING: set[int] = set()


def stop_all_scripts() -> None:
    for pgid in list(_RUNNING):
        _kill_group(pgid)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
        os.killpg(pgid, signal.SIGKILL)


def run_script(
    dal_dir: Path,
    workdir: Path,
    endpoint: str,
    *,
    runner: str,
    timeout: float,
    region: str = 'us-east-1',
    priced: Iterable[str] = (),
    protect: Sequence[Path] = (),
    python: str | None = None,
    probe: Callable[[], str] | None = None,
) -> RunOutput:
    """Run the launcher (copied into `workdir`) on the DAL; the trace lands in workdir/trace.jsonl.

    `priced`: `Owner.method` names whose DynamoDB requests are traced for their cost (empty:
    every observed call's).

    `probe`: called once the script has ended, in the same process that now waits for it; it
    returns the range probe's plan (bot.verify._ranges), which that process runs with the DAL's
    modules it already imported (`RunOutput.probe`: what it wrote; it gets `timeout` again).

    As root the process runs as the sandbox user (bot.verify._sandbox), with `protect` (the
    job's folders) closed to it. It runs in its own session; its whole group is killed on
    timeout, on Ctrl-C, and after it exits (so nothing it started outlives the run). `python`:
    the interpreter of the `python` runner (default: the bot's).
    """
    launcher = workdir / 'dalbot_launcher.py'
    shutil.copyfile(LAUNCHER, launcher)
    shutil.copyfile(REQUESTS, workdir / 'dalbot_requests.py')
    trace = workdir / 'trace.jsonl'
    trace.touch()
    result = workdir / 'probe.json'
    if probe is not None:
        shutil.copyfile(PROBE, workdir / 'dalbot_probe.py')
        result.touch()
    cmd = command(runner, launcher, python=python)
    executables = [cmd[0]]
    if runner == 'uv' and os.environ.get('UV_PYTHON', '').startswith('/'):
        executables.append(os.environ['UV_PYTHON'])
    start = time.perf_counter()
    with (
        sandbox(dal_dir, workdir, executables, protect=protect) as box,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        _Pipes(probe is not None) as pipes,
    ):
        if probe is not None and box.uid is not None:
            os.chown(result, box.uid, box.gid)
        env = {**child_env(endpoint, trace, region=region, priced=priced), **box.env}
        if probe is not None:
            env[PROBE_ENV] = f'{pipes.ready_w},{pipes.plan_r},{result}'
        proc = subprocess.Popen(
            cmd,
            cwd=box.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
            pass_fds=pipes.child_fds,
            **box.popen_args(),
        )
        pipes.close_child_ends()
        _RUNNING.add(proc.pid)
        try:
            timed_out, returncode = _wait(proc, pipes, probe, timeout)
        except BaseException:
            _kill_group(proc.pid)
            proc.wait()
            raise
        finally:
            _kill_group(proc.pid)
            _RUNNING.discard(proc.pid)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    return RunOutput(
        command=cmd,
        returncode=returncode,
        stdout=box.unmask(_decode(stdout)),
        stderr=box.unmask(_decode(stderr)),
        timed_out=timed_out,
        seconds=time.perf_counter() - start,
        probe=result.read_text(encoding='utf-8') if probe is not None else None,
    )


class _Pipes:
    """The two pipes of the probe hand-over: `ready <code>` from the process, the plan to it."""

    def __init__(self, wanted: bool):
        self.wanted = wanted
        self.ready_r = self.ready_w = self.plan_r = self.plan_w = -1

    def __enter__(self) -> _Pipes:
        if self.wanted:
            self.ready_r, self.ready_w = os.pipe()
            self.plan_r, self.plan_w = os.pipe()
        return self

    @property
    def child_fds(self) -> tuple[int, ...]:
        return (self.ready_w, self.plan_r) if self.wanted else ()

    def close_child_ends(self) -> None:
        for name in ('ready_w', 'plan_r'):
            self._close(name)

    def _close(self, name: str) -> None:
        fd = getattr(self, name)
        if fd >= 0:
            os.close(fd)
            setattr(self, name, -1)

    def send(self, plan: str) -> None:
        with contextlib.suppress(BrokenPipeError):  # the process is gone: it has no probe
            with os.fdopen(self.plan_w, 'w', encoding='utf-8') as f:
                self.plan_w = -1
                f.write(plan)

    def __exit__(self, *exc) -> None:
        for name in ('ready_r', 'ready_w', 'plan_r', 'plan_w'):
            self._close(name)


def _wait(
    proc: subprocess.Popen, pipes: _Pipes, probe: Callable[[], str] | None, timeout: float
) -> tuple[bool, int | None]:
    """(timed out, the script's exit code): without a probe, the process's; with one, what it
    said when the script ended (the probe after it may still be killed on its own timeout)."""
    if probe is None:
        try:
            return False, proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)
            proc.wait()
            return True, None
    deadline = time.monotonic() + timeout
    said = b''
    while b'\n' not in said:
        left = deadline - time.monotonic()
        if left <= 0:
            _kill_group(proc.pid)
            proc.wait()
            return True, None
        # Woken now and then: a child the script left may hold the pipe open after it died.
        if not select.select([pipes.ready_r], [], [], min(left, 0.5))[0]:
            if proc.poll() is not None:
                return False, proc.returncode
            continue
        chunk = os.read(pipes.ready_r, 64)
        if not chunk:  # ended without saying so (killed, os._exit): no probe
            pipes.send('')
            return False, proc.wait()
        said += chunk
    code = int(said.split()[1])
    pipes.send(probe())
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:  # the probe hangs: judged without it
        _kill_group(proc.pid)
        proc.wait()
    return False, code


_ANSI = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')


def _decode(data: bytes | None) -> str:
    return _ANSI.sub('', (data or b'').decode('utf-8', errors='replace'))
