"""Sample data that defeats a pattern's own filter, left out where nothing else needs it.

The generator fills every optional field of a sample entity, with `'sample_<field>'` when
usage_data.json has no value; a pattern filtering on `attribute_not_exists(<field>)` then finds
nothing, in the script only. When the field is optional and no other part of the model needs
it set (a key template, another filter or a transaction condition on it, an argument the
script reads from it, the CRUD update that assigns it), the keyword goes from every
constructor of that entity in the script, so the item is written without it. Otherwise the
samples stay and the verdict names the clause and the value (bot/verify/_causes.py).
"""

from __future__ import annotations

import ast

from bot.model import AccessPattern, Dal, Entity, FilterCondition
from bot.pysource import Source


def _conditions(pattern: AccessPattern) -> tuple[FilterCondition, ...]:
    return pattern.filter.conditions if pattern.filter else ()


def _needed_elsewhere(
    dal: Dal, entity: Entity, field: str, nodes: list[ast.AST], pid: int
) -> str | None:
    """Why `field` of `entity` must stay set in the script (`nodes`: all of it), or None."""
    templates = [entity.pk, entity.sk] + [
        t for k in entity.index_keys for t in (*k.partition, *k.sort)
    ]
    if any(t is not None and field in t.fields for t in templates):
        return 'it is part of a key'
    for p in dal.patterns:
        if p.entity != entity.name:
            continue
        for c in _conditions(p):
            if c.field == field and (p.id != pid or c.function != 'attribute_not_exists'):
                return f'AP {p.id} filters on it'
        for item in p.transaction_items:
            if item.entity == entity.name and item.condition and field in item.condition:
                return f'AP {p.id} has a condition on it'
    attrs = [n for n in nodes if isinstance(n, ast.Attribute) and n.attr == field]
    if any(isinstance(n.ctx, ast.Store) for n in attrs):
        return 'the script sets it (its CRUD update)'
    if attrs:
        return 'the script reads it (an argument of a call)'
    return None


def _without(src: Source, call: ast.Call, keyword: ast.keyword) -> tuple[int, int, str]:
    """The edit that removes one keyword argument from a call (and one separating comma)."""
    args = sorted([*call.args, *call.keywords], key=lambda a: (a.lineno, a.col_offset))
    i = args.index(keyword)
    if i + 1 < len(args):
        return src.span(keyword)[0], src.span(args[i + 1])[0], ''
    if i > 0:
        return src.span(args[i - 1])[1], src.span(keyword)[1], ''
    return src.span(call.func)[1] + 1, src.span(call)[1] - 1, ''  # the only one: `User()`


def unset_defeating_samples(dal: Dal, src: Source, repairs: list[str]) -> Source:
    """usage_examples.py without the sample values that make an `attribute_not_exists`
    filter exclude the script's item, where that is safe (`src` itself when none does);
    `repairs` says what and why."""
    constructors = None  # the script's calls of a bare name, found when a filter needs them
    unset: set[tuple[str, str]] = set()  # (entity, field)
    for p in sorted(dal.patterns, key=lambda p: p.id):
        entity = dal.entity(p.entity)
        if entity is None or p.operation not in ('Query', 'Scan'):
            continue
        conditions = _conditions(p)
        if len(conditions) > 1 and p.filter.logical_operator == 'OR':
            continue  # another clause may let the item through
        for c in conditions:
            field = entity.field(c.field)
            if c.function != 'attribute_not_exists' or field is None:
                continue
            if constructors is None:
                constructors = [
                    node
                    for node in src.nodes
                    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                ]
            setting = [
                (call, k)
                for call in constructors
                if call.func.id == entity.name
                for k in call.keywords
                if k.arg == c.field
                and not (isinstance(k.value, ast.Constant) and k.value.value is None)
            ]
            if not setting:
                continue
            clause = f'filter attribute_not_exists({c.field})'
            value = src.segment(setting[0][1].value)
            why = 'a required field' if field.required else None
            why = why or _needed_elsewhere(dal, entity, c.field, src.nodes, p.id)
            if why:
                repairs.append(
                    f"AP {p.id} {p.owner}.{p.method}: {clause} excludes the script's "
                    f'{entity.name} ({c.field}={value}), left as it is: {why}'
                )
                continue
            unset.add((entity.name, c.field))
            repairs.append(
                f"AP {p.id} {p.owner}.{p.method}: {clause}: the script's {entity.name} samples "
                f'no longer set {c.field} (was {value})'
            )
    return _unset(src, unset)


def _unset(src: Source, unset: set[tuple[str, str]]) -> Source:
    """`src` without those keywords in the constructors of those entities: one at a time,
    positions read again after each (two of one call would share a comma)."""
    while unset:
        found = next(
            (
                (node, k)
                for node in src.nodes
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                for k in node.keywords
                if (node.func.id, k.arg) in unset
            ),
            None,
        )
        if found is None:
            break
        start, end, new = _without(src, *found)
        src = Source(src.text[:start] + new + src.text[end:])
    return src


__all__ = ['unset_defeating_samples']
