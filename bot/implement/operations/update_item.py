"""UpdateItem: SET the values the method is given, bump the version, return the new item.

Values come from parameters named after fields of the entity, from an entity passed in
(all its non-key fields), or from a dict of field -> value. Only SET, joined by commas:
no condition logic is invented beyond "the item must exist".
"""

from __future__ import annotations

from bot.implement._context import (
    CLIENT_ERROR_IMPORT,
    NUMBER_IMPORTS,
    Rendered,
    Stub,
    Unmappable,
    client_error,
    literal,
    nest,
    statements,
    to_number,
)
from bot.implement.operations._keys import primary_key


def render(stub: Stub) -> Rendered:
    out = Rendered(body=[], imports={CLIENT_ERROR_IMPORT})
    entity = stub.entity
    name = stub.entity_name
    used: set[str] = set()
    key_body, key, _ = primary_key(stub, used)
    out.body += key_body
    key_fields = {f for t in (entity.pk, entity.sk) if t for f in t.fields}

    sets: list[tuple[str, str]] = []  # (field, value source)
    dict_param = None
    ignored = []
    for p in stub.business_params:
        field = entity.field(p.name)
        if p.name in used and field is None:
            continue
        if field is not None and p.name not in key_fields:
            if field.numeric:
                guard = to_number(p)
                if guard:
                    out.body += guard
                    out.imports |= NUMBER_IMPORTS
            sets.append((p.name, p.name))
        elif p.annotation and p.annotation.split('[')[0] in ('dict', 'Dict'):
            dict_param = p.name
        elif p.annotation and p.annotation.strip('\'"') == name and p.name not in used:
            sets += [
                (f.name, f'{p.name}.{f.name}') for f in entity.fields if f.name not in key_fields
            ]
        elif p.name not in key_fields:
            ignored.append(p.name)
    if not sets and dict_param is None:
        whole = stub.entity_params(name)
        if whole and whole[0].name in used:
            # The entity gave the key; its other fields are the new values.
            sets = [
                (f.name, f'{whole[0].name}.{f.name}')
                for f in entity.fields
                if f.name not in key_fields
            ]
    if not sets and dict_param is None:
        raise Unmappable(
            f'UpdateItem has no value to SET: parameters {ignored or "(none)"} match no field of {name}'
        )

    assignments = [f'#{f} = :{f}' for f, _ in sets] + [
        '#version = if_not_exists(#version, :zero) + :one'
    ]
    names = {f'#{f}': f for f, _ in sets} | {'#version': 'version', '#pk': '__PKEY__'}
    names_src = (
        '{'
        + ', '.join(
            f'{literal(k)}: {"self.pkey_name" if v == "__PKEY__" else literal(v)}'
            for k, v in names.items()
        )
        + '}'
    )
    values_src = (
        '{'
        + ', '.join([f'{literal(":" + f)}: {v}' for f, v in sets] + ["':zero': 0", "':one': 1"])
        + '}'
    )
    out.body += statements('update_expression = {v}', v=literal('SET ' + ', '.join(assignments)))
    out.body += statements('names = {v}', v=names_src)
    out.body += statements('values = {v}', v=values_src)
    if dict_param:
        out.body += statements(
            """
for field_name, value in {d}.items():
    update_expression += ', #' + field_name + ' = :' + field_name
    names['#' + field_name] = field_name
    values[':' + field_name] = Decimal(str(value)) if isinstance(value, float) else value
""",
            d=dict_param,
        )
        out.imports |= NUMBER_IMPORTS
    out.body += statements('key = {v}', v=key)
    (call,) = statements(
        """
try:
    response = self.table.update_item(
        Key=key,
        UpdateExpression=update_expression,
        ConditionExpression='attribute_exists(#pk)',
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
        ReturnValues='ALL_NEW',
    )
except ClientError as e:
    if e.response['Error']['Code'] == 'ConditionalCheckFailedException':
        return None
    raise RuntimeError({message}) from e
""",
        message=client_error(f'UpdateItem failed for {name}'),
    )
    # The item must exist: an update never creates a half item. Missing -> None when the
    # signature allows it (as written above), else an error naming the key.
    if not stub.returns.endswith('|None'):
        handler = call.handlers[0]
        missing = statements(
            'raise RuntimeError({message} + str(key)) from e',
            message=literal(f'{name} not found: '),
        )
        check = nest(handler.body.body[0], missing)
        call = call.with_changes(handlers=[nest(handler, [check, *handler.body.body[1:]])])
    out.body.append(call)
    if stub.returns_bool():
        out.body += statements('return True')
    elif stub.returns_entity() or stub.returns.endswith('|None'):
        out.body += statements("return self.model_class(**response['Attributes'])")
    elif stub.returns.startswith('dict'):
        out.body += statements("return response['Attributes']")
    elif stub.returns != 'None':
        raise Unmappable(f'UpdateItem returning {stub.method.returns!r}')
    return out
