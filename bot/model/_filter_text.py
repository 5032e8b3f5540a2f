"""The filter text of a stub's `# Operation: ... | Filter Expression: <text>` line, read into
a FilterExpression (the same shape access_pattern_mapping.json gives), for DALs without one."""

from __future__ import annotations

import re

from bot.model._types import FilterCondition, FilterExpression

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
    """Raises ValueError saying what could not be read."""
    text = re.sub(r'\s+', ' ', text.strip())
    # BETWEEN's own AND is not a logical operator: split around it.
    protected = re.sub(r'(BETWEEN\s+:\w+\s+)AND(\s+:\w+)', r'\1&&\2', text, flags=re.I)
    logical = 'OR' if re.search(r'\sOR\s', protected) else 'AND'
    if re.search(r'\sAND\s', protected) and logical == 'OR':
        raise ValueError(f'filter mixes AND and OR: {text!r}')
    conditions = []
    for part in re.split(rf'\s{logical}\s', protected, flags=re.I):
        hit = _TEXT_CONDITION.match(part.replace('&&', 'AND').strip())
        if not hit:
            raise ValueError(f'filter condition not understood: {part!r}')
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


def filter_params(flt: FilterExpression | None) -> set[str]:
    """The parameter names a filter takes its values from."""
    names: set[str] = set()
    for c in flt.conditions if flt else ():
        names.update(p for p in (c.param, c.param2, *c.params) if p)
    return names


# A condition of a transaction item names attributes bare (`count >= :count`,
# `attribute_exists(pk)`); a filter's text names them `#count`.
_BARE_FIELD = re.compile(
    r'(?<![#:\w])([A-Za-z_]\w*)(?=\s*(?:<>|<=|>=|=|<|>)|\s+BETWEEN\s|\s+IN\s*\()', re.I
)
_BARE_ARGUMENT = re.compile(
    r'\b(contains|begins_with|size|attribute_exists|attribute_not_exists|attribute_type)'
    r'\(\s*(?!#)(\w+)'
)


def condition_names(text: str) -> tuple[str, tuple[str, ...]]:
    """`count >= :count` -> (`#count >= :count`, ('count',)): every attribute a condition
    names becomes a `#name` placeholder, because a bare reserved word (`count`, `status`,
    `name`) makes DynamoDB reject the whole request."""
    text = _BARE_ARGUMENT.sub(r'\1(#\2', _BARE_FIELD.sub(r'#\1', text))
    return text, tuple(dict.fromkeys(re.findall(r'#(\w+)', text)))
