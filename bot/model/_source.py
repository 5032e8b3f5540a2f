"""Reading DAL files: UTF-8 and syntax checked, with the file and line in every complaint."""

from __future__ import annotations

import ast
import functools
import json
import re
from pathlib import Path

from bot import pysource
from bot.errors import BadInput
from bot.files import newline_of
from bot.pysource import Function, Source, footer_end, normalized

_COMMENT = re.compile(r'#[^\n]*')
# What follows a signature's last node: brackets, commas and comments, up to its `:`.
_HEADER_TAIL = re.compile(r'(?:[^#:]|#[^\n]*)*:')


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


def parse(path: Path, text: str, compiled: bool = True) -> ast.Module:
    """The module's `ast`, compile-checked: compiling the tree also catches what the parser
    lets through ('return' outside a function, duplicate arguments, ...). Without `compiled`
    only parsed: for a caller that compiles what the module becomes (once) instead."""
    try:
        return _checked(text, str(path)) if compiled else pysource.parse(text, str(path))
    except SyntaxError as e:
        raise BadInput(path, f'syntax error: {e.msg}', e.lineno) from e


def _checked(text: str, filename: str) -> ast.Module:
    tree = pysource.parse(text, filename)
    pysource.compile_checked(tree, filename)
    return tree


# The generator's own module, byte for byte the same in every DAL one generator version
# wrote (2 texts among the 19 fixture DALs): parsed and checked once per process, and what
# the model reads from it kept with it. Only this file: the others are the DAL's own.
SHARED = 'base_repository.py'


@functools.lru_cache(maxsize=8)
def _shared(text: str) -> tuple[ast.Module, dict]:
    return _checked(text, SHARED), {}


class ParsedModule(Source):
    """A DAL module: its `ast` (compile-checked), the source text of its nodes and the
    comments of its functions. Implement edits this text and tree (and writes the result
    back with `newline`) rather than reading and parsing the file again.

    `text`: the module's new text (`\\n` line ends), not yet written; `compiled`: see parse."""

    def __init__(
        self, path: Path, text: str | None = None, newline: str = '\n', compiled: bool = True
    ):
        self.path = path
        if text is None:
            raw = read_text(path)
            newline, text = newline_of(raw), normalized(raw)
        self.newline = newline
        self.derived: dict = {}  # what the model read from it, by reader (see _build)
        if path.name != SHARED:
            super().__init__(text, parse(path, text, compiled))
            return
        try:
            tree, self.derived = _shared(text)
        except SyntaxError as e:
            raise BadInput(path, f'syntax error: {e.msg}', e.lineno) from e
        super().__init__(text, tree)

    def code(self, node: ast.AST) -> str:
        """The node's source text, exactly as written."""
        return self.segment(node)

    def block_comments(self, fn: Function) -> list[str] | None:
        """The comments of the function's indented body, as libcst's IndentedBlock owns them:
        the `def` line's trailing comment, those around the statements, and the comment lines
        after the last one. None when the body sits on the `def` line."""
        first = fn.body[0]
        indent = self.lines[first.lineno - 1][: first.col_offset]
        if not indent.isspace():
            return None
        # Strings only occur inside nodes, so in the text between the signature's last node
        # and the statements, and after the last statement, every `#` starts a comment.
        gaps, start = [], self.offset(*_signature_end(fn))
        for stmt in fn.body:
            gaps.append(self.text[start : self.offset(stmt.lineno, stmt.col_offset)])
            start = self.offset(stmt.end_lineno, stmt.end_col_offset)
        end = footer_end(self.lines, fn)
        gaps.append(self.text[start : self._starts[end]])
        # Comments before the header's `:` are the parameters', not the body's.
        gaps[0] = gaps[0][_HEADER_TAIL.match(gaps[0]).end() :]
        return _COMMENT.findall('\n'.join(gaps))


def _signature_end(fn: Function) -> tuple[int, int]:
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
