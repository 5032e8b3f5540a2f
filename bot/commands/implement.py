"""`dal-bot implement DIR`: every stub of the DAL becomes code."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from bot.implement import ImplementResult, implement_dal


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('dir', type=Path, help='the generated DAL folder (holds repositories.py)')
    add_commit_options(parser)
    parser.add_argument('--json', type=Path, default=None, help='write the summary as JSON here')


def add_commit_options(parser: argparse.ArgumentParser) -> None:
    """The options `implement` and `run` share."""
    parser.add_argument(
        '--commit', action='store_true', help='one git commit per chunk of methods'
    )
    parser.add_argument(
        '--chunk-size', type=int, default=4, choices=range(3, 6), metavar='{3,4,5}'
    )
    parser.add_argument('--author', default=None, help="commit author, 'Name <email>'")


def parse_author(value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    name, _, email = value.partition('<')
    if not email.endswith('>') or not name.strip():
        raise SystemExit(f"dal-bot: error: --author must look like 'Name <email>', got {value!r}")
    return name.strip(), email[:-1].strip()


def summary(result: ImplementResult) -> str:
    counts = Counter(m.operation for m in result.implemented)
    lines = [
        f'{result.dal}: {len(result.implemented)} implemented, {len(result.left)} left ({result.seconds:.2f}s)'
    ]
    lines += [f'  {op:<15} {n}' for op, n in sorted(counts.items())]
    for left in result.left:
        lines.append(
            f'  left: {left.file}:{left.line} {left.owner}.{left.name} (#{left.pattern_id}): {left.reason}'
        )
    for repair in result.usage_repairs:
        lines.append(f'  usage_examples.py: {repair}')
    for c in result.commits:
        lines.append(f'  commit {c.sha[:10]} {c.message.splitlines()[0]}')
    return '\n'.join(lines)


def run(args: argparse.Namespace) -> int:
    result = implement_dal(
        args.dir, commit=args.commit, chunk_size=args.chunk_size, author=parse_author(args.author)
    )
    print(summary(result))
    if args.json:
        args.json.write_text(json.dumps(result.model_dump(mode='json'), indent=2) + '\n')
    return result.exit_code
