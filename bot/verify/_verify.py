"""verify_dal: fresh tables, the script under the launcher, a verdict per access pattern."""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from bot.errors import BadInput, InfrastructureError
from bot.model import Dal
from bot.verify import _judge
from bot.verify._backend import (
    DEFAULT_ENDPOINT_TIMEOUT,
    REGION,
    Backend,
    admin_client,
    open_backend,
)
from bot.verify._engine import Capabilities
from bot.verify._models import Durations, VerifyResult
from bot.verify._ranges import RangeCheck
from bot.verify._ranges import apply as apply_ranges
from bot.verify._run import run_script
from bot.verify._spawn import SCRIPT, Forkserver
from bot.verify._tables import create_tables, drop_tables, tables_of


def verify_dal(
    dal: Dal,
    *,
    endpoint: str | None = None,
    timeout: float = 120,
    runner: Literal['uv', 'python'] = 'uv',
    backend: Backend | None = None,
    region: str = REGION,
    protect: Sequence[Path] = (),
    endpoint_timeout: float = DEFAULT_ENDPOINT_TIMEOUT,
    forkserver: Forkserver | None = None,
) -> VerifyResult:
    """Run the DAL's usage_examples.py --all against DynamoDB and judge every access pattern.

    `endpoint` None starts the embedded moto server on loopback (stopped afterwards); otherwise
    that DynamoDB-compatible endpoint is used, through a loopback forwarder when its host is not
    one the generated script's safety check accepts, once it answers (ListTables, retried for
    `endpoint_timeout` seconds). (`endpoint_from_env()` reads
    AWS_ENDPOINT_URL_DYNAMODB for callers that want the environment's choice.) The DAL's tables
    are dropped, recreated from the model and deleted again afterwards.

    `backend`, when given, is an already open backend shared with other runs (`verify_many`):
    it is used as it is and left running; `region` keeps this DAL's tables apart from theirs.
    `forkserver`: a warm interpreter of `runner` the script's process is forked from.

    As root, the script runs as an unprivileged user that cannot read the bot's environment,
    the DAL's git repository or `protect` (the job's folders): bot.verify._sandbox.

    Raises BadInput (no usage_examples.py, no tables) or InfrastructureError (port in use,
    endpoint silent for `endpoint_timeout` seconds, table creation refused, runner missing or
    failing before the script).
    """
    started = time.perf_counter()
    dal_dir = Path(dal.path)
    script = dal_dir / SCRIPT
    if not script.is_file():
        raise BadInput(script, 'missing: verify runs usage_examples.py --all')
    source = script.read_text(encoding='utf-8', errors='replace')
    tables = tables_of(dal)
    durations = Durations()
    names = [t.name for t in tables]
    mark = time.perf_counter()
    cleanup = 0.0
    capabilities = Capabilities()
    with tempfile.TemporaryDirectory(prefix='dalbot-') as tmp:
        trace_file = Path(tmp) / 'trace.jsonl'
        shared = contextlib.nullcontext(backend) if backend is not None else None
        with shared or open_backend(endpoint, endpoint_timeout=endpoint_timeout) as backend:
            durations.backend = time.perf_counter() - mark
            # Closed before the backend stops: a keep-alive socket would hold the server's port.
            with contextlib.closing(admin_client(backend.url, region=region)) as client:
                try:
                    mark = time.perf_counter()
                    create_tables(client, tables, capabilities)
                    durations.tables = time.perf_counter() - mark
                    # The set check of range queries runs in the script's process, once the
                    # script has ended, on the tables it left.
                    ranges = RangeCheck(dal, client)
                    run = run_script(
                        dal_dir,
                        Path(tmp),
                        backend.script_url,
                        runner=runner,
                        timeout=timeout,
                        region=region,
                        priced=[f'{p.owner}.{p.method}' for p in dal.patterns],
                        protect=protect,
                        probe=ranges.plan if ranges.ranged else None,
                        forkserver=forkserver,
                    )
                    durations.run = run.seconds
                    mismatches = {} if run.timed_out else ranges.mismatches(run.probe)
                finally:
                    cleanup = time.perf_counter()
                    try:
                        drop_tables(client, names)
                    except Exception:
                        pass  # the backend may be gone (Ctrl-C, endpoint died): nothing more to do
        durations.cleanup = time.perf_counter() - cleanup
        trace_text = trace_file.read_text(encoding='utf-8', errors='replace')

    mark = time.perf_counter()
    trace = _judge.parse_trace(trace_text)
    if not trace.started and not run.timed_out:
        tail = (run.stderr or run.stdout)[-2000:].strip()
        raise InfrastructureError(
            f'the {runner} runner failed before usage_examples.py started '
            f'(exit code {run.returncode}): {tail}'
        )
    printed = _judge.parse_output(run.stdout)
    crash = _judge.crash_text(run.stderr, run.returncode)
    if run.timed_out:
        crash = f'timed out after {timeout:g}s; the process group was killed'
        running = [c for c in trace.calls if c.outcome == 'running']
        if running:
            c = running[-1]
            crash += f' while {c.owner}.{c.method}{c.args} was running'
    patterns = _judge.judge(
        dal,
        trace,
        printed,
        source,
        timed_out=run.timed_out,
        crashed=crash is not None,
        timeout=timeout,
        tables=tables,
        capabilities=capabilities,
    )
    apply_ranges(patterns, mismatches)
    durations.parse = time.perf_counter() - mark
    durations.total = time.perf_counter() - started
    return VerifyResult(
        dal=str(dal.path),
        backend=backend.description,
        endpoint=backend.script_url,
        runner=runner,
        command=run.command,
        tables=names,
        patterns=patterns,
        crud_errors=printed.crud_errors,
        engine_gaps=capabilities.gaps,
        crash=crash,
        timed_out=run.timed_out,
        returncode=run.returncode,
        forked=run.forked,
        durations=Durations(**{k: round(v, 4) for k, v in durations.model_dump().items()}),
        stdout=run.stdout,
        stderr=run.stderr,
    )
