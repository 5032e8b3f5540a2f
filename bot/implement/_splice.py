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

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._class.append(node.name.value)

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


def splice(module: cst.Module, bodies: dict[tuple[str, str], cst.FunctionDef | Rendered]) -> cst.Module:
    """Replace the body of each (class, method) with its rendered body (or formatted method)."""
    transformer = _ReplaceBodies(bodies)
    updated = module.visit(transformer)
    missing = set(bodies) - transformer.replaced
    if missing:
        raise LookupError(f'methods not found: {sorted(missing)}')
    return updated


def add_imports(module: cst.Module, imports: set[tuple[str, str]]) -> cst.Module:
    """Each template's imports, added once and only when the module lacks them."""
    if not imports:
        return module
    context = CodemodContext()
    for mod, name in sorted(imports):
        AddImportsVisitor.add_needed_import(context, mod, name)
    return AddImportsVisitor(context).transform_module(module)


def methods_of(module: cst.Module) -> dict[tuple[str, str], cst.FunctionDef]:
    found: dict[tuple[str, str], cst.FunctionDef] = {}
    for cls in module.body:
        if isinstance(cls, cst.ClassDef):
            for fn in cls.body.body:
                if isinstance(fn, cst.FunctionDef):
                    found[(cls.name.value, fn.name.value)] = fn
    return found
