"""What an access pattern costs, by DynamoDB's documented sizing rules. Pure functions.

Never read from the engine: moto's ConsumedCapacity is a constant. The input is the `request`
lines of the launcher's trace (bot/verify/_requests.py): per DynamoDB request, the items it read
(before any filter or projection), how many it returned, and for writes the old and new item.

The rules (Amazon DynamoDB Developer Guide: "DynamoDB item sizes and formats", "DynamoDB read
and write operations", "Global secondary indexes"):

- item size: the sum of its attribute names and values. A string is its UTF-8 bytes, a number
  about one byte per two significant digits plus one, binary its raw bytes, null and boolean one
  byte; a list or map 3 bytes plus its elements, each element one byte more; sets the sum of
  their members.
- reads: 4 KB units. GetItem rounds its item up; BatchGetItem rounds each item; Query and Scan
  sum the items read before the filter, per request (page), then round; a request that finds
  nothing still costs one unit. Eventually consistent reads (and every GSI read) cost half,
  transactional reads double.
- writes: 1 KB units of the larger of the old and the new item (a delete: the old one; at least
  one unit); BatchWriteItem rounds each item; transactional writes double. Each GSI whose entry
  the write creates, removes or changes costs its entry's units; a changed index key costs two
  (delete the old entry, put the new); an item without the index's key attributes is not in the
  index (sparse) and costs nothing there. An entry holds the table and index keys plus the
  projection (KEYS_ONLY, INCLUDE, ALL). Values compare as DynamoDB stores them: numbers by
  value (`15.0` written is `15` read back), sets unordered.
- a write whose condition fails still costs the units of the item it checked (at least one).

An index the engine refused to create (`Capabilities.gaps`: e.g. dynalite and multi-attribute
keys) is not in the table the writes went to: its units are not counted, and a pattern whose
writes would have cost something there is flagged (`WCU leave out ...`).
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bot.model import Index, Table

READ_UNIT = 4096  # bytes per read capacity unit (strongly consistent)
WRITE_UNIT = 1024  # bytes per write capacity unit

Item = Mapping[str, Mapping[str, Any]]  # typed AttributeValues: {'name': {'S': 'x'}}

_SINGLE_WRITES = ('PutItem', 'UpdateItem', 'DeleteItem')
_FILTERED_READS = ('Query', 'Scan')
_NAME_REF = re.compile(r'#\w+')
_BARE_NAME = re.compile(r'(?<![\w:#.])([A-Za-z_]\w*)\b(?!\s*\()')
_KEYWORDS = {'and', 'between', 'or', 'not'}


# --- sizes -------------------------------------------------------------------------------------


def _utf8(text: str) -> int:
    return len(text.encode('utf-8'))


def number_size(text: str) -> int:
    """Bytes of a number's value: 1 per two significant digits (leading and trailing zeroes
    trimmed) plus 1."""
    mantissa = text.strip().lstrip('+-').lower().split('e', 1)[0]
    digits = mantissa.replace('.', '').lstrip('0').rstrip('0')
    return math.ceil(len(digits) / 2) + 1


def _binary_size(value: str | bytes) -> int:
    if isinstance(value, bytes):
        return len(value)
    return len(base64.b64decode(value))  # the trace carries binary as base64, as on the wire


def value_size(value: Mapping[str, Any]) -> int:
    """Bytes of one typed AttributeValue, without its name."""
    (kind, data), *_ = value.items()
    if kind == 'S':
        return _utf8(data)
    if kind == 'N':
        return number_size(data)
    if kind == 'B':
        return _binary_size(data)
    if kind in ('BOOL', 'NULL'):
        return 1
    if kind == 'L':
        return 3 + sum(value_size(v) + 1 for v in data)
    if kind == 'M':
        return 3 + sum(_utf8(k) + value_size(v) + 1 for k, v in data.items())
    if kind == 'SS':
        return sum(_utf8(v) for v in data)
    if kind == 'NS':
        return sum(number_size(v) for v in data)
    if kind == 'BS':
        return sum(_binary_size(v) for v in data)
    raise ValueError(f'unknown AttributeValue type {kind!r}')


def item_size(item: Item | None) -> int:
    """Bytes of an item: the sum of its attribute names and values (0 for no item)."""
    if not item:
        return 0
    return sum(_utf8(name) + value_size(value) for name, value in item.items())


# --- units -------------------------------------------------------------------------------------


def read_units(size: int, *, consistent: bool, transactional: bool = False) -> float:
    """Read capacity units for `size` bytes read as one unit of rounding (at least one unit)."""
    units = max(1, math.ceil(size / READ_UNIT))
    if transactional:
        return units * 2.0
    return float(units) if consistent else units / 2


def write_units(size: int, *, transactional: bool = False) -> int:
    """Write capacity units for `size` bytes written (at least one unit)."""
    units = max(1, math.ceil(size / WRITE_UNIT))
    return units * 2 if transactional else units


# --- global secondary indexes ------------------------------------------------------------------


def _index_keys(index: Index) -> list[str]:
    return [k.name for k in (*index.partition_key, *index.sort_key)]


def index_entry(item: Item | None, table: Table, index: Index) -> dict[str, Any] | None:
    """The item's entry in the index, or None when the item lacks a key attribute (sparse)."""
    if not item or any(name not in item for name in _index_keys(index)):
        return None
    if index.projection == 'ALL':
        return dict(item)
    keep = {table.partition_key.name, *_index_keys(index)}
    if table.sort_key is not None:
        keep.add(table.sort_key.name)
    if index.projection == 'INCLUDE':
        keep.update(index.included_attributes)
    return {k: v for k, v in item.items() if k in keep}


def _value(value: Mapping[str, Any]) -> Any:
    """An AttributeValue as DynamoDB compares it: numbers by value (a `15.0` written is the `15`
    read back: DynamoDB, dynalite normalize, moto does not), sets unordered."""
    ((kind, data),) = value.items()
    if kind == 'N':
        return kind, Decimal(data)
    if kind == 'NS':
        return kind, frozenset(Decimal(v) for v in data)
    if kind in ('SS', 'BS'):
        return kind, frozenset(data)
    if kind == 'L':
        return kind, tuple(_value(v) for v in data)
    if kind == 'M':
        return kind, {k: _value(v) for k, v in data.items()}
    return kind, data


def _entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _value(value) for name, value in entry.items()}


def index_write_units(old: Item | None, new: Item | None, table: Table, index: Index) -> int:
    """What a write of the table costs in one GSI, from the item before and after it."""
    before, after = index_entry(old, table, index), index_entry(new, table, index)
    if before is None and after is None:
        return 0
    if before is None or after is None:
        return write_units(item_size(before or after))
    if any(_value(before[k]) != _value(after[k]) for k in _index_keys(index)):  # delete + put
        return write_units(item_size(before)) + write_units(item_size(after))
    if _entry(before) == _entry(after):
        return 0
    return write_units(max(item_size(before), item_size(after)))


# --- requests and patterns ---------------------------------------------------------------------


@dataclass
class Cost:
    rcu: float = 0.0
    wcu: float = 0.0
    items_read: int = 0
    items_returned: int = 0
    flags: list[str] = field(default_factory=list)


def _read_cost(operation: str, read: Mapping[str, Any]) -> float:
    items = read.get('items', [])
    consistent = bool(read.get('consistent'))
    if operation in _FILTERED_READS:
        return read_units(sum(item_size(i) for i in items), consistent=consistent)
    missing = max(0, int(read.get('keys', len(items))) - len(items))
    transactional = operation == 'TransactGetItems'
    per_item = [
        read_units(item_size(i), consistent=consistent, transactional=transactional) for i in items
    ]
    return sum(per_item) + missing * read_units(
        0, consistent=consistent, transactional=transactional
    )


def _present(table: Table, absent: Collection[str]) -> list[Index]:
    """The table's indexes but those the engine refused (`absent`: 'Table.Index')."""
    return [i for i in table.indexes if f'{table.name}.{i.name}' not in absent]


def _write_cost(
    operation: str,
    write: Mapping[str, Any],
    error: str | None,
    tables: Mapping[str, Table],
    absent: Collection[str],
) -> float:
    old, new, kind = write.get('old'), write.get('new'), write.get('kind')
    transactional = operation == 'TransactWriteItems'
    if error:
        if error == 'ConditionalCheckFailedException' and operation in _SINGLE_WRITES:
            return write_units(item_size(old))
        return 0
    if kind == 'check':
        return write_units(item_size(old), transactional=transactional)
    units = write_units(max(item_size(old), item_size(new)), transactional=transactional)
    table = tables.get(write.get('table', ''))
    if table is not None:
        units += sum(index_write_units(old, new, table, i) for i in _present(table, absent))
    return units


def _left_out(
    record: Mapping[str, Any], tables: Mapping[str, Table], absent: Collection[str]
) -> set[str]:
    """'Table.Index' of the absent indexes this request's writes would have cost units in."""
    if not absent or record.get('error'):
        return set()
    out = set()
    for write in record.get('writes', []):
        table = tables.get(write.get('table', ''))
        if table is None or write.get('kind') == 'check':
            continue
        for index in table.indexes:
            name = f'{table.name}.{index.name}'
            if name in absent and index_write_units(
                write.get('old'), write.get('new'), table, index
            ):
                out.add(name)
    return out


def request_cost(
    record: Mapping[str, Any], tables: Mapping[str, Table], absent: Collection[str] = ()
) -> Cost:
    """The cost of one traced DynamoDB request; `absent`: indexes ('Table.Index') the engine
    did not create, which cost nothing."""
    operation = record.get('operation', '')
    error = record.get('error')
    cost = Cost()
    for read in record.get('reads', []):
        cost.rcu += _read_cost(operation, read)
        cost.items_read += len(read.get('items', []))
        cost.items_returned += int(read.get('returned', 0))
    for write in record.get('writes', []):
        cost.wcu += _write_cost(operation, write, error, tables, absent)
    return cost


def key_condition_attributes(expression: str | None, names: Mapping[str, str]) -> set[str]:
    """The attribute names a key condition expression refers to (#placeholders resolved)."""
    if not expression:
        return set()
    found = {names.get(ref, ref) for ref in _NAME_REF.findall(expression)}
    bare = _BARE_NAME.findall(_NAME_REF.sub(' ', expression))
    found.update(word for word in bare if word.lower() not in _KEYWORDS)
    return found


def _sort_key_names(read: Mapping[str, Any], tables: Mapping[str, Table]) -> list[str]:
    table = tables.get(read.get('table') or '')
    if table is None:
        return []
    if read.get('index'):
        index = table.index(read['index'])
        return [k.name for k in index.sort_key] if index else []
    return [table.sort_key.name] if table.sort_key else []


def _reads_whole_collection(read: Mapping[str, Any], tables: Mapping[str, Table]) -> bool:
    """A Query with no condition on the sort key reads every item of the partition."""
    sort_keys = _sort_key_names(read, tables)
    if not sort_keys:
        return False
    used = key_condition_attributes(read.get('key_condition'), read.get('names') or {})
    used.update(read.get('key_attributes') or [])
    return not used.intersection(sort_keys)


def pattern_cost(
    records: Iterable[Mapping[str, Any]],
    tables: Iterable[Table],
    absent: Collection[str] = (),
) -> Cost:
    """The summed cost of the requests one pattern's calls made, with flags a reviewer needs.
    `absent`: indexes ('Table.Index') the engine refused to create: not counted, and flagged
    where a write would have cost units in them."""
    by_name = {t.name: t for t in tables}
    total = Cost()
    scans = filtered_read = filtered_returned = 0
    whole_collection = incomplete = False
    left_out: set[str] = set()
    for record in records:
        one = request_cost(record, by_name, absent)
        left_out |= _left_out(record, by_name, absent)
        total.rcu += one.rcu
        total.wcu += one.wcu
        total.items_read += one.items_read
        total.items_returned += one.items_returned
        operation = record.get('operation')
        scans += operation == 'Scan'
        incomplete = incomplete or bool(record.get('probe_error'))
        for read in record.get('reads', []):
            if operation in _FILTERED_READS and read.get('filtered'):
                filtered_read += len(read.get('items', []))
                filtered_returned += int(read.get('returned', 0))
            if operation == 'Query' and _reads_whole_collection(read, by_name):
                whole_collection = True
    if scans:
        total.flags.append('scan')
    if filtered_read > filtered_returned:
        total.flags.append(
            f'filter discards {filtered_read - filtered_returned} of {filtered_read} read'
        )
    if whole_collection:
        total.flags.append('reads whole item collection')
    if incomplete:
        total.flags.append('cost incomplete: an out-of-band read failed')
    if left_out:
        total.flags.append(
            f'WCU leave out {", ".join(sorted(left_out))}: the engine could not create '
            + ('that index' if len(left_out) == 1 else 'those indexes')
        )
    total.rcu = round(total.rcu, 2)
    total.wcu = round(total.wcu, 2)
    return total
