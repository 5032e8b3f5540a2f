"""The sizing rules of bot/verify/cost.py against the worked examples of the AWS documentation.

Amazon DynamoDB Developer Guide: "DynamoDB item sizes and formats" (attribute sizes),
"DynamoDB read and write operations" (capacity units per operation, with the examples quoted
below) and "Global secondary indexes" (what a table write costs in an index).
"""

from __future__ import annotations

import base64

import pytest

from bot.model import Index, KeyAttribute, Table
from bot.verify.cost import (
    index_write_units,
    item_size,
    key_condition_attributes,
    number_size,
    pattern_cost,
    read_units,
    request_cost,
    write_units,
)

KB = 1024


def sized(size: int, **attributes) -> dict:
    """An item of exactly `size` bytes: its `attributes` plus a string `d` filling the rest."""
    item = {name: {'S': value} for name, value in attributes.items()}
    filler = size - item_size(item) - 1  # the name 'd' is one byte
    assert filler >= 0
    return {**item, 'd': {'S': 'x' * filler}}


# --- item sizes ---------------------------------------------------------------------------------


def test_string_is_name_plus_utf8_bytes():
    assert item_size({'name': {'S': 'abc'}}) == 4 + 3
    assert item_size({'näme': {'S': 'é'}}) == 5 + 2  # UTF-8 bytes, not characters


@pytest.mark.parametrize(
    ('number', 'size'),
    [
        ('7', 2),  # 1 significant digit: 1 byte + 1
        ('12', 2),
        ('123', 3),  # 3 digits: 2 bytes + 1
        ('100', 2),  # trailing zeroes trimmed: one significant digit
        ('0.00100', 2),  # leading and trailing zeroes trimmed
        ('-12.50', 3),  # sign and point are not digits: 125
        ('12345678901234567890123456789012345678', 20),  # 38 digits, the most DynamoDB keeps
    ],
)
def test_number_is_one_byte_per_two_significant_digits_plus_one(number, size):
    assert number_size(number) == size
    assert item_size({'n': {'N': number}}) == 1 + size


def test_binary_counts_raw_bytes_not_base64():
    raw = bytes(range(10))
    assert item_size({'b': {'B': base64.b64encode(raw).decode()}}) == 1 + 10
    assert item_size({'b': {'B': raw}}) == 1 + 10


def test_null_and_boolean_are_one_byte():
    assert item_size({'flag': {'BOOL': True}}) == 4 + 1
    assert item_size({'gone': {'NULL': True}}) == 4 + 1


def test_list_and_map_have_3_bytes_overhead_and_1_per_element():
    assert item_size({'l': {'L': []}}) == 1 + 3
    assert item_size({'m': {'M': {}}}) == 1 + 3
    # two elements of 1 and 2 bytes, each one byte more
    assert item_size({'l': {'L': [{'S': 'a'}, {'N': '12'}]}}) == 1 + 3 + (1 + 1) + (2 + 1)
    # a map element is its name, its value and one byte
    assert item_size({'m': {'M': {'k': {'S': 'v'}}}}) == 1 + 3 + (1 + 1 + 1)


def test_sets_are_the_sum_of_their_members():
    assert item_size({'s': {'SS': ['ab', 'c']}}) == 1 + 3
    assert item_size({'s': {'NS': ['1', '123']}}) == 1 + 2 + 3


# --- reads ----------------------------------------------------------------------------------------


def test_reads_round_up_to_4kb():
    # "reading a 3,500-byte item consumes the same throughput as reading a 4 KB item"
    assert read_units(3500, consistent=True) == read_units(4 * KB, consistent=True) == 1


def test_8kb_item_strong_eventual_transactional():
    # "if your item size is 8 KB, you require 2 read units to sustain one strongly consistent
    # read, 1 read unit if you choose eventually consistent reads, or 4 read units for a
    # transactional read request"
    assert read_units(8 * KB, consistent=True) == 2
    assert read_units(8 * KB, consistent=False) == 1
    assert read_units(8 * KB, consistent=True, transactional=True) == 4


def test_getitem_rounds_its_item():
    # "if you read an item that is 3.5 KB, DynamoDB rounds the item size to 4 KB. If you read an
    # item of 10 KB, DynamoDB rounds the item size to 12 KB."
    def get(size, consistent):
        read = {'items': [sized(size)], 'keys': 1, 'returned': 1, 'consistent': consistent}
        return request_cost({'operation': 'GetItem', 'reads': [read]}, {}).rcu

    assert get(int(3.5 * KB), True) == 1
    assert get(10 * KB, True) == 3
    assert get(10 * KB, False) == 1.5  # eventually consistent (the default): half


def test_a_read_that_finds_nothing_still_costs_one_unit():
    read = {'items': [], 'keys': 1, 'returned': 0, 'consistent': False}
    assert request_cost({'operation': 'GetItem', 'reads': [read]}, {}).rcu == 0.5


def test_batchgetitem_rounds_each_item():
    # "if BatchGetItem reads a 1.5 KB item and a 6.5 KB item, DynamoDB calculates the size as
    # 12 KB (4 KB + 8 KB). DynamoDB does not calculate the size as 8 KB (1.5 KB + 6.5 KB)."
    items = [sized(int(1.5 * KB)), sized(int(6.5 * KB))]
    read = {'items': items, 'keys': 2, 'returned': 2, 'consistent': True}
    cost = request_cost({'operation': 'BatchGetItem', 'reads': [read]}, {})
    assert cost.rcu == 3 and cost.items_read == 2


def test_query_sums_the_items_then_rounds():
    # "suppose your query returns 10 items whose combined size is 40.8 KB. DynamoDB rounds the
    # item size for the operation to 44 KB. If a query returns 1500 items of 64 bytes each, the
    # cumulative size is 96 KB."
    ten = [sized(4178) for _ in range(10)]  # 41,780 bytes = 40.8 KB
    page = {'items': ten, 'returned': 10, 'consistent': True}
    assert request_cost({'operation': 'Query', 'reads': [page]}, {}).rcu == 11  # 44 KB / 4 KB
    many = [sized(64) for _ in range(1500)]
    page = {'items': many, 'returned': 1500, 'consistent': True}
    assert request_cost({'operation': 'Query', 'reads': [page]}, {}).rcu == 24  # 96 KB / 4 KB
    page['consistent'] = False
    assert request_cost({'operation': 'Query', 'reads': [page]}, {}).rcu == 12


def test_query_pays_for_what_the_filter_discards():
    # "A filter expression is applied after a Query finishes ... a Query consumes the same
    # amount of read capacity, regardless of whether a filter expression is present."
    read = [sized(3 * KB) for _ in range(4)]
    page = {'items': read, 'returned': 1, 'consistent': True, 'filtered': True}
    cost = pattern_cost([{'operation': 'Query', 'reads': [page]}], [])
    assert cost.rcu == 3 and cost.items_read == 4 and cost.items_returned == 1
    assert cost.flags == ['filter discards 3 of 4 read']


def test_pages_are_rounded_one_by_one():
    pages = [{'items': [sized(100)], 'returned': 1, 'consistent': True} for _ in range(3)]
    assert pattern_cost([{'operation': 'Scan', 'reads': [p]} for p in pages], []).rcu == 3


def test_transactgetitems_doubles_each_item():
    reads = [
        {'items': [sized(5 * KB)], 'keys': 1, 'returned': 1, 'consistent': True},
        {'items': [sized(100)], 'keys': 1, 'returned': 1, 'consistent': True},
    ]
    assert request_cost({'operation': 'TransactGetItems', 'reads': reads}, {}).rcu == 4 + 2


# --- writes ---------------------------------------------------------------------------------------


def test_writes_round_up_to_1kb():
    # "writing a 500-byte item consumes the same throughput as writing a 1 KB item"
    assert write_units(500) == write_units(KB) == 1
    # "if your item size is 2 KB, you require 2 write units to sustain one write request or 4
    # write units for a transactional write request"
    assert write_units(2 * KB) == 2 and write_units(2 * KB, transactional=True) == 4


def test_put_and_update_pay_for_the_larger_of_old_and_new():
    old, new = sized(3 * KB), sized(500)
    write = {'table': 'T', 'kind': 'put', 'old': old, 'new': new}
    assert request_cost({'operation': 'PutItem', 'writes': [write]}, {}).wcu == 3
    write = {'table': 'T', 'kind': 'update', 'old': new, 'new': old}
    assert request_cost({'operation': 'UpdateItem', 'writes': [write]}, {}).wcu == 3


def test_delete_pays_for_the_deleted_item_and_one_unit_when_none():
    write = {'table': 'T', 'kind': 'delete', 'old': sized(1500), 'new': None}
    assert request_cost({'operation': 'DeleteItem', 'writes': [write]}, {}).wcu == 2
    write = {'table': 'T', 'kind': 'delete', 'old': None, 'new': None}
    assert request_cost({'operation': 'DeleteItem', 'writes': [write]}, {}).wcu == 1


def test_batchwriteitem_rounds_each_item():
    # "if BatchWriteItem writes a 500-byte item and a 3.5 KB item, DynamoDB calculates the size
    # as 5 KB (1 KB + 4 KB), not 4 KB (500 bytes + 3.5 KB)"
    writes = [
        {'table': 'T', 'kind': 'put', 'old': None, 'new': sized(500)},
        {'table': 'T', 'kind': 'put', 'old': None, 'new': sized(int(3.5 * KB))},
    ]
    assert request_cost({'operation': 'BatchWriteItem', 'writes': writes}, {}).wcu == 5


def test_transactwriteitems_doubles_and_a_condition_check_costs_its_item():
    writes = [
        {'table': 'T', 'kind': 'put', 'old': None, 'new': sized(2 * KB)},
        {'table': 'T', 'kind': 'check', 'old': sized(100), 'new': sized(100)},
    ]
    assert request_cost({'operation': 'TransactWriteItems', 'writes': writes}, {}).wcu == 4 + 2


def test_a_failed_condition_still_costs_the_checked_item():
    write = {'table': 'T', 'kind': 'put', 'old': sized(1500), 'new': None}
    record = {
        'operation': 'PutItem',
        'writes': [write],
        'error': 'ConditionalCheckFailedException',
    }
    assert request_cost(record, {}).wcu == 2
    record['error'] = 'ValidationException'  # refused before anything was written
    assert request_cost(record, {}).wcu == 0


# --- global secondary indexes -------------------------------------------------------------------

TABLE = Table(
    name='T',
    partition_key=KeyAttribute(name='pk'),
    sort_key=KeyAttribute(name='sk'),
    indexes=(
        Index(name='ByStatus', partition_key=(KeyAttribute(name='status'),), projection='ALL'),
        Index(
            name='ByOwner',
            partition_key=(KeyAttribute(name='owner'),),
            projection='KEYS_ONLY',
        ),
        Index(
            name='ByTag',
            partition_key=(KeyAttribute(name='tag'),),
            projection='INCLUDE',
            included_attributes=('title',),
        ),
    ),
)
BY_STATUS, BY_OWNER, BY_TAG = TABLE.indexes


def item(**attributes) -> dict:
    return {'pk': {'S': 'P'}, 'sk': {'S': 'S'}} | {k: {'S': v} for k, v in attributes.items()}


def test_a_new_item_with_the_index_key_is_one_index_write():
    # "If you write a new table item that defines an indexed attribute ... one write operation
    # is required to put the item into the index."
    assert index_write_units(None, item(status='open'), TABLE, BY_STATUS) == 1


def test_changing_an_index_key_is_two_index_writes():
    # "If an update to the table changes the value of an indexed key attribute (from A to B),
    # two writes are required, one to delete the previous item from the index and another write
    # to put the new item into the index."
    assert index_write_units(item(status='A'), item(status='B'), TABLE, BY_STATUS) == 2


def test_removing_the_index_key_is_one_index_write():
    # "If an item was present in the index, but a write to the table caused the indexed
    # attribute to be deleted, one write is required to delete the old item projection"
    assert index_write_units(item(status='A'), item(), TABLE, BY_STATUS) == 1


def test_an_item_never_in_the_index_costs_nothing_there():
    # "If an item is not present in the index before or after the item is updated, there is no
    # additional write cost for the index." (a sparse index)
    assert index_write_units(item(title='x'), item(title='y'), TABLE, BY_STATUS) == 0


def test_only_a_projected_attribute_changing_is_one_index_write():
    # "If an update to the table only changes the value of projected attributes in the index
    # key schema, but does not change the value of any indexed key attribute, one write is
    # required to update the values of the projected attributes into the index."
    old, new = item(tag='t', title='a'), item(tag='t', title='b')
    assert index_write_units(old, new, TABLE, BY_TAG) == 1
    # an attribute the index does not project: its entry is unchanged, nothing to write
    old, new = item(owner='o', title='a'), item(owner='o', title='b')
    assert index_write_units(old, new, TABLE, BY_OWNER) == 0


def test_numbers_and_sets_compare_by_value_as_dynamodb_stores_them():
    # The item read back holds `15` where the write sent `15.0` (DynamoDB and dynalite
    # normalize numbers, moto keeps the text): the same key, the same entry.
    by_rank = Table(
        name='R',
        partition_key=KeyAttribute(name='pk'),
        indexes=(
            Index(
                name='ByRank',
                partition_key=(KeyAttribute(name='kind'),),
                sort_key=(KeyAttribute(name='rank', type='N'),),
                projection='ALL',
            ),
        ),
    )
    (rank,) = by_rank.indexes

    def entry(number: str, tags: list[str]) -> dict:
        return {
            'pk': {'S': 'P'},
            'kind': {'S': 'k'},
            'rank': {'N': number},
            'tags': {'SS': tags},
            'meta': {'M': {'w': {'N': number}}},
        }

    assert (
        index_write_units(entry('15', ['a', 'b']), entry('15.0', ['b', 'a']), by_rank, rank) == 0
    )
    assert index_write_units(entry('15', ['a']), entry('15.0', ['a', 'c']), by_rank, rank) == 1
    assert index_write_units(entry('15', ['a']), entry('15.5', ['a']), by_rank, rank) == 2


def test_the_index_entry_size_follows_the_projection():
    big = 'x' * (3 * KB)
    # KEYS_ONLY: the entry is the keys, small whatever the item holds
    assert index_write_units(None, item(owner='o', body=big), TABLE, BY_OWNER) == 1
    # ALL: the whole item
    assert index_write_units(None, item(status='s', body=big), TABLE, BY_STATUS) == 4


def test_a_write_pays_for_the_table_and_every_index_it_touches():
    new = item(status='open', owner='o')  # in ByStatus and ByOwner, not in ByTag
    write = {'table': 'T', 'kind': 'put', 'old': None, 'new': new}
    assert request_cost({'operation': 'PutItem', 'writes': [write]}, {'T': TABLE}).wcu == 1 + 2


def test_an_index_the_engine_did_not_create_costs_nothing_and_is_flagged():
    # dynalite refuses multi-attribute keys and gets the table without that index: the writes
    # went to a table without it, so its units are left out, and the pattern says so.
    put = {
        'operation': 'PutItem',
        'writes': [{'table': 'T', 'kind': 'put', 'old': None, 'new': item(status='s', owner='o')}],
    }
    assert request_cost(put, {'T': TABLE}, absent={'T.ByStatus'}).wcu == 1 + 1  # ByOwner only
    cost = pattern_cost([put], [TABLE], absent={'T.ByStatus', 'T.ByTag'})
    assert cost.wcu == 2
    # ByTag is absent too, but this item is not in it: only ByStatus cost anything here.
    assert cost.flags == ['WCU leave out T.ByStatus: the engine could not create that index']
    assert pattern_cost([put], [TABLE]).wcu == 3 and pattern_cost([put], [TABLE]).flags == []
    sparse = {
        'operation': 'PutItem',
        'writes': [{'table': 'T', 'kind': 'put', 'old': None, 'new': item(title='t')}],
    }
    assert pattern_cost([sparse], [TABLE], absent={'T.ByStatus'}).flags == []


# --- flags ----------------------------------------------------------------------------------------


def test_key_condition_attributes_resolve_placeholders():
    names = {'#n0': 'pk', '#n1': 'sk'}
    assert key_condition_attributes('(#n0 = :v0 AND begins_with(#n1, :v1))', names) == {'pk', 'sk'}
    assert key_condition_attributes('pk = :p AND sk BETWEEN :a AND :b', {}) == {'pk', 'sk'}
    assert key_condition_attributes('#n0 = :v0', names) == {'pk'}


def test_flags_name_scans_and_whole_item_collections():
    scan = {'operation': 'Scan', 'reads': [{'table': 'T', 'items': [item()], 'returned': 1}]}
    whole = {
        'operation': 'Query',
        'reads': [
            {
                'table': 'T',
                'items': [item(), item()],
                'returned': 2,
                'key_condition': '#n0 = :v0',
                'names': {'#n0': 'pk'},
            }
        ],
    }
    narrow = {
        'operation': 'Query',
        'reads': [
            {
                'table': 'T',
                'items': [item()],
                'returned': 1,
                'key_condition': '#n0 = :v0 AND begins_with(#n1, :v1)',
                'names': {'#n0': 'pk', '#n1': 'sk'},
            }
        ],
    }
    index_without_sort_key = {
        'operation': 'Query',
        'reads': [
            {
                'table': 'T',
                'index': 'ByStatus',
                'items': [],
                'returned': 0,
                'key_condition': '#n0 = :v0',
                'names': {'#n0': 'status'},
            }
        ],
    }
    assert pattern_cost([scan], [TABLE]).flags == ['scan']
    assert pattern_cost([whole], [TABLE]).flags == ['reads whole item collection']
    assert pattern_cost([narrow], [TABLE]).flags == []
    assert pattern_cost([index_without_sort_key], [TABLE]).flags == []
