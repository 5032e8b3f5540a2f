"""TransactWrite across tables: Put / Update / Delete / ConditionCheck, all or nothing."""

from __future__ import annotations

import re

from bot.implement._context import (
    CLIENT_ERROR_IMPORT,
    Rendered,
    Stub,
    Unmappable,
    literal,
    statements,
)
from bot.implement.operations._items import item_statements
from bot.implement.operations._transact import entity_imports, entity_param, key_source, parts


def render(stub: Stub) -> Rendered:
    if not stub.pattern.transaction_items:
        raise Unmappable(
            'the transaction names no items (entities_involved) in access_pattern_mapping.json'
        )
    body = []
    entries = []
    used: set[str] = set()
    for item in stub.pattern.transaction_items:
        entity, table = parts(stub, item)
        target = f"'TableName': {literal(table.name)}"
        condition = f", 'ConditionExpression': {literal(item.condition)}" if item.condition else ''
        placeholders = _condition_params(stub, item.condition)
        condition_values = [f"':{n}': {n}" for n in placeholders]
        if condition_values and item.action != 'Update':
            condition += ", 'ExpressionAttributeValues': {" + ', '.join(condition_values) + '}'
        var = entity_param(stub, entity)
        if item.action == 'Put':
            if var is None:
                raise Unmappable(f'Put of {entity.name} needs a {entity.name} parameter')
            body += item_statements(stub, entity, var, f'{var}_item', table, in_repository=False)
            entries.append(f"{{'Put': {{{target}, 'Item': {var}_item{condition}}}}}")
        elif item.action == 'Update':
            key_fields = {f for t in (entity.pk, entity.sk) if t for f in t.fields}
            if var is not None:  # the entity passed in: all its non-key fields
                fields = [f.name for f in entity.fields if f.name not in key_fields]
                sources = {f: f'{var}.{f}' for f in fields}
            else:  # scalar parameters named after the entity's fields
                fields = [
                    p.name
                    for p in stub.business_params
                    if p.name not in key_fields and entity.field(p.name)
                ]
                sources = {f: f for f in fields}
            if not fields:
                raise Unmappable(f'Update of {entity.name}: no parameter gives a value to SET')
            sets = [f'#{f} = :{f}' for f in fields] + [
                '#version = if_not_exists(#version, :zero) + :one'
            ]
            names = ', '.join([f"'#{f}': '{f}'" for f in fields] + ["'#version': 'version'"])
            values = ', '.join(
                [f"':{f}': {sources[f]}" for f in fields] + ["':zero': 0", "':one': 1"]
            )
            entries.append(
                f"{{'Update': {{{target}, 'Key': {key_source(stub, entity, table, used)}, "
                f"'UpdateExpression': {literal('SET ' + ', '.join(sets))}, "
                f"'ExpressionAttributeNames': {{{names}}}, 'ExpressionAttributeValues': {{{values}}}{condition}}}}}"
            )
        elif item.action in ('Delete', 'ConditionCheck'):
            if item.action == 'ConditionCheck' and not item.condition:
                # A check that names no condition asks for the item to be there.
                condition = f", 'ConditionExpression': {literal(f'attribute_exists({table.partition_key.name})')}"
            key = key_source(stub, entity, table, used)
            entries.append(f"{{{literal(item.action)}: {{{target}, 'Key': {key}{condition}}}}}")
        else:
            raise Unmappable(f'{item.action} is not a TransactWrite action')
    body += statements('transact_items = {v}', v='[' + ', '.join(entries) + ']')
    what = f'TransactWrite {stub.method.name} failed'
    body += statements(
        """
try:
    self.client.transact_write_items(TransactItems=transact_items)
except ClientError as e:
    reasons = [r.get('Code', 'None') for r in e.response.get('CancellationReasons', [])]
    raise RuntimeError({message}) from e
""",
        message="f'" + what + ": {e} (cancellation reasons: {reasons})'",
    )
    if stub.returns_bool():
        body += statements('return True')
    elif stub.returns != 'None':
        raise Unmappable(f'TransactWrite returning {stub.method.returns!r}')
    return Rendered(body=body, imports={CLIENT_ERROR_IMPORT} | entity_imports(stub))


def _condition_params(stub: Stub, condition: str | None) -> list[str]:
    """`stock >= :quantity` needs `:quantity` from the parameter of that name."""
    names = sorted(set(re.findall(r':(\w+)', condition or '')))
    for name in names:
        if not stub.has_param(name):
            raise Unmappable(
                f'condition {condition!r} needs a value for :{name}, which no parameter gives'
            )
    return names
