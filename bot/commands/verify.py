"""dal-bot verify PATH...: run each DAL against DynamoDB and judge every access pattern.

Several DALs are verified in parallel on one shared backend (`-j`). Exit 0 every pattern ok,
1 any not ok, 2 bad input or infrastructure failure (the worst over the DALs).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

from bot.commands.implement import add_paths
from bot.discover import dal_dirs
from bot.errors import BadInput
from bot.model import Dal, load_dal
from bot.report import DalRow, summary_table, to_dict, to_json, to_markdown, to_text
from bot.verify import (
    DEFAULT_ENDPOINT_TIMEOUT,
    Failed,
    SharedBackend,
    VerifyResult,
    endpoint_from_env,
    verify_many,
)


def configure(parser: argparse.ArgumentParser) -> None:
    add_paths(parser)
    add_verify_options(parser)


def add_verify_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        '--endpoint',
        help='DynamoDB-compatible endpoint (default: $AWS_ENDPOINT_URL_DYNAMODB, '
        'else an embedded moto server on 127.0.0.1)',
    )
    parser.add_argument('--json', type=Path, metavar='FILE', help='write the JSON report here')
    parser.add_argument(
        '--markdown', type=Path, metavar='FILE', help='write the markdown report here'
    )
    parser.add_argument(
        '--timeout', type=float, default=120.0, metavar='S', help='seconds for the script run'
    )
    parser.add_argument(
        '--endpoint-timeout',
        type=float,
        default=DEFAULT_ENDPOINT_TIMEOUT,
        metavar='S',
        help='seconds to wait for the endpoint to answer (ListTables, retried) '
        f'(default {DEFAULT_ENDPOINT_TIMEOUT:g})',
    )
    parser.add_argument(
        '--runner',
        choices=('uv', 'python'),
        default='uv',
        help='uv run --with boto3 --with pydantic (default), or the current interpreter',
    )
    parser.add_argument(
        '-j',
        '--jobs',
        type=int,
        default=None,
        metavar='N',
        help='DALs verified at once (default: the number of CPUs on the embedded backend, '
        '1 on an --endpoint)',
    )


def check_options(args: argparse.Namespace) -> None:
    if args.timeout <= 0:
        raise BadInput(args.paths[0], f'--timeout must be positive, got {args.timeout:g}')
    if args.endpoint_timeout <= 0:
        raise BadInput(
            args.paths[0], f'--endpoint-timeout must be positive, got {args.endpoint_timeout:g}'
        )
    if args.jobs is not None and args.jobs < 1:
        raise BadInput(args.paths[0], f'--jobs must be at least 1, got {args.jobs}')


def load_all(paths: list[Path], single: bool) -> list[Dal | DalRow]:
    """Each folder's model; a folder that is not a DAL is its row's error (raised when alone)."""
    out: list[Dal | DalRow] = []
    for path in paths:
        try:
            if not path.is_dir():
                raise BadInput(path, 'not a directory')
            out.append(load_dal(path))
        except BadInput as e:
            if single:
                raise
            print(f'dal-bot: error: {e}', file=sys.stderr)
            out.append(DalRow(str(path), error=f'error: {e}', exit_code=2))
    return out


def verify_loaded(
    args: argparse.Namespace, loaded: list[Dal | DalRow], backend: SharedBackend
) -> list[VerifyResult | DalRow]:
    """Verify the loaded DALs in parallel; the rows of those that failed keep their place."""
    dals = [d for d in loaded if isinstance(d, Dal)]
    with sigterm_as_interrupt():  # a cancelled CI job still stops the server and the scripts
        done = iter(
            verify_many(
                dals, backend=backend, jobs=args.jobs, timeout=args.timeout, runner=args.runner
            )
        )
    out: list[VerifyResult | DalRow] = []
    for item in loaded:
        if isinstance(item, DalRow):
            out.append(item)
            continue
        result = next(done)
        if isinstance(result, Failed):
            if len(loaded) == 1:
                raise result.exception  # alone, its failure is the command's (exit 2)
            print(f'dal-bot: {result.error}', file=sys.stderr)
            out.append(DalRow(str(result.dal), error=result.error, exit_code=2))
        else:
            out.append(result)
    return out


def report(args: argparse.Namespace, results: list[VerifyResult | DalRow]) -> list[DalRow]:
    """Per-DAL text, the JSON and markdown files; the rows for the summary table."""
    verified = [r for r in results if isinstance(r, VerifyResult)]
    for result in verified:
        print(to_text(result), end='')
    if args.json:
        if len(results) == 1 and verified:
            args.json.write_text(to_json(verified[0]), encoding='utf-8')
        else:
            args.json.write_text(_many_json(results), encoding='utf-8')
    if args.markdown:
        args.markdown.write_text('\n'.join(to_markdown(r) for r in verified), encoding='utf-8')
    return [_row(r) for r in results]


def _many_json(results: list[VerifyResult | DalRow]) -> str:
    items = [
        to_dict(r) if isinstance(r, VerifyResult) else {'dal': r.dal, 'error': r.error}
        for r in results
    ]
    data = json.loads(to_json([]))  # the documented wrapper, filled below
    data['ok'] = all(i.get('ok') is True for i in items)
    data['dals'] = items
    return json.dumps(data, indent=2, ensure_ascii=False)


def _row(result: VerifyResult | DalRow) -> DalRow:
    if isinstance(result, DalRow):
        return result
    return DalRow(
        result.dal,
        counts=result.counts(),
        seconds=result.durations.total,
        exit_code=result.exit_code,
    )


def run(args: argparse.Namespace) -> int:
    check_options(args)
    paths = dal_dirs(args.paths)
    loaded = load_all(paths, single=len(paths) == 1)
    with SharedBackend(
        args.endpoint or endpoint_from_env(),
        endpoint_timeout=args.endpoint_timeout,
        runner=args.runner,
    ) as backend:
        results = verify_loaded(args, loaded, backend)
    rows = report(args, results)
    if len(rows) > 1:
        print(summary_table(rows), end='')
    return max(r.exit_code for r in rows)


class sigterm_as_interrupt:
    """SIGTERM raises KeyboardInterrupt (main thread only), so cleanup runs as on Ctrl-C."""

    def __enter__(self):
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGTERM, self._raise)

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)

    @staticmethod
    def _raise(signum, frame):
        raise KeyboardInterrupt
