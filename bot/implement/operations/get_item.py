"""GetItem through the base repository's `get`, honouring the pattern's consistent read."""

from __future__ import annotations

from bot.implement._context import Rendered, Stub, Unmappable, statements
from bot.implement.operations._keys import primary_key


def render(stub: Stub) -> Rendered:
    if stub.pattern.index_name:
        raise Unmappable(f'GetItem cannot read index {stub.pattern.index_name!r}')
    used: set[str] = set()
    body, _, has_sk = primary_key(stub, used)
    sk = 'sk' if has_sk else 'None'
    if stub.has_param('consistent_read'):
        consistent = 'consistent_read'
    else:
        consistent = 'True' if stub.pattern.consistent_read else 'False'
    get = f'self.get(pk, {sk}, consistent_read={consistent})'
    if stub.returns_bool():
        body += statements('return {v} is not None', v=get)
    elif stub.returns_entity() or stub.returns.endswith('|None'):
        body += statements('return {v}', v=get)
    else:
        raise Unmappable(f'GetItem returning {stub.method.returns!r}')
    return Rendered(body=body)
