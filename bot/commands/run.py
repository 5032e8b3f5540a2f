"""`dal-bot run PATH...`: implement, then verify. The local loop in one command.

The backend starts while the first DAL is implemented; the DALs are then verified in parallel.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.commands import implement as implement_command
from bot.commands import verify as verify_command
from bot.report import DalRow, summary_table
from bot.verify import SharedBackend, endpoint_from_env


def configure(parser: argparse.ArgumentParser) -> None:
    verify_command.configure(parser)
    implement_command.add_commit_options(parser)
    parser.add_argument('--implement-json', type=Path, default=None, help='implement summary JSON')


def run(args: argparse.Namespace) -> int:
    verify_command.check_options(args)
    with SharedBackend(args.endpoint or endpoint_from_env()) as backend:
        implemented = implement_command.implement_all(args)
        if args.implement_json:
            args.implement_json.write_text(implement_command.to_json(implemented))
        # A DAL whose implement failed is not verified: its row keeps implement's error.
        loaded = [
            r
            if isinstance(r, DalRow)
            else verify_command.load_all([r.dal], single=len(implemented) == 1)[0]
            for r in implemented
        ]
        results = verify_command.verify_loaded(args, loaded, backend)
    verify_rows = verify_command.report(args, results)
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
