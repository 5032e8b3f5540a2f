"""The typed, immutable description of one DAL that every stage after `discover` works from."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

Operation = Literal[
    'GetItem',
    'PutItem',
    'DeleteItem',
    'UpdateItem',
    'Query',
    'Scan',
    'BatchGetItem',
    'BatchWriteItem',
    'TransactWrite',
    'TransactGet',
]
OPERATIONS: tuple[str, ...] = Operation.__args__  # type: ignore[attr-defined]
RangeCondition = Literal['begins_with', 'between', '>', '<', '>=', '<=']
Projection = Literal['ALL', 'KEYS_ONLY', 'INCLUDE']
AttributeType = Literal['S', 'N']

# Schema field types stored as DynamoDB numbers.
NUMERIC_FIELD_TYPES = frozenset({'integer', 'decimal', 'number', 'float'})
# The generator's pagination tail on queries and scans.
PAGINATION = ('limit', 'exclusive_start_key', 'skip_invalid_items')


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class KeyAttribute(Frozen):
    name: str
    type: AttributeType = 'S'


class Index(Frozen):
    name: str
    partition_key: tuple[KeyAttribute, ...]
    sort_key: tuple[KeyAttribute, ...] = ()
    projection: Projection = 'ALL'
    included_attributes: tuple[str, ...] = ()


class Table(Frozen):
    name: str
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None = None
    indexes: tuple[Index, ...] = ()

    def index(self, name: str) -> Index | None:
        return next((i for i in self.indexes if i.name == name), None)


_FIELD = re.compile(r'\{(\w+)\}')


def snake(name: str) -> str:
    """`RegionIndex` -> `region_index`, as the generator names its GSI helpers."""
    name = re.sub(r'[-\s]+', '_', name)
    name = re.sub(r'(.)([A-Z][a-z]+)', r'\1_\2', name)
    return re.sub(r'([a-z0-9])([A-Z])', r'\1_\2', name).lower()


def squashed(name: str) -> str:
    """`DealsByBrand`, `deals_by_brand`, `Deals-By-Brand` -> `dealsbybrand`: the index part of
    the pre-release generator's GSI helper names, and the form every naming agrees on."""
    return re.sub(r'[^0-9a-z]', '', name.lower())


class KeyTemplate(Frozen):
    """A key template such as ``ORDER#{order_date}#{order_id}``."""

    text: str

    @property
    def fields(self) -> list[str]:
        return _FIELD.findall(self.text)

    @property
    def literal_prefix(self) -> str:
        """The constant text before the first field: range bounds are prefixed with it."""
        return self.text.split('{', 1)[0] if self.fields else self.text

    @property
    def is_single_field(self) -> bool:
        return self.text == '{' + self.fields[0] + '}' if len(self.fields) == 1 else False


class Field(Frozen):
    name: str
    type: str  # schema type: string, integer, decimal, boolean, array, object, ...
    required: bool = True

    @property
    def numeric(self) -> bool:
        return self.type in NUMERIC_FIELD_TYPES


class IndexKeys(Frozen):
    """How one entity fills one GSI's key attributes (one template per attribute)."""

    index: str
    partition: tuple[KeyTemplate, ...]
    sort: tuple[KeyTemplate, ...] = ()


class Entity(Frozen):
    name: str
    entity_type: str = ''
    table: str | None = None
    fields: tuple[Field, ...] = ()
    pk: KeyTemplate | None = None
    sk: KeyTemplate | None = None
    index_keys: tuple[IndexKeys, ...] = ()
    # Pydantic computed fields: model_dump() writes them with the item, like fields.
    computed: tuple[str, ...] = ()

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def keys_for(self, index: str) -> IndexKeys | None:
        """Key templates for an index, by its name or the name part of its helpers (snake
        case in 2.1.x, lowercased without separators in the pre-release generation)."""
        exact = next((k for k in self.index_keys if k.index == index), None)
        return exact or next(
            (k for k in self.index_keys if squashed(k.index) == squashed(index)), None
        )

    def built_keys(self, table: Table) -> list[BuiltKey]:
        """The GSI key attributes this entity fills from a template rather than holding as a
        field (`status_pk` = `STATUS#{status}`): the generated create() does not write them."""
        out = []
        for index in table.indexes:
            keys = self.keys_for(index.name)
            if keys is None:
                continue
            for part, attrs, templates in (
                ('pk', index.partition_key, keys.partition),
                ('sk', index.sort_key, keys.sort),
            ):
                for i, attr in enumerate(attrs):
                    if self.field(attr.name) is None and i < len(templates):
                        out.append(
                            BuiltKey(
                                index=index.name,
                                part=part,
                                attribute=attr,
                                position=i,
                                of=len(attrs),
                                template=templates[i],
                            )
                        )
        return out

    def unwritten_keys(self, table: Table) -> list[BuiltKey]:
        """Built keys that nothing the entity dumps carries (no computed field of that name)."""
        return [k for k in self.built_keys(table) if k.attribute.name not in self.computed]


class BuiltKey(Frozen):
    """One GSI key attribute an entity builds from a template."""

    index: str
    part: Literal['pk', 'sk']
    attribute: KeyAttribute
    position: int  # in a multi-attribute key; the generator's builders return a tuple then
    of: int
    template: KeyTemplate


class Parameter(Frozen):
    name: str
    annotation: str | None = None  # source text of the annotation
    default: str | None = None  # source text of the default
    kind: Literal['positional', 'keyword', 'star', 'double_star'] = 'positional'


class Signature(Frozen):
    """One function a class of the DAL defines, as its code declares it."""

    name: str
    line: int = 0
    parameters: tuple[Parameter, ...] = ()  # without self / cls
    kind: Literal['instance', 'class', 'static', 'property'] = 'instance'

    def refusal(self, positional: int, keywords: Iterable[str]) -> str | None:
        """Why a call with `positional` arguments and these keyword arguments would raise
        TypeError; None when it binds."""
        params = self.parameters
        ordered = [p for p in params if p.kind == 'positional']
        star = any(p.kind == 'star' for p in params)
        double_star = any(p.kind == 'double_star' for p in params)
        if positional > len(ordered) and not star:
            return f'{self.name}() takes {len(ordered)} positional argument(s), given {positional}'
        filled = {p.name for p in ordered[:positional]}
        by_keyword = {p.name for p in params if p.kind in ('positional', 'keyword')} - filled
        for name in keywords:
            if name in filled:
                return f'{self.name}() got {name!r} both by position and by keyword'
            if name not in by_keyword and not double_star:
                return f'{self.name}() has no parameter {name!r}'
            filled.add(name)
        missing = [
            p.name
            for p in params
            if p.kind in ('positional', 'keyword') and p.default is None and p.name not in filled
        ]
        if missing:
            return f'{self.name}() needs {", ".join(map(repr, missing))}'
        return None


class ClassApi(Frozen):
    """What one class of the DAL defines: its methods with their parameters and the
    attributes it sets (class-level fields, `self.x = ...` in its methods)."""

    name: str
    file: str
    line: int = 0
    bases: tuple[str, ...] = ()  # names as written, subscripts dropped (`BaseRepository`)
    methods: tuple[Signature, ...] = ()
    attributes: tuple[str, ...] = ()

    def method(self, name: str) -> Signature | None:
        return next((m for m in self.methods if m.name == name), None)


class TransactionItem(Frozen):
    table: str
    entity: str
    action: Literal['Put', 'Update', 'Delete', 'Get', 'ConditionCheck']
    condition: str | None = None


class StubHint(Frozen):
    """What the generator's comment block inside a stub says."""

    pattern_id: int | None = None
    operation: str | None = None
    index_name: str | None = None
    range_condition: str | None = None
    filter_text: str | None = None
    tables: tuple[str, ...] = ()
    consistent_read: bool = False  # the example lines say `ConsistentRead=True`
    # A transaction's items as its example reads them, for a DAL without a mapping.
    transaction_items: tuple[TransactionItem, ...] = ()


class Method(Frozen):
    file: str  # 'repositories.py' or 'transaction_service.py'
    owner: str  # class name
    name: str
    line: int
    parameters: tuple[Parameter, ...] = ()  # without self
    returns: str | None = None
    docstring: str | None = None
    is_stub: bool = False
    hint: StubHint | None = None

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


class FilterCondition(Frozen):
    field: str
    operator: str | None = None  # =, <>, <, <=, >, >=, between, in
    function: str | None = (
        None  # contains, begins_with, attribute_exists, attribute_not_exists, size
    )
    param: str | None = None
    param2: str | None = None
    params: tuple[str, ...] = ()


class FilterExpression(Frozen):
    conditions: tuple[FilterCondition, ...]
    logical_operator: Literal['AND', 'OR'] = 'AND'


class PatternParameter(Frozen):
    name: str
    type: str = 'string'  # schema type
    entity_type: str | None = None
    default: object | None = None


InferenceRule = Literal[
    'key_alias',  # a parameter of another name gives a key field (the one left for it)
    'raw_key',  # a parameter named like the table's key attribute is that key's raw value
    'range',  # start_*/end_*, since_*, before_* ... : the range on the sort key
    'update_entity',  # updates: <Entity>, update_value: SET the entity's non-None fields
    'update_field',  # updates: str, update_value: SET the field the string names
    'batch_one',  # a batch parameter typed as one entity: one or an iterable of them
    'scan_filter',  # a Scan parameter named after a field: equality filter on it
]


class Inference(Frozen):
    """One reading of a stub taken from its names, where no schema, mapping or stub comment
    decides it; its label is shown wherever the method is reported, so a reviewer can check."""

    rule: InferenceRule
    params: tuple[str, ...]
    field: str | None = None  # the key field, key part ('partition'/'sort') or entity field
    note: str

    @property
    def label(self) -> str:
        return f'inferred from names: {self.note}'


class AccessPattern(Frozen):
    id: int
    description: str = ''
    method: str
    owner: str  # repository class or TransactionService
    file: str
    line: int
    entity: str | None = None
    operation: Operation | None = None  # None: the stub names an operation we do not know
    raw_operation: str | None = None
    index_name: str | None = None
    range_condition: RangeCondition | None = None
    filter: FilterExpression | None = None
    consistent_read: bool = False
    projection: Projection | None = None
    projected_attributes: tuple[str, ...] = ()
    parameters: tuple[PatternParameter, ...] = ()
    transaction_items: tuple[TransactionItem, ...] = ()
    is_stub: bool = False
    filter_problem: str | None = None  # the stub's filter text could not be read: why
    inferred: tuple[Inference, ...] = ()

    def inferences(self, rule: str) -> list[Inference]:
        return [i for i in self.inferred if i.rule == rule]

    @property
    def key_aliases(self) -> dict[str, str]:
        """Key field -> the parameter of another name that gives it."""
        return {i.field: i.params[0] for i in self.inferences('key_alias')}

    @property
    def raw_keys(self) -> dict[str, str]:
        """'partition' / 'sort' -> the parameter that is that key's raw value."""
        return {i.field: i.params[0] for i in self.inferences('raw_key')}


class Repository(Frozen):
    name: str
    entity: str
    table_name: str
    pkey_name: str
    skey_name: str | None = None
    line: int = 0


class Dal(Frozen):
    path: Path
    tables: tuple[Table, ...] = ()
    entities: tuple[Entity, ...] = ()
    repositories: tuple[Repository, ...] = ()
    methods: tuple[Method, ...] = ()
    patterns: tuple[AccessPattern, ...] = ()
    classes: tuple[ClassApi, ...] = ()  # every class of the DAL's modules: its API surface
    schema_path: Path | None = None
    mapping_path: Path | None = None

    def entity(self, name: str | None) -> Entity | None:
        return next((e for e in self.entities if e.name == name), None)

    def table(self, name: str | None) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)

    def repository(self, name: str) -> Repository | None:
        return next((r for r in self.repositories if r.name == name), None)

    def repository_for(self, entity: str) -> Repository | None:
        return next((r for r in self.repositories if r.entity == entity), None)

    def method(self, owner: str, name: str) -> Method | None:
        return next((m for m in self.methods if m.owner == owner and m.name == name), None)

    def pattern(self, pattern_id: int) -> AccessPattern | None:
        return next((p for p in self.patterns if p.id == pattern_id), None)

    @property
    def stubs(self) -> list[Method]:
        return [m for m in self.methods if m.is_stub]

    def class_api(self, name: str | None) -> ClassApi | None:
        return next((c for c in self.classes if c.name == name), None)

    def lineage(self, name: str) -> tuple[list[ClassApi], set[str]]:
        """The class and its ancestors the DAL defines (nearest first), and the names of the
        bases it does not define (`BaseModel`, `Generic`)."""
        found: list[ClassApi] = []
        external: set[str] = set()
        todo = [name]
        while todo:
            current = todo.pop(0)
            api = self.class_api(current)
            if api is None:
                external.add(current)
            elif api not in found:
                found.append(api)
                todo += list(api.bases)
        return found, external

    def member(self, cls: str, name: str) -> Signature | str | None:
        """What `cls` (or a class it inherits from in the DAL) defines under `name`: the
        method's signature, the name itself for an attribute, None when nothing."""
        for api in self.lineage(cls)[0]:
            if (method := api.method(name)) is not None:
                return method
            if name in api.attributes:
                return name
        return None
