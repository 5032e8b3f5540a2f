"""Pattern blocks made runnable in sequence: deletes after reads, fresh ids for
conditional creates, and the items a ConditionCheck reads created first."""

from __future__ import annotations

import ast
import re

from bot.implement._splice import edit
from bot.implement.usage.values import sample_literal
from bot.model import AccessPattern, Dal
from bot.model._types import snake
from bot.pysource import Source, header_end, split_lines, walk

_BLOCK_ID = re.compile(r'(?:Access )?Pattern #(\d+)')


def _function(src: Source) -> ast.FunctionDef:
    """The section's method: the one statement of its one-class wrapper."""
    return src.tree.body[0].body[0]


def _units(src: Source, fn: ast.FunctionDef) -> list[tuple[int, int, ast.stmt]]:
    """Each statement of the body as whole lines, with the blank and comment lines above it
    (a block's `# Access Pattern #N` heading moves with the block)."""
    units, start = [], header_end(src.lines, fn)
    for stmt in fn.body:
        units.append((start, stmt.end_lineno, stmt))
        start = stmt.end_lineno
    return units


def _uses_created(stmt: ast.stmt, entity: str, how: str = 'read') -> bool:
    """Whether the statement reads `created_entities['<entity>']` (how='read'), pops it
    (how='pop') or assigns it (how='store'), whatever the quote style."""
    for node in walk(stmt):
        if how == 'read' and isinstance(node, ast.Subscript):
            base, key = node.value, node.slice
        elif how == 'store' and isinstance(node, ast.Assign):
            target = node.targets[0]
            if not isinstance(target, ast.Subscript):
                continue
            base, key = target.value, target.slice
        elif how == 'pop' and isinstance(node, ast.Call) and node.args:
            if not (isinstance(node.func, ast.Attribute) and node.func.attr == 'pop'):
                continue
            base, key = node.func.value, node.args[0]
        else:
            continue
        if (
            isinstance(base, ast.Name)
            and base.id == 'created_entities'
            and isinstance(key, ast.Constant)
            and key.value == entity
        ):
            return True
    return False


def _returns(dal: Dal, pattern: AccessPattern, entity: str) -> bool:
    method = dal.method(pattern.owner, pattern.method)
    returns = (method.returns or '') if method else ''
    return returns.split('|')[0].strip().strip('\'"') == entity


def _result_call(stmt: ast.stmt) -> bool:
    """`result = <call>`: how every pattern block calls its method."""
    return (
        isinstance(stmt, ast.Assign)
        and isinstance(stmt.targets[0], ast.Name)
        and stmt.targets[0].id == 'result'
        and isinstance(stmt.value, ast.Call)
    )


def _built_in(block: ast.Try, entity: str) -> set[str]:
    """Names the block assigns an `<entity>(...)` to (`test_entity = Driver(...)`)."""
    return {
        s.targets[0].id
        for s in block.body
        if isinstance(s, ast.Assign)
        and isinstance(s.targets[0], ast.Name)
        and isinstance(s.value, ast.Call)
        and isinstance(s.value.func, ast.Name)
        and s.value.func.id == entity
    }


def _listed(call: ast.Call, names: set[str]) -> str | None:
    """The last element of a `[a, b]` argument, when it is one of `names`."""
    for value in [*call.args, *(k.value for k in call.keywords)]:
        if isinstance(value, ast.List) and value.elts:
            last = value.elts[-1]
            if isinstance(last, ast.Name) and last.id in names:
                return last.id
    return None


def _keeping_track(
    src: Source, unit: tuple[int, int, ast.stmt], dal: Dal, pattern: AccessPattern
) -> str | None:
    """The block with a line after its call that keeps `created_entities` true to the
    table, or None when it needs none:
    - a DeleteItem pops the entity it deleted, so the cross-table setups create the item
      again instead of trusting an entry whose item is gone;
    - a PutItem or UpdateItem that returns the entity records it, and a BatchWriteItem the
      last entity of its list, so the patterns after it look for what the table now holds
      (a put of the sample undoes the CRUD update)."""
    start, end, block = unit
    entity = pattern.entity
    if pattern.operation == 'DeleteItem':
        done = any(_uses_created(s, entity, 'pop') for s in block.body)
        call = next((s for s in block.body if _uses_created(s, entity)), None)
        line = f'created_entities.pop({entity!r}, None)\n'
    elif pattern.operation in ('PutItem', 'UpdateItem', 'BatchWriteItem'):
        done = any(_uses_created(s, entity, 'store') for s in block.body)
        call = next((s for s in block.body if _result_call(s)), None)
        built = _built_in(block, entity)
        if pattern.operation != 'BatchWriteItem' and _returns(dal, pattern, entity):
            line = f'if result is not None:\n    created_entities[{entity!r}] = result\n'
        elif call is not None and (written := _listed(call.value, built)):
            # A batch returns nothing useful: the last entity of its list is what it wrote.
            line = f'created_entities[{entity!r}] = {written}\n'
        else:
            return None
    else:
        return None
    if done or call is None:
        return None
    lines, at = src.lines[start:end], call.end_lineno - start
    indent = src.lines[call.lineno - 1][: call.col_offset]
    added = ''.join(indent + text for text in split_lines(line))
    return ''.join([*lines[:at], added, *lines[at:]])


def deletes_last(src: Source, dal: Dal, repairs: list[str]) -> str:
    """DeleteItem blocks move after the last block that reads, so reads find their data;
    the blocks that write or delete keep `created_entities` true to the table."""
    units = _units(src, _function(src))
    lines = src.lines

    def text(unit: tuple[int, int, ast.stmt]) -> str:
        return ''.join(lines[unit[0] : unit[1]])

    blocks = [
        (i, p)
        for i, unit in enumerate(units)
        if isinstance(unit[2], ast.Try)
        and (hit := _BLOCK_ID.search(text(unit)))
        and (p := dal.pattern(int(hit.group(1)))) is not None
    ]
    deletes = [i for i, p in blocks if p.operation == 'DeleteItem']
    texts = [text(unit) for unit in units]
    tracked = []
    for i, p in blocks:
        if new := _keeping_track(src, units[i], dal, p):
            texts[i] = new
            tracked.append(f'AP {p.id}')
    order = list(range(len(units)))
    if deletes and not all(
        i > j for i in deletes for j, p in blocks if p.operation != 'DeleteItem'
    ):
        last_block = blocks[-1][0]
        rest = [i for i in order if i not in deletes]
        insert_at = rest.index(last_block) + 1 if last_block in rest else len(rest)
        order = rest[:insert_at] + deletes + rest[insert_at:]
        ids = ', '.join(f'AP {p.id}' for i, p in blocks if i in deletes)
        repairs.append(f'DeleteItem patterns {ids} run after the patterns that read the same data')
    if tracked:
        repairs.append(
            f'patterns {", ".join(tracked)} keep created_entities true to the table: what '
            'they write is recorded, what they delete is forgotten'
        )
    if order == list(range(len(units))) and not tracked:
        return src.text
    first, last = units[0][0], units[-1][1]
    body = ''.join(texts[i] for i in order)
    return ''.join(lines[:first]) + body + ''.join(lines[last:])


def _fresh(value: ast.expr, sampled: object) -> str | None:
    """A key value next to the sample's: `'res-31'` -> `'res-31-tx'`; a number equal to the
    CRUD sample's (`ts=1719835200`) -> the next one (a timestamp key: the next second).
    None when it is not such a literal, or already fresh."""
    if not isinstance(value, ast.Constant) or isinstance(value.value, bool):
        return None
    if isinstance(value.value, str) and not value.value.endswith('-tx'):
        return repr(value.value + '-tx')
    if isinstance(value.value, int) and value.value == sampled:
        return repr(value.value + 1)
    return None


class ConditionalPuts:
    """A conditional Put (`attribute_not_exists`) of an item the CRUD section already wrote
    always fails: the transaction's test entity gets a fresh id (its last key field). The
    item a ConditionCheck reads must exist: the CRUD section's sample recreates it when the
    intermediate cleanup has removed it (the generator sets up only Put items)."""

    def __init__(self, dal: Dal, attrs: dict[str, str], samples: dict[str, str]):
        self.dal, self.samples = dal, samples
        self.attr_of = {cls: attr for attr, cls in attrs.items()}

    def __call__(self, src: Source, repairs: list[str]) -> str:
        current: AccessPattern | None = None
        edits: list[tuple[int, int, str]] = []
        fixed: list[str] = []
        for stmt in _function(src).body:
            simple = not hasattr(stmt, 'body')
            if simple and (hit := re.search(r'--- Pattern #(\d+)', src.segment(stmt))):
                current = self.dal.pattern(int(hit.group(1)))
            if not isinstance(stmt, ast.Try):
                continue
            if current is None or current.operation != 'TransactWrite':
                continue
            puts = {
                i.entity
                for i in current.transaction_items
                if i.action == 'Put' and 'attribute_not_exists' in (i.condition or '')
            }
            renamed = self._fresh_ids(src, stmt, puts, edits)
            if renamed:
                fixed.append(f'AP {current.id} ({", ".join(renamed)})')
            checked = [i.entity for i in current.transaction_items if i.action == 'ConditionCheck']
            tests = {src.segment(s.test) for s in stmt.body if isinstance(s, ast.If)}
            setup = [
                s
                for e in checked
                if f'{e!r} not in created_entities' not in tests and (s := self._ensure_exists(e))
            ]
            if setup:
                first = stmt.body[0]
                indent = src.lines[first.lineno - 1][: first.col_offset]
                code = ''.join(''.join(indent + line for line in split_lines(s)) for s in setup)
                at = src.line_start(stmt.lineno + 1)
                edits.append((at, at, code))
                fixed.append(f'AP {current.id} (creates {", ".join(checked)} it checks)')
        if not fixed:
            return src.text
        repairs.append(f'transactions made runnable: {"; ".join(fixed)}')
        return edit(src.text, edits)

    def _fresh_ids(
        self, src: Source, block: ast.Try, entities: set[str], edits: list
    ) -> list[str]:
        """`Reservation(..., reservation_id='res-31')` -> `reservation_id='res-31-tx'`.
        The block's setup entities (`setup_apikey = ApiKey(...)`) keep their ids: they are
        the items the transaction's other actions (a Delete, a ConditionCheck) need."""
        setups = {
            id(node.value)
            for node in walk(block)
            if isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id.startswith('setup_')
        }
        renamed = []
        for call in walk(block):
            if not (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Name)
                and call.func.id in entities
                and id(call) not in setups
            ):
                continue
            entity = self.dal.entity(call.func.id)
            key = entity.sk if entity.sk and entity.sk.fields else entity.pk
            if key is None or not key.fields:
                continue
            field = key.fields[-1]
            sampled = sample_literal(self.samples, entity.name, field)
            for kw in call.keywords:
                fresh = _fresh(kw.value, sampled) if kw.arg == field else None
                if fresh is not None:
                    edits.append((*src.span(kw.value), fresh))
                    renamed.append(f'{entity.name}.{field}')
        return renamed

    def _ensure_exists(self, entity_name: str) -> str | None:
        repo = self.dal.repository_for(entity_name)
        attr = self.attr_of.get(repo.name) if repo else None
        create = f'create_{snake(entity_name)}'
        sample = self.samples.get(entity_name)
        if attr is None or sample is None or self.dal.method(repo.name, create) is None:
            return None
        return (
            f'if {entity_name!r} not in created_entities:\n'
            f'    created_entities[{entity_name!r}] = self.{attr}.{create}({sample})\n'
        )
