"""Run usage_examples.py under the launcher: clean environment, sandbox user (as root),
timeout, process group."""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.verify._sandbox import sandbox
from bot.verify._spawn import (
    PROBE_ENV,
    SCRIPT,
    Forked,
    Forkserver,
    child_env,
    command,
    copy_child_files,
    executables_of,
)


@dataclass
class RunOutput:
    command: list[str]
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool
    seconds: float
    probe: str | None = None  # the range probe's result file, when one was asked for
    forked: bool = False  # from the warm interpreter (bot.verify._spawn), not a fresh one


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
    forkserver: Forkserver | None = None,
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
    the interpreter of the `python` runner (default: the bot's). `forkserver`: a warm
    interpreter of the same runner to fork the process from (bot.verify._spawn); without one,
    or when it is gone, a fresh interpreter.
    """
    trace = workdir / 'trace.jsonl'
    trace.touch()
    result = workdir / 'probe.json'
    if probe is not None:
        result.touch()
    # What a fresh interpreter runs (and what the report names, forked or not).
    cmd = command(runner, copy_child_files(workdir), python=python)
    start = time.perf_counter()
    with (
        sandbox(dal_dir, workdir, executables_of(cmd), protect=protect) as box,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        _Pipes(probe is not None) as pipes,
    ):
        if probe is not None and box.uid is not None:
            os.chown(result, box.uid, box.gid)
        env = {**child_env(endpoint, trace, region=region, priced=priced), **box.env}
        proc = None
        if forkserver is not None and forkserver.user == box.user:
            with contextlib.suppress(ConnectionError):  # the server is gone: a fresh one
                proc = forkserver.spawn(
                    box.cwd,
                    env,
                    (SCRIPT, '--all'),
                    out.fileno(),
                    err.fileno(),
                    (pipes.ready_w, pipes.plan_r, result) if probe is not None else None,
                )
        if proc is None:
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
        forked=isinstance(proc, Forked),
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
    proc: subprocess.Popen | Forked, pipes: _Pipes, probe: Callable[[], str] | None, timeout: float
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
