"""Formatting what the bot wrote, and only that, with the DAL's own ruff.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import libcst as cst

from bot.implement._splice import methods_of


def ruff_command() -> list[str]:
    try:
        from ruff.__main__ import find_ruff_bin

        return [find_ruff_bin()]
    except (ImportError, FileNotFoundError):
        return [sys.executable, '-m', 'ruff']


def _ruff_format(source: str, dal_dir: Path) -> str:
    config = dal_dir / 'ruff.toml'
    options = (
        ['--config', str(config)]
        if config.is_file()
        else ['--line-length', '99', '--config', "format.quote-style='single'"]
    )
    done = subprocess.run(
        [
            *ruff_command(),
            'format',
            '--no-cache',
            *options,
            '--stdin-filename',
            'dal_bot_methods.py',
            '-',
        ],
        input=source,
        capture_output=True,
        text=True,
        cwd=dal_dir,
    )
    if done.returncode != 0:
        raise RuntimeError(f'ruff format failed: {done.stderr.strip()}')
    return done.stdout


def format_methods(
    methods: dict[tuple[str, str], cst.FunctionDef], dal_dir: Path
) -> dict[tuple[str, str], cst.FunctionDef]:
    """Format several methods in one ruff run: each inside a class of its own name, so the
    indentation (and with it every line-length decision) is what it is in the real file."""
    if not methods:
        return {}
    keys = list(methods)
    module = cst.Module(
        body=[
            cst.ClassDef(
                name=cst.Name(owner),
                body=cst.IndentedBlock(
                    body=[methods[(owner, name)].with_changes(leading_lines=[])]
                ),
                leading_lines=[cst.EmptyLine(), cst.EmptyLine()] if i else [],
            )
            for i, (owner, name) in enumerate(keys)
        ]
    )
    formatted = cst.parse_module(_ruff_format(module.code, dal_dir))
    out: dict[tuple[str, str], cst.FunctionDef] = {}
    for i, cls in enumerate(c for c in formatted.body if isinstance(c, cst.ClassDef)):
        fn = next(s for s in cls.body.body if isinstance(s, cst.FunctionDef))
        out[keys[i]] = fn
    return out


def format_bodies(
    bodies: dict[tuple[str, str], list[cst.BaseStatement]], dal_dir: Path
) -> dict[tuple[str, str], list[cst.BaseStatement]]:
    """Format new method bodies only, in one ruff run; the generator's signature and
    docstring around them stay exactly as they are."""
    stubs = {
        key: cst.FunctionDef(
            name=cst.Name(key[1]),
            params=cst.Parameters(params=[cst.Param(cst.Name('self'))]),
            body=cst.IndentedBlock(body=body),
        )
        for key, body in bodies.items()
    }
    return {key: list(fn.body.body) for key, fn in format_methods(stubs, dal_dir).items()}


__all__ = ['format_bodies', 'format_methods', 'methods_of', 'ruff_command']
