"""Splicing new bodies into stubs with libcst: everything else in the file stays byte-identical."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from bot.implement._context import Rendered


def _docstring(body: cst.BaseSuite) -> list[cst.BaseStatement]:
    first = body.body[0] if isinstance(body, cst.IndentedBlock) and body.body else None
    if first is not None and m.matches(
        first, m.SimpleStatementLine(body=[m.Expr(m.SimpleString() | m.ConcatenatedString())])
    ):
        return [first]
    return []


class _ReplaceBodies(cst.CSTTransformer):
    def __init__(self, bodies: dict[tuple[str, str], cst.FunctionDef | Rendered]):
        self.bodies = bodies
        self.replaced: set[tuple[str, str]] = set()
        self._class: list[str] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self._class.append(node.name.value)
        return any(owner == node.name.value for owner, _ in self.bodies)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # bodies are replaced whole; nothing inside needs visiting

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self._class.pop()
        return updated

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef):
        key = (self._class[-1] if self._class else '', original.name.value)
        new = self.bodies.get(key)
        if new is None:
            return updated
        self.replaced.add(key)
        if isinstance(new, cst.FunctionDef):
            # A formatted copy of the whole method; keep the blank lines/comments above it.
            return new.with_changes(leading_lines=original.leading_lines)
        block = updated.body
        return updated.with_changes(
            body=block.with_changes(body=[*_docstring(block), *new.body], footer=[])
        )


def splice(
    module: cst.Module, bodies: dict[tuple[str, str], cst.FunctionDef | Rendered]
) -> cst.Module:
    """Replace the body of each (class, method) with its rendered body (or formatted method)."""
    transformer = _ReplaceBodies(bodies)
    updated = module.visit(transformer)
    missing = set(bodies) - transformer.replaced
    if missing:
        raise LookupError(f'methods not found: {sorted(missing)}')
    return updated


def _imported(module: cst.Module) -> set[tuple[str, str]]:
    """`from X import Y` pairs at the top level: a cheap look before the full codemod."""
    found = set()
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if (
                    isinstance(small, cst.ImportFrom)
                    and small.module
                    and not isinstance(small.names, cst.ImportStar)
                ):
                    mod = cst.Module(body=[]).code_for_node(small.module)
                    found |= {
                        (mod, cst.Module(body=[]).code_for_node(a.name)) for a in small.names
                    }
    return found


def add_imports(module: cst.Module, imports: set[tuple[str, str]]) -> cst.Module:
    """Each template's imports, added once and only when the module lacks them."""
    imports = imports - _imported(module)
    if not imports:
        return module
    # The codemod only needs the import header; running it on the whole file costs a full
    # visit of every class for nothing.
    header_len = next(
        (i for i, s in enumerate(module.body) if isinstance(s, (cst.ClassDef, cst.FunctionDef))),
        len(module.body),
    )
    header = module.with_changes(body=module.body[:header_len])
    context = CodemodContext()
    for mod, name in sorted(imports):
        AddImportsVisitor.add_needed_import(context, mod, name)
    new_header = AddImportsVisitor(context).transform_module(header)
    return module.with_changes(body=[*new_header.body, *module.body[header_len:]])


def methods_of(module: cst.Module) -> dict[tuple[str, str], cst.FunctionDef]:
    found: dict[tuple[str, str], cst.FunctionDef] = {}
    for cls in module.body:
        if isinstance(cls, cst.ClassDef):
            for fn in cls.body.body:
                if isinstance(fn, cst.FunctionDef):
                    found[(cls.name.value, fn.name.value)] = fn
    return found
