"""Why an `empty` verdict is empty, when the model and the script say so.

Pure functions over the model and the text of usage_examples.py. Two causes are named:
- an index keyed on built attributes that nothing writes (the generator's create() omits them);
- a filter clause that the script's own item fails: `attribute_not_exists(x)` against a
  sample that sets x, `attribute_exists(x)` against one that leaves it unset, a comparison
  its value fails with the argument the call was given. The value is the one written in the
  script (the `sample_<entity>` the CRUD part creates, or its CRUD update), with its line.
"""

from __future__ import annotations

import ast
from decimal import Decimal

from bot import pysource
from bot.model import AccessPattern, Dal, Entity, FilterCondition

SCRIPT = 'usage_examples.py'


def unwritten_index_keys(dal: Dal, pattern: AccessPattern) -> str | None:
    """An index read finds only items whose built key attributes (`GSI1PK = 'EMAIL#…'`) were
    written: the generator's create() writes fields and pk/sk; the bot's PutItem and
    BatchWriteItem write the keys, and so does the entity once it has them as computed fields
    (the index-key repair)."""
    entity = dal.entity(pattern.entity)
    table = dal.table(entity.table) if entity else None
    if table is None or not pattern.index_name:
        return None
    built = [
        k.attribute.name for k in entity.unwritten_keys(table) if k.index == pattern.index_name
    ]
    if not built:
        return None
    are, them = ('are built keys', 'them') if len(built) > 1 else ('is a built key', 'it')
    return (
        f'{", ".join(built)} of {pattern.index_name} {are}, and the generated create() '
        f'does not write {them}: only items written by a PutItem or BatchWriteItem pattern of '
        f'{entity.name} are in the index (the index-key repair, on by default, adds them)'
    )


def _sample(source: str, entity: Entity) -> tuple[ast.Call, int] | None:
    """The script's sample of the entity, and its line: the `sample_<x> = Entity(...)` last
    assigned before the CRUD `create_<x>(sample_<x>)` call (else the first one)."""
    try:
        tree = pysource.parse(source)
    except SyntaxError:
        return None
    samples = [
        (node.targets[0].id, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == entity.name
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id.startswith('sample_')
    ]
    if not samples:
        return None
    creates = [
        (node.lineno, node.args[0].id)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr.startswith('create')
        and node.args
        and isinstance(node.args[0], ast.Name)
    ]
    for at, name in sorted(creates):
        before = [c for n, c in samples if n == name and c.lineno < at]
        if before:
            call = max(before, key=lambda c: c.lineno)
            return call, call.lineno
    call = min((c for _, c in samples), key=lambda c: c.lineno)
    return call, call.lineno


def _literal(node: ast.expr | None) -> object:
    """The value of a literal the script wrote (`'OPEN'`, `42`, `Decimal('1.5')`, lists of
    them); _UNKNOWN for anything computed."""
    if node is None:
        return _UNKNOWN
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == 'Decimal'
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Constant)
    ):
        try:
            return Decimal(str(node.args[0].value))
        except ArithmeticError:
            return _UNKNOWN
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = [_literal(e) for e in node.elts]
        return _UNKNOWN if _UNKNOWN in items else items
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _UNKNOWN


_UNKNOWN = object()


def arguments(kwargs_repr: str) -> dict[str, object]:
    """The literal keyword arguments of an observed call (the launcher's `repr(kwargs)`)."""
    try:
        node = pysource.parse(kwargs_repr, mode='eval').body
    except SyntaxError:
        return {}
    if not isinstance(node, ast.Dict):
        return {}
    out = {}
    for k, v in zip(node.keys, node.values, strict=True):
        if isinstance(k, ast.Constant) and isinstance(k.value, str):
            value = _literal(v)
            if value is not _UNKNOWN:
                out[k.value] = value
    return out


def _item_values(
    source: str, tree: ast.Module, call: ast.Call
) -> dict[str, tuple[object, str, int]]:
    """Field -> (value, its source text, line) of the script's item: the sample's keywords,
    then the CRUD update's `refreshed_entity.<field> = ...` that follows it."""
    values = {
        k.arg: (_literal(k.value), ast.get_source_segment(source, k.value) or '…', call.lineno)
        for k in call.keywords
        if k.arg and not (isinstance(k.value, ast.Constant) and k.value.value is None)
    }
    later_samples = [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.Assign)
        and n.lineno > call.end_lineno
        and isinstance(n.targets[0], ast.Name)
        and n.targets[0].id.startswith('sample_')
    ]
    until = min(later_samples, default=len(source.splitlines()) + 1)
    for n in ast.walk(tree):
        if (
            isinstance(n, ast.Assign)
            and call.end_lineno < n.lineno < until
            and isinstance(n.targets[0], ast.Attribute)
            and isinstance(n.targets[0].value, ast.Name)
            and n.targets[0].value.id == 'refreshed_entity'
        ):
            text = ast.get_source_segment(source, n.value) or '…'
            values[n.targets[0].attr] = (_literal(n.value), text, n.lineno)
    return values


_COMPARE = {
    '=': lambda v, a: v == a,
    '<>': lambda v, a: v != a,
    '<': lambda v, a: v < a,
    '<=': lambda v, a: v <= a,
    '>': lambda v, a: v > a,
    '>=': lambda v, a: v >= a,
}


def _passes(c: FilterCondition, value: object, args: dict[str, object]) -> bool | None:
    """Whether the item's value passes a comparison clause; None when it cannot be told."""
    a = args.get(c.param or '', _UNKNOWN)
    try:
        if c.function == 'begins_with' and isinstance(value, str) and isinstance(a, str):
            return value.startswith(a)
        if c.function == 'contains' and a is not _UNKNOWN and isinstance(value, str | list):
            return a in value
        if c.function is None and c.operator in _COMPARE and a is not _UNKNOWN:
            return _COMPARE[c.operator](value, a)
        if c.operator == 'between' and a is not _UNKNOWN:
            b = args.get(c.param2 or '', _UNKNOWN)
            return None if b is _UNKNOWN else a <= value <= b
        if c.operator == 'in' and c.params:
            listed = [args.get(p, _UNKNOWN) for p in c.params]
            return None if _UNKNOWN in listed else value in listed
    except TypeError:  # a number against a string: DynamoDB would not match either
        return False
    return None


def _clause(c: FilterCondition) -> str:
    if c.function in ('begins_with', 'contains'):
        return f'{c.function}({c.field}, :{c.param})'
    if c.operator == 'between':
        return f'{c.field} BETWEEN :{c.param} AND :{c.param2}'
    if c.operator == 'in':
        return f'{c.field} IN ({", ".join(":" + p for p in c.params)})'
    return f'{c.field} {c.operator} :{c.param}'


def excluding_filter(
    dal: Dal, pattern: AccessPattern, source: str, kwargs: str = ''
) -> str | None:
    """The filter clause(s) that exclude the script's item, with the value it has there
    (and the argument the call was given, from the observed call's keyword arguments)."""
    entity = dal.entity(pattern.entity)
    flt = pattern.filter
    if entity is None or flt is None or pattern.operation not in ('Query', 'Scan'):
        return None
    sample = _sample(source, entity)
    if sample is None:
        return None
    call, _ = sample
    values = _item_values(source, pysource.parse(source), call)
    args = arguments(kwargs)
    failing: list[tuple[str, int]] = []
    for c in flt.conditions:
        value, shown, line = values.get(c.field, (None, '', call.lineno))
        excluded = "excludes the script's item"
        if c.function == 'attribute_not_exists' and c.field in values:
            failing.append(
                (f'attribute_not_exists({c.field}) {excluded}: {c.field}={shown}', line)
            )
        elif c.function == 'attribute_exists' and c.field not in values:
            failing.append((f'attribute_exists({c.field}) {excluded}: {c.field} is not set', line))
        elif c.field in values and value is not _UNKNOWN and _passes(c, value, args) is False:
            given = ', '.join(
                f'{p}={args[p]!r}' for p in (c.param, c.param2, *c.params) if p and p in args
            )
            failing.append((f'{_clause(c)} {excluded}: {c.field}={shown}, {given}', line))
    if not failing or (flt.logical_operator == 'OR' and len(failing) < len(flt.conditions)):
        return None
    lines = sorted({line for _, line in failing})
    where = ', '.join(f'{SCRIPT}:{n}' for n in lines)
    return 'filter ' + '; '.join(text for text, _ in failing) + f' ({where})'


def empty_cause(dal: Dal, pattern: AccessPattern, source: str, kwargs: str = '') -> str | None:
    """The cause of an empty result the bot can name, or None. `kwargs`: the observed call's
    keyword arguments (repr), for the filter values it was given."""
    return excluding_filter(dal, pattern, source, kwargs) or unwritten_index_keys(dal, pattern)


__all__ = ['empty_cause', 'excluding_filter', 'unwritten_index_keys']
