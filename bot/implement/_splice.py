"""Text surgery on a module: new method bodies and missing imports go in by line range.

Positions come from `ast` (C-fast); only the lines replaced change, so every other byte of
the file, the generator's signatures and docstrings included, stays as it was.
"""

from __future__ import annotations

import ast
import itertools
import tokenize
from dataclasses import dataclass

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

Key = tuple[str, str]  # (class, method)


@dataclass(frozen=True)
class Span:
    """Lines [start, end) of a file (0-based), and the indentation of what they hold."""

    start: int
    end: int
    indent: str


def split_lines(text: str) -> list[str]:
    """Lines as Python counts them (the text has `\n` line ends): str.splitlines also breaks
    at form feeds, U+2028 and others, which would put every edit below one out of place."""
    lines = text.split('\n')
    return [line + '\n' for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def header_end(lines: list[str], fn: ast.FunctionDef) -> int:
    """Index of the line after a `def ...:` header, however many lines the signature spans."""
    source = iter(lines[fn.lineno - 1 : fn.body[0].lineno])
    for tok in tokenize.generate_tokens(lambda: next(source, '')):
        if tok.type == tokenize.NEWLINE:
            return fn.lineno - 1 + tok.end[0]
    raise ValueError(f'line {fn.lineno}: cannot find the end of the header of {fn.name}')


def methods(tree: ast.Module) -> dict[Key, ast.FunctionDef]:
    """Methods of the top-level classes, by (class, method)."""
    return {
        (cls.name, fn.name): fn
        for cls in tree.body
        if isinstance(cls, ast.ClassDef)
        for fn in cls.body
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
    }


def body_span(lines: list[str], fn: ast.FunctionDef) -> Span:
    """What a stub's new body replaces: everything after the docstring (or the header),
    comments included, down to the method's last line or the last comment under it."""
    first = fn.body[0]
    has_doc = (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )
    start = first.end_lineno if has_doc else header_end(lines, fn)
    if start <= fn.lineno - 1 or start > fn.end_lineno:
        raise ValueError(f'line {fn.lineno}: {fn.name} has its body on the header line')
    # Comment lines trailing `pass` belong to the stub too (libcst counts them its footer).
    return Span(start, method_span(lines, fn).end, _indent(lines[first.lineno - 1]))


def method_span(lines: list[str], fn: ast.FunctionDef) -> Span:
    """A whole method, decorators included, and the comment lines indented under it that
    trail its last statement (the older usage template ends a method with such blocks)."""
    start = min([fn.lineno, *(d.lineno for d in fn.decorator_list)]) - 1
    indent = _indent(lines[fn.lineno - 1])
    end = j = fn.end_lineno
    while j < len(lines):
        line = lines[j]
        if line.strip() and not (
            line.lstrip().startswith('#') and len(_indent(line)) > len(indent)
        ):
            break
        j += 1
        if line.strip():
            end = j
    return Span(start, end, indent)


class Source:
    """Text and its ast, with ast positions (UTF-8 byte columns) as string offsets."""

    def __init__(self, text: str):
        self.text = text
        self.lines = split_lines(text)
        self.tree = ast.parse(text)
        self._starts = [0, *itertools.accumulate(len(line) for line in self.lines)]

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


def edit(text: str, edits: list[tuple[int, int, str]]) -> str:
    """`text` with each [start, end) range replaced (ranges must not overlap)."""
    for start, end, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        text = text[:start] + new + text[end:]
    return text


def replace_lines(text: str, edits: list[tuple[Span, str]]) -> str:
    """`text` with each span's lines replaced by new text (spans must not overlap)."""
    lines = split_lines(text)
    for span, new in sorted(edits, key=lambda e: e[0].start, reverse=True):
        lines[span.start : span.end] = [new]
    return ''.join(lines)


def reindent(code: str, old: str, new: str) -> str:
    """Lines indented with `old` moved to `new` (blank lines stay empty)."""
    if old == new:
        return code
    return ''.join(
        new + line[len(old) :] if line.startswith(old) else line for line in split_lines(code)
    )


def splice_bodies(text: str, bodies: dict[Key, str], indent: str) -> str:
    """Replace the body of each (class, method) with new code indented by `indent`."""
    lines = split_lines(text)
    found = methods(ast.parse(text))
    missing = set(bodies) - set(found)
    if missing:
        raise LookupError(f'methods not found: {sorted(missing)}')
    edits = []
    for key, code in bodies.items():
        span = body_span(lines, found[key])
        edits.append((span, reindent(code, indent, span.indent)))
    return replace_lines(text, edits)


def _imported(tree: ast.Module) -> set[tuple[str, str]]:
    return {
        (node.module, alias.name)
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
        for alias in node.names
    }


def add_imports(text: str, imports: set[tuple[str, str]]) -> str:
    """Each template's imports, added once and only when the module lacks them. libcst's
    codemod places them; it only sees the import header, not the classes below it."""
    tree = ast.parse(text)
    imports = imports - _imported(tree)
    if not imports:
        return text
    first_def = next(
        (
            min([s.lineno, *(d.lineno for d in s.decorator_list)])
            for s in tree.body
            if isinstance(s, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        ),
        None,
    )
    lines = split_lines(text)
    cut = len(lines) if first_def is None else first_def - 1
    header = ''.join(lines[:cut])
    context = CodemodContext()
    for mod, name in sorted(imports):
        AddImportsVisitor.add_needed_import(context, mod, name)
    new_header = AddImportsVisitor(context).transform_module(cst.parse_module(header)).code
    return new_header + ''.join(lines[cut:])
