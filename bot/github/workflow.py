"""GitHub Actions' file and stdout protocols: outputs, job summary, annotations.

Rules from GitHub's "workflow commands" documentation: outputs go to the file named by
`$GITHUB_OUTPUT` as `name<<DELIMITER` blocks (multiline-safe, a random delimiter that the
value cannot contain); annotation messages escape `%`, CR and LF, and properties also `:`
and `,`.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO


def escape_data(value: str) -> str:
    return value.replace('%', '%25').replace('\r', '%0D').replace('\n', '%0A')


def escape_property(value: str) -> str:
    return escape_data(value).replace(':', '%3A').replace(',', '%2C')


def annotation(
    level: str,
    message: str,
    *,
    file: str | None = None,
    line: int | None = None,
    title: str | None = None,
) -> str:
    """`::error file=...,line=...,title=...::message` with GitHub's escaping."""
    if level not in ('error', 'warning', 'notice'):
        raise ValueError(level)
    props = []
    if file:
        props.append(f'file={escape_property(file)}')
    if line:
        props.append(f'line={int(line)}')
    if title:
        props.append(f'title={escape_property(title)}')
    head = f'::{level} {",".join(props)}' if props else f'::{level}'
    return f'{head}::{escape_data(message)}'


def emit(line: str, stream: TextIO | None = None) -> None:
    print(line, file=stream or sys.stdout, flush=True)


def _value(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)


def format_outputs(outputs: Mapping[str, object]) -> str:
    chunks = []
    for name, value in outputs.items():
        text = _value(value)
        delimiter = f'ghadelimiter_{secrets.token_hex(16)}'
        while delimiter in text:  # pragma: no cover - astronomically unlikely
            delimiter = f'ghadelimiter_{secrets.token_hex(16)}'
        chunks.append(f'{name}<<{delimiter}\n{text}\n{delimiter}\n')
    return ''.join(chunks)


def write_outputs(outputs: Mapping[str, object], env: Mapping[str, str] | None = None) -> bool:
    """Append the outputs to `$GITHUB_OUTPUT`; False when it is not set."""
    target = (env if env is not None else os.environ).get('GITHUB_OUTPUT')
    if not target:
        return False
    with open(target, 'a', encoding='utf-8') as f:
        f.write(format_outputs(outputs))
    return True


def write_summary(markdown: str, env: Mapping[str, str] | None = None) -> bool:
    """Append the markdown to `$GITHUB_STEP_SUMMARY`; False when it is not set."""
    target = (env if env is not None else os.environ).get('GITHUB_STEP_SUMMARY')
    if not target:
        return False
    with open(target, 'a', encoding='utf-8') as f:
        f.write(markdown.rstrip('\n') + '\n')
    return True


def parse_outputs(text: str) -> dict[str, str]:
    """Read a `$GITHUB_OUTPUT` file back (tests, and `name=value` lines too)."""
    result: dict[str, str] = {}
    lines = text.split('\n')
    i = 0
    while i < len(lines):
        line = lines[i]
        if '<<' in line and ('=' not in line or line.index('<<') < line.index('=')):
            name, delimiter = line.split('<<', 1)
            body = []
            i += 1
            while i < len(lines) and lines[i] != delimiter:
                body.append(lines[i])
                i += 1
            result[name] = '\n'.join(body)
        elif '=' in line:
            name, value = line.split('=', 1)
            result[name] = value
        i += 1
    return result


def temp_dir(env: Mapping[str, str] | None = None, workspace: Path | None = None) -> Path:
    """Where files for artifacts go: `$RUNNER_TEMP`, else the workspace, else the CWD."""
    env = env if env is not None else os.environ
    if env.get('RUNNER_TEMP'):
        return Path(env['RUNNER_TEMP'])
    return workspace or Path.cwd()
