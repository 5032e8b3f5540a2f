"""Calls of pattern methods made to match their signature and to hit the script's data.

`self.<service>.<method>(...)` becomes a keyword call: arguments the script computes stay
as they are; literals that cannot find what the script created (`""`, `"prefix_value"`, a
date where the key is a number) and missing arguments get values from `created_entities`.
"""

from __future__ import annotations

import ast
import re

from bot import pysource
from bot.implement._context import PAGINATION
from bot.implement._splice import edit
from bot.implement.usage.values import ArgumentValues
from bot.model import Dal, Method
from bot.pysource import Source


def is_literal(node: ast.expr) -> bool:
    """A value typed into the script rather than computed from its data."""
    if isinstance(node, ast.Constant):
        return node.value is not None and node.value is not ...
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.IfExp):
        # The generator's `created_entities.get('X').f if created_entities.get('X') else 'f123'`:
        # when the entity is gone, its fallback cannot hit the script's data either.
        return is_literal(node.orelse)
    if isinstance(node, ast.List):
        return not node.elts
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.operand, ast.Constant) and type(node.operand.value) in (int, float)
    # Decimal("0.00")
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == 'Decimal'
        and len(node.args) == 1
        and not node.keywords
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    )


def _pattern_call(node: ast.AST) -> tuple[str, str] | None:
    """(service attribute, method) of `self.<attr>.<method>(...)`."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Attribute)
        and isinstance(node.func.value.value, ast.Name)
        and node.func.value.value.id == 'self'
    ):
        return node.func.value.attr, node.func.attr
    return None


def _moved_bound(
    condition: str | None, values: ArgumentValues, name: str, given: str
) -> str | None:
    """The generator passes the created item's own sort field (`price=created_entities['Seat']
    .price`) as the bound of a strict range, which can never select that item: the range
    bound derived from the same field, moved past it, replaces it."""
    if condition not in ('<', '>'):
        return None
    bound = values._range_value(name)
    if bound is None:
        return None
    inside = {ast.dump(n) for n in ast.walk(pysource.parse(bound, mode='eval').body)}
    same = ast.dump(pysource.parse(f'({given})', mode='eval').body)  # may span lines
    return (
        bound
        if same in inside and ast.dump(pysource.parse(bound, mode='eval').body) != same
        else None
    )


_DATETIME_NAMES = re.compile(r'\b(date|datetime|timedelta)(?=[.(])')


def _datetime_import(
    src: Source, function: ast.FunctionDef, names: set[str]
) -> tuple[int, int, str]:
    """`from datetime import ...` as the section's first statement (after its docstring):
    range bounds next to a date are computed from the script's data when it runs."""
    body = function.body
    docstring = ast.get_docstring(function, clean=False) is not None
    first = body[1] if docstring and len(body) > 1 else body[0]
    at = src.line_start(first.lineno)
    indent = src.lines[first.lineno - 1][: first.col_offset]
    return at, at, f'{indent}from datetime import {", ".join(sorted(names))}\n'


class CallRepair:
    """Rewrites the pattern calls of a section; `repairs` says what changed and why."""

    def __init__(
        self,
        dal: Dal,
        attrs: dict[str, str],
        repairs: list[str],
        samples: dict[str, str] | None = None,
    ):
        self.dal, self.attrs, self.repairs = dal, attrs, repairs
        self.samples = samples or {}
        self.by_name: list[str] = []  # calls whose only change is naming their arguments

    def report(self) -> None:
        if self.by_name:
            self.repairs.append(f'calls name their arguments: {", ".join(self.by_name)}')

    def __call__(self, src: Source, function: ast.FunctionDef, start: int, end: int) -> str:
        """The text of `src` from `start` to `end` (the section: `function`, and the comments
        that trail it) with its calls repaired."""
        nodes = pysource.walk(function)
        edits: list[tuple[int, int, str]] = []
        calls = sorted(
            (node for node in nodes if _pattern_call(node)),
            key=lambda node: (node.lineno, node.col_offset),
        )
        for call in calls:
            at, to = src.span(call)
            if edits and at < edits[-1][1]:
                continue  # inside a call already rewritten, whose arguments keep their text
            new = self._repaired(src, call)
            if new is not None:
                edits.append((at, to, new))
        imported = {
            a.asname or a.name
            for n in nodes
            if isinstance(n, ast.ImportFrom) and n.module == 'datetime'
            for a in n.names
        }
        needed = {name for *_, new in edits for name in _DATETIME_NAMES.findall(new)} - imported
        if needed:
            edits.insert(0, _datetime_import(src, function, needed))
        return edit(src.text[start:end], [(a - start, b - start, new) for a, b, new in edits])

    def _repaired(self, src: Source, call: ast.Call) -> str | None:
        attr, name = _pattern_call(call)
        owner = self.attrs.get(attr)
        pattern = next(
            (p for p in self.dal.patterns if p.owner == owner and p.method == name), None
        )
        method = self.dal.method(owner or '', name)
        if method is None:
            return None
        if pattern is None:
            return self._crud_key_call(src, call, owner, method)
        values = ArgumentValues(self.dal, pattern, method, self.samples)
        order = [p.name for p in pattern.parameters] or [p.name for p in method.parameters]
        positional = [a for a in call.args if not isinstance(a, ast.Starred)]
        given: dict[str, ast.expr] = dict(zip(order, positional, strict=False))
        given |= {k.arg: k.value for k in call.keywords if k.arg is not None}
        for p in method.parameters:
            e = self.dal.entity((p.annotation or '').strip('\'"'))
            if e is not None and p.name in given and not is_literal(given[p.name]):
                values.passed[e.name] = src.segment(given[p.name])
        args: list[tuple[str, str]] = []
        changed: list[str] = []
        for p in method.parameters:
            if p.kind not in ('positional', 'keyword') or p.name in PAGINATION:
                continue
            old = given.get(p.name)
            if old is not None and not is_literal(old):
                moved = _moved_bound(pattern.range_condition, values, p.name, src.segment(old))
                if moved is not None:
                    changed.append(f'{p.name}={moved}')
                args.append((p.name, moved or src.segment(old)))
                continue
            derived = values.for_param(p.name)
            if derived is not None:
                if old is None or src.segment(old) != derived:
                    changed.append(f'{p.name}={derived}')
                args.append((p.name, derived))
            elif old is not None:
                args.append((p.name, src.segment(old)))
            elif p.default is None and p.annotation is None:
                # An untyped extra (`update_value`) the implementation does not read.
                changed.append(f'{p.name}=None')
                args.append((p.name, 'None'))
            elif p.default is None:
                self.repairs.append(
                    f'AP {pattern.id} {name}: no value for required parameter {p.name!r}'
                )
                return None
        keywords_changed = [k.arg for k in call.keywords] != [n for n, _ in args]
        if (
            not changed
            and not keywords_changed
            and not positional
            and len(args) == len(call.args) + len(call.keywords)
        ):
            return None
        if changed:
            self.repairs.append(f'AP {pattern.id} {owner}.{name}: ' + ', '.join(changed))
        elif keywords_changed:
            self.by_name.append(f'AP {pattern.id}')
        return f'{src.segment(call.func)}({", ".join(f"{k}={v}" for k, v in args)})'

    def _crud_key_call(
        self, src: Source, call: ast.Call, owner: str, method: Method
    ) -> str | None:
        """The generator's transaction setup re-reads an entity that already exists with
        `get_x(setup_x.<pk field>)` only, although `get_x` also takes the sort key's fields:
        the missing key arguments come from the same entity variable."""
        repo = self.dal.repository(owner)
        entity = self.dal.entity(repo.entity if repo else None)
        required = [p.name for p in method.parameters if p.kind == 'positional' and not p.default]
        given = call.args
        if (
            entity is None
            or call.keywords
            or not given
            or len(given) >= len(required)
            or not all(
                isinstance(a, ast.Attribute) and isinstance(a.value, ast.Name) for a in given
            )
            or len({a.value.id for a in given}) != 1
            or [a.attr for a in given] != required[: len(given)]
        ):
            return None
        fields = {f.name for f in entity.fields}
        missing = required[len(given) :]
        if not set(missing) <= fields:
            return None
        var = given[0].value.id
        self.repairs.append(
            f'{owner}.{method.name}: missing key arguments from {var}: {", ".join(missing)}'
        )
        args = [src.segment(a) for a in given] + [f'{var}.{m}' for m in missing]
        return f'{src.segment(call.func)}({", ".join(args)})'
