"""Argument values for usage_examples.py calls, taken from what the script itself created.

A parameter gets, in this order: the created entity of its type; a value that makes the
pattern's filter pass for the created entity; a range bound that includes it; the field of that
name (or the key field it aliases) of an entity the call passes or the pattern touches.

Bounds are values a caller would pass (`bot.ranges`): an inclusive bound is the created
entity's own field value; a strict one on a number is that value -1 / +1; a strict one on a
string is the value next to it by the type of the CRUD section's sample (the day before a date,
the second after a datetime), never the key's string tuned to the code.
"""

from __future__ import annotations

import ast
from decimal import Decimal

from bot import pysource
from bot.model import (
    PAGINATION,
    AccessPattern,
    Dal,
    Entity,
    FilterCondition,
    Method,
    condition_names,
    parse_filter_text,
)
from bot.ranges import kind, names_a_prefix


class ArgumentValues:
    """Argument values taken from what the script created (`created_entities["X"]`)."""

    def __init__(
        self,
        dal: Dal,
        pattern: AccessPattern,
        method: Method,
        samples: dict[str, str] | None = None,
    ):
        self.dal, self.pattern, self.method = dal, pattern, method
        # `sample_order = Order(...)` of the CRUD section, by entity: the literal values the
        # script's data is made of, which tell a date from another string.
        self.samples = samples or {}
        self.entity = dal.entity(pattern.entity)
        # Entities the same call already passes (`test_reservation`): their fields first.
        self.passed: dict[str, str] = {}

    @staticmethod
    def created(entity: Entity) -> str:
        return f'created_entities[{entity.name!r}]'

    def for_param(self, name: str) -> str | None:
        p = self.method.parameter(name)
        annotation = (p.annotation or '').strip('\'"') if p else ''
        if e := self.dal.entity(annotation.split('|')[0].strip()):
            return self.created(e)
        op = self.pattern.operation
        if op == 'BatchGetItem' and annotation.startswith('list'):
            return self._batch_keys(annotation)
        for getter in (
            self._inferred_value,
            self._condition_value,
            self._filter_value,
            self._range_value,
            self._key_field,
        ):
            value = getter(name)
            if value is not None:
                return value
        return None

    def _inferred_value(self, name: str) -> str | None:
        """Values for the roles bot.model read from names: a raw key is the created entity's
        own key; `updates: str, update_value` SET a field to the value it already has, so the
        patterns after it still find their data."""
        e = self.entity
        if e is None:
            return None
        for i in self.pattern.inferences('raw_key'):
            if i.params[0] == name:
                return f'{self.created(e)}.{"pk" if i.field == "partition" else "sk"}()'
        for i in self.pattern.inferences('update_field'):
            key_fields = {f for t in (e.pk, e.sk) if t for f in t.fields} | {'version'}
            settable = [f for f in e.fields if f.name not in key_fields]
            field = next((f for f in settable if f.type == 'string'), None) or next(
                iter(settable), None
            )
            if field is not None and name in i.params:
                return (
                    repr(field.name) if name == i.params[0] else f'{self.created(e)}.{field.name}'
                )
        return None

    def _key_field(self, name: str) -> str | None:
        """A parameter named after a field of an entity the pattern touches (or its alias)."""
        aliases = {p: f for f, p in self.pattern.key_aliases.items()}
        if name in aliases and self.entity is not None:
            return f'{self.created(self.entity)}.{aliases[name]}'
        # Checked, updated, deleted or read items must be ones the script created. A key
        # field of that exact name wins over any item's `<qualifier>_<field>` match (an `id`
        # key must not capture `doctor_id`); `old_key_id` keys the Delete of an ApiKey next to
        # the Put of a new one.
        keyed = [
            (e, {f for t in (e.pk, e.sk) if t for f in t.fields})
            for item in self.pattern.transaction_items
            if item.action != 'Put' and (e := self.dal.entity(item.entity)) is not None
        ]
        for e, key_fields in keyed:
            if name in key_fields:
                return f'{self.created(e)}.{name}'
        for e, key_fields in keyed:
            qualified = [f for f in key_fields if name.endswith(f'_{f}')]
            if len(qualified) == 1 and not any(
                name.endswith(f'_{f}') and len(f) > len(qualified[0])
                for _, other in keyed
                for f in other
            ):
                return f'{self.created(e)}.{qualified[0]}'
        for entity_name, source in self.passed.items():
            e = self.dal.entity(entity_name)
            if e is not None and e.field(name):
                return f'{source}.{name}'
        entities = [self.entity] if self.entity else []
        entities += [self.dal.entity(i.entity) for i in self.pattern.transaction_items]
        for e in entities:
            if e is not None and e.field(name):
                return f'{self.created(e)}.{name}'
        return None

    def _batch_keys(self, annotation: str) -> str | None:
        e = self.entity
        if e is None or e.pk is None:
            return None
        element = annotation.partition('[')[2].rstrip(']').strip('\'"')
        if element == e.name:
            return f'[{self.created(e)}]'
        table = self.dal.table(e.table)
        fields = e.pk.fields + (e.sk.fields if e.sk and table and table.sort_key else [])
        values = [f'{self.created(e)}.{f}' for f in fields]
        if not values:
            return None
        if element.startswith(('dict', 'Dict')):
            return (
                '[{' + ', '.join(f'{f!r}: {v}' for f, v in zip(fields, values, strict=True)) + '}]'
            )

        return f'[{values[0]}]' if len(values) == 1 else f'[({", ".join(values)})]'

    def _sort_fields(self) -> list[tuple[str, str, str]]:
        """(field, DynamoDB type, template) for each sort attribute the pattern queries."""
        e = self.entity
        table = self.dal.table(e.table) if e else None
        if e is None or table is None:
            return []
        if self.pattern.index_name:
            index = table.index(self.pattern.index_name)
            keys = e.keys_for(self.pattern.index_name)
            if index is None or keys is None:
                return []
            return [
                (t.fields[0], a.type, t.text)
                for a, t in zip(index.sort_key, keys.sort, strict=False)
                if t.fields
            ]
        if table.sort_key and e.sk and e.sk.fields:
            return [(e.sk.fields[0], table.sort_key.type, e.sk.text)]
        return []

    def _range_params(self) -> list[str]:
        bound = set()
        e = self.entity
        if e is not None and self.pattern.index_name:
            keys = e.keys_for(self.pattern.index_name)
            bound = {f for t in (keys.partition if keys else ()) for f in t.fields}
        elif e is not None and e.pk is not None:
            bound = set(e.pk.fields)
        flt = _filter_conditions(self.pattern)
        aliases = set(self.pattern.key_aliases.values())
        skip = (
            bound
            | aliases
            | set(PAGINATION)
            | {p for c in flt for p in (c.param, c.param2, *c.params) if p}
        )
        return [
            p.name for p in self.method.parameters if p.name not in skip and p.kind == 'positional'
        ]

    def range_bounds(self) -> tuple[list[str], str, str] | None:
        """The parameters that carry the range condition's bounds, and the field and DynamoDB
        type of the sort attribute they bound; None without a range condition."""
        rc = self.pattern.range_condition
        params = self._range_params()
        eq_count = len(params) - (2 if rc == 'between' else 1)
        sorts = self._sort_fields()
        if not rc or eq_count < 0 or eq_count >= len(sorts):
            return None
        field, kind, _ = sorts[eq_count]
        return params[eq_count:], field, kind

    def _range_value(self, name: str) -> str | None:
        params = self._range_params()
        if name not in params or not self.pattern.range_condition and not params:
            return None
        sorts = self._sort_fields()
        rc = self.pattern.range_condition
        needed = (2 if rc == 'between' else 1) if rc else 1
        eq_count = len(params) - needed
        i = params.index(name)
        attr = min(i, eq_count) if i >= eq_count else i
        if attr >= len(sorts):
            return None
        field, kind, _ = sorts[attr]
        value = f'{self.created(self.entity)}.{field}'
        f = self.entity.field(field)
        numeric = kind == 'N' or (f is not None and f.numeric)
        # Strict bounds need the value next to the item's; so does the upper end of a key
        # prefix (`like_prefix <= ...`), compared as a string with the whole key.
        strict = rc in ('>', '<') or (
            names_a_prefix(name) and (rc == '<=' or rc == 'between' and i > eq_count)
        )
        if i < eq_count or not strict:
            result = value
        elif numeric:
            result = f'{value} - 1' if rc == '>' else f'{value} + 1'
        else:
            result = self._next_to(self.entity, field, value, -1 if rc == '>' else +1)
        return self._as_declared(name, result, kind == 'N')

    def _next_to(self, e: Entity, field: str, value: str, direction: int) -> str:
        """Source of the value just above (+1) or below (-1) created `e`'s `field`, computed
        when the script runs (an update or a PutItem may have changed it since the sample),
        by the type of the sample's value: a day for a date, a second for a datetime, the
        last character for another string (`bot.ranges`)."""
        sampled = sample_literal(self.samples, e.name, field)
        sign = '+' if direction > 0 else '-'
        if kind(sampled) == 'date':
            return f'str(date.fromisoformat({value}) {sign} timedelta(days=1))'
        if kind(sampled) == 'datetime':
            zulu = sampled.endswith('Z')
            parsed = f"{value}.removesuffix('Z')" if zulu else value
            sep = "sep=' '" if sampled[10] == ' ' else ''
            moved = (
                f'(datetime.fromisoformat({parsed}) {sign} timedelta(seconds=1)).isoformat({sep})'
            )
            return f"{moved} + 'Z'" if zulu else moved
        return f'{value}[:-1] + chr(ord({value}[-1]) {sign} 1)'

    def _as_declared(self, name: str, value: str, numeric: bool) -> str:
        p = self.method.parameter(name)
        if numeric and p is not None and p.annotation == 'str':
            return f'str({value})'
        return value

    def _filter_value(self, name: str) -> str | None:
        e = self.entity
        for c in _filter_conditions(self.pattern):
            if name in (c.param, c.param2, *c.params) and e is not None:
                return self._meeting(c, e, name)
        return None

    def _condition_value(self, name: str) -> str | None:
        """A transaction condition's placeholder (`fines <= :max_fines`): a value that makes
        the condition hold for the created entity the item acts on."""
        for item in self.pattern.transaction_items:
            e = self.dal.entity(item.entity)
            if not item.condition or f':{name}' not in item.condition or e is None:
                continue
            for c in _condition_terms(item.condition):
                if name in (c.param, c.param2, *c.params):
                    return self._meeting(c, e, name)
        return None

    def _meeting(self, c: FilterCondition, e: Entity, name: str) -> str | None:
        """Source of a value for `name` that makes condition `c` hold for created `e`."""
        f = e.field(c.field)
        if f is None:
            return None
        value = f'{self.created(e)}.{c.field}'
        numeric = f.numeric
        if c.function == 'size':
            size = f'len({value})'
            return {'>': f'{size} - 1', '<': f'{size} + 1'}.get(c.operator, size)
        if c.function == 'contains':
            return f'{value}[0]' if f.type == 'array' else value
        if c.function == 'begins_with' or c.operator in ('=', '>=', '<=', 'between', 'in'):
            return self._as_declared(name, value, numeric)
        if c.operator == '<>':
            if f.type == 'boolean':
                return f'not {value}'
            return (
                self._as_declared(name, f'{value} + 1', True) if numeric else f"{value} + '-other'"
            )
        if c.operator in ('>', '<'):
            direction = +1 if c.operator == '<' else -1
            if numeric:
                return self._as_declared(name, f'{value} {"+" if direction > 0 else "-"} 1', True)
            return self._next_to(e, c.field, value, direction)
        return None


def sample_literal(samples: dict[str, str], entity_name: str, field: str) -> object:
    """The literal the CRUD section's sample (`Order(...)` source) gives `field`, if any."""
    value = sample_values(samples, entity_name).get(field)
    return None if isinstance(value, Decimal | list | dict) else value


def sample_values(samples: dict[str, str], entity_name: str) -> dict[str, object]:
    """The fields the CRUD section's sample gives as literals (`Decimal('1.5')` included)."""
    sample = samples.get(entity_name)
    call = pysource.parse(sample, mode='eval').body if sample else None
    out = {}
    for kw in call.keywords if isinstance(call, ast.Call) else ():
        node = kw.value
        try:
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == 'Decimal'
                and len(node.args) == 1
            ):
                out[kw.arg] = Decimal(ast.literal_eval(node.args[0]))
            else:
                out[kw.arg] = ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, ArithmeticError):
            continue  # computed, not typed in
    return out


def _condition_terms(text: str) -> tuple[FilterCondition, ...]:
    """The comparisons of a condition expression; none when it cannot be read."""
    text = condition_names(text)[0]
    try:
        return parse_filter_text(text).conditions
    except ValueError:
        return ()


def _filter_conditions(pattern: AccessPattern) -> tuple[FilterCondition, ...]:
    """The pattern's filter conditions; none when its filter cannot be read (the stub is
    then left by implement, and its call keeps its arguments)."""
    return pattern.filter.conditions if pattern.filter else ()
