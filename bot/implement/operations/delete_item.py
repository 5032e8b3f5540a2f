"""DeleteItem by key; reports whether an item was there (or returns the deleted entity)."""

from __future__ import annotations

from bot.implement._context import (
    CLIENT_ERROR_IMPORT,
    Rendered,
    Stub,
    Unmappable,
    statements,
    wrapped_call,
)
from bot.implement.operations._keys import primary_key


def render(stub: Stub) -> Rendered:
    name = stub.entity_name
    body, key, _ = primary_key(stub, set())
    call = f"self.table.delete_item(Key={key}, ReturnValues='ALL_OLD')"
    body += wrapped_call('response', call, f'DeleteItem failed for {name}')
    if stub.returns_bool():
        body += statements("return 'Attributes' in response")
    elif stub.returns_entity() or stub.returns.endswith('|None'):
        body += statements(
            "old = response.get('Attributes')\nreturn self.model_class(**old) if old else None"
        )
    elif stub.returns != 'None':
        raise Unmappable(f'DeleteItem returning {stub.method.returns!r}')
    return Rendered(body=body, imports={CLIENT_ERROR_IMPORT})
