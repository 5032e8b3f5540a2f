"""dal-bot verify, child side: record the DynamoDB requests each observed call makes.

Standalone (standard library; botocore is imported from the DAL's environment when the hooks
are installed). `bot.verify` copies this file next to the launcher as `dalbot_requests.py`; the
launcher calls `install(emit, current_call)` before it imports the DAL.

Every DynamoDB client created afterwards gets three botocore event handlers:
`before-parameter-build` (last, so the parameters are already typed AttributeValues) remembers
the request, `before-call` reads the items a write is about to replace, `after-call` (first, so the
response is still typed) writes one `request` line to the trace. What the response lacks for a
cost is read out of band through a client of our own (no handlers, so the DAL never sees it): the
items a filter or a projection dropped (the same request without them), the old item of a write,
the new item of an update. A single-item write that asks for nothing back is asked for that item
instead (`_ASKED`), which the response then loses again. The handlers return None and copy what
they keep: the DAL's code sees the same responses as without them. Sizes and capacity units are computed by the
parent (bot/verify/cost.py) from these lines.
"""

import base64
import copy
import re

_READS = ('GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems')
_WRITES = ('PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems')
# Request parameters that shrink or filter what comes back, but not what DynamoDB reads.
_NARROWING = (
    'FilterExpression',
    'ProjectionExpression',
    'Select',
    'AttributesToGet',
    'QueryFilter',
    'ScanFilter',
    'ConditionalOperator',
)
_PLACEHOLDER = re.compile(r'[#:][A-Za-z0-9_]+')

_state = {'emit': None, 'current': None, 'original': None, 'probes': {}, 'keys': {}}


def install(emit, current_call):
    """Hook every DynamoDB client created from now on. `current_call()` is the trace seq of the
    observed call running in this thread (None outside one): only its requests are recorded."""
    try:
        import botocore.session
    except ImportError:  # no botocore: the DAL cannot reach DynamoDB either
        return False
    _state.update(emit=emit, current=current_call)
    original = botocore.session.Session.create_client
    _state['original'] = original

    def create_client(self, *args, **kwargs):
        client = original(self, *args, **kwargs)
        if client.meta.service_model.service_name == 'dynamodb':
            _hook(client, self)
        return client

    create_client.__wrapped__ = original
    botocore.session.Session.create_client = create_client
    return True


def _hook(client, session):
    client = _Observed(client, session)
    events = client.meta.events
    events.register_last(
        'before-parameter-build.dynamodb', _remember, unique_id='dalbot-requests-params'
    )
    events.register(
        'before-call.dynamodb',
        lambda model, context, **_: _before_send(client, model, context),
        unique_id='dalbot-requests-before',
    )
    events.register_first(
        'after-call.dynamodb',
        lambda parsed, model, context, **_: _after_call(client, parsed, model, context),
        unique_id='dalbot-requests-after',
    )


# What a single-item write is asked to return when the DAL asks for nothing: the item the cost
# needs (the old one a put or delete replaces, the new one an update makes) comes back with the
# write instead of from a read of our own. `_after_call` takes it out of the response again.
_ASKED = {'PutItem': 'ALL_OLD', 'DeleteItem': 'ALL_OLD', 'UpdateItem': 'ALL_NEW'}


def _remember(params, model, context, **_):
    seq = _state['current']()
    if seq is None or model.name not in _READS + _WRITES:
        return None
    note = {'seq': seq, 'operation': model.name, 'params': copy.deepcopy(params)}
    if model.name in _ASKED and params.get('ReturnValues', 'NONE') == 'NONE':
        params['ReturnValues'] = note['asked'] = _ASKED[model.name]
        note['params']['ReturnValues'] = note['asked']  # the cost reads it as if the DAL had
    context['dalbot'] = note
    return None


def _before_send(client, model, context):
    note = context.get('dalbot')
    if note is None or model.name not in _WRITES:
        return None
    # A single-item write returning ALL_OLD hands us the old item itself (see _writes).
    returns_old = note['params'].get('ReturnValues') == 'ALL_OLD'
    try:
        note['targets'] = [
            dict(t, old=None if returns_old else _get(client, t['table'], t['key']))
            for t in _write_targets(client, note)
        ]
    except Exception as e:  # the cost is lost, never the DAL's call
        note['probe_error'] = f'{type(e).__name__}: {e}'
    return None


def _after_call(client, parsed, model, context):
    note = context.pop('dalbot', None)
    if note is None:
        return None
    operation = model.name
    record = {'event': 'request', 'seq': note['seq'], 'operation': operation}
    error = (parsed or {}).get('Error') or {}
    if error:
        record['error'] = error.get('Code') or 'error'
    try:
        if operation in _READS and not error:
            record['reads'] = _reads(client, operation, note['params'], parsed)
        elif operation in _WRITES:
            record['writes'] = _writes(client, operation, note, parsed, bool(error))
    except Exception as e:  # the cost is lost, never the DAL's call
        record['probe_error'] = f'{type(e).__name__}: {e}'
    if note.get('asked') and parsed:
        parsed.pop('Attributes', None)  # the DAL asked for nothing back: it gets nothing
    if note.get('probe_error'):
        record['probe_error'] = note['probe_error']
    _state['emit'](_jsonable(record))
    return None


# --- reads -------------------------------------------------------------------------------------


def _reads(client, operation, params, parsed):
    """One entry per group DynamoDB rounds together: a page (Query, Scan), an item (GetItem,
    TransactGetItems) or a table's items (BatchGetItem, rounded per item)."""
    if operation in ('Query', 'Scan'):
        narrowed = any(k in params for k in _NARROWING)
        items = parsed.get('Items', [])
        if narrowed:  # what the filter and projection dropped: the same page without them
            items = getattr(_probe(client), _snake(operation))(**_widened(params)).get('Items', [])
        return [
            {
                'table': params.get('TableName'),
                'index': params.get('IndexName'),
                'consistent': bool(params.get('ConsistentRead')),
                'items': items,
                'returned': parsed.get('Count', len(parsed.get('Items', []))),
                'filtered': any(
                    k in params for k in ('FilterExpression', 'QueryFilter', 'ScanFilter')
                ),
                'key_condition': params.get('KeyConditionExpression'),
                'key_attributes': sorted(params.get('KeyConditions', {})),
                'names': params.get('ExpressionAttributeNames', {}),
            }
        ]
    if operation == 'GetItem':
        item = parsed.get('Item')
        if item is not None and ('ProjectionExpression' in params or 'AttributesToGet' in params):
            item = _get(client, params['TableName'], params['Key'], params.get('ConsistentRead'))
        return [_read_by_key(params['TableName'], params.get('ConsistentRead'), [item])]
    if operation == 'BatchGetItem':
        out = []
        unprocessed = parsed.get('UnprocessedKeys', {})
        for table, request in params.get('RequestItems', {}).items():
            left = unprocessed.get(table, {}).get('Keys', [])
            keys = [k for k in request.get('Keys', []) if k not in left]
            items = parsed.get('Responses', {}).get(table, [])
            narrowed = 'ProjectionExpression' in request or 'AttributesToGet' in request
            if narrowed:
                found = [_get(client, table, k, request.get('ConsistentRead')) for k in keys]
            else:
                found = items + [None] * (len(keys) - len(items))
            out.append(_read_by_key(table, request.get('ConsistentRead'), found))
        return out
    out = []  # TransactGetItems
    responses = parsed.get('Responses', [])
    for i, entry in enumerate(params.get('TransactItems', [])):
        get = entry.get('Get', {})
        item = (responses[i] if i < len(responses) else {}).get('Item')
        if item is not None and 'ProjectionExpression' in get:
            item = _get(client, get['TableName'], get['Key'], True)
        out.append(_read_by_key(get.get('TableName'), True, [item]))
    return out


def _read_by_key(table, consistent, found):
    return {
        'table': table,
        'consistent': bool(consistent),
        'items': [i for i in found if i is not None],
        'keys': len(found),
        'returned': sum(1 for i in found if i is not None),
    }


def _widened(params):
    """The request without what narrows its result; placeholders left unused are dropped
    (DynamoDB rejects unused ones)."""
    out = {k: v for k, v in params.items() if k not in _NARROWING}
    used = set(_PLACEHOLDER.findall(out.get('KeyConditionExpression', '')))
    for field in ('ExpressionAttributeNames', 'ExpressionAttributeValues'):
        kept = {k: v for k, v in out.get(field, {}).items() if k in used}
        if kept:
            out[field] = kept
        else:
            out.pop(field, None)
    return out


def _snake(operation):
    return re.sub(r'(?<!^)([A-Z])', r'_\1', operation).lower()


# --- writes ------------------------------------------------------------------------------------


def _write_targets(client, note):
    """(table, key, kind, new item when the request carries it) for every item a write touches."""
    params, operation = note['params'], note['operation']
    if operation == 'PutItem':
        item = params['Item']
        return [
            _target(params['TableName'], _key_of(client, params['TableName'], item), 'put', item)
        ]
    if operation in ('UpdateItem', 'DeleteItem'):
        kind = 'update' if operation == 'UpdateItem' else 'delete'
        return [_target(params['TableName'], params['Key'], kind)]
    targets = []
    if operation == 'BatchWriteItem':
        for table, requests in params.get('RequestItems', {}).items():
            for request in requests:
                if 'PutRequest' in request:
                    item = request['PutRequest']['Item']
                    targets.append(_target(table, _key_of(client, table, item), 'put', item))
                elif 'DeleteRequest' in request:
                    targets.append(_target(table, request['DeleteRequest']['Key'], 'delete'))
        return targets
    for entry in params.get('TransactItems', []):  # TransactWriteItems
        for kind, action in entry.items():
            table = action.get('TableName')
            if kind == 'Put':
                item = action['Item']
                targets.append(_target(table, _key_of(client, table, item), 'put', item))
            elif kind in ('Update', 'Delete', 'ConditionCheck'):
                name = 'check' if kind == 'ConditionCheck' else kind.lower()
                targets.append(_target(table, action['Key'], name))
    return targets


def _target(table, key, kind, new=None):
    return {'table': table, 'key': key, 'kind': kind, 'new': new}


def _writes(client, operation, note, parsed, failed):
    targets = note.get('targets', [])
    if operation == 'BatchWriteItem':
        left = parsed.get('UnprocessedItems', {})
        targets = [t for t in targets if not _unprocessed(t, left.get(t['table'], []))]
    returns = note['params'].get('ReturnValues')
    out = []
    for t in targets:
        old, new = t['old'], t['new']
        if returns == 'ALL_OLD':  # unchanged when the write failed: read it now
            old = _get(client, t['table'], t['key']) if failed else parsed.get('Attributes')
        if failed:
            new = None
        elif t['kind'] == 'update':
            new = (
                parsed['Attributes']
                if returns == 'ALL_NEW'
                else _get(client, t['table'], t['key'])
            )
        elif t['kind'] == 'check':
            new = old
        out.append({'table': t['table'], 'kind': t['kind'], 'old': old, 'new': new})
    return out


def _unprocessed(target, requests):
    for request in requests:
        put = request.get('PutRequest', {}).get('Item')
        delete = request.get('DeleteRequest', {}).get('Key')
        if (put is not None and put == target['new']) or (
            delete is not None and delete == target['key']
        ):
            return True
    return False


# --- out-of-band reads -------------------------------------------------------------------------


class _Observed:
    """The DAL's client and the botocore session that made it (nothing is set on the client)."""

    def __init__(self, client, session):
        self.meta, self.session = client.meta, session


def _probe(client):
    """A client of our own on the same endpoint, made by the same session (its models already
    loaded) without our handlers: nothing it does is recorded or seen by the DAL."""
    where = (client.meta.endpoint_url, client.meta.region_name)
    if where not in _state['probes']:
        _state['probes'][where] = _state['original'](
            client.session, 'dynamodb', endpoint_url=where[0], region_name=where[1]
        )
    return _state['probes'][where]


def _get(client, table, key, consistent=True):
    response = _probe(client).get_item(TableName=table, Key=key, ConsistentRead=bool(consistent))
    return response.get('Item')


def _key_of(client, table, item):
    if table not in _state['keys']:
        schema = _probe(client).describe_table(TableName=table)['Table']['KeySchema']
        _state['keys'][table] = [k['AttributeName'] for k in schema]
    return {name: item[name] for name in _state['keys'][table] if name in item}


def _jsonable(value):
    """Typed AttributeValues as JSON: binary as base64 (as on the wire)."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode('ascii')
    return value
