"""The set check of range queries: seed items around a bound, call the method, compare.

After usage_examples.py has run (its tables still up), for every Query with a range condition
(and every Query or Scan whose filter is joined by AND, on its first comparison of a number or
string field):
take the script's item of the pattern's entity from the table; seed copies of it whose range
field sits at, just below and just above the bound (`bot.ranges.probe_values`), with the other
key fields made unique and every key attribute (table and GSIs) rebuilt from the templates; call
the method with the bound in the script's own process once the script has ended (the launcher
runs `_probe.py` there: same sandbox, same clean environment, the DAL already imported); and
compare the seeded items that came back with those the condition selects on the field values
(`bot.ranges.selects`: from the model, not from the generated body). The seeds go with the
tables verify drops. A pattern the probe cannot set up (no script item, no unique key for
the seeds, a bound that names a key prefix, an argument it cannot build) is left to the
ordinary verdict.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from bot.implement.usage import _sample_constructors as sample_constructors
from bot.implement.usage.values import ArgumentValues, sample_values
from bot.model import PAGINATION, AccessPattern, Dal, Entity, KeyTemplate, Table
from bot.pysource import Source
from bot.ranges import names_a_prefix, probe_values, selects, step
from bot.verify._models import PatternResult
from bot.verify._spawn import SCRIPT

_SEED_TAG = 'dalbot'


@dataclass
class Probe:
    """One range pattern, set up: the bound, the seeds and what the condition selects."""

    pattern: AccessPattern
    table: Table
    field: str
    condition: str  # the range condition, or the filter comparison's operator
    bounds: tuple[object, ...]
    args: dict[str, str]  # parameter -> source evaluated against the script's item
    bound_params: list[str]
    item: dict  # the script's item (fields and key attributes)
    single: bool  # the method returns one item: the first in key order
    templates: dict[str, KeyTemplate]  # key attribute -> the entity's template for it
    fixed: set[str]  # fields that keep the script's value (the queried partition, equalities)
    seeds: dict[tuple, object] = field(default_factory=dict)  # main key -> field value
    to_write: list[dict] = field(default_factory=list)  # seeds, serialized
    written: list[dict] = field(default_factory=list)  # their keys

    def plan(self) -> dict:
        return {
            'id': self.pattern.id,
            'owner': self.pattern.owner,
            'method': self.pattern.method,
            'table': self.table.name,
            'entity': self.pattern.entity,
            'paged': True,
            'item': _encode(self.item),
            'args': self.args,
            'bounds': self.bound_params,
            'values': _encode(list(self.bounds)),
        }


@dataclass
class Mismatch:
    missing: list[str]
    extra: list[str]
    message: str


class RangeCheck:
    """The set check of one DAL's run: `plan` once the script has ended (its tables still
    up: seeds written, the plan for the script's process returned), `mismatches` from what
    that process wrote. The seeds go with the tables verify drops."""

    def __init__(self, dal: Dal, client):
        self.dal, self.client = dal, client
        self.ranged = [
            p
            for p in dal.patterns
            if p.operation in ('Query', 'Scan')
            and (p.filter or p.operation == 'Query' and p.range_condition)
        ]
        self.probes: list[Probe] = []

    def plan(self) -> str:
        """Seed the tables; the probe plan (JSON), '' when nothing can be probed."""
        dal = self.dal
        tables = {t.name for p in self.ranged if (t := _table_of(dal, p)) is not None}
        items = {name: _scan(self.client, name) for name in sorted(tables)}
        source = (Path(dal.path) / SCRIPT).read_text(encoding='utf-8', errors='replace')
        samples = sample_constructors(Source(source))
        probes = [p for pattern in self.ranged if (p := _set_up(dal, pattern, items, samples))]
        for probe in probes:
            _seed(probe, items[probe.table.name])
        self.probes = [p for p in probes if p.seeds]
        puts = [
            (p.table.name, k, {'PutRequest': {'Item': i}})
            for p in self.probes
            for i, k in zip(p.to_write, p.written, strict=True)
        ]
        _batch(self.client, puts)
        return json.dumps({'probes': [p.plan() for p in self.probes]}) if self.probes else ''

    def mismatches(self, result: str | None) -> dict[int, Mismatch]:
        """The patterns whose method returned the wrong set, by id (none without a result:
        the probe timed out or was not run, the ordinary verdict stands)."""
        try:
            results = json.loads(result) if result else {}
        except ValueError:
            return {}
        out = {}
        for probe in self.probes:
            got = results.get(str(probe.pattern.id), {})
            if 'items' in got:
                mismatch = _compare(probe, got['items'])
                if mismatch is not None:
                    out[probe.pattern.id] = mismatch
        return out


def apply(patterns: list[PatternResult], mismatches: dict[int, Mismatch]) -> None:
    """A pattern whose probe got the wrong set is `wrong`, with what was missed and what came
    back that the condition excludes: also when the script's own call found nothing (a bound
    that drops the script's item is the same defect)."""
    for p in patterns:
        m = mismatches.get(p.id)
        if m is not None and p.status in ('ok', 'empty'):
            p.status, p.missing, p.extra, p.message = 'wrong', m.missing, m.extra, m.message


def _table_of(dal: Dal, pattern: AccessPattern) -> Table | None:
    entity = dal.entity(pattern.entity)
    return dal.table(entity.table) if entity else None


def _sample_item(entity: Entity, samples: dict[str, str]) -> dict | None:
    """The entity the script's CRUD section creates, from its literal fields."""
    fields = sample_values(samples, entity.name)
    if any(f.required and f.name not in fields for f in entity.fields):
        return None
    return {
        k: Decimal(str(v)) if isinstance(v, int | float) and not isinstance(v, bool) else v
        for k, v in fields.items()
    }


def _set_up(
    dal: Dal, pattern: AccessPattern, items: dict[str, list[dict]], samples: dict[str, str]
) -> Probe | None:
    """The probe of one range Query, or None when it cannot be set up."""
    entity, table = dal.entity(pattern.entity), _table_of(dal, pattern)
    method = dal.method(pattern.owner, pattern.method)
    if pattern.is_stub or entity is None or table is None or method is None:
        return None  # a stub is `empty` anyway
    returns = (method.returns or '').replace(' ', '')
    if not returns:
        return None  # one item or many: nothing says
    values = ArgumentValues(dal, pattern, method)
    checked = _checked(pattern, entity, values)
    if checked is None:
        return None
    condition, bound_params, range_field = checked
    # The script's item: still in the table, or (deleted by a later pattern) its sample.
    item = next((i for i in items[table.name] if _is_item_of(entity, table, i)), None)
    item = item or _sample_item(entity, samples)
    if item is None or item.get(range_field) is None:
        return None
    args = {}
    kinds = ('positional', 'keyword')
    for p in method.parameters:
        if p.name in bound_params or p.name in PAGINATION or p.kind not in kinds:
            continue
        source = values.for_param(p.name)
        if source is None and p.default is None:
            return None
        if source is not None:
            args[p.name] = source
    value = item[range_field]
    if condition == 'between':
        above = step(value, +1)
        bounds = (value, value if above is None else above)
    else:
        bounds = (value,)
    if pattern.index_name:
        keys = entity.keys_for(pattern.index_name)
        partition, sort = (keys.partition, keys.sort) if keys else ((), ())
    elif pattern.operation == 'Query':
        partition, sort = (entity.pk,), (entity.sk,) if entity.sk else ()
    else:
        partition, sort = (), ()  # a Scan reads them all
    fixed = {f for t in partition for f in t.fields}
    # Key fields the method takes by name (a sort key matched by equality) keep theirs too.
    fixed |= {p.name for p in method.parameters} - {range_field}
    if range_field in fixed:
        return None  # moving it would move the seeds out of the partition read
    # Fields the pattern's filter reads keep their value, so that the seeds pass it too.
    fixed |= {c.field for c in (pattern.filter.conditions if pattern.filter else ())}
    for t in sort if pattern.range_condition else ():
        if t.fields and t.fields[0] == range_field:
            break
        fixed |= set(t.fields)  # sort attributes before the ranged one: equality
    templates = _key_templates(entity, table)
    single = not returns.startswith(('list', 'tuple', 'List', 'Tuple'))
    if single and not pattern.range_condition:
        return None  # which one of several filtered items comes first is key order
    return Probe(
        pattern,
        table,
        range_field,
        condition,
        bounds,
        args,
        bound_params,
        item,
        single,
        templates,
        fixed,
    )


def _checked(
    pattern: AccessPattern, entity: Entity, values: ArgumentValues
) -> tuple[str, list[str], str] | None:
    """(condition, the parameters carrying its bounds, the field it compares)."""
    if pattern.range_condition:
        bounded = values.range_bounds()
        if bounded is None:
            return None
        bound_params, range_field, _ = bounded
        if pattern.range_condition != 'begins_with' and any(
            names_a_prefix(p) for p in bound_params
        ):
            return None  # compared as a piece of the key, not as a field value
        return pattern.range_condition, bound_params, range_field
    flt = pattern.filter
    if flt is None or (flt.logical_operator == 'OR' and len(flt.conditions) > 1):
        return None  # under OR the other terms may select the seeds anyway
    for c in flt.conditions:
        f = entity.field(c.field)
        scalar = f is not None and (f.numeric or f.type == 'string')
        if c.function or c.operator not in _COMPARISONS or not scalar:
            continue
        params = [p for p in (c.param, c.param2) if p]
        if len(params) == (2 if c.operator == 'between' else 1):
            return c.operator, params, c.field
    return None


_COMPARISONS = ('=', '<>', '<', '<=', '>', '>=', 'between')


def _key_templates(entity: Entity, table: Table) -> dict[str, KeyTemplate]:
    """Key attribute name -> the entity's template for it (table and every GSI)."""
    out = {}
    if entity.pk:
        out[table.partition_key.name] = entity.pk
    if entity.sk and table.sort_key:
        out[table.sort_key.name] = entity.sk
    for keys in entity.index_keys:
        index = table.index(keys.index)
        if index is None:
            continue
        for attr, template in zip(index.partition_key, keys.partition, strict=False):
            out[attr.name] = template
        for attr, template in zip(index.sort_key, keys.sort, strict=False):
            out[attr.name] = template
    return out


def _fill(template: KeyTemplate, item: dict) -> object | None:
    """The key value a template gives for an item's fields: the field itself for `{f}`."""
    fields = template.fields
    if any(item.get(f) is None for f in fields):
        return None
    if template.is_single_field:
        return item[fields[0]]
    text = template.text
    for f in fields:
        text = text.replace('{' + f + '}', str(item[f]))
    return text


def _main_key(table: Table, item: dict) -> tuple:
    names = [table.partition_key.name] + ([table.sort_key.name] if table.sort_key else [])
    return tuple(str(item.get(n)) for n in names)


def _is_item_of(entity: Entity, table: Table, item: dict) -> bool:
    """The entity's required fields are there and its templates rebuild the item's key."""
    if any(f.required and f.name not in item for f in entity.fields):
        return False
    key = {table.partition_key.name: entity.pk}
    if table.sort_key:
        key[table.sort_key.name] = entity.sk
    return all(t is not None and str(_fill(t, item)) == str(item.get(a)) for a, t in key.items())


def _seed(probe: Probe, existing: list[dict]) -> None:
    """The seeds: copies of the script's item with the range field moved."""
    taken = {_main_key(probe.table, i): i for i in existing}
    values = probe_values(probe.condition, probe.bounds)
    seeds = []
    for n, v in enumerate(values):
        seed = dict(probe.item) | {probe.field: v}
        for f in _other_key_fields(probe):
            original = seed[f]
            if isinstance(original, Decimal):
                seed[f] = original + 1_000_000_000 + 100 * probe.pattern.id + n
            elif isinstance(original, str):
                seed[f] = f'{original}-{_SEED_TAG}{probe.pattern.id}.{n}'
        for attr, template in probe.templates.items():
            filled = _fill(template, seed)
            if filled is None:
                seed.pop(attr, None)
            else:
                seed[attr] = filled
        seeds.append((_main_key(probe.table, seed), v, seed))
    keys = [k for k, _, _ in seeds]
    if len(set(keys)) != len(keys):
        return  # no key field left to tell the seeds apart: not probed
    if any(k in taken and taken[k] != seed for k, _, seed in seeds):
        return  # a seed would overwrite an item the script wrote
    for key, v, seed in seeds:
        probe.seeds[key] = v
        if key in taken:
            continue  # the script's own item, unchanged
        probe.to_write.append(_serialize(seed))
        probe.written.append(_serialize({a: seed[a] for a in _key_names(probe.table)}))


def _key_names(table: Table) -> list[str]:
    return [table.partition_key.name] + ([table.sort_key.name] if table.sort_key else [])


def _other_key_fields(probe: Probe) -> list[str]:
    """Key fields a seed changes so that it is an item of its own."""
    fields = {f for t in probe.templates.values() for f in t.fields}
    return sorted(fields - probe.fixed - {probe.field})


def _compare(probe: Probe, returned: list[dict]) -> Mismatch | None:
    templates = probe.templates
    rc = probe.condition
    selected = [v for v in probe.seeds.values() if selects(rc, v, probe.bounds)]
    if probe.single:
        return _compare_one(probe, selected, returned)
    got = set()
    for item in returned:
        filled = dict(item)
        for attr in _key_names(probe.table):
            if attr not in filled and attr in templates:
                filled[attr] = _fill(templates[attr], item)
        key = _main_key(probe.table, filled)
        if key in probe.seeds:
            got.add(key)
    expected = {k for k, v in probe.seeds.items() if selects(rc, v, probe.bounds)}
    if got == expected:
        return None

    def values(keys: set[tuple]) -> list[object]:
        return sorted(probe.seeds[k] for k in keys)

    return _mismatch(probe, values(expected - got), values(got - expected))


def _compare_one(probe: Probe, selected: list[object], returned: list[dict]) -> Mismatch | None:
    """One item back: the selected value nearest the bound (descending under `<`/`<=`)."""
    last = probe.condition in ('<', '<=')
    want = (max(selected) if last else min(selected)) if selected else None
    got = returned[0].get(probe.field) if returned else None
    if str(got) == str(want) or (got is None and want is None):
        return None
    return _mismatch(probe, [] if want is None else [want], [] if got is None else [got])


def _mismatch(probe: Probe, missing: list[object], extra: list[object]) -> Mismatch:
    missing_labels = [f'{probe.field}={v}' for v in missing]
    extra_labels = [f'{probe.field}={v}' for v in extra]
    bounds = ' and '.join(repr(str(b)) for b in probe.bounds)
    parts = [f'missed {", ".join(missing_labels)}'] if missing else []
    parts += [f'also returned {", ".join(extra_labels)}'] if extra else []
    message = (
        f'{probe.field} {probe.condition} {bounds} on items seeded around the '
        'bound: ' + '; '.join(parts)
    )
    return Mismatch(missing_labels, extra_labels, message)


def _batch(client, requests: list[tuple[str, dict, dict]]) -> None:
    """BatchWriteItem of (table, key, request), 25 at a time, unprocessed ones sent again.

    DynamoDB refuses a batch that names one key twice (`Provided list of item keys contains
    duplicates`; moto accepts it, dynalite refuses it like DynamoDB): two probes of one entity
    may seed the same key (no other key field to tell them apart), so one request per key is
    sent, the last, as writes one after another would leave the item."""
    by_key = {(t, json.dumps(k, sort_keys=True)): (t, r) for t, k, r in requests}
    requests = list(by_key.values())
    for start in range(0, len(requests), 25):
        pending: dict[str, list[dict]] = {}
        for table, request in requests[start : start + 25]:
            pending.setdefault(table, []).append(request)
        for _ in range(10):
            if not pending:
                break
            pending = client.batch_write_item(RequestItems=pending).get('UnprocessedItems') or {}


def _scan(client, table: str) -> list[dict]:
    items, start = [], None
    while True:
        kwargs = {'TableName': table} | ({'ExclusiveStartKey': start} if start else {})
        page = client.scan(**kwargs)
        items += [_deserialize(i) for i in page.get('Items', [])]
        start = page.get('LastEvaluatedKey')
        if not start:
            return items


_serializer, _deserializer = TypeSerializer(), TypeDeserializer()


def _serialize(item: dict) -> dict:
    return {k: _serializer.serialize(v) for k, v in item.items()}


def _deserialize(item: dict) -> dict:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


def _encode(value):
    """JSON for the probe process: Decimals tagged, the rest as is."""
    if isinstance(value, Decimal):
        return {'$decimal': str(value)}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_encode(v) for v in value]
    return value
