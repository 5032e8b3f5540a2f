"""dal-bot forkserver, child side: a warm interpreter that forks one launcher per DAL run.

Standalone (standard library, plus the runner's boto3 and pydantic when it has them).
`bot.verify._spawn` copies this file beside the launcher and runs
`python dalbot_forkserver.py CONTROL_FD` in the runner's environment (the same command the
launcher would run under), as the sandbox user when there is one. It imports what every
usage_examples.py imports (boto3, botocore, pydantic: about half of a bare run), then waits.

Each request on the control socket (SOCK_SEQPACKET: one message, one run) is JSON
{cwd, env, args, probe_result} with file descriptors: stdout, stderr, the run's own reply
socket, and the probe's ready and plan pipes when there is a probe. The server forks a waiter
for it; the waiter forks the run, answers `pid N`, waits for it and answers `exit CODE`.
The run starts a session of its own (its group is what the parent kills), takes the request's
working directory, environment (the whole of it), standard streams and argv, and goes on as
`python dalbot_launcher.py usage_examples.py --all` would: the launcher's main() at the top
level of this module, so the interpreter ends it as it would end the script (exit code,
traceback, atexit, threads). The server ends when the parent closes the control socket.
"""

import contextlib
import json
import os
import signal
import socket
import sys

_MAX_FDS = 8


def _warm():
    """Import what the DAL will import; a runner without them fails later, in the run, as a
    fresh interpreter would. boto3's default session (what `boto3.resource('dynamodb')` uses)
    parses botocore's models once here: the region, endpoint and everything else a client
    reads from the environment are still read per client, from the run's environment (the
    credentials it caches are the dummy ones every run gets)."""
    for name in ('boto3', 'boto3.dynamodb.conditions', 'boto3.dynamodb.types', 'pydantic'):
        with contextlib.suppress(Exception):  # missing: the run's own import says so
            __import__(name)
    with contextlib.suppress(Exception):  # no boto3: nothing to warm
        import boto3

        for _ in range(2):  # the second builds what the first leaves for later
            boto3.resource('dynamodb').meta.client.close()
    import dalbot_launcher  # noqa: F401  (standard library only)


def _serve(control):
    """Fork a waiter per request; return (request, fds) in the run, never in the server."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # waiters are reaped by the kernel
    while True:
        message, fds, _, _ = socket.recv_fds(control, 1 << 20, _MAX_FDS)
        if not message:
            os._exit(0)  # the parent is gone or done
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            return _wait_for_run(control, json.loads(message), fds)
        for fd in fds:
            os.close(fd)


def _wait_for_run(control, request, fds):
    """In the waiter: fork the run; report its pid and exit code on its reply socket."""
    control.close()
    reply = socket.socket(fileno=fds[2])
    pid = os.fork()
    if pid == 0:
        reply.close()
        return request, fds
    for fd in fds[:2] + fds[3:]:
        os.close(fd)
    try:
        reply.sendall(f'pid {pid}\n'.encode())
        _, status = os.waitpid(pid, 0)
        reply.sendall(f'exit {os.waitstatus_to_exitcode(status)}\n'.encode())
    finally:
        os._exit(0)


def _become_run(request, fds):
    """In the run: a session, the request's streams, folder, environment and argv."""
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(fds[0], 1)
    os.dup2(fds[1], 2)
    for fd in (devnull, fds[0], fds[1]):
        os.close(fd)
    os.chdir(request['cwd'])
    env = dict(request['env'])
    if len(fds) == 5:  # the probe's pipes, under the numbers this process got them as
        env['DALBOT_PROBE'] = f'{fds[3]},{fds[4]},{request["probe_result"]}'
    os.environ.clear()
    os.environ.update(env)
    import tempfile

    tempfile.tempdir = None  # taken from $TMPDIR again, the run's own
    sys.argv = [os.path.join(os.path.dirname(os.path.abspath(__file__)), 'dalbot_launcher.py')]
    sys.argv += request['args']


if __name__ == '__main__':
    _warm()
    _become_run(*_serve(socket.socket(fileno=int(sys.argv[1]))))
    import dalbot_launcher

    dalbot_launcher.main()
