"""GetItem through the base repository's `get`, honouring the pattern's consistent read.

The generations differ: 2.1.x has `get(pk, sk=None, consistent_read=False)`, the pre-release
one `get(pk, sk=None)`. A strongly consistent read the DAL's `get` cannot ask for goes to
the table directly, and the item becomes the entity as `get` would make it.
"""

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
from bot.model import Signature


def render(stub: Stub) -> Rendered:
    if stub.pattern.index_name:
        raise Unmappable(f'GetItem cannot read index {stub.pattern.index_name!r}')
    out = Rendered(body=[])
    body, key, has_sk = primary_key(stub, set())
    out.body += body
    if stub.has_param('consistent_read'):
        consistent = 'consistent_read'
    else:
        consistent = 'True' if stub.pattern.consistent_read else 'False'
    get = stub.dal.member(stub.method.owner, 'get')
    takes_consistent = isinstance(get, Signature) and get.refusal(2, ['consistent_read']) is None
    takes_key = isinstance(get, Signature) and get.refusal(2, []) is None
    sk = 'sk' if has_sk else 'None'
    if takes_consistent:
        value = f'self.get(pk, {sk}, consistent_read={consistent})'
        exists = f'{value} is not None'
    elif takes_key and consistent == 'False':
        value = f'self.get(pk, {sk})'
        exists = f'{value} is not None'
    else:
        out.imports.add(CLIENT_ERROR_IMPORT)
        call = f'self.table.get_item(Key={key}, ConsistentRead={consistent})'
        out.body += wrapped_call('response', call, f'GetItem failed for {stub.entity_name}')
        value = f"{_entity_class(stub)}(**response['Item']) if 'Item' in response else None"
        exists = "'Item' in response"
    if stub.returns_bool():
        out.body += statements('return {v}', v=exists)
    elif stub.returns_entity() or stub.returns.endswith('|None'):
        out.body += statements('return {v}', v=value)
    else:
        raise Unmappable(f'GetItem returning {stub.method.returns!r}')
    return out


def _entity_class(stub: Stub) -> str:
    """`self.model_class` where the repository has it (every generation so far), else the
    entity's own class."""
    return (
        'self.model_class'
        if stub.dal.member(stub.method.owner, 'model_class')
        else stub.entity_name
    )
