"""What the DAL's own code says: entities, key templates, repositories, methods, stubs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst
import libcst.matchers as m

from bot.model._source import ParsedModule
from bot.model._types import Field, KeyTemplate, Method, Parameter, Repository, StubHint

STUB_MARKER = 'TODO: Implement Access Pattern'
_TODO = re.compile(r'TODO: Implement Access Pattern #(\d+)')
_OPERATION = re.compile(r'#\s*Operation:\s*(\w+)(.*)')
_INDEX = re.compile(r'Index:\s*([\w-]+)(\s*\(GSI\))?')
_RANGE = re.compile(r'Range Condition:\s*(begins_with|between|>=|<=|>|<)')
_FILTER = re.compile(r'Filter Expression:\s*(.+)$')
_TABLES = re.compile(r'Tables:\s*(.+)$')

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


def _string_value(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString):
        return node.evaluated_value if isinstance(node.evaluated_value, str) else None
    return None


def template_of(node: cst.BaseExpression, owner: str) -> KeyTemplate | None:
    """`f"ORDER#{entity.order_date}"` or `self.price` -> KeyTemplate('ORDER#{order_date}')."""
    if isinstance(node, cst.FormattedString):
        text = ''
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                text += part.value
            elif isinstance(part.expression, cst.Attribute):
                text += '{' + part.expression.attr.value + '}'
            elif isinstance(part.expression, cst.Name):
                text += '{' + part.expression.value + '}'
            else:
                return None
        return KeyTemplate(text=text)
    if isinstance(node, cst.Attribute) and m.matches(node.value, m.Name(owner)):
        return KeyTemplate(text='{' + node.attr.value + '}')
    if isinstance(node, cst.Name) and owner == '':
        return KeyTemplate(text='{' + node.value + '}')
    value = _string_value(node)
    return KeyTemplate(text=value) if value is not None else None


def _templates_of(node: cst.BaseExpression, owner: str) -> list[KeyTemplate]:
    if isinstance(node, cst.Tuple):
        found = [template_of(el.value, owner) for el in node.elements]
        return [t for t in found if t is not None]
    single = template_of(node, owner)
    return [single] if single else []


def _returned(fn: cst.FunctionDef) -> cst.BaseExpression | None:
    for stmt in fn.body.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Return) and small.value is not None:
                    return small.value
    return None


def parse_entities(mod: ParsedModule) -> dict[str, CodeEntity]:
    configs: dict[str, dict[str, cst.BaseExpression]] = {}
    classes: list[cst.ClassDef] = []
    for stmt in mod.module.body:
        if m.matches(
            stmt,
            m.SimpleStatementLine(
                body=[
                    m.Assign(
                        targets=[m.AssignTarget(m.Name())], value=m.Call(m.Name('EntityConfig'))
                    )
                ]
            ),
        ):
            assign = stmt.body[0]
            configs[assign.targets[0].target.value] = {
                a.keyword.value: a.value for a in assign.value.args if a.keyword
            }
        elif isinstance(stmt, cst.ClassDef):
            classes.append(stmt)

    entities: dict[str, CodeEntity] = {}
    for cls in classes:
        entity = CodeEntity(name=cls.name.value, line=mod.line(cls.name.value))
        config_name = None
        for stmt in cls.body.body:
            if m.matches(stmt, m.SimpleStatementLine(body=[m.AnnAssign(target=m.Name())])):
                ann = stmt.body[0]
                annotation = mod.code(ann.annotation.annotation)
                base = annotation.split('[')[0].split('|')[0].strip()
                entity.fields.append(
                    Field(
                        name=ann.target.value,
                        type=_ANNOTATION_TYPES.get(base, 'string'),
                        required=ann.value is None,
                    )
                )
            elif isinstance(stmt, cst.FunctionDef):
                name = stmt.name.value
                returned = _returned(stmt)
                if name == 'get_config' and isinstance(returned, cst.Name):
                    config_name = returned.value
                elif returned is not None and (
                    hit := re.match(r'build_gsi_(pk|sk)_(?!for_lookup)(\w+)$', name)
                ):
                    part, index = hit.groups()
                    pk_sk = entity.index_keys.setdefault(index, ([], []))
                    pk_sk[0 if part == 'pk' else 1].extend(_templates_of(returned, 'self'))
        if config_name is None and not entity.fields:
            continue
        config = configs.get(config_name or '', {})
        if isinstance(config.get('entity_type'), cst.SimpleString):
            entity.entity_type = _string_value(config['entity_type']) or ''
        for key, attr in (('pk_builder', 'pk'), ('sk_builder', 'sk')):
            builder = config.get(key)
            if isinstance(builder, cst.Lambda):
                params = builder.params.params
                owner = params[0].name.value if params else ''
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
    return StubHint(**values)


def body_comments(fn: cst.FunctionDef) -> list[str]:
    comments: list[str] = []
    block = fn.body
    if not isinstance(block, cst.IndentedBlock):
        return comments
    if block.header.comment:
        comments.append(block.header.comment.value)
    for stmt in block.body:
        comments += [ll.comment.value for ll in stmt.leading_lines if ll.comment]
        trailing = getattr(stmt, 'trailing_whitespace', None)
        if trailing is not None and trailing.comment:
            comments.append(trailing.comment.value)
    comments += [ll.comment.value for ll in block.footer if ll.comment]
    return comments


def is_stub(fn: cst.FunctionDef) -> bool:
    """Docstring, the generator's TODO comment block and `pass`: nothing a human wrote."""
    block = fn.body
    if not isinstance(block, cst.IndentedBlock):
        return False
    saw_pass = False
    for i, stmt in enumerate(block.body):
        if not isinstance(stmt, cst.SimpleStatementLine):
            return False
        for small in stmt.body:
            if isinstance(small, cst.Pass):
                saw_pass = True
            elif not (
                i == 0 and m.matches(small, m.Expr(m.SimpleString() | m.ConcatenatedString()))
            ):
                return False
    return saw_pass and any(STUB_MARKER in c for c in body_comments(fn))


def _parameters(mod: ParsedModule, fn: cst.FunctionDef) -> tuple[Parameter, ...]:
    params: list[Parameter] = []

    def add(p: cst.Param, kind: str) -> None:
        params.append(
            Parameter(
                name=p.name.value,
                annotation=mod.code(p.annotation.annotation) if p.annotation else None,
                default=mod.code(p.default) if p.default else None,
                kind=kind,
            )
        )

    for p in (*fn.params.posonly_params, *fn.params.params):
        add(p, 'positional')
    if isinstance(fn.params.star_arg, cst.Param):
        add(fn.params.star_arg, 'star')
    for p in fn.params.kwonly_params:
        add(p, 'keyword')
    if fn.params.star_kwarg:
        add(fn.params.star_kwarg, 'double_star')
    if params and params[0].name in ('self', 'cls'):
        params = params[1:]
    return tuple(params)


def parse_method(mod: ParsedModule, owner: str, fn: cst.FunctionDef) -> Method:
    stub = is_stub(fn)
    return Method(
        file=mod.path.name,
        owner=owner,
        name=fn.name.value,
        line=mod.line(owner, fn.name.value),
        parameters=_parameters(mod, fn),
        returns=mod.code(fn.returns.annotation) if fn.returns else None,
        docstring=fn.get_docstring(clean=True),
        is_stub=stub,
        hint=parse_hint(body_comments(fn)) if stub else None,
    )


def _super_init_args(fn: cst.FunctionDef) -> list[cst.Arg] | None:
    found = m.findall(
        fn, m.Call(func=m.Attribute(value=m.Call(func=m.Name('super')), attr=m.Name('__init__')))
    )
    return list(found[0].args) if found else None


def parse_repositories(
    mod: ParsedModule,
) -> tuple[list[Repository], list[Method], dict[str, str]]:
    """Repositories, their methods, and each method's source text (for index/key hints)."""
    repos: list[Repository] = []
    methods: list[Method] = []
    sources: dict[str, str] = {}
    for cls in mod.module.body:
        if not isinstance(cls, cst.ClassDef):
            continue
        entity = None
        for base in cls.bases:
            if m.matches(base.value, m.Subscript(value=m.Name('BaseRepository'))):
                entity = mod.code(base.value.slice[0].slice.value)
        if entity is None:
            continue
        table_name, pkey, skey = '', '', None
        for fn in cls.body.body:
            if not isinstance(fn, cst.FunctionDef):
                continue
            if fn.name.value == '__init__':
                for p in fn.params.params:
                    if p.name.value == 'table_name' and p.default is not None:
                        table_name = _string_value(p.default) or ''
                args = _super_init_args(fn) or []
                if len(args) >= 3:
                    pkey = _string_value(args[2].value) or ''
                if len(args) >= 4:
                    skey = _string_value(args[3].value)
                continue
            method = parse_method(mod, cls.name.value, fn)
            methods.append(method)
            sources[f'{cls.name.value}.{method.name}'] = mod.code(fn)
        repos.append(
            Repository(
                name=cls.name.value,
                entity=entity,
                table_name=table_name,
                pkey_name=pkey,
                skey_name=skey,
                line=mod.line(cls.name.value),
            )
        )
    return repos, methods, sources


def parse_service(mod: ParsedModule) -> tuple[list[Method], dict[str, str]]:
    methods: list[Method] = []
    sources: dict[str, str] = {}
    for cls in mod.module.body:
        if isinstance(cls, cst.ClassDef):
            for fn in cls.body.body:
                if isinstance(fn, cst.FunctionDef) and not fn.name.value.startswith('__'):
                    methods.append(parse_method(mod, cls.name.value, fn))
                    sources[f'{cls.name.value}.{fn.name.value}'] = mod.code(fn)
    return methods, sources


_SERVICE_ATTR = re.compile(r'self\.(\w+)\s*=\s*(\w+)\(')
_PATTERN_CALL = re.compile(r'(Access |--- )Pattern #(\d+)|self\.(\w+)\.(\w+)\(')


def usage_pattern_ids(text: str) -> dict[tuple[str, str], int]:
    """(class, method) -> pattern id, from the blocks of usage_examples.py (live or
    commented out): `Access Pattern #N` followed by the call it tests."""
    attrs = dict(_SERVICE_ATTR.findall(text))
    found: dict[tuple[str, str], int] = {}
    current, cross_table = None, False
    for hit in _PATTERN_CALL.finditer(text):
        if hit.group(2):
            current, cross_table = int(hit.group(2)), hit.group(1) == '--- '
        elif current is not None and hit.group(3) in attrs:
            owner = attrs[hit.group(3)]
            if cross_table and owner.endswith('Repository'):
                continue  # a cross-table block's setup, not the pattern's call
            found.setdefault((owner, hit.group(4)), current)
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
