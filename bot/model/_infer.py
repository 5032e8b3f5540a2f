"""Readings of a stub taken from its names, where no schema, mapping or stub comment decides.

Older and hand-edited DALs often have neither schema.json nor a mapping, and loose
signatures; their names still carry the intent. Each rule below reads one such shape and
records an `Inference` on the pattern (roles, a range condition, a filter), whose label
`inferred from names: ...` goes with the method into the implement summary, the commit
message and the PR comment. A name that matches no rule decides nothing: the template then
leaves the stub with its reason.
"""

from __future__ import annotations

from bot.model._filter_text import filter_params
from bot.model._types import (
    PAGINATION,
    AccessPattern,
    Dal,
    Entity,
    FilterCondition,
    FilterExpression,
    Inference,
    Method,
    Parameter,
    Table,
    snake,
)

# A lone bound: lower (>=) or upper (<=); a pair (in this order): between.
_LOWER = ('since_', 'after_', 'start_')
_UPPER = ('before_', 'until_')
_PAIRS = (('start_', 'end_'), ('from_', 'to_'))
_RANGE_WORDS = (*_LOWER, *_UPPER, 'end_', 'from_', 'to_')
# Names every reader takes for a key's raw value, whatever the attribute is called.
_KEY_ROLE_NAMES = {'partition': ('pk', 'partition_key'), 'sort': ('sk', 'sort_key')}
_KEYED = ('GetItem', 'DeleteItem', 'UpdateItem', 'Query')


def infer_from_names(dal: Dal, decided: set[int]) -> Dal:
    """`decided`: pattern ids the mapping or schema.json describe (their range is known)."""
    return dal.model_copy(
        update={'patterns': tuple(_infer(dal, p, p.id in decided) for p in dal.patterns)}
    )


def _bare(annotation: str | None) -> str:
    return (annotation or '').split('|')[0].strip().strip('\'"')


class _Signature:
    def __init__(self, dal: Dal, method: Method, entity: Entity):
        self.dal, self.method, self.entity = dal, method, entity
        entity_names = {e.name for e in dal.entities}
        self.business = [
            p
            for p in method.parameters
            if p.kind in ('positional', 'keyword') and p.name not in PAGINATION
        ]
        self.entity_params = [p for p in self.business if _bare(p.annotation) in entity_names]

    def has(self, name: str) -> bool:
        return any(p.name == name for p in self.business)

    def loose(self, exclude: set[str]) -> list[Parameter]:
        """Required values not named after a field nor typed as an entity: only their place
        or their name can say what they are."""
        all_fields = {f.name for e in self.dal.entities for f in e.fields}
        return [
            p
            for p in self.business
            if p.default is None
            and p.name not in exclude
            and p.name not in all_fields
            and p not in self.entity_params
        ]


def _infer(dal: Dal, pattern: AccessPattern, decided: bool) -> AccessPattern:
    method = dal.method(pattern.owner, pattern.method)
    entity = dal.entity(pattern.entity)
    if method is None or entity is None:
        return pattern
    repo = dal.repository(pattern.owner)
    table = dal.table(repo.table_name if repo else entity.table)
    sig = _Signature(dal, method, entity)
    found: list[Inference] = []
    update: dict = {}
    op = pattern.operation
    if table is not None and op in _KEYED and not (op == 'Query' and pattern.index_name):
        found += _raw_keys(sig, table)
    taken = filter_params(pattern.filter) | {i.params[0] for i in found}
    if op == 'Query' and pattern.range_condition is None and not decided and table is not None:
        ranged = _range(sig, table, pattern.index_name, taken)
        if ranged is not None:
            update['range_condition'], inference = ranged
            found.append(inference)
            taken |= set(inference.params)
    if op == 'UpdateItem':
        found += _loose_update(sig)
    if op == 'BatchWriteItem':
        found += _batch_of_one(sig)
    if op == 'Scan' and pattern.filter is None and pattern.filter_problem is None:
        scan = _scan_filter(sig)
        if scan is not None:
            update['filter'], inferences = scan
            found += inferences
    raw_partition = 'partition' in {i.field for i in found if i.rule == 'raw_key'}
    if op not in ('Scan', 'BatchGetItem', 'BatchWriteItem') and not raw_partition:
        # Batches and scans take no key field from one parameter: no alias to read.
        # A range we inferred names its own bounds; one from the comment counts by number.
        bounds = 0 if 'range' in {i.rule for i in found} else _bounds(pattern.range_condition)
        found += _key_aliases(sig, pattern.index_name, taken, bounds)
    if not found:
        return pattern
    return pattern.model_copy(update=update | {'inferred': tuple(found)})


def _bounds(range_condition: str | None) -> int:
    return (2 if range_condition == 'between' else 1) if range_condition else 0


def _raw_keys(sig: _Signature, table: Table) -> list[Inference]:
    """`pk`, `sort_key`, or the attribute's own name (`PK`, `sort_key`): that key's raw value.
    Not for a name that is a field (the template binds it) nor for a number key typed str."""
    out = []
    for part, attr in (('partition', table.partition_key), ('sort', table.sort_key)):
        if attr is None:
            continue
        names = {snake(attr.name), *_KEY_ROLE_NAMES[part]}
        for p in sig.business:
            if p.name in {i.params[0] for i in out} or sig.entity.field(p.name):
                continue
            if snake(p.name) not in names or p in sig.entity_params:
                continue
            if attr.type == 'N' and p.annotation == 'str':
                continue
            out.append(
                Inference(
                    rule='raw_key',
                    params=(p.name,),
                    field=part,
                    note=f'{p.name} is the raw value of the {part} key {attr.name!r}',
                )
            )
            break
    return out


def _sort_field(sig: _Signature, table: Table, index_name: str | None) -> str | None:
    """The first templated field of the sort key the query reads."""
    entity = sig.entity
    if index_name:
        index, keys = table.index(index_name), entity.keys_for(index_name)
        if index is None or not index.sort_key or keys is None or not keys.sort:
            return None
        template = keys.sort[0]
    else:
        if table.sort_key is None or entity.sk is None:
            return None
        template = entity.sk
    return template.fields[0] if template.fields else None


def _range(
    sig: _Signature, table: Table, index_name: str | None, taken: set[str]
) -> tuple[str, Inference] | None:
    """`start_x`/`end_x` (`from_x`/`to_x`) in that order: between; one `since_`/`after_`/
    `start_`: >=; one `before_`/`until_`: <=. Any other mix of such names: nothing."""
    field = _sort_field(sig, table, index_name)
    if field is None:
        return None
    loose = [p.name for p in sig.loose(taken)]
    named = [n for n in loose if any(n.startswith(w) and len(n) > len(w) for w in _RANGE_WORDS)]
    if len(loose) - len(named) != len(_unbound(sig, index_name)):
        return None  # a value left that is neither a bound nor the key field's one alias
    where = f"the sort key's first field {field!r}"
    if len(named) == 2:
        lo, hi = named
        for first, second in _PAIRS:
            if (
                lo.startswith(first)
                and hi.startswith(second)
                and lo[len(first) :] == hi[len(second) :]
            ):
                note = f'{lo} and {hi} are the bounds of a between on {where}'
                return 'between', Inference(rule='range', params=(lo, hi), field=field, note=note)
        return None
    if len(named) != 1:
        return None
    (name,) = named
    condition = '>=' if name.startswith(_LOWER) else '<=' if name.startswith(_UPPER) else None
    if condition is None:
        return None
    note = f'{name} is {"a lower" if condition == ">=" else "an upper"} bound ({condition}) on {where}'
    return condition, Inference(rule='range', params=(name,), field=field, note=note)


def _loose_update(sig: _Signature) -> list[Inference]:
    """The older generation's `(..., updates: X, update_value)` and `(..., updates: str,
    update_value)` update signatures."""
    updates, value = sig.method.parameter('updates'), sig.method.parameter('update_value')
    if updates is None or value is None:
        return []
    name = sig.entity.name
    if _bare(updates.annotation) == name:
        note = (
            f'updates: SET the fields of the {name} passed in that are not None; '
            'update_value is not read'
        )
        return [Inference(rule='update_entity', params=('updates', 'update_value'), note=note)]
    if _bare(updates.annotation) == 'str':
        note = (
            f'updates names the {name} field to SET and update_value is its new value '
            '(a name that is not a field raises ValueError)'
        )
        return [Inference(rule='update_field', params=('updates', 'update_value'), note=note)]
    return []


def _batch_of_one(sig: _Signature) -> list[Inference]:
    """A batch write whose one parameter is typed as one entity (`components: Component`)."""
    if len(sig.business) != 1 or _bare(sig.business[0].annotation) != sig.entity.name:
        return []
    p = sig.business[0].name
    note = f'{p} is one {sig.entity.name} or an iterable of them'
    return [Inference(rule='batch_one', params=(p,), note=note)]


def _scan_filter(sig: _Signature) -> tuple[FilterExpression, list[Inference]] | None:
    """Every required Scan parameter named after a field (or `target_<field>`): equality."""
    required = [p.name for p in sig.business if p.default is None]
    matched = []
    for name in required:
        field = name
        if sig.entity.field(name) is None and name.startswith('target_'):
            field = name[len('target_') :]
        if sig.entity.field(field) is None:
            return None
        matched.append((name, field))
    if not matched:
        return None
    flt = FilterExpression(
        conditions=tuple(FilterCondition(field=f, operator='=', param=n) for n, f in matched)
    )
    return flt, [
        Inference(
            rule='scan_filter',
            params=(n,),
            field=f,
            note=f'{n} filters the scan to items whose {f!r} equals it',
        )
        for n, f in matched
    ]


def _unbound(sig: _Signature, index_name: str | None) -> list[str]:
    """Partition-key fields of the main table or the index that no parameter is named after."""
    entity = sig.entity
    if index_name:
        keys = entity.keys_for(index_name)
        templates = keys.partition if keys else ()
    else:
        templates = (entity.pk,) if entity.pk else ()
    return [f for t in templates for f in t.fields if not sig.has(f)]


def _key_aliases(
    sig: _Signature, index_name: str | None, taken: set[str], bounds: int
) -> list[Inference]:
    """Key fields given by a parameter of another name (`target_user_id` for `author_id`).

    Only when it is the one possible reading: exactly as many loose parameters (required,
    not an entity, not a filter value or inferred bound, not named after any field) as the
    unbound partition-key fields plus the range bounds of the comment, in that order.
    """
    unbound = _unbound(sig, index_name)
    if not unbound or sig.entity_params:
        return []
    loose = [p.name for p in sig.loose(taken)]
    if len(loose) != len(unbound) + bounds:
        return []
    return [
        Inference(
            rule='key_alias',
            params=(param,),
            field=field,
            note=f'{param} gives the key field {field!r} (the one parameter left for it)',
        )
        for field, param in zip(unbound, loose, strict=False)
    ]
