"""verify_many: several DALs verified at once, each worker on a backend of its own or in a region
of its own.

The first backend (the embedded moto server, or the given endpoint) is opened on a thread as
soon as `SharedBackend` is made, so moto starts while implement runs. On the embedded default
each worker then gets a moto server of its own (started when it is first needed, reused for the
next DALs); a given endpoint serves every worker. Either way each worker verifies one DAL at a
time in a region no other worker uses: moto, and DynamoDB Local without `-sharedDb`, keep one
set of tables per region, and `verify_dal` drops the DAL's tables before and after, so DALs with
the same table names never see each other.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.errors import BadInput, InfrastructureError
from bot.model import Dal, load_dal
from bot.verify._backend import DEFAULT_ENDPOINT_TIMEOUT, REGIONS, Backend, open_backend
from bot.verify._models import VerifyResult
from bot.verify._run import stop_all_scripts
from bot.verify._spawn import Forkserver
from bot.verify._verify import verify_dal


@dataclass(frozen=True)
class Failed:
    """A DAL that could not be verified (bad input, infrastructure); the others go on."""

    dal: Path
    exception: BadInput | InfrastructureError
    exit_code: int = 2

    @property
    def error(self) -> str:
        """The line the CLI prints for it (`dal-bot: <error>`)."""
        kind = 'error' if isinstance(self.exception, BadInput) else 'infrastructure error'
        return f'{kind}: {self.exception}'


class SharedBackend:
    """The backends of a call. `open_backend(endpoint)` is entered on a thread at once (a given
    endpoint is waited for up to `endpoint_timeout` seconds there); `get()` waits for it. On the
    embedded default, `lease()` gives each worker a moto server of its own once there are
    enough (one moto process serves one core: two busy workers on one would wait for it); a
    worker that finds none idle shares the first while one more starts, so no DAL waits for a
    server to start. A given endpoint is the same one for every worker.
    With a `runner`, a warm interpreter of it starts at once too (`forkserver`: every run of the
    call is forked from it, bot.verify._spawn)."""

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        endpoint_timeout: float = DEFAULT_ENDPOINT_TIMEOUT,
        runner: Literal['uv', 'python'] | None = None,
    ):
        self.endpoint = endpoint
        self._stack = ExitStack()
        self._lock = threading.Lock()  # the stack and the idle servers
        self._idle: list[Backend] = []
        self._starting = False  # one more embedded server is starting
        self._closed = False
        self.forkserver: Forkserver | None = None
        if runner is not None:
            # No uv (each run says so), or no SOCK_SEQPACKET (not Linux): fresh interpreters.
            with contextlib.suppress(InfrastructureError, OSError):
                self.forkserver = self._stack.enter_context(contextlib.closing(Forkserver(runner)))
        pool = ThreadPoolExecutor(1, thread_name_prefix='dalbot-backend')
        self._future: Future[Backend] = pool.submit(self._open, endpoint_timeout, idle=True)
        pool.shutdown(wait=False)  # the thread finishes its one task; nothing waits for it here

    def _open(
        self, endpoint_timeout: float = DEFAULT_ENDPOINT_TIMEOUT, *, idle: bool = False
    ) -> Backend:
        """Open one more backend (started outside the lock: moto takes a moment), closed with
        the others."""
        opened = open_backend(self.endpoint, endpoint_timeout=endpoint_timeout)
        backend = opened.__enter__()
        with self._lock:
            if not self._closed:
                self._stack.push(opened.__exit__)
                if idle:
                    self._idle.append(backend)
                return backend
        opened.__exit__(None, None, None)  # started after the call ended: not needed
        return backend

    def get(self) -> Backend:
        return self._future.result()

    @contextlib.contextmanager
    def lease(self) -> Iterator[Backend]:
        """A backend for one DAL's verification: an idle embedded server of its own, or, when
        every server is busy, the first one shared (its region keeps the DAL apart) while one
        more server starts on a thread for the next DAL; a given endpoint is always shared."""
        first = self.get()
        if self.endpoint is not None:
            yield first
            return
        with self._lock:
            own = self._idle.pop() if self._idle else None
            if own is None and not self._starting:
                self._starting = True
                threading.Thread(target=self._one_more, name='dalbot-backend', daemon=True).start()
        try:
            yield own or first
        finally:
            if own is not None:
                with self._lock:
                    self._idle.append(own)

    def _one_more(self) -> None:
        try:
            with contextlib.suppress(InfrastructureError):  # the first goes on serving them all
                self._open(idle=True)
        finally:
            with self._lock:
                self._starting = False

    def close(self) -> None:
        with self._lock:
            self._closed = True
        if self._future.exception() is None:
            self._stack.close()
        elif self.forkserver is not None:
            self.forkserver.close()

    def __enter__(self) -> SharedBackend:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def default_jobs(endpoint: str | None) -> int:
    """All CPUs on the embedded server; one at a time on an endpoint we do not know keeps
    regions apart (DynamoDB Local started with -sharedDb, dynalite): `-j` overrides."""
    return (os.cpu_count() or 1) if endpoint is None else 1


def verify_many(
    dals: Iterable[Dal],
    *,
    backend: SharedBackend,
    jobs: int | None = None,
    timeout: float = 120,
    runner: Literal['uv', 'python'] = 'uv',
    protect: Sequence[Path] = (),
) -> list[VerifyResult | Failed]:
    """Verify every DAL, `jobs` at a time; results in the order of `dals`. `protect`: folders
    closed to the DALs' code while it runs (as root; bot.verify._sandbox).

    `dals` may be a generator: each DAL is verified as soon as it comes, while the caller
    makes the next one (`bot.gate` implements them that way).

    A DAL that fails with bad input or an infrastructure error becomes a `Failed` entry; a
    backend that cannot start fails every DAL the same way. Ctrl-C (or SIGTERM turned into it)
    kills every running script and waits for the workers before it propagates.
    """
    bound = len(dals) if isinstance(dals, Sized) else len(REGIONS)
    jobs = max(1, min(jobs or default_jobs(backend.endpoint), bound or 1, len(REGIONS)))
    regions: queue.SimpleQueue[str] = queue.SimpleQueue()
    for region in REGIONS[:jobs]:
        regions.put(region)

    def one(dal: Dal) -> VerifyResult | Failed:
        region = regions.get()
        try:
            with backend.lease() as leased:
                return verify_dal(
                    dal,
                    backend=leased,
                    region=region,
                    timeout=timeout,
                    runner=runner,
                    protect=protect,
                    forkserver=backend.forkserver,
                )
        except (BadInput, InfrastructureError) as e:
            return Failed(Path(dal.path), e)
        finally:
            regions.put(region)

    pool = ThreadPoolExecutor(jobs, thread_name_prefix='dalbot-verify')
    try:
        futures = [pool.submit(one, dal) for dal in dals]
        return [f.result() for f in futures]
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        stop_all_scripts()
        raise
    finally:
        pool.shutdown(wait=True)


def verify_paths(
    paths: Iterable[Path],
    *,
    backend: SharedBackend,
    load: Callable[[Path], Dal] = load_dal,
    **options,
) -> list[VerifyResult | Failed]:
    """`verify_many` of the DALs at `paths`, each model loaded (`load`) as the iterator hands
    its path over, so a DAL is verified while the caller makes the next; one that cannot be
    loaded (bad input) is its `Failed`. Results in the order of `paths`; `options` as for
    `verify_many`."""
    loaded: list[Dal | Failed] = []

    def dals() -> Iterator[Dal]:
        for path in paths:
            try:
                dal = load(path)
            except BadInput as e:
                loaded.append(Failed(Path(path), e))
                continue
            loaded.append(dal)
            yield dal

    done = iter(verify_many(dals(), backend=backend, **options))
    return [x if isinstance(x, Failed) else next(done) for x in loaded]
