"""TransactWrite across tables: Put / Update / Delete / ConditionCheck, all or nothing."""

from __future__ import annotations

import re

from bot.implement._context import (
    CLIENT_ERROR_IMPORT,
    Rendered,
    Statement,
    Stub,
    Unmappable,
    literal,
    statements,
)
from bot.implement.operations._items import (
    VERSION_BUMP,
    changes_statements,
    index_key_updates,
    item_statements,
    key_update_statements,
    set_clause,
)
from bot.implement.operations._transact import entity_imports, entity_param, key_source, parts
from bot.model import Entity, Table, condition_names


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
        text = item.condition
        if item.action == 'ConditionCheck' and not text:
            # A check that names no condition asks for the item to be there.
            text = f'attribute_exists({table.partition_key.name})'
        text, attributes = condition_names(text) if text else (None, ())
        condition = f", 'ConditionExpression': {literal(text)}" if text else ''
        names = [f"'#{n}': {literal(n)}" for n in attributes]
        placeholders = _condition_params(stub, item.condition)
        if item.action != 'Update':  # an Update merges them into its own
            if names:
                condition += f", 'ExpressionAttributeNames': {{{', '.join(names)}}}"
            if placeholders:
                values = ', '.join(f"':{n}': {n}" for n in placeholders)
                condition += f", 'ExpressionAttributeValues': {{{values}}}"
        var = entity_param(stub, entity)
        if item.action == 'Put':
            if var is None:
                raise Unmappable(f'Put of {entity.name} needs a {entity.name} parameter')
            body += item_statements(stub, entity, var, f'{var}_item', table, in_repository=False)
            entries.append(f"{{'Put': {{{target}, 'Item': {var}_item{condition}}}}}")
        elif item.action == 'Update':
            update, statements_before = _update(stub, entity, table, var, placeholders, names)
            body += statements_before
            key = key_source(stub, entity, table, used)
            entries.append(f"{{'Update': {{{target}, 'Key': {key}, {update}{condition}}}}}")
        elif item.action in ('Delete', 'ConditionCheck'):
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


def _update(
    stub: Stub,
    entity: Entity,
    table: Table,
    var: str | None,
    placeholders: list[str],
    condition_attrs: list[str],
) -> tuple[str, list[Statement]]:
    """The Update's expression, names and values (source of dict entries), and the statements
    that must run before the transaction is built.

    Values as UpdateItem takes them: the entity passed in (its non-key fields that are not
    None) or parameters named after the entity's fields; GSI keys built from changed fields
    are rewritten; the condition's placeholders get their parameters, and the attributes it
    names (`'#count': 'count'`) join the SET's names.
    """
    key_fields = {f for t in (entity.pk, entity.sk) if t for f in t.fields}
    if var is not None:
        sources = {f.name: f'{var}.{f.name}' for f in entity.fields if f.name not in key_fields}
        maybe_none = {f.name for f in entity.fields if not f.required}
    else:
        sources = {
            p.name: p.name
            for p in stub.business_params
            if p.name not in key_fields and entity.field(p.name)
        }
        maybe_none = set()
    if not sources:
        raise Unmappable(f'Update of {entity.name}: no parameter gives a value to SET')
    key_updates = index_key_updates(stub, entity, table, sources, maybe_none, var)
    sets = sources | {u.attribute: u.value for u in key_updates}
    # `stock >= :stock` with SET stock = :stock is one value; anything else would make the
    # condition test the new value.
    clash = [n for n in placeholders if sets.get(n, n) != n]
    if clash:
        raise Unmappable(
            f'Update of {entity.name}: :{clash[0]} is both a SET value and in the condition'
        )
    condition_values = [f"':{n}': {n}" for n in placeholders if n not in sets]
    if var is None:
        assignments = [f'#{f} = :{f}' for f in sets] + [VERSION_BUMP]
        own = [f"'#{f}': '{f}'" for f in sets] + ["'#version': 'version'"]
        names = ', '.join(own + [n for n in condition_attrs if n not in own])
        values = [f"':{f}': {v}" for f, v in sets.items()] + ["':zero': 0", "':one': 1"]
        expression = literal('SET ' + ', '.join(assignments))
        names_src = '{' + names + '}'
        values_src = '{' + ', '.join(values + condition_values) + '}'
        before = []
    else:
        changes = f'{var}_changes'
        before = changes_statements(changes, entity, var, {})
        before += key_update_statements(changes, key_updates)
        expression, names_src, values_src = set_clause(
            changes, [n for n in condition_attrs if n != "'#version': 'version'"], condition_values
        )
    update = (
        f"'UpdateExpression': {expression}, 'ExpressionAttributeNames': {names_src}, "
        f"'ExpressionAttributeValues': {values_src}"
    )
    return update, before


def _condition_params(stub: Stub, condition: str | None) -> list[str]:
    """`stock >= :quantity` needs `:quantity` from the parameter of that name."""
    names = sorted(set(re.findall(r':(\w+)', condition or '')))
    for name in names:
        if not stub.has_param(name):
            raise Unmappable(
                f'condition {condition!r} needs a value for :{name}, which no parameter gives'
            )
    return names
