"""Reading DAL files: UTF-8 and syntax checked, with the file and line in every complaint."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import libcst as cst

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
        self.module = cst.parse_module(self.text)
        # Line numbers of classes and functions from `ast` (C-fast), not libcst's metadata.
        self._lines: dict[tuple[str, ...], int] = {}
        for top in ast.parse(self.text).body:
            if isinstance(top, (ast.ClassDef, ast.FunctionDef)):
                self._lines[(top.name,)] = top.lineno
            if isinstance(top, ast.ClassDef):
                for inner in top.body:
                    if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        self._lines[(top.name, inner.name)] = inner.lineno

    def line(self, *qualname: str) -> int:
        """Line of a top-level class/function, or of a method: line('Repo', 'method')."""
        return self._lines.get(qualname, 0)

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)
