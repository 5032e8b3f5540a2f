"""Index-key repair: the GSI key attributes the generated create() and update() leave out.

Both write `model_dump(exclude_none=True)` plus pk/sk, so an attribute built from a template
(`status_pk = 'STATUS#{status}'`) never reaches DynamoDB and the item never appears in that
index. Each such attribute becomes a pydantic computed field of the entity in entities.py:
model_dump() then carries it on every write, reading an item back still builds the entity
(pydantic ignores input named like a computed field), and a key built from a field that is None
is None itself, which `exclude_none` leaves out, so a sparse index stays sparse.

The value comes from the generator's own instance builder (`build_gsi_pk_status_index()`) when
the class has one, so the written key is the one its lookups build; else from the template
(`_context.gsi_key`, as the templates build keys).
Edits are text inserted at the end of each class (positions from `ast`), formatted with the
DAL's ruff.toml; an entity that already has a member of that name is left alone.
"""

from __future__ import annotations

import ast
import re

from bot.implement._context import gsi_key
from bot.implement._format import Ruff, format_methods
from bot.implement._models import IndexKeyAdded
from bot.implement._splice import add_imports
from bot.model import Dal, Entity
from bot.model._types import BuiltKey
from bot.pysource import Source, footer_end, split_lines

FILE = 'entities.py'
COMMENT = (
    '# GSI key attributes the generated create() and update() leave out of the item\n'
    '# (they write model_dump() plus pk/sk only): as computed fields they are written too.\n'
)
# Pydantic refuses input named like a computed field under extra='forbid'.
_FORBID = re.compile(r"""extra\s*=\s*['"]forbid['"]""")
_PART = {'pk': 'partition', 'sk': 'sort'}
_WRITES = ('PutItem', 'UpdateItem', 'BatchWriteItem')


def _member(dal: Dal, entity: Entity, key: BuiltKey) -> str:
    name = key.attribute.name
    kind = 'Decimal | int' if key.attribute.type == 'N' else 'str'
    optional = [
        f for f in key.template.fields if (fd := entity.field(f)) is not None and not fd.required
    ]
    doc = (
        (
            f'{key.index} {_PART[key.part]} key {key.template.text}'
            + ('; None (not written) without ' + ', '.join(optional) if optional else '')
            + '.'
        )
        .replace('\\', '\\\\')
        .replace('"""', "'''")
    )  # a template is text: keep the docstring one
    lines = ['@computed_field', '@property', f'def {name}(self) -> {kind} | None:']
    lines.append(f'    """{doc}"""')
    if optional:
        cond = ' or '.join(f'self.{f} is None' for f in optional)
        lines += [f'    if {cond}:', '        return None']
    value = gsi_key(  # the generator's instance builder, else the template inline
        dal,
        entity,
        key.part,
        key.index,
        var='self',
        position=None if key.of == 1 else key.position,
    )
    lines.append(f'    return {value}')
    return ''.join(f'    {line}\n' for line in lines)


def repair_index_keys(
    dal: Dal, file: Source | str, ruff: Ruff | None = None
) -> tuple[str, list[IndexKeyAdded], list[str]] | None:
    """entities.py (its text with `\\n` line ends, or its Source when the caller parsed it)
    with a computed field for every built GSI key attribute no write carries, what was added,
    and what could not be (with the reason). None when nothing is missing. `ruff`: a formatter
    started ahead, used when there is something to add."""
    file = Source(file) if isinstance(file, str) else file
    text = file.text
    classes = {c.name: c for c in file.tree.body if isinstance(c, ast.ClassDef)}
    base = dal.path / 'base_repository.py'
    forbid = _FORBID.search(text) or (base.is_file() and _FORBID.search(base.read_text()))
    added: list[tuple[Entity, BuiltKey]] = []
    left: list[str] = []
    inserts: dict[str, tuple[int, list[tuple[Entity, BuiltKey]]]] = {}
    for entity in dal.entities:
        table = dal.table(entity.table)
        cls = classes.get(entity.name)
        missing = entity.unwritten_keys(table) if table and cls else []
        if not missing:
            continue
        mine = []
        for key in missing:
            name = key.attribute.name
            where = f'{entity.name}.{name} ({key.index})'
            if forbid:
                left.append(
                    f"{where}: the model forbids extra input (extra='forbid'), so "
                    'an item carrying it could not be read back'
                )
            elif not name.isidentifier() or name.startswith('_'):
                left.append(f'{where}: not a name a computed field can have')
            elif dal.member(entity.name, name) is not None:  # inherited names count too
                left.append(f'{where}: the class already defines {name!r} (not written)')
            elif any(entity.field(f) is None for f in key.template.fields):
                left.append(f'{where}: its template {key.template.text!r} names a non-field')
            else:
                mine.append((entity, key))
        if mine:
            inserts[entity.name] = (_class_end(file, cls), mine)
            added += mine
    if not added:
        return None if not left else (text, [], left)

    methods = []
    for name, (_, mine) in inserts.items():
        methods.append((name, '\n'.join(_member(dal, e, k) for e, k in mine)))
    formatted = dict(zip(inserts, format_methods(methods, dal.path, ruff), strict=True))
    lines = split_lines(text)
    out: list[IndexKeyAdded] = []
    shift = 0
    for name, (at, mine) in sorted(inserts.items(), key=lambda kv: kv[1][0]):
        block = '\n' + ''.join(f'    {c}' for c in split_lines(COMMENT)) + formatted[name]
        block_lines = split_lines(block)
        lines[at + shift : at + shift] = block_lines
        for e, k in mine:
            def_line = next(
                i
                for i, line in enumerate(block_lines)
                if line.strip().startswith(f'def {k.attribute.name}(')
            )
            out.append(
                IndexKeyAdded(
                    entity=e.name,
                    attribute=k.attribute.name,
                    index=k.index,
                    part=k.part,
                    template=k.template.text,
                    line=at + shift + def_line + 1,
                    patterns=_readers(dal, e, k),
                    writers=_writers(dal, e),
                )
            )
        shift += len(block_lines)
    new = ''.join(lines)
    imports = {('pydantic', 'computed_field')}
    if any(k.attribute.type == 'N' for _, k in added):
        imports.add(('decimal', 'Decimal'))
    before = len(split_lines(new))
    new = add_imports(new, imports)
    moved = len(split_lines(new)) - before  # imports added above every class
    return new, [a.model_copy(update={'line': a.line + moved}) for a in out], left


def _readers(dal: Dal, entity: Entity, key: BuiltKey) -> list[int]:
    return [p.id for p in dal.patterns if p.entity == entity.name and p.index_name == key.index]


def _writers(dal: Dal, entity: Entity) -> list[int]:
    """Patterns whose own code may write the entity's built keys (the bot's PutItem and
    BatchWriteItem write them all, its updates those built from the fields they SET): with
    the generated create() alone, an index read could find nothing before the repair."""
    return [
        p.id
        for p in dal.patterns
        if (p.operation in _WRITES and p.entity == entity.name)
        or any(
            i.entity == entity.name and i.action in ('Put', 'Update') for i in p.transaction_items
        )
    ]


def _class_end(file: Source, cls: ast.ClassDef) -> int:
    """Index of the line after a class's last statement (and the comments that trail it)."""
    last = cls.body[-1]
    if isinstance(last, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return footer_end(file.lines, last)
    return last.end_lineno


__all__ = ['FILE', 'repair_index_keys']
