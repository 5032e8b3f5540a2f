"""Query: main table or GSI, any range condition, filter, pagination, entity or dict results."""

from __future__ import annotations

from bot.implement._context import (
    CLIENT_ERROR_IMPORT,
    Rendered,
    Stub,
    Unmappable,
    bind_fields,
    literal,
    statements,
    wrapped_call,
)
from bot.implement.operations._filters import filter_condition, filter_params, pattern_filter
from bot.implement.operations._keys import (
    SortCondition,
    index_partition,
    raw_key,
    sort_condition,
)
from bot.model import Signature


def render(stub: Stub) -> Rendered:
    out = Rendered(body=[], imports={CLIENT_ERROR_IMPORT, ('boto3.dynamodb.conditions', 'Key')})
    entity = stub.entity
    name = stub.entity_name
    table = stub.table
    if table is None:
        raise Unmappable(f'no table known for {stub.method.owner}')
    flt = pattern_filter(stub)
    used: set[str] = set(filter_params(flt))
    index_name = stub.pattern.index_name

    if index_name:
        index = table.index(index_name)
        partition, bound = index_partition(stub, index_name, used, out)
        keys = entity.keys_for(index_name)
        sort_attrs = index.sort_key
        sort_templates = keys.sort if keys else ()
        attr_source = [literal(a.name) for a in sort_attrs]
    else:
        raw = stub.pattern.raw_keys
        if 'partition' in raw:
            bound = []
            out.body += raw_key('pk', raw['partition'], used)
        elif entity.pk is None:
            raise Unmappable(f'entities.py has no partition key builder for {name}')
        else:
            bound = entity.pk.fields
            args = bind_fields(stub, bound, used)
            out.body += statements('pk = {v}', v=f'{name}.build_pk_for_lookup({", ".join(args)})')
        partition = 'Key(self.pkey_name).eq(pk)'
        sort_attrs = (table.sort_key,) if table.sort_key else ()
        # A raw sort-key value is compared as given: no template prefix.
        sort_templates = (entity.sk,) if entity.sk and 'sort' not in raw else ()
        attr_source = ['self.skey_name']

    rest = [p.name for p in stub.business_params if p.name not in used and p.name not in bound]
    rest = [
        p for p in rest if not stub.method.parameter(p).default or stub.pattern.range_condition
    ]
    entity_args = {p.name for p in stub.entity_params()}
    rest = [p for p in rest if p not in entity_args]
    raw_sort = stub.pattern.raw_keys.get('sort') if not index_name else None
    if raw_sort and stub.pattern.range_condition is None and rest == [raw_sort]:
        sort = SortCondition(f'Key(self.skey_name).eq({raw_sort})')
    else:
        sort = sort_condition(stub, sort_attrs, sort_templates, rest, attr_source, out)
    condition = f'{partition} & {sort.expr}' if sort.expr else partition

    params = [f"'KeyConditionExpression': {condition}"]
    if index_name:
        params.insert(0, f"'IndexName': {literal(index_name)}")
    if stub.has_param('limit'):
        params.append("'Limit': limit")
    params += consistent_read(stub)
    if stub.pattern.range_condition in ('<', '<=') and not stub.returns.startswith(
        ('list', 'tuple')
    ):
        # One item from an upper-bounded range: the one nearest the bound ("latest before").
        params.append("'ScanIndexForward': False")
    if flt is not None:
        params.append(f"'FilterExpression': {filter_condition(stub, flt, out)}")
    out.body += statements('query_params = {v}', v='{' + ', '.join(params) + '}')
    if stub.has_param('exclusive_start_key'):
        out.body += statements(
            """
if exclusive_start_key:
    query_params['ExclusiveStartKey'] = exclusive_start_key
"""
        )
    where = f' on {index_name}' if index_name else ''
    drop = []
    if len(sort.excluded) == 1:
        drop = statements(
            "response['Items'] = [i for i in response['Items'] if i[{attr}] != {value}]",
            attr=sort.attr,
            value=sort.excluded[0],
        )
    elif sort.excluded:
        drop = statements(
            "response['Items'] = [i for i in response['Items'] if i[{attr}] not in {values}]",
            attr=sort.attr,
            values=f'({", ".join(sort.excluded)})',
        )
    if drop:
        drop[0] = '# between() includes its ends; drop those the range excludes\n' + drop[0]
    out.body += read_pages(
        stub,
        'self.table.query(**query_params)',
        'query_params',
        f'Query{where} failed for {name}',
        drop,
    )
    return out


def read_pages(stub: Stub, call: str, params: str, what: str, drop: list | None = None) -> list:
    """Call, then return what the signature promises: the page (the caller pages on with
    `exclusive_start_key`), or, for a list or a single item, every page until done.
    `drop` runs on each response before it is parsed."""
    drop = drop or []
    parse = _parse(stub)
    single = not stub.returns.startswith('list') and (
        stub.returns_entity() or stub.returns.endswith('|None')
    )
    if not (stub.returns_page() or stub.returns.startswith('list') or single):
        raise Unmappable(f'a {what.split()[0]} returning {stub.method.returns!r}')
    if stub.returns_page() or stub.has_param('exclusive_start_key'):
        body = wrapped_call('response', call, what) + drop
        if stub.returns_page():
            return body + statements('return {v}', v=parse)
        done = 'return items[0] if items else None' if single else 'return items'
        return body + statements('items, _ = {v}', v=parse) + statements(done)
    (loop,) = statements(
        f"""
while True:
    {{call}}
    page, last_key = {{parse}}
    items.extend(page)
    if {'items or ' if single else ''}last_key is None:
        break
    {{params}}['ExclusiveStartKey'] = last_key
""",
        call=[*wrapped_call('response', call, what), *drop],
        parse=parse,
        params=params,
    )
    done = 'return items[0] if items else None' if single else 'return items'
    return [*statements('items = []'), loop, *statements(done)]


def _parse(stub: Stub) -> str:
    """`(items, last_key)` from a response through the base repository's parser when this
    DAL has it (`_parse_query_response_raw` is not in every generation), else built inline."""
    dicts = stub.returns_dicts()
    name = '_parse_query_response_raw' if dicts else '_parse_query_response'
    parser = stub.dal.member(stub.method.owner, name)
    skip = 'skip_invalid_items' if stub.has_param('skip_invalid_items') else 'True'
    if isinstance(parser, Signature):
        if not dicts and parser.refusal(2, []) is None:
            return f'self.{name}(response, {skip})'
        if parser.refusal(1, []) is None:
            return f'self.{name}(response)'
    if dicts:
        return "response.get('Items', []), response.get('LastEvaluatedKey')"
    if not stub.dal.member(stub.method.owner, 'model_class'):
        raise Unmappable(f'{stub.method.owner} has neither {name} nor model_class')
    return (
        "[self.model_class(**item) for item in response.get('Items', [])], "
        "response.get('LastEvaluatedKey')"
    )


def consistent_read(stub: Stub) -> list[str]:
    """`'ConsistentRead': True` when the pattern asks for a strongly consistent read (or the
    method takes `consistent_read`); a GSI cannot give one, and DynamoDB rejects the request."""
    if stub.has_param('consistent_read'):
        value = 'consistent_read'
    elif stub.pattern.consistent_read:
        value = 'True'
    else:
        return []
    if stub.pattern.index_name:
        raise Unmappable(
            f'a strongly consistent read of GSI {stub.pattern.index_name!r}: '
            'DynamoDB reads global secondary indexes eventually consistent only'
        )
    return [f"'ConsistentRead': {value}"]
