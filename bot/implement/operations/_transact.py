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
    found = stub.entity_params(entity.name)
    return found[0].name if found else None


def key_source(stub: Stub, entity: Entity, table: Table, used: set[str]) -> str:
    """`{'pk': order.pk(), 'sk': order.sk()}` or built from scalar parameters."""
    has_sk = table.sort_key is not None and entity.sk is not None
    var = entity_param(stub, entity)
    if var:
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


def snake_entity(entity: Entity) -> str:
    return snake(entity.name)


def entity_imports(stub: Stub) -> set[tuple[str, str]]:
    """transaction_service.py imports only some entity classes; the code may need the others."""
    return {
        ('entities', i.entity) for i in stub.pattern.transaction_items if stub.dal.entity(i.entity)
    }
