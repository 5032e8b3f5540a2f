"""Fresh tables for a run, built from the model: keys, key types, GSIs and their projections."""

from __future__ import annotations

import time
from typing import Any

from bot.errors import BadInput, InfrastructureError
from bot.model import Dal, Index, KeyAttribute, Table
from bot.verify._engine import Capabilities, is_multi_attribute

_WAIT_SECONDS = 60.0
_POLL = 0.1


def _index_spec(index: Index) -> dict[str, Any]:
    keys = [{'AttributeName': k.name, 'KeyType': 'HASH'} for k in index.partition_key]
    keys += [{'AttributeName': k.name, 'KeyType': 'RANGE'} for k in index.sort_key]
    projection: dict[str, Any] = {'ProjectionType': index.projection}
    if index.projection == 'INCLUDE':
        if index.included_attributes:
            projection['NonKeyAttributes'] = list(index.included_attributes)
        else:
            projection = {'ProjectionType': 'KEYS_ONLY'}
    return {'IndexName': index.name, 'KeySchema': keys, 'Projection': projection}


def table_spec(table: Table) -> dict[str, Any]:
    """The `create_table` arguments for one table of the model (on-demand billing)."""
    attributes: dict[str, str] = {}

    def define(key: KeyAttribute) -> None:
        attributes.setdefault(key.name, key.type)

    define(table.partition_key)
    key_schema = [{'AttributeName': table.partition_key.name, 'KeyType': 'HASH'}]
    if table.sort_key is not None:
        define(table.sort_key)
        key_schema.append({'AttributeName': table.sort_key.name, 'KeyType': 'RANGE'})
    for index in table.indexes:
        for key in (*index.partition_key, *index.sort_key):
            define(key)
    spec: dict[str, Any] = {
        'TableName': table.name,
        'KeySchema': key_schema,
        'AttributeDefinitions': [
            {'AttributeName': name, 'AttributeType': type_} for name, type_ in attributes.items()
        ],
        'BillingMode': 'PAY_PER_REQUEST',
    }
    if table.indexes:
        spec['GlobalSecondaryIndexes'] = [_index_spec(i) for i in table.indexes]
    return spec


def tables_of(dal: Dal) -> list[Table]:
    """Every table the DAL uses: the model's, plus any a repository names that the model lacks
    (string keys from the repository's own key names)."""
    tables = list(dal.tables)
    known = {t.name for t in tables}
    for repo in dal.repositories:
        if repo.table_name in known:
            continue
        known.add(repo.table_name)
        sort = KeyAttribute(name=repo.skey_name) if repo.skey_name else None
        tables.append(
            Table(
                name=repo.table_name,
                partition_key=KeyAttribute(name=repo.pkey_name),
                sort_key=sort,
            )
        )
    if not tables:
        raise BadInput(dal.path, 'no DynamoDB table found in the model (schema.json or code)')
    return tables


def _existing(client) -> set[str]:
    names: set[str] = set()
    kwargs: dict[str, Any] = {}
    while True:
        page = client.list_tables(**kwargs)
        names.update(page.get('TableNames', []))
        if not page.get('LastEvaluatedTableName'):
            return names
        kwargs = {'ExclusiveStartTableName': page['LastEvaluatedTableName']}


def _wait(predicate, what: str) -> None:
    deadline = time.monotonic() + _WAIT_SECONDS
    while not predicate():
        if time.monotonic() > deadline:
            raise InfrastructureError(f'timed out after {_WAIT_SECONDS:.0f}s waiting for {what}')
        time.sleep(_POLL)


def _is_gone(client, name: str) -> bool:
    try:
        client.describe_table(TableName=name)
    except client.exceptions.ResourceNotFoundException:
        return True
    return False


def _is_active(client, name: str) -> bool:
    table = client.describe_table(TableName=name)['Table']
    indexes = table.get('GlobalSecondaryIndexes', [])
    return table['TableStatus'] == 'ACTIVE' and all(
        i.get('IndexStatus', 'ACTIVE') == 'ACTIVE' for i in indexes
    )


def drop_tables(client, names: list[str]) -> None:
    present = _existing(client)
    for name in names:
        if name in present:
            client.delete_table(TableName=name)
    for name in names:
        if name in present:
            _wait(lambda n=name: _is_gone(client, n), f'table {name} to be deleted')


def _create(client, table: Table, capabilities: Capabilities | None) -> None:
    """CreateTable; an engine that refuses multi-attribute GSI keys gets the table without those
    indexes (the gap is recorded), any other refusal stops the run."""
    try:
        client.create_table(**table_spec(table))
        return
    except Exception as e:
        refused = e
    multi = [i for i in table.indexes if is_multi_attribute(i)]
    if capabilities is not None and multi and _is_validation_error(refused):
        plain = table.model_copy(
            update={'indexes': tuple(i for i in table.indexes if not is_multi_attribute(i))}
        )
        try:
            client.create_table(**table_spec(plain))
        except Exception:
            pass  # not (only) the multi-attribute keys: report the first refusal
        else:
            capabilities.refused_indexes(table.name, multi, _engine_words(refused))
            return
    raise InfrastructureError(f'table creation refused for {table.name}: {refused}') from refused


def _is_validation_error(error: Exception) -> bool:
    code = getattr(error, 'response', {}).get('Error', {}).get('Code', '')
    return code == 'ValidationException'


def _engine_words(error: Exception) -> str:
    message = getattr(error, 'response', {}).get('Error', {}).get('Message', '') or str(error)
    return message[:500]


def create_tables(
    client, tables: list[Table], capabilities: Capabilities | None = None
) -> list[str]:
    """Drop the DAL's tables if they exist, create them afresh, wait until ACTIVE.

    With `capabilities`, what the engine refuses for lack of a feature is recorded there
    instead of failing the run."""
    names = [t.name for t in tables]
    drop_tables(client, names)
    for table in tables:
        _create(client, table, capabilities)
    for name in names:
        _wait(lambda n=name: _is_active(client, n), f'table {name} to become ACTIVE')
    return names
