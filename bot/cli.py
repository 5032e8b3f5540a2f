"""dal-bot's command line: a thin dispatcher over bot.commands.<name>."""

from __future__ import annotations

import argparse
import gc
import importlib
import sys

from bot.errors import BadInput, InfrastructureError

COMMANDS = {
    'implement': 'Implement every access-pattern stub of a generated DAL',
    'verify': 'Run the DAL against DynamoDB and judge every access pattern',
    'run': 'implement, then verify (local use)',
    'detect': 'List the generated DALs a change added or modified',
    'action': 'The GitHub Action entry point (PR, sweep and detect modes)',
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Every command is listed; only the one being run is imported (libcst, PyGithub and
    gitpython cost most of a second to import)."""
    parser = argparse.ArgumentParser(prog='dal-bot', description=__doc__)
    sub = parser.add_subparsers(dest='command', required=True, metavar='COMMAND')
    for name, help_text in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        if only is None or name == only:  # None: all (for tools that inspect the parser)
            module = importlib.import_module(f'bot.commands.{name}')
            module.configure(command)
            command.set_defaults(handler=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    chosen = next((a for a in argv if not a.startswith('-')), None)
    # Importing the command makes a heap that lives as long as the process (modules, classes,
    # pydantic's validators) and almost no garbage: the cyclic collector would scan it again
    # and again while it grows, and again in every later full collection (a fifth of
    # `dal-bot implement`'s CPU time on one DAL). It is paused while the command loads, which
    # then moves to the permanent generation, so later collections skip it.
    gc.disable()
    try:
        # No command (or an unknown one): argparse prints the list or the error, nothing imported.
        args = build_parser(chosen if chosen in COMMANDS else '').parse_args(argv)
    finally:
        gc.freeze()
        gc.enable()
    try:
        return args.handler(args)
    except BadInput as e:
        print(f'dal-bot: error: {e}', file=sys.stderr)
        return 2
    except InfrastructureError as e:
        print(f'dal-bot: infrastructure error: {e}', file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print('dal-bot: interrupted', file=sys.stderr)
        return 130


if __name__ == '__main__':
    sys.exit(main())
