"""Range conditions on field values: what a condition selects, and the values next to a value.

One meaning for the whole bot. A range bound is a value of the sort key's first templated
field (implement turns it into a key condition); the usage repair passes bounds next to the
script's data, as a caller would; verify seeds items around a bound and computes the set the
condition selects here, independently of the generated code.

The value next to a value (`step(v, -1)` below, `step(v, +1)` above), by its type:

| value | below / above |
|---|---|
| number | `v - 1` / `v + 1` |
| ISO date `2024-05-02` | the day before / after |
| ISO datetime `2024-05-02T10:00:00Z` | one second before / after, same format |
| other string | last character one code point down / up (`gold` -> `golc` / `gole`) |

An empty string has nothing below it; above it is `'0'`.

A parameter named as a key prefix (`names_a_prefix`) is a piece of the key, not a field value:
it keeps plain string comparison.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

_DATE = re.compile(r'\d{4}-\d{2}-\d{2}')
_DATETIME = re.compile(
    r'(\d{4}-\d{2}-\d{2})([T ])(\d{2}:\d{2}:\d{2})(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?'
)


def kind(value: object) -> str:
    """'number', 'date', 'datetime' or 'string' (anything else is 'other')."""
    if isinstance(value, bool):
        return 'other'
    if isinstance(value, int | float | Decimal):
        return 'number'
    if not isinstance(value, str):
        return 'other'
    if _DATE.fullmatch(value):
        return 'date'
    if _DATETIME.fullmatch(value):
        return 'datetime'
    return 'string'


def step(value: object, direction: int) -> object | None:
    """The value just below (`direction` -1) or just above (+1) `value`, of the same type and
    format; None when there is none (below an empty string, a date out of range)."""
    k = kind(value)
    try:
        if k == 'number':
            return value + direction
        if k == 'date':
            return (date.fromisoformat(value) + timedelta(days=direction)).isoformat()
        if k == 'datetime':
            return _step_datetime(value, direction)
    except (OverflowError, ValueError):
        return None
    if k != 'string':
        return None
    if not value:
        return '0' if direction > 0 else None
    code = ord(value[-1]) + direction
    if 0xD800 <= code <= 0xDFFF:
        code += direction * 0x800  # surrogates are not characters
    if code < 0:
        return value[:-1]  # a proper prefix sorts before it
    if code > 0x10FFFF:
        return value + '0'
    return value[:-1] + chr(code)


def _step_datetime(value: str, direction: int) -> str:
    day, sep, clock, fraction, zone = _DATETIME.fullmatch(value).groups()
    moved = datetime.fromisoformat(f'{day}T{clock}') + timedelta(seconds=direction)
    return moved.isoformat(sep=sep) + (fraction or '') + (zone or '')


def selects(condition: str, value: object, bounds: tuple[object, ...]) -> bool:
    """Whether an item whose field holds `value` is one `condition` with `bounds` selects: a
    range condition, or a filter comparison (`=`, `<>` too). Strings compare by code point,
    as DynamoDB compares their UTF-8 bytes."""
    if value is None:
        return False
    if condition == 'begins_with':
        return isinstance(value, str) and value.startswith(str(bounds[0]))
    try:
        if condition == 'between':
            return bounds[0] <= value <= bounds[1]
        bound = bounds[0]
        return {
            '=': value == bound,
            '<>': value != bound,
            '>': value > bound,
            '>=': value >= bound,
            '<': value < bound,
            '<=': value <= bound,
        }[condition]
    except TypeError:  # a number against a string: not selected
        return False


def probe_values(condition: str, bounds: tuple[object, ...]) -> list[object]:
    """Field values to seed around `bounds`: at each bound, just below and just above it."""
    out: list[object] = []
    for b in bounds:
        for v in (step(b, -1), b, step(b, +1)):
            if v is not None and v not in out:
                out.append(v)
    if condition == 'begins_with' and isinstance(bounds[0], str):
        out.append(bounds[0] + '0')  # extends the prefix: selected
    return out


def names_a_prefix(param: str) -> bool:
    """`like_prefix`, `start_comment_prefix`, `sort_key_prefix`: the caller passes a piece of
    the key itself, so comparing strings is what the parameter means."""
    return param == 'prefix' or param.endswith('_prefix')
