"""A full item from an entity: its fields, its table keys and the GSI keys it fills."""

from __future__ import annotations

import libcst as cst

from bot.implement._context import Stub, gsi_builder, literal, statements
from bot.model import Entity, Table


def item_statements(
    stub: Stub, entity: Entity, var: str, item: str, table: Table, in_repository: bool
) -> list[cst.BaseStatement]:
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
    for index in table.indexes:
        keys = entity.keys_for(index.name)
        if keys is None:
            continue
        for part, attrs, templates in (
            ('pk', index.partition_key, keys.partition),
            ('sk', index.sort_key, keys.sort),
        ):
            builder = f'{var}.{gsi_builder(entity, part, index.name, lookup=False)}()'
            for i, attr in enumerate(attrs):
                if entity.field(attr.name) is not None or i >= len(templates):
                    continue  # a plain field: model_dump already wrote it
                value = builder if len(attrs) == 1 else f'{builder}[{i}]'
                body += statements(f'{item}[{literal(attr.name)}] = {{v}}', v=value)
    return body
