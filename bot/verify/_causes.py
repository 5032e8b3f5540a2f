"""Why an `empty` verdict is empty, when the model and the script say so.

Pure functions over the model and the text of usage_examples.py. Two causes are named:
- an index keyed on built attributes that nothing writes (the generator's create() omits them);
- a filter clause that the script's own sample excludes: `attribute_not_exists(x)` against a
  sample that sets x, `attribute_exists(x)` against one that leaves it unset. The value is the
  one written in the script (the constructor of `sample_<entity>`), with its line.
"""

from __future__ import annotations

import ast

from bot.model import AccessPattern, Dal, Entity

SCRIPT = 'usage_examples.py'


def unwritten_index_keys(dal: Dal, pattern: AccessPattern) -> str | None:
    """An index read finds only items whose built key attributes (`GSI1PK = 'EMAIL#…'`) were
    written: the generator's create() writes fields and pk/sk; the bot's PutItem and
    BatchWriteItem write the keys, and so does the entity once it has them as computed fields
    (the index-key repair)."""
    entity = dal.entity(pattern.entity)
    table = dal.table(entity.table) if entity else None
    if table is None or not pattern.index_name:
        return None
    built = [
        k.attribute.name for k in entity.unwritten_keys(table) if k.index == pattern.index_name
    ]
    if not built:
        return None
    are = 'are built keys' if len(built) > 1 else 'is a built key'
    return (
        f'{", ".join(built)} of {pattern.index_name} {are}, and the generated create() '
        f'does not write them: only items written by a PutItem or BatchWriteItem pattern of '
        f'{entity.name} are in the index (the index-key repair, on by default, adds them)'
    )


def _sample(source: str, entity: Entity) -> tuple[ast.Call, int] | None:
    """The script's sample of the entity, and its line: the `sample_<x> = Entity(...)` last
    assigned before the CRUD `create_<x>(sample_<x>)` call (else the first one)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    samples = [
        (node.targets[0].id, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == entity.name
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id.startswith('sample_')
    ]
    if not samples:
        return None
    creates = [
        (node.lineno, node.args[0].id)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr.startswith('create')
        and node.args
        and isinstance(node.args[0], ast.Name)
    ]
    for at, name in sorted(creates):
        before = [c for n, c in samples if n == name and c.lineno < at]
        if before:
            call = max(before, key=lambda c: c.lineno)
            return call, call.lineno
    call = min((c for _, c in samples), key=lambda c: c.lineno)
    return call, call.lineno


def excluding_filter(dal: Dal, pattern: AccessPattern, source: str) -> str | None:
    """The filter clause(s) that exclude the script's sample item, with the value it has."""
    entity = dal.entity(pattern.entity)
    flt = pattern.filter
    if entity is None or flt is None or pattern.operation not in ('Query', 'Scan'):
        return None
    sample = _sample(source, entity)
    if sample is None:
        return None
    call, line = sample
    given = {
        k.arg: k.value
        for k in call.keywords
        if k.arg and not (isinstance(k.value, ast.Constant) and k.value.value is None)
    }
    failing = []
    for c in flt.conditions:
        if c.function == 'attribute_not_exists' and c.field in given:
            value = ast.get_source_segment(source, given[c.field]) or '…'
            failing.append(
                f"attribute_not_exists({c.field}) excludes the script's item: {c.field}={value}"
            )
        elif c.function == 'attribute_exists' and c.field not in given:
            failing.append(
                f"attribute_exists({c.field}) excludes the script's item: {c.field} is not set"
            )
    if not failing or (flt.logical_operator == 'OR' and len(failing) < len(flt.conditions)):
        return None
    return 'filter ' + '; '.join(failing) + f' ({SCRIPT}:{line})'


def empty_cause(dal: Dal, pattern: AccessPattern, source: str) -> str | None:
    return excluding_filter(dal, pattern, source) or unwritten_index_keys(dal, pattern)


__all__ = ['empty_cause', 'excluding_filter', 'unwritten_index_keys']
