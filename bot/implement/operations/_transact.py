"""Keys of the items a cross-table transaction touches."""

from __future__ import annotations

from bot.implement._context import Stub, Unmappable, bind_fields, literal
from bot.model import Entity, Table, TransactionItem
from bot.model._types import snake


def parts(stub: Stub, item: TransactionItem) -> tuple[Entity, Table]:
    entity, table = stub.dal.entity(item.entity), stub.dal.table(item.table)
    if entity is None or table is None:
        raise Unmappable(
            f'transaction item {item.action} {item.entity} on {item.table}: unknown entity or table'
        )
    return entity, table


def entity_param(stub: Stub, entity: Entity) -> str | None:
    found = [p.name for p in stub.entity_params(entity.name)]
    if len(found) > 1:
        raise Unmappable(
            f'parameters {found} are all {entity.name}: which item each one is cannot be told'
        )
    return found[0] if found else None


def key_source(stub: Stub, entity: Entity, table: Table, used: set[str]) -> str:
    """`{'pk': order.pk(), 'sk': order.sk()}` or built from scalar parameters.

    For the items that address a stored item (Update, Delete, ConditionCheck, Get). An entity
    parameter is the key of one item at most: when a Put writes it, another item of that
    entity is a different item (one transaction may not touch an item twice), keyed by scalars.
    """
    if entity.pk is None:
        raise Unmappable(f'entities.py has no partition key builder for {entity.name}')
    has_sk = table.sort_key is not None and entity.sk is not None
    same = [i for i in stub.pattern.transaction_items if i.entity == entity.name]
    keyed = [i for i in same if i.action != 'Put']
    var = entity_param(stub, entity)
    if len(keyed) > 1:
        raise Unmappable(
            f'{len(keyed)} items address existing {entity.name} items '
            f'({", ".join(i.action for i in keyed)}): which parameters key which item cannot be told'
        )
    if var and len(same) > 1:
        if keyed[0].action == 'Update':
            raise Unmappable(
                f'Update of {entity.name} beside a Put of {var}: its SET values would come '
                f'from {var}, the item the Put writes'
            )
        what = f"{keyed[0].action} of {entity.name} ({var} is the Put's)"
        pk = f'{entity.name}.build_pk_for_lookup({", ".join(_bind_own(stub, entity.pk.fields, used, what))})'
        sk = (
            f'{entity.name}.build_sk_for_lookup({", ".join(_bind_own(stub, entity.sk.fields, used, what))})'
            if has_sk
            else ''
        )
    elif var:
        used.add(var)
        pk, sk = f'{var}.pk()', f'{var}.sk()'
    else:
        pk = f'{entity.name}.build_pk_for_lookup({", ".join(bind_fields(stub, entity.pk.fields, used))})'
        sk = (
            f'{entity.name}.build_sk_for_lookup({", ".join(bind_fields(stub, entity.sk.fields, used))})'
            if has_sk
            else ''
        )
    key = f'{literal(table.partition_key.name)}: {pk}'
    if has_sk:
        key += f', {literal(table.sort_key.name)}: {sk}'
    return '{' + key + '}'


def _bind_own(stub: Stub, fields: list[str], used: set[str], what: str) -> list[str]:
    """Key fields of an item that is not the entity passed in: the parameter of that name,
    else the one scalar parameter named `<qualifier>_<field>` (`old_key_id` for `key_id`)."""
    entity_args = {p.name for p in stub.entity_params()}
    out = []
    for f in fields:
        if stub.has_param(f):
            found = [f]
        else:
            found = [
                p.name
                for p in stub.business_params
                if p.name.endswith('_' + f) and p.name != '_' + f and p.name not in entity_args
            ]
        if len(found) != 1:
            raise Unmappable(
                f'key field {f!r} of the {what}: '
                + (f'parameters {found} could each give it' if found else 'no parameter gives it')
            )
        used.add(found[0])
        out.append(found[0])
    return out


def snake_entity(entity: Entity) -> str:
    return snake(entity.name)


def entity_imports(stub: Stub) -> set[tuple[str, str]]:
    """transaction_service.py imports only some entity classes; the code may need the others."""
    return {
        ('entities', i.entity) for i in stub.pattern.transaction_items if stub.dal.entity(i.entity)
    }
