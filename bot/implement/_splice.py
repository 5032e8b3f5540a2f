"""Text surgery on a module: new method bodies and missing imports go in by line range.

Positions come from `ast` (C-fast); only the lines replaced change, so every other byte of
the file, the generator's signatures and docstrings included, stays as it was.
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass

from bot import pysource
from bot.pysource import footer_end, header_end, indent_of, split_lines

Key = tuple[str, str]  # (class, method)


@dataclass(frozen=True)
class Span:
    """Lines [start, end) of a file (0-based), and the indentation of what they hold."""

    start: int
    end: int
    indent: str


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
    has_doc = ast.get_docstring(fn, clean=False) is not None
    start = first.end_lineno if has_doc else header_end(lines, fn)
    if start <= fn.lineno - 1 or start > fn.end_lineno:
        raise ValueError(f'line {fn.lineno}: {fn.name} has its body on the header line')
    # Comment lines trailing `pass` belong to the stub too (the model counts them its own).
    return Span(start, footer_end(lines, fn), indent_of(lines[first.lineno - 1]))


def method_span(lines: list[str], fn: ast.FunctionDef) -> Span:
    """A whole method, decorators included, and the comment lines that trail its last
    statement (the older usage template ends a method with such blocks)."""
    start = min([fn.lineno, *(d.lineno for d in fn.decorator_list)]) - 1
    return Span(start, footer_end(lines, fn), indent_of(lines[fn.lineno - 1]))


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


def splice_bodies(
    text: str, bodies: dict[Key, str], indent: str, tree: ast.Module | None = None
) -> str:
    """Replace the body of each (class, method) with new code indented by `indent` (`tree`:
    the text's ast, when the caller has it)."""
    lines = split_lines(text)
    found = methods(tree or pysource.parse(text))
    missing = set(bodies) - set(found)
    if missing:
        raise LookupError(f'methods not found: {sorted(missing)}')
    edits = []
    for key, code in bodies.items():
        span = body_span(lines, found[key])
        edits.append((span, reindent(code, indent, span.indent)))
    return replace_lines(text, edits)


def _imported(tree: ast.Module) -> set[tuple[str, str]]:
    """(module, name) of every `from module import name` binding `name` at the top level."""
    return {
        (node.module, alias.name)
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
        for alias in node.names
        if alias.asname in (None, alias.name)
    }


def _name_key(name: str) -> tuple[int, str]:
    """isort's order-by-type, as ruff applies it: CONSTANTS, Classes, then the rest."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return kind, name.lower()


def _import_line(module: str, names: list[str], width: int = 99) -> str:
    """`from module import a, b`, or one name per line when that is too long (as ruff would)."""
    line = f'from {module} import {", ".join(names)}\n'
    if len(line) <= width + 1:
        return line
    inner = ''.join(f'    {name},\n' for name in names)
    return f'from {module} import (\n{inner})\n'


def add_imports(text: str, imports: set[tuple[str, str]], tree: ast.Module | None = None) -> str:
    """Each template's imports, added once and only when the module lacks them, where isort
    (ruff's `I` rules, which the generator's ruff.toml selects) would put them: merged into
    the module's one-line `from module import ...`, else on a line of their own among the
    top-level `from` imports, by module name. `tree` may be the ast of the text before
    splice_bodies: only what follows the first definition has moved since."""
    tree = tree or pysource.parse(text)
    missing: dict[str, list[str]] = {}
    for module, name in sorted(imports - _imported(tree)):
        missing.setdefault(module, []).append(name)
    if not missing:
        return text
    lines = split_lines(text)
    header = itertools.takewhile(lambda s: not isinstance(s, _DEFINITIONS), tree.body)
    imports_at = [s for s in header if isinstance(s, (ast.Import, ast.ImportFrom))]
    froms = [s for s in imports_at if isinstance(s, ast.ImportFrom) and s.module != '__future__']
    inserts: dict[int, str] = {}  # new lines, before this line index
    rewrites: dict[int, str] = {}  # a one-line import with names merged in
    for module, names in missing.items():
        names.sort(key=_name_key)
        single = next(
            (
                s
                for s in froms
                if s.module == module
                and s.level == 0
                and lines[s.lineno - 1].strip()
                == f'from {module} import ' + ', '.join(a.name for a in s.names)
            ),
            None,
        )
        if single is not None:
            have = [a.name for a in single.names]
            merged = have + names
            if have == sorted(have, key=_name_key):
                merged.sort(key=_name_key)
            rewrites[single.lineno - 1] = _import_line(module, merged)
            continue
        before = next((s for s in froms if (s.module or '').lower() > module.lower()), None)
        if before is not None:
            at = before.lineno - 1
        else:
            at = imports_at[-1].end_lineno if imports_at else _docstring_end(tree)
        inserts[at] = inserts.get(at, '') + _import_line(module, names)
    out = [inserts.get(i, '') + rewrites.get(i, line) for i, line in enumerate(lines)]
    return ''.join(out) + inserts.get(len(lines), '')


_DEFINITIONS = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def _docstring_end(tree: ast.Module) -> int:
    return tree.body[0].end_lineno if ast.get_docstring(tree, clean=False) is not None else 0
