"""Filter expressions as `Attr(...)` conditions, values converted to the field's type."""

from __future__ import annotations

from bot.implement._context import NUMBER_IMPORTS, Rendered, Stub, Unmappable, literal, to_number
from bot.model import FilterExpression, filter_params

__all__ = ['filter_condition', 'filter_params', 'pattern_filter']

_COMPARE = {'=': 'eq', '<>': 'ne', '<': 'lt', '<=': 'lte', '>': 'gt', '>=': 'gte'}


def pattern_filter(stub: Stub) -> FilterExpression | None:
    """The pattern's filter (mapping, stub comment, or inferred); one the comment states but
    nobody could read leaves the stub."""
    if stub.pattern.filter_problem:
        raise Unmappable(stub.pattern.filter_problem)
    return stub.pattern.filter


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
