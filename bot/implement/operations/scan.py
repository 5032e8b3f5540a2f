"""Scan: the whole table (or a GSI), with the pattern's filter and pagination."""

from __future__ import annotations

from bot.implement._context import (
    CLIENT_ERROR_IMPORT,
    Rendered,
    Stub,
    Unmappable,
    literal,
    statements,
)
from bot.implement.operations._filters import filter_condition, filter_params, pattern_filter
from bot.implement.operations.query import consistent_read, read_pages


def render(stub: Stub) -> Rendered:
    out = Rendered(body=[], imports={CLIENT_ERROR_IMPORT})
    name = stub.entity_name
    flt = pattern_filter(stub)
    unused = [
        p.name
        for p in stub.business_params
        if p.name not in filter_params(flt) and p.default is None
    ]
    if unused:
        raise Unmappable(f'scan parameters {unused} are not used by any filter')
    params = []
    if stub.pattern.index_name:
        params.append(f"'IndexName': {literal(stub.pattern.index_name)}")
    if stub.has_param('limit'):
        params.append("'Limit': limit")
    params += consistent_read(stub)
    conditions = [c for c in (_own_items(stub), flt and filter_condition(stub, flt, out)) if c]
    if conditions:
        if len(conditions) == 2 and flt.logical_operator == 'OR':
            conditions[1] = f'({conditions[1]})'
        params.append(f"'FilterExpression': {' & '.join(conditions)}")
        out.imports.add(('boto3.dynamodb.conditions', 'Attr'))
    out.body += statements('scan_params = {v}', v='{' + ', '.join(params) + '}')
    if stub.has_param('exclusive_start_key'):
        out.body += statements(
            """
if exclusive_start_key:
    scan_params['ExclusiveStartKey'] = exclusive_start_key
"""
        )
    out.body += read_pages(
        stub, 'self.table.scan(**scan_params)', 'scan_params', f'Scan failed for {name}'
    )
    return out


def _own_items(stub: Stub) -> str | None:
    """In a table shared by several entities, a scan keeps only this entity's items, told
    apart by the constant part of their key (keys may be filtered in a Scan, not a Query)."""
    table, entity = stub.table, stub.entity
    if table is None or sum(e.table == table.name for e in stub.dal.entities) < 2:
        return None
    if entity.sk is not None and table.sort_key is not None:
        if not entity.sk.fields:
            return f'Attr(self.skey_name).eq({literal(entity.sk.text)})'
        if entity.sk.literal_prefix:
            return f'Attr(self.skey_name).begins_with({literal(entity.sk.literal_prefix)})'
    if entity.pk is not None and entity.pk.fields and entity.pk.literal_prefix:
        return f'Attr(self.pkey_name).begins_with({literal(entity.pk.literal_prefix)})'
    return None
