"""Repairing usage_examples.py so every access pattern is called, and called so that it can
find the data the script itself created.

- older template: the commented-out blocks of `_test_additional_access_patterns` come back
  as code that prints its result and marks its errors like the current template;
- both templates: every call matches its method's signature (keyword arguments, the
  related entity from `created_entities` when the generated call leaves it out), and literal
  arguments that cannot hit the script's data (`""`, `"prefix_value"`, a date for a number)
  are replaced by values taken from the created entities;
- destructive patterns (DeleteItem) run after the ones that read, and conditional-create
  transactions after the intermediate cleanup, as the generator's own comment intends.
main() and its safety check are never touched.
"""

from __future__ import annotations

import ast
import re

import libcst as cst
import libcst.matchers as m

from bot.implement._context import PAGINATION
from bot.implement._format import format_methods
from bot.implement._legacy_usage import uncomment_blocks
from bot.implement._splice import Span, method_span, methods, replace_lines, segment
from bot.implement._usage_values import ArgumentValues
from bot.model import AccessPattern, Dal
from bot.model._types import snake

_LITERALS = (cst.SimpleString, cst.Integer, cst.Float, cst.ConcatenatedString, cst.FormattedString)
_BLOCK_ID = re.compile(r'(?:Access )?Pattern #(\d+)')


def repair_usage(dal: Dal) -> tuple[str, list[str]] | None:
    path = dal.path / 'usage_examples.py'
    if not path.is_file():
        return None
    text = path.read_text(encoding='utf-8')
    lines = text.splitlines(keepends=True)
    tree = ast.parse(text)
    # Only the pattern sections are parsed with libcst (the CRUD half of the script is
    # never changed); each one alone, in a class of the script's class name.
    sections = [
        (cls, method_span(lines, fn))
        for (cls, name), fn in methods(tree).items()
        if name in PATTERN_SECTIONS
    ]
    if not sections:
        return None
    attrs = _service_attributes(text)
    repairs: list[str] = []
    calls = _CallRepair(dal, attrs, repairs)
    reorder = _Reorder(dal, repairs, attrs, _sample_constructors(tree, lines))
    modules = []
    for cls, span in sections:
        module = cst.parse_module(f'class {cls}:\n' + ''.join(lines[span.start : span.end]))
        modules.append(uncomment_blocks(module, dal, repairs).visit(calls))
    calls.report()
    changed: list[tuple[Span, str, str]] = []
    for (cls, span), module in zip(sections, modules, strict=True):
        after = module.visit(reorder).code.split('\n', 1)[1]
        if after != ''.join(lines[span.start : span.end]):
            changed.append((span, cls, after))
    if not changed:
        return None
    formatted = format_methods([(cls, code) for _, cls, code in changed], dal.path)
    edits = [(span, code) for (span, _, _), code in zip(changed, formatted, strict=True)]
    return replace_lines(text, edits), repairs


def _service_attributes(text: str) -> dict[str, str]:
    """`self.order_repo = OrderRepository(...)` -> {'order_repo': 'OrderRepository'}."""
    return dict(re.findall(r'self\.(\w+)\s*=\s*(\w+)\(', text))


def _is_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, _LITERALS):
        return True
    if isinstance(node, cst.List) and not node.elements:
        return True
    if isinstance(node, cst.UnaryOperation) and isinstance(
        node.expression, (cst.Integer, cst.Float)
    ):
        return True
    # Decimal("0.00")
    return m.matches(node, m.Call(func=m.Name('Decimal'), args=[m.Arg(m.SimpleString())]))


PATTERN_SECTIONS = ('_test_additional_access_patterns', '_test_cross_table_patterns')


class _CallRepair(cst.CSTTransformer):
    """Rewrites `self.<service>.<pattern method>(...)` calls to match the signature."""

    def __init__(self, dal: Dal, attrs: dict[str, str], repairs: list[str]):
        self.dal, self.attrs, self.repairs = dal, attrs, repairs
        self.by_name: list[str] = []  # calls whose only change is naming their arguments

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return node.name.value in PATTERN_SECTIONS  # CRUD and main() stay as generated

    def report(self) -> None:
        if self.by_name:
            self.repairs.append(f'calls name their arguments: {", ".join(self.by_name)}')

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if not m.matches(
            updated.func,
            m.Attribute(value=m.Attribute(value=m.Name('self'), attr=m.Name()), attr=m.Name()),
        ):
            return updated
        owner = self.attrs.get(updated.func.value.attr.value)
        name = updated.func.attr.value
        pattern = next(
            (p for p in self.dal.patterns if p.owner == owner and p.method == name), None
        )
        method = self.dal.method(owner or '', name)
        if pattern is None or method is None:
            return updated
        values = ArgumentValues(self.dal, pattern, method)
        order = [p.name for p in pattern.parameters] or [p.name for p in method.parameters]
        given: dict[str, cst.BaseExpression] = {}
        positional = [a for a in updated.args if a.keyword is None and not a.star]
        for i, arg in enumerate(positional):
            if i < len(order):
                given[order[i]] = arg.value
        for arg in updated.args:
            if arg.keyword is not None:
                given[arg.keyword.value] = arg.value
        for p in method.parameters:
            e = self.dal.entity((p.annotation or '').strip('\'"'))
            if e is not None and p.name in given and not _is_literal(given[p.name]):
                values.passed[e.name] = cst.Module(body=[]).code_for_node(given[p.name])
        args, changed = [], []
        for p in method.parameters:
            if p.kind not in ('positional', 'keyword') or p.name in PAGINATION:
                continue
            old = given.get(p.name)
            if old is not None and not _is_literal(old):
                args.append((p.name, old))
                continue
            derived = values.for_param(p.name)
            if derived is not None:
                new = cst.parse_expression(derived)
                if old is None or not old.deep_equals(new):
                    changed.append(f'{p.name}={derived}')
                args.append((p.name, new))
            elif old is not None:
                args.append((p.name, old))
            elif p.default is None and p.annotation is None:
                # An untyped extra (`update_value`) the implementation does not read.
                changed.append(f'{p.name}=None')
                args.append((p.name, cst.Name('None')))
            elif p.default is None:
                self.repairs.append(
                    f'#{pattern.id} {name}: no value for required parameter {p.name!r}'
                )
                return updated
        keywords_changed = [a.keyword.value for a in updated.args if a.keyword] != [
            n for n, _ in args
        ]
        if (
            not changed
            and not keywords_changed
            and len(positional) == 0
            and len(args) == len(updated.args)
        ):
            return updated
        if changed:
            self.repairs.append(f'#{pattern.id} {owner}.{name}: ' + ', '.join(changed))
        elif keywords_changed:
            self.by_name.append(f'#{pattern.id}')
        return updated.with_changes(
            args=[
                cst.Arg(
                    value=v,
                    keyword=cst.Name(k),
                    equal=cst.AssignEqual(cst.SimpleWhitespace(''), cst.SimpleWhitespace('')),
                    comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(' '))
                    if i < len(args) - 1
                    else cst.MaybeSentinel.DEFAULT,
                )
                for i, (k, v) in enumerate(args)
            ]
        )


def _block_pattern(stmt: cst.CSTNode, dal: Dal) -> AccessPattern | None:
    """The pattern a block tests, from its `# Access Pattern #N` comment (or its prints)."""
    comments = ' '.join(
        ll.comment.value for ll in getattr(stmt, 'leading_lines', ()) if ll.comment
    )
    hit = _BLOCK_ID.search(comments) or _BLOCK_ID.search(cst.Module(body=[]).code_for_node(stmt))
    return dal.pattern(int(hit.group(1))) if hit else None


class _Reorder(cst.CSTTransformer):
    """Deletes after reads; conditional-create transactions get fresh ids."""

    def __init__(
        self, dal: Dal, repairs: list[str], attrs: dict[str, str], samples: dict[str, str]
    ):
        self.dal, self.repairs, self.samples = dal, repairs, samples
        self.attr_of = {cls: attr for attr, cls in attrs.items()}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # only whole pattern sections are rearranged, in leave_FunctionDef

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef):
        if updated.name.value == '_test_additional_access_patterns':
            return self._deletes_last(updated)
        if updated.name.value == '_test_cross_table_patterns':
            return self._fresh_conditional_puts(updated)
        return updated

    def _deletes_last(self, fn: cst.FunctionDef) -> cst.FunctionDef:
        body = list(fn.body.body)
        blocks = [
            (i, p)
            for i, s in enumerate(body)
            if isinstance(s, cst.Try) and (p := _block_pattern(s, self.dal)) is not None
        ]
        if not blocks:
            return fn
        deletes = [i for i, p in blocks if p.operation == 'DeleteItem']
        last_block = blocks[-1][0]
        if not deletes or all(
            i > j for i in deletes for j, p in blocks if p.operation != 'DeleteItem'
        ):
            return fn
        moved = [body[i] for i in deletes]
        rest = [s for i, s in enumerate(body) if i not in deletes]
        insert_at = rest.index(body[last_block]) + 1 if body[last_block] in rest else len(rest)
        new_body = rest[:insert_at] + moved + rest[insert_at:]
        ids = ', '.join(f'#{p.id}' for i, p in blocks if i in deletes)
        self.repairs.append(
            f'DeleteItem patterns {ids} run after the patterns that read the same data'
        )
        return fn.with_changes(body=fn.body.with_changes(body=new_body))

    def _fresh_conditional_puts(self, fn: cst.FunctionDef) -> cst.FunctionDef:
        """A conditional Put (`attribute_not_exists`) of an item the CRUD section already
        wrote always fails: give the test entity a fresh id (its last key field)."""
        body, current, fixed = list(fn.body.body), None, []
        code = cst.Module(body=[]).code_for_node
        for n, stmt in enumerate(body):
            printed = code(stmt) if isinstance(stmt, cst.SimpleStatementLine) else ''
            if hit := re.search(r'--- Pattern #(\d+)', printed):
                current = self.dal.pattern(int(hit.group(1)))
                continue
            if (
                not isinstance(stmt, cst.Try)
                or current is None
                or current.operation != 'TransactWrite'
            ):
                continue
            puts = {
                i.entity
                for i in current.transaction_items
                if i.action == 'Put' and 'attribute_not_exists' in (i.condition or '')
            }
            fresh = _FreshKey(self.dal, puts)
            body[n] = stmt.visit(fresh)
            if fresh.changed:
                fixed.append(f'#{current.id} ({", ".join(fresh.changed)})')
            checked = [i.entity for i in current.transaction_items if i.action == 'ConditionCheck']
            block = body[n].body
            tests = [code(s.test) for s in block.body if isinstance(s, cst.If)]
            setup = [
                s
                for e in checked
                if f'{e!r} not in created_entities' not in tests and (s := self._ensure_exists(e))
            ]
            if setup:
                body[n] = body[n].with_changes(body=block.with_changes(body=[*setup, *block.body]))
                fixed.append(f'#{current.id} (creates {", ".join(checked)} it checks)')
        if not fixed:
            return fn
        self.repairs.append(f'transactions made runnable: {"; ".join(fixed)}')
        return fn.with_changes(body=fn.body.with_changes(body=body))

    def _ensure_exists(self, entity_name: str) -> cst.BaseStatement | None:
        """The item a ConditionCheck reads must exist; the CRUD section's sample recreates it
        when the intermediate cleanup has removed it (the generator sets up only Put items)."""
        repo = self.dal.repository_for(entity_name)
        attr = self.attr_of.get(repo.name) if repo else None
        create = f'create_{snake(entity_name)}'
        sample = self.samples.get(entity_name)
        if attr is None or sample is None or self.dal.method(repo.name, create) is None:
            return None
        return cst.parse_statement(
            f'if {entity_name!r} not in created_entities:\n'
            f'    created_entities[{entity_name!r}] = self.{attr}.{create}({sample})\n'
        )


def _sample_constructors(tree: ast.Module, lines: list[str]) -> dict[str, str]:
    """Source of `sample_hotel = Hotel(...)` in the CRUD section, by entity name (the
    first one in the file wins)."""
    found: dict[str, str] = {}
    assigns = sorted(
        (
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id.startswith('sample_')
        ),
        key=lambda node: node.lineno,
    )
    for node in assigns:
        found.setdefault(node.value.func.id, segment(lines, node.value))
    return found


class _FreshKey(cst.CSTTransformer):
    """`Reservation(..., reservation_id='res-31')` -> `reservation_id='res-31-tx'`."""

    def __init__(self, dal: Dal, entities: set[str]):
        self.dal, self.entities, self.changed = dal, entities, []

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if not isinstance(updated.func, cst.Name) or updated.func.value not in self.entities:
            return updated
        entity = self.dal.entity(updated.func.value)
        key = entity.sk if entity.sk and entity.sk.fields else entity.pk
        if key is None or not key.fields:
            return updated
        field = key.fields[-1]
        args = []
        for arg in updated.args:
            if (
                arg.keyword
                and arg.keyword.value == field
                and isinstance(arg.value, cst.SimpleString)
            ):
                value = arg.value.evaluated_value
                if isinstance(value, str) and not value.endswith('-tx'):
                    arg = arg.with_changes(value=cst.SimpleString(repr(value + '-tx')))
                    self.changed.append(f'{entity.name}.{field}')
            args.append(arg)
        return updated.with_changes(args=args)


__all__ = ['repair_usage']
