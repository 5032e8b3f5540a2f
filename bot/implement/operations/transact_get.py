"""TransactGet across tables: one consistent read of several items."""

from __future__ import annotations

from bot.implement._context import (
    CLIENT_ERROR_IMPORT,
    Rendered,
    Stub,
    Unmappable,
    client_error,
    literal,
    statements,
)
from bot.implement.operations._transact import entity_imports, key_source, parts, snake_entity


def render(stub: Stub) -> Rendered:
    items = stub.pattern.transaction_items
    if not items:
        raise Unmappable(
            'the transaction names no items (entities_involved) in access_pattern_mapping.json'
        )
    used: set[str] = set()
    gets, names, classes = [], [], []
    for item in items:
        if item.action != 'Get':
            raise Unmappable(f'{item.action} is not a TransactGet action')
        entity, table = parts(stub, item)
        gets.append(
            f"{{'Get': {{'TableName': {literal(table.name)}, 'Key': {key_source(stub, entity, table, used)}}}}}"
        )
        names.append(literal(snake_entity(entity)))
        classes.append(entity.name)
    if not stub.returns.startswith('dict'):
        raise Unmappable(f'TransactGet returning {stub.method.returns!r}')
    body = statements('transact_items = {v}', v='[' + ', '.join(gets) + ']')
    body += statements(
        """
try:
    response = self.client.transact_get_items(TransactItems=transact_items)
except ClientError as e:
    raise RuntimeError({message}) from e
result = {}
for name, entity_class, found in zip({names}, {classes}, response['Responses']):
    if found.get('Item'):
        result[name] = entity_class(**found['Item'])
return result
""",
        message=client_error(f'TransactGet {stub.method.name} failed'),
        names='(' + ', '.join(names) + ',)',
        classes='(' + ', '.join(classes) + ',)',
    )
    return Rendered(body=body, imports={CLIENT_ERROR_IMPORT} | entity_imports(stub))
