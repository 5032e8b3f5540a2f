"""`dal-bot run DIR`: implement, then verify. The local loop in one command."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.commands import implement as implement_command
from bot.commands import verify as verify_command


def configure(parser: argparse.ArgumentParser) -> None:
    verify_command.configure(parser)
    parser.add_argument(
        '--commit', action='store_true', help='one git commit per chunk of methods'
    )
    parser.add_argument(
        '--chunk-size', type=int, default=4, choices=range(3, 6), metavar='{3,4,5}'
    )
    parser.add_argument('--author', default=None, help="commit author, 'Name <email>'")
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
