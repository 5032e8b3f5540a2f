"""Reading DAL files: UTF-8 and syntax checked, with the file and line in every complaint."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from bot.errors import BadInput

_LINE_END = re.compile(r'\r\n?|\n')
_COMMENT = re.compile(r'#[^\r\n]*')
# What follows a signature's last node: brackets, commas and comments, up to its `:`.
_HEADER_TAIL = re.compile(r'(?:[^#:]|#[^\r\n]*)*:')


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


def parse(path: Path, text: str) -> ast.Module:
    """The module's `ast`, checked as check_syntax does: compiling the tree also catches what
    the parser lets through ('return' outside a function, duplicate arguments, ...)."""
    try:
        tree = ast.parse(text, str(path))
        compile(tree, str(path), 'exec', dont_inherit=True)
    except SyntaxError as e:
        raise BadInput(path, f'syntax error: {e.msg}', e.lineno) from e
    return tree


class ParsedModule:
    """A module's `ast`, with the source text of its nodes and the comments of its functions."""

    def __init__(self, path: Path):
        self.path = path
        self.text = read_text(path)
        self.tree = parse(path, self.text)
        # Where each line starts in the text, to slice nodes out without re-splitting it.
        self._starts = [0, *(hit.end() for hit in _LINE_END.finditer(self.text))]

    def code(self, node: ast.AST) -> str:
        """The node's source text, exactly as written."""
        start = self._offset(node.lineno, node.col_offset)
        return self.text[start : self._offset(node.end_lineno, node.end_col_offset)]

    def _line_end(self, lineno: int) -> int:
        return self._starts[lineno] if lineno < len(self._starts) else len(self.text)

    def _line(self, lineno: int) -> str:
        return self.text[self._starts[lineno - 1] : self._line_end(lineno)]

    def _offset(self, lineno: int, col: int) -> int:
        start = self._starts[lineno - 1]
        if not self.text[start : start + col].isascii():
            # ast columns count UTF-8 bytes, not characters.
            col = len(self._line(lineno).encode()[:col].decode())
        return start + col

    def block_comments(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str] | None:
        """The comments of the function's indented body, as libcst's IndentedBlock owns them:
        the `def` line's trailing comment, those around the statements, and the comment lines
        after the last one. None when the body sits on the `def` line."""
        first = fn.body[0]
        indent = self._line(first.lineno)[: first.col_offset]
        if not indent.isspace():
            return None
        # Strings only occur inside nodes, so in the text between the signature's last node
        # and the statements, and after the last statement, every `#` starts a comment.
        gaps, start = [], self._offset(*_signature_end(fn))
        for stmt in fn.body:
            gaps.append(self.text[start : self._offset(stmt.lineno, stmt.col_offset)])
            start = self._offset(stmt.end_lineno, stmt.end_col_offset)
        gaps.append(self.text[start : self._line_end(self._footer_last_line(fn, indent))])
        # Comments before the header's `:` are the parameters', not the body's.
        gaps[0] = gaps[0][_HEADER_TAIL.match(gaps[0]).end() :]
        return _COMMENT.findall('\n'.join(gaps))

    def _footer_last_line(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, indent: str) -> int:
        """libcst's block footer: the blank and comment lines after the body, up to the last
        one indented like the body; the rest lead into whatever follows."""
        last = fn.end_lineno
        for lineno in range(fn.end_lineno + 1, len(self._starts) + 1):
            line = self._line(lineno)
            if line.strip() and not line.lstrip().startswith('#'):
                break
            if line.startswith(indent):
                last = lineno
        return last


def _signature_end(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[int, int]:
    """Where the signature's last node ends (after it come only brackets, commas, comments
    and the `:`), or the `def` when it has none."""
    args = fn.args
    nodes = [
        fn.returns,
        *getattr(fn, 'type_params', ()),  # Python 3.12+
        *args.posonlyargs,
        *args.args,
        args.vararg,
        *args.kwonlyargs,
        args.kwarg,
        *args.defaults,
        *args.kw_defaults,
    ]
    return max(
        ((n.end_lineno, n.end_col_offset) for n in nodes if n is not None),
        default=(fn.lineno, fn.col_offset),
    )
