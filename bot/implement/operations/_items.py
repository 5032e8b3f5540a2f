"""A full item from an entity: its fields, its table keys and the GSI keys it fills; and what
an update SETs: the changed fields and the GSI keys built from them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.implement._context import (
    Statement,
    Stub,
    Unmappable,
    bind_fields,
    gsi_key,
    literal,
    statements,
)
from bot.model import Entity, Table


def item_statements(
    stub: Stub, entity: Entity, var: str, item: str, table: Table, in_repository: bool
) -> list[Statement]:
    """`item = order.model_dump(...)` plus every key attribute the table and its GSIs need.

    `create()` of the base repository writes only the fields and pk/sk; GSI key attributes
    that are not fields of the entity (`status_pk = 'STATUS#...'`) must be written too, or
    the item never appears in that index.
    """
    pk_name = 'self.pkey_name' if in_repository else literal(table.partition_key.name)
    body = statements(f'{item} = {{v}}', v=f'{var}.model_dump(exclude_none=True)')
    body += statements(f'{item}[{pk_name}] = {{v}}', v=f'{var}.pk()')
    if table.sort_key is not None and entity.sk is not None:
        sk_name = 'self.skey_name' if in_repository else literal(table.sort_key.name)
        body += statements(f'{item}[{sk_name}] = {{v}}', v=f'{var}.sk()')
    for key in entity.unwritten_keys(table):  # a computed field: model_dump wrote it
        value = gsi_key(
            stub.dal,
            entity,
            key.part,
            key.index,
            var=var,
            position=None if key.of == 1 else key.position,
        )
        assign = f'{item}[{literal(key.attribute.name)}] = {{v}}'
        optional = [
            f
            for f in key.template.fields
            if (field := entity.field(f)) is not None and not field.required
        ]
        if optional:
            # A sparse index: without the field the item stays out of it (no 'X#None').
            cond = ' and '.join(f'{var}.{f} is not None' for f in optional)
            assign = f'if {cond}:\n    {assign}'
        body += statements(assign, v=value)
    return body


# --- updates -----------------------------------------------------------------------------
VERSION_BUMP = '#version = if_not_exists(#version, :zero) + :one'
_NAME = re.compile(r'\w+')


@dataclass(frozen=True)
class KeyUpdate:
    """A GSI key attribute an update must rewrite, and the guard under which it can."""

    attribute: str
    value: str  # source of the new value
    when: str | None = None  # source of a condition; None: always


def index_key_updates(
    stub: Stub,
    entity: Entity,
    table: Table,
    sources: dict[str, str],
    maybe_none: set[str],
    var: str | None,
    open_ended: bool = False,
) -> list[KeyUpdate]:
    """GSI key attributes (not plain fields) whose template uses a field the update SETs.

    `sources` maps each field the update SETs to its value's source; `maybe_none` are the ones
    that may be None at run time (optional fields of an entity passed in: not SET then);
    `open_ended`: a dict adds fields known only at run time. Each key is built like put_item
    builds it; when a field it needs is not known here the update is left unmapped, because
    writing the key from a partial template, or leaving it stale, would silently move the item
    to the wrong place in the index.
    """
    key_fields = {f for t in (entity.pk, entity.sk) if t for f in t.fields}
    out = []
    for key in entity.built_keys(table):  # a plain field is SET like any other
        keys = entity.keys_for(key.index)
        templates = keys.partition if key.part == 'pk' else keys.sort
        needed = [f for t in templates for f in t.fields]  # the builder's arguments
        attr, template = key.attribute, key.template
        what = f'index key {attr.name!r} ({template.text!r}) of {entity.name}'
        if open_ended and set(template.fields) - key_fields:
            raise Unmappable(
                f'{what}: a dict of values may change its fields, so the key could go stale'
            )
        touched = [f for f in template.fields if f in sources]
        if not touched:
            continue
        if not _NAME.fullmatch(attr.name):
            raise Unmappable(f'{what}: the name cannot be an expression placeholder')
        args = {f: sources.get(f) or _key_source(stub, f, key_fields) for f in needed}
        missing = [f for f, v in args.items() if v is None]
        if missing:
            raise Unmappable(
                f'{what} uses {touched}, which this update changes, and {missing}, '
                'which no parameter gives: only the stored item knows the new key'
            )
        optional = [f for f in template.fields if f in maybe_none]
        if optional and (optional != touched or len(optional) > 1):
            raise Unmappable(
                f'{what}: its fields {touched} are SET only when not None, '
                'so the key could be built from old and new values mixed'
            )
        from_var = var and all(v == f'{var}.{f}' for f, v in args.items())
        value = gsi_key(
            stub.dal,
            entity,
            key.part,
            key.index,
            args=None if from_var else args,
            var=var if from_var else None,
            position=None if key.of == 1 else key.position,
        )
        out.append(
            KeyUpdate(
                attribute=attr.name,
                value=value,
                # The one optional field None: neither it nor its key changes.
                when=f'{args[optional[0]]} is not None' if optional else None,
            )
        )
    return out


def _key_source(stub: Stub, field: str, key_fields: set[str]) -> str | None:
    """A primary-key field, bound the way the key itself is (it cannot change)."""
    if field not in key_fields:
        return None
    try:
        return bind_fields(stub, [field], set())[0]
    except Unmappable:
        return None


def changes_statements(
    changes: str,
    entity: Entity,
    var: str,
    scalars: dict[str, str],
) -> list[Statement]:
    """`changes = {field: value}` from an entity passed in: its non-key fields that are not
    None (None is not SET: it would be written as NULL, which the entity cannot read back and
    an index key rejects), then the values of scalar parameters."""
    key_fields = sorted({f for t in (entity.pk, entity.sk) if t for f in t.fields} | {'version'})
    dump = (
        f'{var}.model_dump(exclude_none=True, exclude={{{", ".join(map(literal, key_fields))}}})'
    )
    if scalars:
        dump += ' | {' + ', '.join(f'{literal(f)}: {v}' for f, v in scalars.items()) + '}'
    return statements(f'{changes} = {{v}}', v=dump)


def key_update_statements(changes: str, key_updates: list[KeyUpdate]) -> list[Statement]:
    body = []
    for u in key_updates:
        target = f'{changes}[{literal(u.attribute)}]'
        if u.when:
            body += statements(f'if {{c}}:\n    {target} = {{v}}', c=u.when, v=u.value)
        else:
            body += statements(f'{target} = {{v}}', v=u.value)
    return body


def set_clause(changes: str, names: list[str], values: list[str]) -> tuple[str, str, str]:
    """Sources of UpdateExpression, ExpressionAttributeNames and ExpressionAttributeValues
    that SET every entry of the run-time dict `changes` (plus the version bump); `names` and
    `values` are more `'key': source` entries."""
    expression = (
        f"'SET ' + ', '.join([f'#{{name}} = :{{name}}' for name in {changes}] "
        f'+ [{literal(VERSION_BUMP)}])'
    )
    names_src = (
        f"{{f'#{{name}}': name for name in {changes}}} | {{'#version': 'version'"
        + ''.join(', ' + n for n in names)
        + '}'
    )
    values_src = (
        f"{{f':{{name}}': value for name, value in {changes}.items()}} | {{':zero': 0, ':one': 1"
        + ''.join(', ' + v for v in values)
        + '}'
    )
    return expression, names_src, values_src
