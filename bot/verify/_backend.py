"""Where the DAL's code talks to: the embedded moto server, or a given endpoint (via loopback)."""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import boto3
from botocore.config import Config

from bot.errors import InfrastructureError

REGION = 'us-east-1'
# One region per DAL verified at the same time on one backend: moto (and DynamoDB Local without
# -sharedDb) keep a separate set of tables per region, so two DALs' `Users` never meet.
REGIONS = (
    'us-east-1',
    'us-east-2',
    'us-west-1',
    'us-west-2',
    'eu-west-1',
    'eu-west-2',
    'eu-west-3',
    'eu-central-1',
    'eu-north-1',
    'ap-south-1',
    'ap-northeast-1',
    'ap-northeast-2',
    'ap-southeast-1',
    'ap-southeast-2',
    'ca-central-1',
    'sa-east-1',
)
DUMMY_CREDENTIALS = {
    'aws_access_key_id': 'testing',
    'aws_secret_access_key': 'testing',
    'aws_session_token': 'testing',
}
ENDPOINT_ENV = 'AWS_ENDPOINT_URL_DYNAMODB'


def endpoint_from_env() -> str | None:
    """The endpoint the environment names (a workflow's DynamoDB Local service), if any."""
    return os.environ.get(ENDPOINT_ENV) or None


def accepted_by_safety_check(url: str) -> bool:
    """The generated script's own test (kept as it is in the script): a substring match."""
    return 'localhost' in url.lower() or '127.0.0.1' in url


def admin_client(
    url: str, *, region: str = REGION, connect_timeout: float = 3, read_timeout: float = 10
):
    """A DynamoDB client on `url` with dummy credentials, never the runner's own."""
    config = Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={'total_max_attempts': 2, 'mode': 'standard'},
    )
    global _SESSION
    with _SESSION_LOCK:  # a session is not thread-safe; its clients are
        if _SESSION is None:
            _SESSION = boto3.session.Session(**DUMMY_CREDENTIALS)
        return _SESSION.client('dynamodb', region_name=region, endpoint_url=url, config=config)


# One session for every admin client: it parses botocore's endpoint and service models once
# (~0.15 s of CPU per new session, which verify_many would spend per DAL).
_SESSION: boto3.session.Session | None = None
_SESSION_LOCK = threading.Lock()


DEFAULT_ENDPOINT_TIMEOUT = 60.0
_RETRY_PAUSE = 0.5


def wait_for_endpoint(url: str, timeout: float = DEFAULT_ENDPOINT_TIMEOUT) -> None:
    """ListTables until the endpoint answers, for at most `timeout` seconds.

    A service container may still be starting when the bot does; this wait replaces a health
    check inside a third-party image (which may not have curl). Each attempt's own timeouts are
    cut to what is left, so a port that accepts but never answers cannot stretch the wait.
    """
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        try:
            client = admin_client(
                url,
                connect_timeout=max(min(2.0, left), 0.1),
                read_timeout=max(min(5.0, left), 0.1),
            )
            with contextlib.closing(client):  # no keep-alive socket left behind per attempt
                client.list_tables(Limit=1)
            return
        except Exception as e:
            last = e
        left = deadline - time.monotonic()
        if left <= 0:
            raise InfrastructureError(
                f'DynamoDB endpoint {url} did not answer within {timeout:g} s '
                f'(ListTables, retried): {last}'
            ) from last
        time.sleep(min(_RETRY_PAUSE, left))


def free_port(host: str = '127.0.0.1') -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class EmbeddedMoto:
    """moto's DynamoDB-compatible server on loopback, in a process of its own
    (`_moto_process.py`), started with the bot's interpreter and a minimal environment (none of
    the job's secrets). A port in use is a clear error; the server ends with the bot."""

    def __init__(self, host: str = '127.0.0.1', port: int = 0):
        self.host = host
        self.port = port
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f'http://{self.host}:{self.port}'

    def start(self, timeout: float = 60) -> EmbeddedMoto:
        if self.port:
            with socket.socket() as s:
                try:
                    s.bind((self.host, self.port))
                except OSError as e:
                    raise InfrastructureError(
                        f'cannot start the embedded moto server: {self.host}:{self.port} '
                        f'is in use ({e.strerror})'
                    ) from e
        env = {k: v for k, v in os.environ.items() if k in _MOTO_ENV or k.startswith('MOTO_')}
        self._process = subprocess.Popen(
            [sys.executable, str(_MOTO_PROCESS), self.host, str(self.port)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = _first_line(self._process, timeout)
        if not line.startswith('port '):
            self.stop()
            why = line.removeprefix('error ') or 'it ended before it listened'
            raise InfrastructureError(
                f'cannot start the embedded moto server on {self.host}:{self.port}: {why}'
            )
        self.port = int(line.split()[1])
        return self

    def stop(self) -> None:
        if self._process is None:
            return
        process, self._process = self._process, None
        with contextlib.suppress(OSError):
            process.stdin.close()  # type: ignore[union-attr]
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            stream.close()  # type: ignore[union-attr]


_MOTO_PROCESS = Path(__file__).with_name('_moto_process.py')
# What moto's process inherits: enough to run Python and find its packages.
_MOTO_ENV = frozenset({'PATH', 'HOME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TMPDIR', 'PYTHONPATH'})


def _first_line(process: subprocess.Popen, timeout: float) -> str:
    """What the server says first (`port N` or `error ...`); '' if it ends or stays silent."""
    ready = selectors.DefaultSelector()
    ready.register(process.stdout, selectors.EVENT_READ)  # type: ignore[arg-type]
    try:
        if not ready.select(timeout):
            return f'error silent for {timeout:g} s'
        return process.stdout.readline().strip()  # type: ignore[union-attr]
    finally:
        ready.close()


class TcpForwarder:
    """127.0.0.1:<free port> → target host:port, one pair of pumps per connection."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self._listener = socket.create_server(('127.0.0.1', 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self) -> TcpForwarder:
        thread = threading.Thread(target=self._accept_loop, name='dal-bot-forwarder', daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        client.settimeout(None)
        with self._lock:
            self._sockets.update((client, upstream))
        selector = selectors.DefaultSelector()
        selector.register(client, selectors.EVENT_READ, upstream)
        selector.register(upstream, selectors.EVENT_READ, client)
        try:
            open_sides = 2
            while open_sides and not self._stop.is_set():
                for key, _ in selector.select(timeout=0.2):
                    source, sink = key.fileobj, key.data
                    try:
                        data = source.recv(65536)  # type: ignore[union-attr]
                    except OSError:
                        data = b''
                    if data:
                        sink.sendall(data)
                        continue
                    selector.unregister(source)
                    open_sides -= 1
                    with contextlib.suppress(OSError):
                        sink.shutdown(socket.SHUT_WR)
        except OSError:
            return  # a side reset the connection: the finally below closes both
        finally:
            selector.close()
            for s in (client, upstream):
                with self._lock:
                    self._sockets.discard(s)
                s.close()

    def stop(self) -> None:
        self._stop.set()
        self._listener.close()
        with self._lock:
            for s in list(self._sockets):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=2)


@dataclass(frozen=True)
class Backend:
    url: str  # the real endpoint (tables are managed through it)
    script_url: str  # what the script gets: always accepted by its safety check
    description: str


def _moto_version() -> str:
    try:
        from importlib.metadata import version

        return version('moto')
    except Exception:
        return '?'


@contextmanager
def open_backend(
    endpoint: str | None = None, *, endpoint_timeout: float = DEFAULT_ENDPOINT_TIMEOUT
) -> Iterator[Backend]:
    """The endpoint to use, stopped (server, forwarder) when the block ends, however it ends.

    A given endpoint is waited for (`endpoint_timeout` seconds); the embedded server is up when
    `start()` returns, so one short wait is enough."""
    if endpoint is None:
        server = EmbeddedMoto().start()
        try:
            wait_for_endpoint(server.url, 10)
            yield Backend(
                server.url, server.url, f'embedded moto {_moto_version()} on {server.url}'
            )
        finally:
            server.stop()
        return
    parts = urlsplit(endpoint)
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise InfrastructureError(f'endpoint {endpoint!r} is not an http(s)://host:port URL')
    url = endpoint.rstrip('/')
    wait_for_endpoint(url, endpoint_timeout)
    if accepted_by_safety_check(url):
        yield Backend(url, url, f'endpoint {url}')
        return
    port = parts.port or (443 if parts.scheme == 'https' else 80)
    forwarder = TcpForwarder(parts.hostname, port).start()
    try:
        loopback = f'{parts.scheme}://127.0.0.1:{forwarder.port}'
        yield Backend(url, loopback, f'endpoint {url} (forwarded from {loopback})')
    finally:
        forwarder.stop()
