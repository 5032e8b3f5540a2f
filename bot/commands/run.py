"""`dal-bot run DIR`: implement, then verify. The local loop in one command."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.commands import implement as implement_command
from bot.commands import verify as verify_command


def configure(parser: argparse.ArgumentParser) -> None:
    verify_command.configure(parser)
    implement_command.add_commit_options(parser)
    parser.add_argument('--implement-json', type=Path, default=None, help='implement summary JSON')


def run(args: argparse.Namespace) -> int:
    implemented = implement_command.run(
        argparse.Namespace(
            dir=args.dir,
            commit=args.commit,
            chunk_size=args.chunk_size,
            author=args.author,
            json=args.implement_json,
        )
    )
    verified = verify_command.run(args)
    return max(implemented, verified)
