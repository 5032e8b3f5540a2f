"""What an operation template gets: one stub, everything the model knows around it.

Also the shared vocabulary of the templates: binding key fields to parameters, converting
values to the key attribute's DynamoDB type, and the error wrapper every call uses.
"""

from __future__ import annotations

import ast
import functools
import keyword
import re
import textwrap
from dataclasses import dataclass, field

from bot import pysource
from bot.model import (
    PAGINATION,
    AccessPattern,
    Dal,
    Entity,
    KeyTemplate,
    Method,
    Parameter,
    Repository,
    Signature,
    Table,
)
from bot.model._types import snake, squashed

NUMBER_ANNOTATIONS = ('int', 'Decimal')


class Unmappable(Exception):
    """The stub's shape cannot be mapped to code without guessing; the message says why."""


Statement = str  # one statement's source at column 0, ending in a newline


@dataclass
class Rendered:
    body: list[Statement]
    imports: set[tuple[str, str]] = field(default_factory=set)

    @property
    def code(self) -> str:
        return ''.join(self.body)


def checkable(template: str) -> str:
    """The template as `statements` reads it (dedented, one trailing newline), its
    placeholders as names: the Python source bot.implement.template_check parses."""
    return _PLACEHOLDER.sub(r'__tpl_\1__', _text(template))


def _text(template: str) -> str:
    return textwrap.dedent(template).strip('\n') + '\n'


@functools.cache
def _template(template: str) -> list[str | tuple[str | None, str]]:
    """A template split once into text and `{name}` placeholders: (indent, name) for one
    alone on its line (statements may go there), else (None, name).

    Not parsed here: every template is checked where one can change (the tests and the
    image build: bot.implement.template_check); a body from a broken one would still fail
    to parse before any file gets it."""
    parts: list[str | tuple[str | None, str]] = []
    for line in _text(template).splitlines(keepends=True):
        if alone := _ALONE.fullmatch(line):
            parts += [(alone[1], alone[2]), '\n']
            continue
        for i, piece in enumerate(_PLACEHOLDER.split(line)):
            parts.append(piece if i % 2 == 0 else (None, piece))
    return parts


_PLACEHOLDER = re.compile(r'\{(\w+)\}')
_ALONE = re.compile(r'( *)\{(\w+)\}\n')
_DOTTED = re.compile(r'[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*')


def _expression(name: str, source: str) -> str:
    """An expression's source, checked to be one expression on its own (it is placed as
    written: a value that parses only with the template around it is a bug), with no string
    spanning lines (nested in a block, every line is indented: the string would change)."""
    problem = _expression_problem(source)
    if problem:
        raise ValueError(f'template value {name}={source!r} {problem}')
    return source


@functools.lru_cache(maxsize=4096)  # the templates place the same values stub after stub
def _expression_problem(source: str) -> str | None:
    if _DOTTED.fullmatch(source):
        return None
    try:
        tree = pysource.parse(source, '<template value>', 'eval')
    except SyntaxError:
        return 'is not an expression'
    if '\n' in source and any(
        isinstance(n, ast.Constant | ast.JoinedStr) and n.lineno != n.end_lineno
        for n in ast.walk(tree)
    ):
        return 'has a string spanning lines'
    return None


def statements(template: str, **values: str | list[Statement]) -> list[Statement]:
    """A code template filled as text: a `{placeholder}` takes an expression's source, or,
    alone on its line, statements (a list) indented to where it stands. A template is one
    statement (compound ones included): the list holds it."""
    out = []
    for part in _template(template):
        if isinstance(part, str):
            out.append(part)
            continue
        indent, name = part
        value = values[name]
        if isinstance(value, list):  # statements: the line is theirs
            out.append(''.join(textwrap.indent(s, indent) for s in value).removesuffix('\n'))
        else:
            out += [indent or '', _expression(name, value)]
    return [''.join(out)]


def literal(value: object) -> str:
    """Source for a constant: single-quoted like the generator's ruff config."""
    return repr(value)


@dataclass
class Stub:
    dal: Dal
    method: Method
    pattern: AccessPattern

    @property
    def entity(self) -> Entity | None:
        return self.dal.entity(self.pattern.entity)

    @property
    def repository(self) -> Repository | None:
        return self.dal.repository(self.method.owner)

    @property
    def table(self) -> Table | None:
        repo = self.repository
        return self.dal.table(
            repo.table_name if repo else (self.entity.table if self.entity else None)
        )

    @property
    def entity_name(self) -> str:
        if self.entity is None:
            raise Unmappable(f'entity {self.pattern.entity!r} is not defined in entities.py')
        return self.entity.name

    @property
    def params(self) -> list[Parameter]:
        return [p for p in self.method.parameters if p.kind in ('positional', 'keyword')]

    @property
    def business_params(self) -> list[Parameter]:
        """Parameters that carry values, without the pagination tail."""
        return [p for p in self.params if p.name not in PAGINATION]

    def has_param(self, name: str) -> bool:
        return any(p.name == name for p in self.params)

    def entity_params(self, entity: str | None = None) -> list[Parameter]:
        """Parameters annotated with an entity class (`order: Order`)."""
        names = {entity} if entity else {e.name for e in self.dal.entities}
        return [p for p in self.params if _bare(p.annotation) in names]

    def list_params(self) -> list[Parameter]:
        return [
            p for p in self.business_params if (p.annotation or '').startswith(('list', 'List'))
        ]

    # --- what the method returns -------------------------------------------------------
    @property
    def returns(self) -> str:
        return (self.method.returns or 'None').replace(' ', '')

    def returns_page(self) -> bool:
        return self.returns.startswith('tuple')

    def returns_dicts(self) -> bool:
        return 'dict[str,Any]' in self.returns.split('|')[0] or (
            'list[dict' in self.returns and not self.returns.startswith('dict')
        )

    def returns_bool(self) -> bool:
        return self.returns == 'bool'

    def returns_entity(self) -> bool:
        name = self.entity.name if self.entity else None
        return name is not None and self.returns.split('|')[0] == name


def _bare(annotation: str | None) -> str:
    return (annotation or '').split('|')[0].strip().strip('\'"')


def gsi_builder(
    dal: Dal, entity: Entity, part: str, index: str, lookup: bool = True
) -> str | None:
    """The name this DAL gives the entity's GSI key builder (`build_gsi_pk_for_lookup_<index>`
    class method, or the instance method `build_gsi_pk_<index>`): `<index>` in snake case
    (2.1.x: `deals_by_brand`) or lowercased without separators (pre-release: `dealsbybrand`).
    None when the entity defines neither."""
    middle = 'for_lookup_' if lookup else ''
    for form in dict.fromkeys((snake(index), squashed(index))):
        name = f'build_gsi_{part}_{middle}{form}'
        found = dal.member(entity.name, name)
        if isinstance(found, Signature) and (found.kind == 'class') == lookup:
            return name
    return None


def gsi_key(
    dal: Dal,
    entity: Entity,
    part: str,
    index: str,
    *,
    args: dict[str, str] | None = None,
    var: str | None = None,
    position: int | None = None,
) -> str:
    """Source of the entity's key value for one index (`part` 'pk' or 'sk').

    Through the builder the DAL defines (`var`: the instance builder of that entity;
    else the class builder, `args` giving each template field's source by name), or, when
    the DAL defines none, the same value built inline from the key templates as the
    generator's builders build it. `position`: one attribute of a multi-attribute key;
    None: the whole value (a tuple for a multi-attribute key).
    """
    keys = entity.keys_for(index)
    templates = (keys.partition if part == 'pk' else keys.sort) if keys else ()
    if not templates:
        raise Unmappable(f'{entity.name} has no {part} key templates for index {index!r}')
    fields = [f for t in templates for f in t.fields]
    sources = {f: f'{var}.{f}' for f in fields} if var else dict(args or {})
    builder = gsi_builder(dal, entity, part, index, lookup=var is None)
    if builder is not None and var:
        whole = f'{var}.{builder}()'
    elif builder is not None:
        signature = dal.member(entity.name, builder)
        names = [p.name for p in signature.parameters if p.kind == 'positional']
        order = names if set(names) == set(sources) else list(sources)
        whole = f'{entity.name}.{builder}({", ".join(sources[n] for n in order)})'
    else:
        missing = [f for f in fields if f not in sources]
        if missing:
            raise Unmappable(f'no value for {missing} of the {index!r} key of {entity.name}')
        values = [_inline(entity, t, sources, multi=len(templates) > 1) for t in templates]
        if position is not None:
            return values[position]
        return values[0] if len(values) == 1 else '(' + ', '.join(values) + ')'
    return whole if position is None else f'{whole}[{position}]'


def _inline(entity: Entity, template: KeyTemplate, sources: dict[str, str], multi: bool) -> str:
    """A key template as an expression, the way the generator's builders return it: a lone
    numeric field as the number, anything else (every part of a multi-attribute key) as text."""
    if template.is_single_field and not multi:
        field = entity.field(template.fields[0])
        if field is not None and field.numeric:
            return sources[template.fields[0]]
    text = template.text
    for f in template.fields:
        text = text.replace('{' + f + '}', '{' + sources[f] + '}')
    return 'f' + literal(text)


def is_identifier(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def bind_fields(stub: Stub, fields: list[str], used: set[str]) -> list[str]:
    """Source expressions for key template fields: the parameter of that name, the field
    of an entity passed in, or the one unambiguous alias (bot.model's `key_alias`).
    Anything else would be a guess."""
    out = []
    entity_params = stub.entity_params()
    aliases = stub.pattern.key_aliases
    for f in fields:
        if stub.has_param(f):
            out.append(f)
            used.add(f)
            continue
        if f in aliases:
            out.append(aliases[f])
            used.add(aliases[f])
            continue
        owner = next(
            (
                p
                for p in entity_params
                if (e := stub.dal.entity(_bare(p.annotation))) and e.field(f)
            ),
            None,
        )
        if owner is None:
            raise Unmappable(f'no parameter gives key field {f!r}')
        out.append(f'{owner.name}.{f}')
        used.add(owner.name)
    return out


def to_number(param: Parameter) -> list[Statement]:
    """Statements that turn a parameter into a Decimal for a numeric (N) key or filter value.

    The schemas declare some range parameters as strings on numeric keys; DynamoDB still
    needs a number, and a value that cannot be one must fail with its name in the message.
    """
    if param.annotation in NUMBER_ANNOTATIONS:
        return []
    if param.annotation == 'float':
        return statements('{p} = Decimal(str({p}))', p=param.name)
    return statements(
        """
try:
    {p} = Decimal(str({p}))
except InvalidOperation as e:
    raise ValueError({message}) from e
""",
        p=param.name,
        message='f' + repr(f'{param.name} must be a number, got {{{param.name}!r}}'),
    )


NUMBER_IMPORTS = {('decimal', 'Decimal'), ('decimal', 'InvalidOperation')}


def client_error(what: str) -> str:
    """The message every wrapped ClientError carries: operation and entity named."""
    return "f'" + what + ": {e}'"


def wrapped_call(target: str, call: str, what: str) -> list[Statement]:
    """`target = call` with ClientError turned into RuntimeError naming operation and entity."""
    if target:
        return statements(
            """
try:
    {target} = {call}
except ClientError as e:
    raise RuntimeError({message}) from e
""",
            target=target,
            call=call,
            message=client_error(what),
        )
    return statements(
        """
try:
    {call}
except ClientError as e:
    raise RuntimeError({message}) from e
""",
        call=call,
        message=client_error(what),
    )


CLIENT_ERROR_IMPORT = ('botocore.exceptions', 'ClientError')
