"""BatchGetItem: many keys, 100 per request, unprocessed keys retried."""

from __future__ import annotations

from bot.implement._context import (
    CLIENT_ERROR_IMPORT,
    Rendered,
    Stub,
    Unmappable,
    client_error,
    statements,
)


def render(stub: Stub) -> Rendered:
    name = stub.entity_name
    entity = stub.entity
    lists = stub.list_params()
    if len(lists) != 1 or len(stub.business_params) != 1:
        raise Unmappable('BatchGetItem needs exactly one parameter: the list of keys')
    source = lists[0].name
    has_sk = stub.table.sort_key is not None and entity.sk is not None
    element_type = (lists[0].annotation or '').partition('[')[2].rstrip(']').strip('\'"')
    if element_type == name:
        pk, sk, loop = 'entity.pk()', 'entity.sk()', 'entity'
    elif element_type.startswith(('dict', 'Dict')):
        # Each key a dict of the key fields by name: {'player_id': ..., 'game_id': ...}.
        loop = 'key'
        pk_fields = entity.pk.fields
        sk_fields = entity.sk.fields if has_sk else []
        pk = f'{name}.build_pk_for_lookup({", ".join(f"key[{f!r}]" for f in pk_fields)})'
        sk = f'{name}.build_sk_for_lookup({", ".join(f"key[{f!r}]" for f in sk_fields)})'
    else:
        pk_fields = entity.pk.fields
        sk_fields = entity.sk.fields if has_sk else []
        fields = pk_fields + sk_fields
        if not fields:
            raise Unmappable(f'{name} keys have no fields to take from {source!r}')
        loop = fields[0] if len(fields) == 1 else ', '.join(fields)
        pk = f'{name}.build_pk_for_lookup({", ".join(pk_fields)})'
        sk = f'{name}.build_sk_for_lookup({", ".join(sk_fields)})'
    key = (
        f'{{self.pkey_name: {pk}, self.skey_name: {sk}}}'
        if has_sk
        else f'{{self.pkey_name: {pk}}}'
    )
    body = statements(f'keys = [{key} for {loop} in {{source}}]', source=source)
    body += statements(
        """
items = []
for start in range(0, len(keys), 100):
    request = {self.table.name: {'Keys': keys[start : start + 100]}}
    while request:
        try:
            response = self.dynamodb.batch_get_item(RequestItems=request)
        except ClientError as e:
            raise RuntimeError({message}) from e
        items.extend(response['Responses'].get(self.table.name, []))
        request = response.get('UnprocessedKeys')
""",
        message=client_error(f'BatchGetItem failed for {name}'),
    )
    if stub.returns_dicts():
        body += statements('return items')
    elif stub.returns.startswith('list'):
        body += statements('return [self.model_class(**item) for item in items]')
    else:
        raise Unmappable(f'BatchGetItem returning {stub.method.returns!r}')
    return Rendered(body=body, imports={CLIENT_ERROR_IMPORT})
