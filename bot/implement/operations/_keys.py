"""Key values and key conditions, shared by every operation that addresses items by key."""

from __future__ import annotations

from typing import NamedTuple

from bot.implement._context import (
    NUMBER_IMPORTS,
    Rendered,
    Statement,
    Stub,
    Unmappable,
    bind_fields,
    gsi_key,
    literal,
    statements,
    to_number,
)
from bot.model import KeyAttribute, KeyTemplate
from bot.ranges import names_a_prefix


def primary_key(stub: Stub, used: set[str]) -> tuple[list[Statement], str, bool]:
    """Statements binding `pk` (and `sk`), the source of the Key dict, and whether the
    table has a sort key."""
    entity = stub.entity
    name = stub.entity_name
    if entity.pk is None:
        raise Unmappable(f'entities.py has no partition key builder for {name}')
    whole = [p for p in stub.entity_params(name)]
    has_sk = stub.table is not None and stub.table.sort_key is not None and entity.sk is not None
    raw = stub.pattern.raw_keys
    if whole and not raw and not any(stub.has_param(f) for f in entity.pk.fields):
        # An entity passed in: its own key methods know the templates.
        used.add(whole[0].name)
        body = statements('pk = {v}', v=f'{whole[0].name}.pk()')
        if has_sk:
            body += statements('sk = {v}', v=f'{whole[0].name}.sk()')
    else:
        if 'partition' in raw:
            body = raw_key('pk', raw['partition'], used)
        else:
            pk_args = bind_fields(stub, entity.pk.fields, used)
            body = statements('pk = {v}', v=f'{name}.build_pk_for_lookup({", ".join(pk_args)})')
        if has_sk and 'sort' in raw:
            body += raw_key('sk', raw['sort'], used)
        elif has_sk:
            sk_args = bind_fields(stub, entity.sk.fields, used)
            body += statements('sk = {v}', v=f'{name}.build_sk_for_lookup({", ".join(sk_args)})')
    key = '{self.pkey_name: pk, self.skey_name: sk}' if has_sk else '{self.pkey_name: pk}'
    return body, key, has_sk


def raw_key(var: str, param: str, used: set[str]) -> list[Statement]:
    """`pk = <param>` for a parameter that is the key's raw value (bot.model's `raw_key`)."""
    used.add(param)
    return [] if param == var else statements(f'{var} = {{v}}', v=param)


def _sort_value(
    stub: Stub, attr: KeyAttribute, template: KeyTemplate | None, param: str, out: Rendered
) -> str:
    """A sort-key bound from a parameter: a number for N keys, prefixed for templated S keys."""
    if attr.type == 'N':
        p = stub.method.parameter(param)
        guard = to_number(p)
        if guard:
            out.body += guard
            out.imports |= NUMBER_IMPORTS
        return param
    prefix = template.literal_prefix if template and template.fields else ''
    if prefix:
        # Keys look like 'ORDER#{order_date}#{order_id}': a bound is a value of the first
        # field, so it gets the template's constant prefix.
        return f'f{literal(prefix + "{" + param + "}")}'
    return param


def sort_condition(
    stub: Stub,
    attrs: tuple[KeyAttribute, ...],
    templates: tuple[KeyTemplate, ...],
    params: list[str],
    attr_source: list[str],
    out: Rendered,
) -> SortCondition:
    """`Key(...).between(...)` etc. for the sort key, from the remaining parameters.

    Leading sort attributes (multi-attribute keys) are matched with equality, the last one
    with the range condition. A bound is a value of the sort key's first templated field and
    selects by that field's value, also when more of the key follows it. Without a range
    condition and parameters, a templated sort key selects the entity's items in a shared
    partition (`begins_with` its constant prefix); an open-ended range on it stays inside
    that prefix too.
    """
    rc = stub.pattern.range_condition
    if not attrs:
        if params:
            raise Unmappable(f'parameters {params} have no sort key to bind to')
        return SortCondition(None)
    needed = (2 if rc == 'between' else 1) if rc else 0
    if rc is None and not params:
        if 'item collection' in (stub.method.docstring or ''):
            # The generator's mixed_data query: every entity type of the partition.
            return SortCondition(None)
        template = templates[0] if templates else None
        if template is not None and template.literal_prefix and template.fields:
            return SortCondition(
                f'Key({attr_source[0]}).begins_with({literal(template.literal_prefix)})'
            )
        if template is not None and not template.fields and template.text:
            return SortCondition(f'Key({attr_source[0]}).eq({literal(template.text)})')
        return SortCondition(None)
    if rc is None:
        return SortCondition(_sort_by_name(stub, attrs, templates, params, attr_source, out))
    eq_count = len(params) - needed
    if eq_count < 0 or eq_count + 1 > len(attrs):
        raise Unmappable(
            f'{len(params)} sort-key parameter(s) {params} do not fit {len(attrs)} sort attribute(s)'
            + (f' with range condition {rc!r}' if rc else '')
        )
    parts = []
    for i in range(eq_count):
        t = templates[i] if i < len(templates) else None
        parts.append(f'Key({attr_source[i]}).eq({_sort_value(stub, attrs[i], t, params[i], out)})')
    i = eq_count
    t = templates[i] if i < len(templates) else None
    bounds = params[eq_count:]
    values = [_sort_value(stub, attrs[i], t, p, out) for p in bounds]
    if rc == 'begins_with':
        if attrs[i].type == 'N':
            raise Unmappable(f'begins_with on numeric sort key {attrs[i].name!r}')
        parts.append(f'Key({attr_source[i]}).begins_with({values[0]})')
        return SortCondition(' & '.join(parts))
    string_key = t is not None and t.fields and attrs[i].type == 'S'
    after = _after_field(t) if string_key and not any(names_a_prefix(p) for p in bounds) else None
    # Each end: (source, inclusive). With `after`, a bound is a value of the key's first
    # field: `f'ORDER#{x}$'` is the first key past every `ORDER#{x}#...`, so it is where
    # `> x` starts and where `<= x` ends.
    past_x = (
        [f'f{literal(t.literal_prefix + "{" + p + "}" + after)}' for p in bounds] if after else []
    )
    lo = hi = None
    if rc == 'between':
        lo, hi = (values[0], True), ((past_x[1], False) if after else (values[1], True))
    elif rc in ('>', '>='):
        lo = (past_x[0], True) if after and rc == '>' else (values[0], rc == '>=')
    else:
        hi = (past_x[0], False) if after and rc == '<=' else (values[0], rc == '<=')
    prefix = t.literal_prefix if string_key else ''
    past = _past_prefix(prefix)
    if past is not None:
        # Other entities may share the partition: an open end stops at the entity's prefix.
        lo = lo or (literal(prefix), True)
        hi = hi or (literal(past), False)
    if lo and hi:
        # One sort-key condition only, and between() includes both ends, so an excluded end
        # is dropped from each page after the call.
        parts.append(f'Key({attr_source[i]}).between({lo[0]}, {hi[0]})')
        drop = tuple(end for end, inclusive in (lo, hi) if not inclusive)
        return SortCondition(' & '.join(parts), attr_source[i] if drop else None, drop)
    (value, inclusive), op = (lo, 'gt') if lo else (hi, 'lt')
    parts.append(f'Key({attr_source[i]}).{op}{"e" if inclusive else ""}({value})')
    return SortCondition(' & '.join(parts))


def _after_field(template: KeyTemplate) -> str | None:
    """For a key whose first field is followed by more (`VISIT#{visit_date}#{visit_id}`): the
    character just past the one that follows the field ('#' -> '$'); every key with that field
    value sorts before `VISIT#{value}$`, every key with a greater value (not extending it with
    a character below '#') after it. None when the field ends the key (plain comparison is
    exact) or another field follows it directly (no separator to order by)."""
    first = '{' + template.fields[0] + '}'
    rest = template.text.split(first, 1)[1]
    if not rest or rest[0] == '{':
        return None
    return _past_prefix(rest[0])


class SortCondition(NamedTuple):
    """The key condition on the sort key, and the values of `attr` to drop from the results
    (ends of an inclusive between() that the range excludes)."""

    expr: str | None
    attr: str | None = None
    excluded: tuple[str, ...] = ()


def _past_prefix(prefix: str) -> str | None:
    """The smallest string after every string that starts with `prefix` ('ORDER#' ->
    'ORDER$'). DynamoDB orders strings by UTF-8 bytes, which is code point order."""
    while prefix:
        code = ord(prefix[-1]) + 1
        if code == 0xD800:  # surrogates are not characters
            code = 0xE000
        if code <= 0x10FFFF:
            return prefix[:-1] + chr(code)
        prefix = prefix[:-1]
    return None


def _sort_by_name(
    stub: Stub,
    attrs: tuple[KeyAttribute, ...],
    templates: tuple[KeyTemplate, ...],
    params: list[str],
    attr_source: list[str],
    out: Rendered,
) -> str:
    """No range condition, yet parameters left: they must be the sort key's own fields, by
    name. All of a template's fields -> equality; its leading fields -> `begins_with` the key
    up to them. Anything else is not a key condition we can know."""
    if len(attrs) == 1 and templates and templates[0].fields:
        template, fields = templates[0], templates[0].fields
        if set(params) == set(fields) and attrs[0].type == 'S':
            return f'Key({attr_source[0]}).eq(f{literal(template.text)})'
        if set(params) == set(fields):
            return f'Key({attr_source[0]}).eq({_sort_value(stub, attrs[0], template, params[0], out)})'
        if params == fields[: len(params)] and attrs[0].type == 'S':
            end = template.text.index('{' + params[-1] + '}') + len(params[-1]) + 2
            upto = template.text[:end]
            rest = template.text[end:]
            # `ORDER#{order_date}#{order_id}` with order_date -> begins_with(f'ORDER#{order_date}#')
            separator = rest[: len(rest) - len(rest.lstrip('#|:-_/.'))] if rest else ''
            return f'Key({attr_source[0]}).begins_with(f{literal(upto + separator)})'
    elif all(
        i < len(templates) and templates[i].fields == [p] for i, p in enumerate(params)
    ) and len(params) <= len(attrs):
        # Multi-attribute sort key: leading attributes by equality, each from its own field.
        return ' & '.join(
            f'Key({attr_source[i]}).eq({_sort_value(stub, attrs[i], None, p, out)})'
            for i, p in enumerate(params)
        )
    raise Unmappable(
        f'parameters {params} are neither key fields nor filter values, and there is no range condition'
    )


def index_partition(
    stub: Stub, index_name: str, used: set[str], out: Rendered
) -> tuple[str, list[str]]:
    """The GSI partition condition through the entity's lookup builder, and the parameters
    left for the sort key."""
    entity = stub.entity
    table = stub.table
    index = table.index(index_name) if table else None
    if index is None:
        raise Unmappable(
            f'index {index_name!r} is not defined for table {table.name if table else "?"}'
        )
    keys = entity.keys_for(index_name)
    if keys is None or not keys.partition:
        raise Unmappable(f'{entity.name} has no key templates for index {index_name!r}')
    fields = [f for t in keys.partition for f in t.fields]
    args = bind_fields(stub, fields, used)
    builder = gsi_key(
        stub.dal, entity, 'pk', index_name, args=dict(zip(fields, args, strict=True))
    )
    if len(index.partition_key) == 1:
        out.body += statements('gsi_pk = {v}', v=builder)
        return f'Key({literal(index.partition_key[0].name)}).eq(gsi_pk)', fields
    # Multi-attribute partition keys: the builder returns one value per attribute.
    out.body += statements('gsi_pk = {v}', v=builder)
    parts = []
    for i, attr in enumerate(index.partition_key):
        value = f'gsi_pk[{i}]'
        if attr.type == 'N':
            out.imports |= NUMBER_IMPORTS
            value = f'Decimal(gsi_pk[{i}])'
        parts.append(f'Key({literal(attr.name)}).eq({value})')
    return ' & '.join(parts), fields
