"""`dal-bot detect`: the generated DAL folders a change added or modified, as a matrix."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from bot.discover import changed_files, find_dals, touched_dals
from bot.errors import InfrastructureError
from bot.github.workflow import write_outputs


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        '--base',
        help='base revision; the change is base...head. Default: the pull request base from '
        '$GITHUB_EVENT_PATH; without one, every DAL found is listed',
    )
    parser.add_argument('--head', default=None, help='head revision (default HEAD)')
    parser.add_argument('--paths', default=None, help="glob filter on DAL folders (default '**')")
    parser.add_argument(
        '--root', type=Path, default=None, help='repository root (default $GITHUB_WORKSPACE or .)'
    )


def _event_base(env) -> tuple[str | None, str | None]:
    path = env.get('GITHUB_EVENT_PATH')
    if not path or not os.path.isfile(path):
        return None, None
    try:
        with open(path, encoding='utf-8') as f:
            event = json.load(f)
    except (OSError, ValueError):
        return None, None
    pull = event.get('pull_request') if isinstance(event, dict) else None
    if not isinstance(pull, dict):
        return None, None
    return (pull.get('base') or {}).get('sha'), (pull.get('head') or {}).get('sha')


def detect(
    root: Path, base: str | None = None, head: str | None = None, paths: str = '**'
) -> list[str]:
    """The DALs (relative paths) that `base...head` touched; all of them when no base."""
    dals = find_dals(root, paths)
    if not base:
        return dals
    return touched_dals(dals, changed_files(root, base, head or 'HEAD'))


def matrix(dals: list[str]) -> dict:
    return {'include': [{'dal': d} for d in dals]}


def run(args: argparse.Namespace) -> int:
    env = os.environ
    root = args.root or Path(env.get('GITHUB_WORKSPACE') or '.')
    paths = args.paths or env.get('INPUT_PATHS') or '**'
    base, head = args.base, args.head
    if base is None:
        base, event_head = _event_base(env)
        head = head or (event_head if base else None)
    try:
        dals = detect(root, base, head, paths)
    except InfrastructureError:
        if head and base:
            # the event's head may be absent from this checkout (merge ref): compare with HEAD
            dals = detect(root, base, 'HEAD', paths)
        else:
            raise
    print(json.dumps(matrix(dals)))
    write_outputs({'dals': json.dumps(dals), 'matrix': json.dumps(matrix(dals))})
    return 0
