"""`dal-bot implement PATH...`: every stub of each DAL becomes code."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from bot.discover import dal_dirs
from bot.errors import BadInput
from bot.implement import ImplementResult, implement_dal

if TYPE_CHECKING:  # the summary across DALs (bot.report) is imported only for several DALs
    from bot.report import DalRow


def configure(parser: argparse.ArgumentParser) -> None:
    add_paths(parser)
    add_commit_options(parser)
    parser.add_argument('--json', type=Path, default=None, help='write the summary as JSON here')


def add_paths(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        'paths',
        type=Path,
        nargs='+',
        metavar='PATH',
        help='a generated DAL folder (holds repositories.py), or a folder to search for them',
    )


def add_commit_options(parser: argparse.ArgumentParser) -> None:
    """The options `implement` and `run` share."""
    parser.add_argument(
        '--commit', action='store_true', help='one git commit per chunk of methods'
    )
    parser.add_argument(
        '--chunk-size', type=int, default=4, choices=range(3, 6), metavar='{3,4,5}'
    )
    parser.add_argument('--author', default=None, help="commit author, 'Name <email>'")
    parser.add_argument(
        '--no-fix-index-keys',
        dest='fix_index_keys',
        action='store_false',
        help='leave entities.py alone: no computed fields for the GSI key attributes the '
        'generated create()/update() do not write',
    )


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
        f'{result.dal}: {len(result.implemented)} implemented, {len(result.left)} left'
        + (f', {len(result.not_pushed)} not pushed' if result.not_pushed else '')
        + f' ({result.seconds:.2f}s)'
    ]
    lines += [f'  {op:<15} {n}' for op, n in sorted(counts.items())]
    for m in result.implemented:
        lines += [
            f'  inferred: {m.file}:{m.line} {m.owner}.{m.name} (AP {m.pattern_id}): {label}'
            for label in m.inferred
        ]
    for added in result.index_keys:
        lines.append(
            f'  entities.py:{added.line}: {added.entity}.{added.attribute} = '
            f'{added.template!r} ({added.index} key the generated create() omits)'
        )
    for reason in result.index_keys_left:
        lines.append(f'  index key not added: {reason}')
    for left in result.left:
        lines.append(
            f'  left: {left.file}:{left.line} {left.owner}.{left.name} (AP {left.pattern_id}): {left.reason}'
        )
    for n in result.not_pushed:
        lines.append(
            f'  not pushed: {n.file}:{n.line} {n.owner}.{n.name} (AP {n.pattern_id}): {n.reason}'
        )
    for repair in result.usage_repairs:
        lines.append(f'  usage_examples.py: {repair}')
    for c in result.commits:
        lines.append(f'  commit {c.sha[:10]} {c.message.splitlines()[0]}')
    return '\n'.join(lines)


def implement_all(args: argparse.Namespace) -> list[ImplementResult | DalRow]:
    """Implement every DAL the PATHs name, printing each summary; one DAL's bad input is its
    row's error (alone, it is raised: exit 2 with the one-line message, as always)."""
    dals = dal_dirs(args.paths)
    author = parse_author(args.author)
    out: list[ImplementResult | DalRow] = []
    for dal in dals:
        try:
            result = implement_dal(
                dal,
                commit=args.commit,
                chunk_size=args.chunk_size,
                author=author,
                fix_index_keys=args.fix_index_keys,
            )
        except BadInput as e:
            if len(dals) == 1:
                raise
            from bot.report import DalRow  # several DALs: a row for the failed one

            print(f'dal-bot: error: {e}', file=sys.stderr)
            out.append(DalRow(str(dal), error=f'error: {e}', exit_code=2))
            continue
        print(summary(result))
        out.append(result)
    return out


def row(result: ImplementResult | DalRow) -> DalRow:
    from bot.report import DalRow

    if not isinstance(result, ImplementResult):
        return result
    return DalRow(
        str(result.dal),
        implemented=len(result.implemented),
        left=len(result.left),
        seconds=result.seconds,
        exit_code=result.exit_code,
    )


def to_json(results: list[ImplementResult | DalRow]) -> str:
    """One DAL: its summary object, as before; several: {"dals": [...]}, a failed one as
    {"dal", "error"}."""
    items = [
        r.model_dump(mode='json')
        if isinstance(r, ImplementResult)
        else {'dal': r.dal, 'error': r.error}
        for r in results
    ]
    data = items[0] if len(items) == 1 else {'schema': 'dal-bot/implement/many', 'dals': items}
    return json.dumps(data, indent=2) + '\n'


def run(args: argparse.Namespace) -> int:
    results = implement_all(args)
    if len(results) > 1:
        from bot.report import summary_table  # only several DALs get the table

        print(summary_table([row(r) for r in results]), end='')
    if args.json:
        args.json.write_text(to_json(results))
    return max(r.exit_code for r in results)
