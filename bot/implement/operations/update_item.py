"""UpdateItem: SET the values the method is given, bump the version, return the new item.

Values come from parameters named after fields of the entity, from an entity passed in
(its non-key fields that are not None), or from a dict of field -> value. GSI key attributes
built from a changed field are SET too, so the item moves in the index. Only SET, joined by
commas: no condition logic is invented beyond "the item must exist".
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
    statements,
    to_number,
)
from bot.implement.operations._items import (
    VERSION_BUMP,
    changes_statements,
    index_key_updates,
    key_update_statements,
    set_clause,
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

    scalars: dict[str, str] = {}  # field -> the parameter giving its value
    whole = None  # an entity passed in: its fields are the new values
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
            scalars[p.name] = p.name
        elif p.annotation and p.annotation.split('[')[0] in ('dict', 'Dict'):
            dict_param = p.name
        elif p.annotation and p.annotation.strip('\'"') == name and p.name not in used:
            whole = p.name
        elif p.name not in key_fields:
            ignored.append(p.name)
    if not scalars and dict_param is None and whole is None:
        found = stub.entity_params(name)
        if found and found[0].name in used:
            whole = found[0].name  # the entity gave the key; its other fields are the values
    # `updates: str, update_value`: the field is named at run time (bot.model's update_field).
    named = next((i.params for i in stub.pattern.inferences('update_field')), None)
    if not scalars and dict_param is None and whole is None and named is None:
        raise Unmappable(
            f'UpdateItem has no value to SET: parameters {ignored or "(none)"} match no field of {name}'
        )

    # What the update SETs, by field; an entity's optional fields may be None (not SET then).
    sources, maybe_none = dict(scalars), set()
    if whole:
        values = {f.name: f'{whole}.{f.name}' for f in entity.fields if f.name not in key_fields}
        sources = values | scalars
        maybe_none = {f.name for f in entity.fields if not f.required} - scalars.keys()
    key_updates = index_key_updates(
        stub,
        entity,
        stub.table,
        sources,
        maybe_none,
        whole,
        open_ended=dict_param is not None or named is not None,
    )
    if whole is None and dict_param is None and named is None:
        # Every value is a parameter: the expression is a constant.
        sets = list(scalars.items()) + [(u.attribute, u.value) for u in key_updates]
        assignments = [f'#{f} = :{f}' for f, _ in sets] + [VERSION_BUMP]
        names = {f'#{f}': literal(f) for f, _ in sets} | {
            '#version': literal('version'),
            '#pk': 'self.pkey_name',
        }
        values = [f'{literal(":" + f)}: {v}' for f, v in sets] + ["':zero': 0", "':one': 1"]
        out.body += statements(
            'update_expression = {v}', v=literal('SET ' + ', '.join(assignments))
        )
        out.body += statements(
            'names = {v}', v='{' + ', '.join(f'{literal(k)}: {v}' for k, v in names.items()) + '}'
        )
        out.body += statements('values = {v}', v='{' + ', '.join(values) + '}')
    else:
        # Fields known at run time: SET what is there (never None: see changes_statements).
        if whole:
            out.body += changes_statements('changes', entity, whole, scalars)
        else:
            out.body += statements(
                'changes = {v}',
                v='{' + ', '.join(f'{literal(f)}: {v}' for f, v in scalars.items()) + '}',
            )
        if named:
            out.body += _named_change(stub, 'changes', key_fields, *named, out)
        if dict_param:
            out.body += statements(
                """
for field_name, value in {d}.items():
    changes[field_name] = Decimal(str(value)) if isinstance(value, float) else value
""",
                d=dict_param,
            )
            out.imports |= NUMBER_IMPORTS
        out.body += key_update_statements('changes', key_updates)
        expression, names_src, values_src = set_clause('changes', ["'#pk': self.pkey_name"], [])
        out.body += statements('update_expression = {v}', v=expression)
        out.body += statements('names = {v}', v=names_src)
        out.body += statements('values = {v}', v=values_src)
    out.body += statements('key = {v}', v=key)
    # The item must exist: an update never creates a half item. Missing -> None when the
    # signature allows it, else an error naming the key.
    if stub.returns.endswith('|None'):
        missing = statements('return None')
    else:
        missing = statements(
            'raise RuntimeError({message} + str(key)) from e',
            message=literal(f'{name} not found: '),
        )
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
        {missing}
    raise RuntimeError({message}) from e
""",
        missing=missing,
        message=client_error(f'UpdateItem failed for {name}'),
    )
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


def _named_change(
    stub: Stub,
    changes: str,
    key_fields: set[str],
    field_param: str,
    value_param: str,
    out: Rendered,
) -> list:
    """`changes[<field named by field_param>] = value_param`, refusing a name that is not a
    field the update may SET (a key field cannot change, `version` is the bot's)."""
    entity = stub.entity
    settable = [f for f in entity.fields if f.name not in key_fields | {'version'}]
    names = ', '.join(f.name for f in settable)
    body = statements(
        """
if {p} not in {fields}:
    raise ValueError({message})
""",
        p=field_param,
        fields=literal(tuple(f.name for f in settable)),
        message='f'
        + repr(
            f'{field_param} must name a field of {entity.name} ({names}), got {{{field_param}!r}}'
        ),
    )
    numeric = [f.name for f in settable if f.numeric]
    value = next((p for p in stub.params if p.name == value_param), None)
    guard = to_number(value) if numeric and value is not None else []
    if guard:
        # A number field stored from a string or float would not read back as the entity's.
        out.imports |= NUMBER_IMPORTS
        body += statements(
            'if {p} in {fields}:\n    {guard}',
            p=field_param,
            fields=literal(tuple(numeric)),
            guard=guard,
        )
    return body + statements(f'{changes}[{{p}}] = {{v}}', p=field_param, v=value_param)
