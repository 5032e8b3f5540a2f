"""Python source text located by `ast`: the one place that turns ast positions into text.

The model reads the DAL with it and implement edits the DAL with it, so both agree on what
a line, a node's text and a function's trailing comments are.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import gc
import itertools
import threading
import tokenize
from collections.abc import Iterator

Function = ast.FunctionDef | ast.AsyncFunctionDef

# CPython 3.11 keeps one recursion counter for turning C syntax trees into `ast` objects and
# back; two threads doing it at once fail with "SystemError: AST constructor recursion depth
# mismatch" (python/cpython#106905). Several DALs are verified on threads, and the embedded
# server builds its routes with `ast` on its first request: every such use goes through this lock.
AST_LOCK = threading.Lock()


_GC_LOCK = threading.Lock()
_gc_pauses = 0  # nested or concurrent gc_paused() blocks now running
_gc_was_enabled = True


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside (collection resumes after the last of nested or
    concurrent blocks). A parsed module is tens of thousands of new objects and no cycle;
    the collector, run every 700 new objects, walked them again and again: on the 19 fixture
    DALs 50-90 ms of an implement run that takes 0.8 s. Objects freed by their reference
    count go at once as always; a cycle made inside waits until the block ends."""
    global _gc_pauses, _gc_was_enabled
    with _GC_LOCK:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


def parse(text: str, filename: str = '<unknown>', mode: str = 'exec') -> ast.AST:
    """`ast.parse`, safe to call from any thread (and without the collector: gc_paused)."""
    with AST_LOCK, gc_paused():
        return ast.parse(text, filename, mode)


def compile_checked(source: str | ast.AST, filename: str) -> None:
    """`compile` (a SyntaxError names the file and line), safe to call from any thread."""
    with AST_LOCK:
        compile(source, filename, 'exec', dont_inherit=True)


def normalized(text: str) -> str:
    """`\\n` line ends, as Python reads them (`\\r\\n` and a lone `\\r` end a line too)."""
    return text.replace('\r\n', '\n').replace('\r', '\n')


def split_lines(text: str) -> list[str]:
    """Lines as Python counts them (the text has `\\n` line ends): str.splitlines also breaks
    at form feeds, U+2028 and others, which would put every position below one out of place."""
    lines = text.split('\n')
    return [line + '\n' for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


# Fields that hold names, flags or constants, never a node, and `ctx` (Load / Store /
# Del: nothing below, read as the node's attribute): not visited.
_LEAVES = frozenset(
    ('ctx', 'id', 'attr', 'arg', 'name', 'kind', 'conversion', 'is_async', 'simple', 'level')
    + ('module', 'type_comment')
)
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def walk(tree: ast.AST) -> list[ast.AST]:
    """Every node but the expression contexts (`ctx`), in ast.walk's (breadth-first) order, as
    a list: a list is read again for free, and this walk is about twice as fast as ast.walk's
    generator of generators."""
    nodes = [tree]
    for node in nodes:  # grows while read: breadth first
        kind = type(node)
        fields = _CHILD_FIELDS.get(kind)
        if fields is None:
            fields = _CHILD_FIELDS[kind] = tuple(f for f in kind._fields if f not in _LEAVES)
        for name in fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                nodes += [v for v in value if isinstance(v, ast.AST)]
            elif isinstance(value, ast.AST):
                nodes.append(value)
    return nodes


_BLOCKS = (ast.stmt, ast.ExceptHandler, ast.match_case)


def walk_statements(tree: ast.AST) -> list[ast.AST]:
    """`tree` and every statement in it, nested blocks included, in ast.walk's order: walk
    without the expressions (which hold no statements), a tenth of the nodes."""
    nodes = [tree]
    for node in nodes:  # grows while read: breadth first
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                nodes += [v for v in value if isinstance(v, _BLOCKS)]
    return nodes


def indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


class Source:
    """Text (with `\\n` line ends) and its ast, with ast positions (UTF-8 byte columns) as
    string offsets."""

    def __init__(self, text: str, tree: ast.Module | None = None):
        self.text = text
        self.lines = split_lines(text)
        self.tree = parse(text) if tree is None else tree
        self._starts = [0, *itertools.accumulate(len(line) for line in self.lines)]

    @functools.cached_property
    def nodes(self) -> list[ast.AST]:
        """Every node of the tree (see walk), walked once."""
        return walk(self.tree)

    def offset(self, lineno: int, col: int) -> int:
        line = self.lines[lineno - 1]
        chars = col if line.isascii() else len(line.encode()[:col].decode())
        return self._starts[lineno - 1] + chars

    def line_start(self, lineno: int) -> int:
        return self._starts[lineno - 1]

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (
            self.offset(node.lineno, node.col_offset),
            self.offset(node.end_lineno, node.end_col_offset),
        )

    def segment(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.text[start:end]


def header_end(lines: list[str], fn: Function) -> int:
    """Index of the line after a `def ...:` header, however many lines the signature spans."""
    source = iter(lines[fn.lineno - 1 : fn.body[0].lineno])
    for tok in tokenize.generate_tokens(lambda: next(source, '')):
        if tok.type == tokenize.NEWLINE:
            return fn.lineno - 1 + tok.end[0]
    raise ValueError(f'line {fn.lineno}: cannot find the end of the header of {fn.name}')


def footer_end(lines: list[str], fn: Function) -> int:
    """Index of the line after a function and the comment lines that trail its last statement
    indented like its body (libcst's block footer: they belong to the function, the others
    lead into what follows)."""
    body_indent = indent_of(lines[fn.body[0].lineno - 1])
    end = fn.end_lineno
    for i in range(fn.end_lineno, len(lines)):
        line = lines[i]
        if line.strip() and not line.lstrip().startswith('#'):
            break
        if line.strip() and line.startswith(body_indent):
            end = i + 1
    return end
