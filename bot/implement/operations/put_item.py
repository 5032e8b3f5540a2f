"""PutItem: an unconditional upsert of the entity passed in, with every key it needs."""

from __future__ import annotations

from bot.implement._context import (
    CLIENT_ERROR_IMPORT,
    Rendered,
    Stub,
    Unmappable,
    statements,
    wrapped_call,
)
from bot.implement.operations._items import item_statements


def render(stub: Stub) -> Rendered:
    name = stub.entity_name
    candidates = stub.entity_params(name)
    if not candidates:
        raise Unmappable(f'PutItem needs a parameter of type {name} to write')
    var = candidates[0].name
    body = item_statements(stub, stub.entity, var, 'item', stub.table, in_repository=True)
    body += wrapped_call('', 'self.table.put_item(Item=item)', f'PutItem failed for {name}')
    body += write_result(stub, var, 'PutItem')
    return Rendered(body=body, imports={CLIENT_ERROR_IMPORT})


def write_result(stub: Stub, var: str | None, operation: str) -> list:
    """What a write returns: the entity, True, or nothing, as the signature promises."""
    if stub.returns_bool():
        return statements('return True')
    if var and (stub.returns_entity() or stub.returns.endswith('|None')):
        return statements('return {v}', v=var)
    if stub.returns == 'None':
        return []
    raise Unmappable(f'{operation} returning {stub.method.returns!r}')
