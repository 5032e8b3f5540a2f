"""Formatting what the bot wrote, and only that, with the DAL's own ruff.toml."""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
import textwrap
from pathlib import Path

from bot import pysource
from bot.implement._splice import Key
from bot.pysource import split_lines


@functools.cache  # found once per process, not once per format run
def ruff_command() -> tuple[str, ...]:
    try:
        from ruff.__main__ import find_ruff_bin

        return (find_ruff_bin(),)
    except (ImportError, FileNotFoundError):
        return (sys.executable, '-m', 'ruff')


class Ruff:
    """One `ruff format` run over stdin, its process started ahead: ruff's start-up (3.5 of
    the 4.5 ms a run takes) overlaps the bot's own work instead of adding to it. Formats one
    input; `close` stops a process that got none."""

    def __init__(self, dal_dir: Path):
        config = dal_dir / 'ruff.toml'
        options = (
            ['--config', str(config)]
            if config.is_file()
            else ['--line-length', '99', '--config', "format.quote-style='single'"]
        )
        self._process = subprocess.Popen(
            [
                *ruff_command(),
                'format',
                '--no-cache',
                *options,
                '--stdin-filename',
                'dal_bot_methods.py',
                '-',
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=dal_dir,
        )
        self.used = False

    def format(self, source: str) -> str:
        if self.used:
            raise RuntimeError('a Ruff formats one input')
        self.used = True
        out, err = self._process.communicate(source)
        if self._process.returncode != 0:
            raise RuntimeError(f'ruff format failed: {err.strip()}')
        return out

    def close(self) -> None:
        if not self.used:
            self.used = True
            self._process.kill()
            self._process.communicate()

    def __enter__(self) -> Ruff:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _strip_blank_edges(lines: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def format_methods(
    methods: list[tuple[str, str]], dal_dir: Path, ruff: Ruff | None = None
) -> list[str]:
    """Format methods, each given as (class name, source indented as in its class), in one
    ruff run (`ruff`, when one was started for it): each inside a class of its own name, so
    the indentation, and with it every line-length decision, is what it is in the real file."""
    if not methods:
        return []
    with ruff or Ruff(dal_dir) as run:
        formatted = run.format('\n\n'.join(f'class {owner}:\n{code}' for owner, code in methods))
    lines = split_lines(formatted)
    starts = [i + 1 for i, line in enumerate(lines) if line.startswith('class ')]
    if len(starts) != len(methods):  # a string's line looked like one: ask the parser
        starts = [c.lineno for c in pysource.parse(formatted).body if isinstance(c, ast.ClassDef)]
    ends = [s - 1 for s in starts[1:]] + [len(lines)]
    return [''.join(_strip_blank_edges(lines[s:e])) for s, e in zip(starts, ends, strict=True)]


BODY_INDENT = ' ' * 8  # a method body in a class, as format_bodies returns it


def format_bodies(
    bodies: dict[Key, str],
    dal_dir: Path,
    others: list[tuple[str, str]] = (),
    ruff: Ruff | None = None,
) -> tuple[dict[Key, str], list[str]]:
    """Format new method bodies (source at column 0) in one ruff run; they come back
    indented by BODY_INDENT. The generator's signature and docstring are never formatted.
    `others`: methods as format_methods takes them, formatted in the same run (a ruff start
    costs more than the formatting), returned second."""
    keys = list(bodies)
    methods = [
        (owner, f'    def {name}(self):\n' + textwrap.indent(bodies[(owner, name)], BODY_INDENT))
        for owner, name in keys
    ]
    formatted = format_methods([*methods, *others], dal_dir, ruff)
    return {
        key: ''.join(_strip_blank_edges(split_lines(code)[1:]))
        for key, code in zip(keys, formatted, strict=False)
    }, formatted[len(keys) :]


__all__ = ['BODY_INDENT', 'Ruff', 'format_bodies', 'format_methods', 'ruff_command']
