"""Reading DAL files: UTF-8 and syntax checked, with the file and line in every complaint."""

from __future__ import annotations

import json
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from bot.errors import BadInput


def read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b'\n') + 1
        raise BadInput(path, f'not valid UTF-8 (byte 0x{data[e.start]:02x})', line) from e


def read_json(path: Path) -> dict:
    try:
        value = json.loads(read_text(path))
    except json.JSONDecodeError as e:
        raise BadInput(path, f'invalid JSON: {e.msg}', e.lineno) from e
    if not isinstance(value, dict):
        raise BadInput(path, 'expected a JSON object at the top level', 1)
    return value


def check_syntax(path: Path, text: str) -> None:
    try:
        compile(text, str(path), 'exec', dont_inherit=True)
    except SyntaxError as e:
        raise BadInput(path, f'syntax error: {e.msg}', e.lineno) from e


class ParsedModule:
    """A libcst module with line numbers for its nodes."""

    def __init__(self, path: Path):
        self.path = path
        self.text = read_text(path)
        check_syntax(path, self.text)
        self.wrapper = MetadataWrapper(cst.parse_module(self.text), unsafe_skip_copy=True)
        self.module = self.wrapper.module
        self._positions = None

    def line(self, node: cst.CSTNode) -> int:
        if self._positions is None:  # resolved once, on first use
            self._positions = self.wrapper.resolve(PositionProvider)
        return self._positions[node].start.line

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)
