"""BatchWriteItem: every entity of the list put with its keys; boto3's batch_writer sends
25 per request and retries unprocessed items."""

from __future__ import annotations

from bot.implement._context import (
    CLIENT_ERROR_IMPORT,
    Rendered,
    Stub,
    Unmappable,
    client_error,
    statements,
)
from bot.implement.operations._items import item_statements


def render(stub: Stub) -> Rendered:
    name = stub.entity_name
    one = next((i.params[0] for i in stub.pattern.inferences('batch_one')), None)
    before = []
    if one is not None:
        # Typed as one entity (bot.model's batch_one): one of them, or any iterable of them.
        source = 'entities'
        before = statements(
            'entities = [{p}] if isinstance({p}, {e}) else list({p})', p=one, e=name
        )
    else:
        lists = stub.list_params()
        if len(lists) != 1 or len(stub.business_params) != 1:
            raise Unmappable('BatchWriteItem needs exactly one parameter: the list of entities')
        source = lists[0].name
        element = (lists[0].annotation or '').partition('[')[2].rstrip(']').strip('\'"')
        if element not in (name, 'str', 'Any', ''):
            raise Unmappable(f'BatchWriteItem over {lists[0].annotation!r}: not {name} entities')
    # The generator annotates some of these lists as list[str]; its usage example and its
    # hint both pass entities, and a string cannot be written as an item.
    # Each entity's item (keys and GSI keys included) is built inside the loop, before the put.
    put = item_statements(stub, stub.entity, 'entity', 'item', stub.table, in_repository=True)
    (guard,) = statements(
        """
try:
    with self.table.batch_writer() as batch:
        for entity in {source}:
            {put}
            batch.put_item(Item=item)
except ClientError as e:
    raise RuntimeError({message}) from e
""",
        source=source,
        put=put,
        message=client_error(f'BatchWriteItem failed for {name}'),
    )
    body = [*before, guard]
    if stub.returns_bool():
        body += statements('return True')
    elif stub.returns.startswith('list'):
        body += statements('return list({v})', v=source)
    elif stub.returns == 'int':
        body += statements('return len({v})', v=source)
    elif not stub.returns.endswith('|None') and stub.returns != 'None':
        raise Unmappable(f'BatchWriteItem returning {stub.method.returns!r}')
    return Rendered(body=body, imports={CLIENT_ERROR_IMPORT})
