"""dal-bot verify DIR: run the DAL against DynamoDB and judge every access pattern.

Exit 0 every pattern ok, 1 any not ok, 2 bad input or infrastructure failure.
"""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from bot.errors import BadInput
from bot.model import load_dal
from bot.report import to_json, to_markdown, to_text
from bot.verify import endpoint_from_env, verify_dal


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('dir', type=Path, help='the generated DAL folder')
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
        '--runner',
        choices=('uv', 'python'),
        default='uv',
        help='uv run --with boto3 --with pydantic (default), or the current interpreter',
    )


def run(args: argparse.Namespace) -> int:
    if not args.dir.is_dir():
        raise BadInput(args.dir, 'not a directory')
    if args.timeout <= 0:
        raise BadInput(args.dir, f'--timeout must be positive, got {args.timeout:g}')
    dal = load_dal(args.dir)
    with _sigterm_as_interrupt():  # a cancelled CI job still stops the server and the script
        result = verify_dal(
            dal,
            endpoint=args.endpoint or endpoint_from_env(),
            timeout=args.timeout,
            runner=args.runner,
        )
    if args.json:
        args.json.write_text(to_json(result), encoding='utf-8')
    if args.markdown:
        args.markdown.write_text(to_markdown(result), encoding='utf-8')
    print(to_text(result), end='')
    return result.exit_code


class _sigterm_as_interrupt:
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
