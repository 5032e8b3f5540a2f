"""What the DAL's own code says: entities, key templates, repositories, methods, stubs."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from bot.model._source import ParsedModule
from bot.model._types import (
    ClassApi,
    Field,
    KeyTemplate,
    Method,
    Parameter,
    Repository,
    Signature,
    StubHint,
    TransactionItem,
)
from bot.pysource import Function, walk, walk_statements  # a method may be `async def`

STUB_MARKER = 'TODO: Implement Access Pattern'
_TODO = re.compile(r'TODO: Implement Access Pattern #(\d+)')
_OPERATION = re.compile(r'#\s*Operation:\s*(\w+)(.*)')
_INDEX = re.compile(r'Index:\s*([\w-]+)(\s*\(GSI\))?')
_RANGE = re.compile(r'Range Condition:\s*(begins_with|between|>=|<=|>|<)')
_FILTER = re.compile(r'Filter Expression:\s*(.+)$')
_TABLES = re.compile(r'Tables:\s*(.+)$')
# `ConsistentRead=True` (GetItem's example), `'ConsistentRead': True` (a Query's).
_CONSISTENT = re.compile(r"ConsistentRead'?\s*[=:]\s*True")

# Python annotation -> schema field type, for DALs without schema.json.
_ANNOTATION_TYPES = {
    'str': 'string',
    'int': 'integer',
    'Decimal': 'decimal',
    'float': 'decimal',
    'bool': 'boolean',
    'list': 'array',
    'dict': 'object',
}


@dataclass
class CodeEntity:
    name: str
    line: int
    fields: list[Field] = field(default_factory=list)
    entity_type: str = ''
    pk: KeyTemplate | None = None
    sk: KeyTemplate | None = None
    # index snake name -> (partition templates, sort templates), from the instance builders
    index_keys: dict[str, tuple[list[KeyTemplate], list[KeyTemplate]]] = field(
        default_factory=dict
    )
    computed: list[str] = field(default_factory=list)  # @computed_field members


def _string_value(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def template_of(node: ast.expr, owner: str) -> KeyTemplate | None:
    """`f"ORDER#{entity.order_date}"` or `self.price` -> KeyTemplate('ORDER#{order_date}')."""
    if isinstance(node, ast.JoinedStr):
        text = ''
        for part in node.values:
            match part:
                case ast.Constant(value=str(literal)):
                    text += literal
                case ast.FormattedValue(value=ast.Attribute(attr=name) | ast.Name(id=name)):
                    text += '{' + name + '}'
                case _:
                    return None
        return KeyTemplate(text=text)
    match node:
        case ast.Attribute(value=ast.Name(id=name), attr=attr) if name == owner:
            return KeyTemplate(text='{' + attr + '}')
        case ast.Name(id=name) if owner == '':
            return KeyTemplate(text='{' + name + '}')
    value = _string_value(node)
    return KeyTemplate(text=value) if value is not None else None


def _templates_of(node: ast.expr, owner: str) -> list[KeyTemplate]:
    if isinstance(node, ast.Tuple):
        found = [template_of(el, owner) for el in node.elts]
        return [t for t in found if t is not None]
    single = template_of(node, owner)
    return [single] if single else []


def is_computed_field(fn: Function) -> bool:
    """`@computed_field` (or `@pydantic.computed_field`, or called with options)."""
    for d in fn.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, 'id', '')
        if name == 'computed_field':
            return True
    return False


def _returned(fn: Function) -> ast.expr | None:
    return next(
        (s.value for s in fn.body if isinstance(s, ast.Return) and s.value is not None), None
    )


def parse_entities(mod: ParsedModule) -> dict[str, CodeEntity]:
    configs: dict[str, dict[str, ast.expr]] = {}
    classes: list[ast.ClassDef] = []
    for stmt in mod.tree.body:
        match stmt:
            case ast.Assign(
                targets=[ast.Name(id=name)], value=ast.Call(func=ast.Name(id='EntityConfig'))
            ):
                configs[name] = {k.arg: k.value for k in stmt.value.keywords if k.arg}
            case ast.ClassDef():
                classes.append(stmt)

    entities: dict[str, CodeEntity] = {}
    for cls in classes:
        entity = CodeEntity(name=cls.name, line=cls.lineno)
        config_name = None
        for stmt in cls.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                base = mod.code(stmt.annotation).split('[')[0].split('|')[0].strip()
                entity.fields.append(
                    Field(
                        name=stmt.target.id,
                        type=_ANNOTATION_TYPES.get(base, 'string'),
                        required=stmt.value is None,
                    )
                )
            elif isinstance(stmt, Function):
                returned = _returned(stmt)
                if is_computed_field(stmt):
                    entity.computed.append(stmt.name)
                elif stmt.name == 'get_config' and isinstance(returned, ast.Name):
                    config_name = returned.id
                elif returned is not None and (
                    hit := re.match(r'build_gsi_(pk|sk)_(?!for_lookup)(\w+)$', stmt.name)
                ):
                    part, index = hit.groups()
                    pk_sk = entity.index_keys.setdefault(index, ([], []))
                    pk_sk[0 if part == 'pk' else 1].extend(_templates_of(returned, 'self'))
        if config_name is None and not entity.fields:
            continue
        config = configs.get(config_name or '', {})
        entity.entity_type = _string_value(config.get('entity_type')) or ''
        for key, attr in (('pk_builder', 'pk'), ('sk_builder', 'sk')):
            builder = config.get(key)
            if isinstance(builder, ast.Lambda):
                params = builder.args.args
                owner = params[0].arg if params else ''
                setattr(entity, attr, template_of(builder.body, owner))
        entity.fields = [f for f in entity.fields if f.name != 'version']
        entities[entity.name] = entity
    return entities


def parse_hint(comments: list[str]) -> StubHint:
    values: dict = {}
    for line in comments:
        if hit := _TODO.search(line):
            values['pattern_id'] = int(hit.group(1))
        if (hit := _OPERATION.search(line)) and 'operation' not in values:
            values['operation'] = hit.group(1)
            rest = hit.group(2)
            if (idx := _INDEX.search(rest)) and idx.group(2):
                values['index_name'] = idx.group(1)
            if rng := _RANGE.search(rest):
                values['range_condition'] = rng.group(1)
            if flt := _FILTER.search(rest):
                values['filter_text'] = flt.group(1).strip()
            if tbl := _TABLES.search(rest):
                values['tables'] = tuple(t.strip() for t in tbl.group(1).split(','))
        if _CONSISTENT.search(line):
            values['consistent_read'] = True
    items = _transaction_items(comments)
    if items:
        values['transaction_items'] = items
    return StubHint(**values)


# A transaction stub's example: `# Shipment.build_pk_for_lookup(...)` per item (its
# `# Condition: ...` on the next line), then the TransactItems list with each item's
# `'Put': {` and `'TableName': 'Warehouse',` in the same order.
_ITEM_ENTITY = re.compile(r'^#\s*(\w+)\.build_pk_for_lookup\(\.\.\.\)\s*$')
_ITEM_CONDITION = re.compile(r'^#\s*Condition:\s*(.+?)\s*$')
_ITEM_ACTION = re.compile(r"^#\s*'(Put|Update|Delete|ConditionCheck|Get)':\s*\{")
_ITEM_TABLE = re.compile(r"^#\s*'TableName':\s*'([^']+)'")


def _transaction_items(comments: list[str]) -> tuple[TransactionItem, ...]:
    """The items of a TransactWrite / TransactGet stub; none unless the entities and the
    example's actions pair up one to one."""
    entities: list[list] = []
    actions: list[list] = []
    for line in comments:
        line = line.strip()
        if hit := _ITEM_ENTITY.match(line):
            entities.append([hit.group(1), None])
        elif (hit := _ITEM_CONDITION.match(line)) and entities:
            entities[-1][1] = hit.group(1)
        elif hit := _ITEM_ACTION.match(line):
            actions.append([hit.group(1), None])
        elif (hit := _ITEM_TABLE.match(line)) and actions and actions[-1][1] is None:
            actions[-1][1] = hit.group(1)
    if not entities or len(entities) != len(actions) or any(t is None for _, t in actions):
        return ()
    return tuple(
        TransactionItem(table=table, entity=entity, action=action, condition=condition)
        for (entity, condition), (action, table) in zip(entities, actions, strict=True)
    )


def stub_comments(mod: ParsedModule, fn: Function) -> list[str] | None:
    """The comments of a stub (docstring, the generator's TODO comment block and `pass`:
    nothing a human wrote); None for any other function."""
    body = fn.body[1:] if ast.get_docstring(fn, clean=False) is not None else fn.body
    if not body or not all(isinstance(stmt, ast.Pass) for stmt in body):
        return None
    comments = mod.block_comments(fn)
    if comments is None or not any(STUB_MARKER in c for c in comments):
        return None
    return comments


def _arguments(args: ast.arguments) -> list[tuple[ast.arg, ast.expr | None, str]]:
    """(parameter, default, kind) in the order they are written."""
    positional = [*args.posonlyargs, *args.args]
    defaults = [None] * (len(positional) - len(args.defaults)) + args.defaults
    out = [(a, d, 'positional') for a, d in zip(positional, defaults, strict=True)]
    if args.vararg:
        out.append((args.vararg, None, 'star'))
    out += [(a, d, 'keyword') for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)]
    if args.kwarg:
        out.append((args.kwarg, None, 'double_star'))
    return out


def _parameters(mod: ParsedModule, fn: Function) -> tuple[Parameter, ...]:
    params = [
        Parameter(
            name=p.arg,
            annotation=mod.code(p.annotation) if p.annotation else None,
            default=mod.code(default) if default else None,
            kind=kind,
        )
        for p, default, kind in _arguments(fn.args)
    ]
    if params and params[0].name in ('self', 'cls'):
        params = params[1:]
    return tuple(params)


def parse_method(mod: ParsedModule, owner: str, fn: Function) -> Method:
    comments = stub_comments(mod, fn)
    return Method(
        file=mod.path.name,
        owner=owner,
        name=fn.name,
        line=fn.lineno,
        parameters=_parameters(mod, fn),
        returns=mod.code(fn.returns) if fn.returns else None,
        docstring=ast.get_docstring(fn, clean=True),
        is_stub=comments is not None,
        hint=parse_hint(comments) if comments is not None else None,
    )


_KINDS = {'classmethod': 'class', 'staticmethod': 'static', 'property': 'property'}


def _base_name(node: ast.expr) -> str:
    """`BaseRepository[Order]` -> `BaseRepository`, `pydantic.BaseModel` -> `BaseModel`."""
    if isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ''


def parse_classes(mod: ParsedModule) -> list[ClassApi]:
    """Every top-level class of a DAL module with what it defines: the API the bot's code
    may call, whatever generation wrote it."""
    out = []
    for cls in mod.tree.body:
        if not isinstance(cls, ast.ClassDef):
            continue
        methods, attributes = [], []
        for stmt in cls.body:
            match stmt:
                case ast.AnnAssign(target=ast.Name(id=name)):
                    attributes.append(name)
                case ast.Assign(targets=targets):
                    attributes += [t.id for t in targets if isinstance(t, ast.Name)]
                case ast.FunctionDef() | ast.AsyncFunctionDef():
                    kinds = [
                        _KINDS[d.id]
                        for d in stmt.decorator_list
                        if isinstance(d, ast.Name) and d.id in _KINDS
                    ]
                    methods.append(
                        Signature(
                            name=stmt.name,
                            line=stmt.lineno,
                            parameters=_parameters(mod, stmt),
                            kind=kinds[0] if kinds else 'instance',
                        )
                    )
                    # `self.table = ...` in any method: an attribute of the instances.
                    for node in walk_statements(stmt):
                        targets = (
                            node.targets
                            if isinstance(node, ast.Assign)
                            else [node.target]
                            if isinstance(node, ast.AnnAssign)
                            else []
                        )
                        attributes += [
                            t.attr
                            for t in targets
                            if isinstance(t, ast.Attribute)
                            and isinstance(t.value, ast.Name)
                            and t.value.id == 'self'
                        ]
        out.append(
            ClassApi(
                name=cls.name,
                file=mod.path.name,
                line=cls.lineno,
                bases=tuple(b for b in map(_base_name, cls.bases) if b),
                methods=tuple(methods),
                attributes=tuple(dict.fromkeys(attributes)),
            )
        )
    return out


def _super_init_args(fn: Function) -> list[ast.expr]:
    """The arguments of the first `super().__init__(...)`, keyword ones included, as written."""
    calls = [
        node
        for node in walk(fn)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == '__init__'
        and isinstance(node.func.value, ast.Call)
        and isinstance(node.func.value.func, ast.Name)
        and node.func.value.func.id == 'super'
    ]
    if not calls:
        return []
    call = min(calls, key=lambda c: (c.lineno, c.col_offset))
    args = sorted([*call.args, *call.keywords], key=lambda a: (a.lineno, a.col_offset))
    return [a.value if isinstance(a, ast.keyword) else a for a in args]


def parse_repositories(
    mod: ParsedModule,
) -> tuple[list[Repository], list[Method], dict[str, str]]:
    """Repositories, their methods, and each method's source text (for index/key hints)."""
    repos: list[Repository] = []
    methods: list[Method] = []
    sources: dict[str, str] = {}
    for cls in mod.tree.body:
        if not isinstance(cls, ast.ClassDef):
            continue
        entity = None
        for base in cls.bases:
            match base:
                case ast.Subscript(value=ast.Name(id='BaseRepository'), slice=first):
                    if isinstance(first, ast.Tuple):
                        first = first.elts[0]
                    entity = mod.code(first)
        if entity is None:
            continue
        table_name, pkey, skey = '', '', None
        for fn in cls.body:
            if not isinstance(fn, Function):
                continue
            if fn.name == '__init__':
                for p, default, _ in _arguments(fn.args):
                    if p.arg == 'table_name' and default is not None:
                        table_name = _string_value(default) or ''
                args = _super_init_args(fn)
                if len(args) >= 3:
                    pkey = _string_value(args[2]) or ''
                if len(args) >= 4:
                    skey = _string_value(args[3])
                continue
            method = parse_method(mod, cls.name, fn)
            methods.append(method)
            sources[f'{cls.name}.{method.name}'] = mod.code(fn)
        repos.append(
            Repository(
                name=cls.name,
                entity=entity,
                table_name=table_name,
                pkey_name=pkey,
                skey_name=skey,
                line=cls.lineno,
            )
        )
    return repos, methods, sources


def parse_service(mod: ParsedModule) -> tuple[list[Method], dict[str, str]]:
    methods: list[Method] = []
    sources: dict[str, str] = {}
    for cls in mod.tree.body:
        if isinstance(cls, ast.ClassDef):
            for fn in cls.body:
                if isinstance(fn, Function) and not fn.name.startswith('__'):
                    methods.append(parse_method(mod, cls.name, fn))
                    sources[f'{cls.name}.{fn.name}'] = mod.code(fn)
    return methods, sources


_SERVICE_ATTR = re.compile(r'self\.(\w+)\s*=\s*(\w+)\(')
_PATTERN_CALL = re.compile(r'(Access |--- )Pattern #(\d+)|self\.(\w+)\.(\w+)\(')


def service_attributes(text: str) -> dict[str, str]:
    """`self.order_repo = OrderRepository(...)` in usage_examples.py -> {'order_repo':
    'OrderRepository'}."""
    return dict(_SERVICE_ATTR.findall(text))


def usage_pattern_ids(text: str) -> dict[tuple[str, str], list[int]]:
    """(class, method) -> pattern ids, from the blocks of usage_examples.py (live or
    commented out): `Access Pattern #N` followed by the call it tests (several blocks can
    test one method: patterns the generator folded into a CRUD method)."""
    attrs = service_attributes(text)
    found: dict[tuple[str, str], list[int]] = {}
    current, cross_table = None, False
    for hit in _PATTERN_CALL.finditer(text):
        if hit.group(2):
            current, cross_table = int(hit.group(2)), hit.group(1) == '--- '
        elif current is not None and hit.group(3) in attrs:
            owner = attrs[hit.group(3)]
            if cross_table and owner.endswith('Repository'):
                continue  # a cross-table block's setup, not the pattern's call
            ids = found.setdefault((owner, hit.group(4)), [])
            if current not in ids:
                ids.append(current)
            current = None
    return found


# What an implemented method does, for DALs that have neither a mapping nor a stub comment.
_CALLS = (
    ('transact_write_items', 'TransactWrite'),
    ('transact_get_items', 'TransactGet'),
    ('batch_get_item', 'BatchGetItem'),
    ('batch_writer', 'BatchWriteItem'),
    ('batch_write_item', 'BatchWriteItem'),
    ('.query(', 'Query'),
    ('.scan(', 'Scan'),
    ('update_item', 'UpdateItem'),
    ('delete_item', 'DeleteItem'),
    ('self.delete(', 'DeleteItem'),
    ('put_item', 'PutItem'),
    ('get_item', 'GetItem'),
    ('self.get(', 'GetItem'),
)


def operation_in(source: str) -> str | None:
    return next((op for call, op in _CALLS if call in source), None)
