"""Filter expressions as `Attr(...)` conditions, values converted to the field's type."""

from __future__ import annotations

import re

from bot.implement._context import NUMBER_IMPORTS, Rendered, Stub, Unmappable, literal, to_number
from bot.model import FilterCondition, FilterExpression

_COMPARE = {'=': 'eq', '<>': 'ne', '<': 'lt', '<=': 'lte', '>': 'gt', '>=': 'gte'}
# One condition of the generator's filter text: `#total >= :min_total`, `contains(#tags, :tag)`,
# `#price BETWEEN :lo AND :hi`, `#status IN (:a, :b)`, `size(#items) > :n`, `attribute_exists(#x)`.
_TEXT_CONDITION = re.compile(
    r"""^(?:
        (?P<fn>contains|begins_with)\(\#(?P<fn_field>\w+),\s*:(?P<fn_param>\w+)\)
      | (?P<ex>attribute_exists|attribute_not_exists)\(\#(?P<ex_field>\w+)\)
      | size\(\#(?P<size_field>\w+)\)\s*(?P<size_op><>|<=|>=|=|<|>)\s*:(?P<size_param>\w+)
      | \#(?P<bt_field>\w+)\s+BETWEEN\s+:(?P<lo>\w+)\s+AND\s+:(?P<hi>\w+)
      | \#(?P<in_field>\w+)\s+IN\s*\((?P<in_params>[^)]*)\)
      | \#(?P<field>\w+)\s*(?P<op><>|<=|>=|=|<|>)\s*:(?P<param>\w+)
    )$""",
    re.VERBOSE | re.IGNORECASE,
)


def parse_filter_text(text: str) -> FilterExpression:
    """The `# Operation: ... | Filter Expression: <text>` form, for DALs without a mapping."""
    text = re.sub(r'\s+', ' ', text.strip())
    # BETWEEN's own AND is not a logical operator: split around it.
    protected = re.sub(r'(BETWEEN\s+:\w+\s+)AND(\s+:\w+)', r'\1&&\2', text, flags=re.I)
    logical = 'OR' if re.search(r'\sOR\s', protected) else 'AND'
    if re.search(r'\sAND\s', protected) and logical == 'OR':
        raise Unmappable(f'filter mixes AND and OR: {text!r}')
    conditions = []
    for part in re.split(rf'\s{logical}\s', protected, flags=re.I):
        hit = _TEXT_CONDITION.match(part.replace('&&', 'AND').strip())
        if not hit:
            raise Unmappable(f'filter condition not understood: {part!r}')
        g = hit.groupdict()
        if g['fn']:
            conditions.append(
                FilterCondition(field=g['fn_field'], function=g['fn'], param=g['fn_param'])
            )
        elif g['ex']:
            conditions.append(FilterCondition(field=g['ex_field'], function=g['ex']))
        elif g['size_field']:
            conditions.append(
                FilterCondition(
                    field=g['size_field'],
                    function='size',
                    operator=g['size_op'],
                    param=g['size_param'],
                )
            )
        elif g['bt_field']:
            conditions.append(
                FilterCondition(
                    field=g['bt_field'], operator='between', param=g['lo'], param2=g['hi']
                )
            )
        elif g['in_field']:
            params = tuple(p.strip().lstrip(':') for p in g['in_params'].split(','))
            conditions.append(FilterCondition(field=g['in_field'], operator='in', params=params))
        else:
            conditions.append(
                FilterCondition(field=g['field'], operator=g['op'], param=g['param'])
            )
    return FilterExpression(conditions=tuple(conditions), logical_operator=logical)


def pattern_filter(stub: Stub) -> FilterExpression | None:
    if stub.pattern.filter is not None:
        return stub.pattern.filter
    text = stub.method.hint.filter_text if stub.method.hint else None
    return parse_filter_text(text) if text else None


def filter_params(flt: FilterExpression | None) -> set[str]:
    names: set[str] = set()
    for c in flt.conditions if flt else ():
        names.update(p for p in (c.param, c.param2, *c.params) if p)
    return names


def filter_condition(stub: Stub, flt: FilterExpression, out: Rendered) -> str:
    """`Attr('status').ne(excluded_status) & Attr('total').gte(min_total)`."""
    entity = stub.entity
    converted: set[str] = set()

    def value(param: str, field: str) -> str:
        p = stub.method.parameter(param)
        if p is None:
            raise Unmappable(f'filter parameter {param!r} is not a parameter of the method')
        f = entity.field(field) if entity else None
        if f is not None and f.numeric and param not in converted:
            guard = to_number(p)
            if guard:
                out.body += guard
                out.imports |= NUMBER_IMPORTS
            converted.add(param)
        return param

    parts = []
    for c in flt.conditions:
        attr = f'Attr({literal(c.field)})'
        if c.function in ('attribute_exists', 'attribute_not_exists'):
            parts.append(
                f'{attr}.{"exists" if c.function == "attribute_exists" else "not_exists"}()'
            )
        elif c.function in ('contains', 'begins_with'):
            parts.append(
                f'{attr}.{c.function}({c.param})'
                if stub.method.parameter(c.param)
                else _missing(c.param)
            )
        elif c.function == 'size':
            op = _COMPARE.get(c.operator or '')
            if c.operator == 'between':
                parts.append(f'{attr}.size().between({c.param}, {c.param2})')
            elif op:
                parts.append(f'{attr}.size().{op}({c.param})')
            else:
                raise Unmappable(f'size() with operator {c.operator!r}')
        elif c.operator == 'between':
            parts.append(f'{attr}.between({value(c.param, c.field)}, {value(c.param2, c.field)})')
        elif c.operator == 'in':
            values = ', '.join(value(p, c.field) for p in c.params)
            parts.append(f'{attr}.is_in([{values}])')
        elif c.operator in _COMPARE:
            parts.append(f'{attr}.{_COMPARE[c.operator]}({value(c.param, c.field)})')
        else:
            raise Unmappable(f'filter condition on {c.field!r} with {c.operator or c.function!r}')
    joiner = ' | ' if flt.logical_operator == 'OR' else ' & '
    out.imports.add(('boto3.dynamodb.conditions', 'Attr'))
    return joiner.join(parts)


def _missing(param: str | None) -> str:
    raise Unmappable(f'filter parameter {param!r} is not a parameter of the method')
