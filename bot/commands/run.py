"""`dal-bot run PATH...`: implement, then verify. The local loop in one command.

It goes through the verification gate (bot.gate) like the action: a method the bot wrote whose
own call raised is taken out again (its stub stays) and listed as `not pushed`; with
`--commit` only what passed is committed. The backend starts while the first DAL is
implemented; each round's verifications run in parallel.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from bot.commands import implement as implement_command
from bot.commands import verify as verify_command
from bot.discover import dal_dirs
from bot.gate import Gated, gate_many
from bot.report import DalRow, summary_table
from bot.verify import Failed, SharedBackend, endpoint_from_env, verify_paths


def configure(parser: argparse.ArgumentParser) -> None:
    verify_command.configure(parser)
    implement_command.add_commit_options(parser)
    parser.add_argument('--implement-json', type=Path, default=None, help='implement summary JSON')


def run(args: argparse.Namespace) -> int:
    verify_command.check_options(args)
    author = implement_command.parse_author(args.author)
    paths = dal_dirs(args.paths)
    with SharedBackend(
        args.endpoint or endpoint_from_env(),
        endpoint_timeout=args.endpoint_timeout,
        runner=args.runner,
    ) as backend:

        def verify(dirs: Iterable[Path]) -> list:
            return verify_paths(
                dirs, backend=backend, jobs=args.jobs, timeout=args.timeout, runner=args.runner
            )

        with verify_command.sigterm_as_interrupt():
            outcomes = gate_many(
                paths,
                verify,
                commit=args.commit,
                chunk_size=args.chunk_size,
                author=author,
                fix_index_keys=args.fix_index_keys,
            )
    implemented: list = []
    verified: list = []
    for path, outcome in zip(paths, outcomes, strict=True):
        if isinstance(outcome, Gated):
            print(implement_command.summary(outcome.implement))
            implemented.append(outcome.implement)
            verified.append(outcome.verify)
            continue
        error = outcome.exception if isinstance(outcome, Failed) else outcome
        if len(paths) == 1:
            raise error  # alone, its failure is the command's (exit 2)
        line = outcome.error if isinstance(outcome, Failed) else f'error: {error}'
        print(f'dal-bot: {line}', file=sys.stderr)
        implemented.append(DalRow(str(path), error=line, exit_code=2))
        verified.append(DalRow(str(path), error=line, exit_code=2))
    if args.implement_json:
        args.implement_json.write_text(implement_command.to_json(implemented))
    verify_rows = verify_command.report(args, verified)
    rows = [
        _merge(implement_command.row(i), v) for i, v in zip(implemented, verify_rows, strict=True)
    ]
    if len(rows) > 1:
        print(summary_table(rows), end='')
    return max(r.exit_code for r in rows)


def _merge(implemented: DalRow, verified: DalRow) -> DalRow:
    if implemented.error:
        return implemented
    return DalRow(
        implemented.dal,
        implemented=implemented.implemented,
        left=implemented.left,
        counts=verified.counts,
        seconds=implemented.seconds + verified.seconds,
        error=verified.error,
        exit_code=max(implemented.exit_code, verified.exit_code),
    )
