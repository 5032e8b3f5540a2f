"""Only names the DAL defines: what a new body uses of the DAL's classes, checked against the
DAL's own code before the body is written.

Generations of the generator name things differently (`build_gsi_pk_for_lookup_dealsbybrand`
vs `..._deals_by_brand`, `get(pk, sk)` without `consistent_read`); a body that calls what its
DAL does not define raises at run time in the user's code. Checked: `self.x`, `Entity.x`,
`param.x` (a parameter annotated with a class of the DAL, or a loop variable over a list of
them), `self.model_class`, and every call of such a method against its parameters.
"""

from __future__ import annotations

import ast

from bot import pysource
from bot.model import Dal, Method, Signature

# What the bases the DAL imports give its classes (pydantic's BaseModel for the entities).
EXTERNAL_MEMBERS: dict[str, frozenset[str]] = {
    'BaseModel': frozenset(
        {
            'model_dump',
            'model_dump_json',
            'model_copy',
            'model_validate',
            'model_fields',
            'model_construct',
        }
    ),
    'Generic': frozenset(),
    'object': frozenset(),
}

Bound = tuple[str, bool]  # (class name, an instance: True; the class itself: False)


class Names:
    """The DAL's classes and what each defines, each looked up once: plan checks stub after
    stub against the same members."""

    def __init__(self, dal: Dal):
        self.dal = dal
        self._apis = {c.name: c for c in reversed(dal.classes)}  # the first of a name wins
        self._lineages: dict[str, tuple[list, set[str]]] = {}
        self._members: dict[tuple[str, str], Signature | str | None] = {}

    def defines(self, cls: str | None) -> bool:
        return cls in self._apis

    def lineage(self, cls: str) -> tuple[list, set[str]]:
        if cls not in self._lineages:
            self._lineages[cls] = self.dal.lineage(cls)
        return self._lineages[cls]

    def member(self, cls: str, name: str) -> Signature | str | None:
        if (cls, name) not in self._members:
            self._members[cls, name] = self.dal.member(cls, name)
        return self._members[cls, name]


def undefined_names(dal: Dal, method: Method, body: str, names: Names | None = None) -> list[str]:
    """What `body` (the new statements of `method`) uses that the DAL does not define, one
    sentence each; empty when every name resolves (`names`: the DAL's, when the caller
    checks several bodies)."""
    names = names or Names(dal)
    loops, calls, attributes = [], {}, []
    for node in pysource.walk(pysource.parse(body)):
        kind = type(node)
        if kind is ast.Attribute:
            attributes.append(node)
        elif kind is ast.Call:
            calls[id(node.func)] = node
        elif kind is ast.For or kind is ast.comprehension:
            loops.append(node)
    env: dict[str, Bound] = {'self': (method.owner, True)}
    for p in method.parameters:
        cls = _annotated_class(names, p.annotation, element=False)
        if cls:
            env[p.name] = (cls, True)
    for node in loops:
        # `for entity in entities` over a `list[Entity]` parameter.
        if (
            isinstance(node.target, ast.Name)
            and isinstance(node.iter, ast.Name)
            and (param := method.parameter(node.iter.id)) is not None
            and (cls := _annotated_class(names, param.annotation, element=True))
        ):
            env[node.target.id] = (cls, True)
    found: list[tuple[int, int, str]] = []
    for node in attributes:
        if not isinstance(node.ctx, ast.Load):
            continue
        owner = _resolve(names, env, node.value)
        if owner is None:
            continue
        problem = _check(names, owner, node, calls.get(id(node)))
        if problem:
            found.append((node.lineno, node.col_offset, problem))
    return list(dict.fromkeys(problem for *_, problem in sorted(found)))


def _annotated_class(names: Names, annotation: str | None, element: bool) -> str | None:
    """`Order`, `'Order'`, `Order | None` -> Order; with `element`, `list[Order]` -> Order."""
    text = (annotation or '').split('|')[0].strip().strip('\'"')
    if element:
        head, _, rest = text.partition('[')
        if head not in ('list', 'List', 'Iterable', 'Sequence', 'tuple') or not rest:
            return None
        text = rest.rstrip(']').split(',')[0].strip().strip('\'"')
    return text if names.defines(text) else None


def _resolve(names: Names, env: dict[str, Bound], node: ast.expr) -> Bound | None:
    match node:
        case ast.Name(id=name) if name in env:
            return env[name]
        case ast.Name(id=name) if names.defines(name):
            return name, False
        case ast.Attribute(value=ast.Name(id='self'), attr='model_class'):
            repo = names.dal.repository(env['self'][0])
            return (repo.entity, False) if repo and names.defines(repo.entity) else None
    return None


def _check(names: Names, owner: Bound, node: ast.Attribute, call: ast.Call | None) -> str | None:
    cls, instance = owner

    def where() -> str:
        return f'{cls}.{node.attr}' if not instance else f'{ast.unparse(node)}'

    found = names.member(cls, node.attr)
    if found is None:
        external = names.lineage(cls)[1]
        if any(node.attr in EXTERNAL_MEMBERS.get(base, ()) for base in external):
            return None
        return f'{where()}: {cls} defines no {node.attr!r}'
    if not isinstance(found, Signature):
        return None  # an attribute (a field, self.table): what it holds is not the DAL's
    if not instance and found.kind not in ('class', 'static'):
        return f'{where()}: an instance method of {cls}, used on the class'
    if call is None or found.kind == 'property':
        return None
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        return None  # *args / **kwargs: not known before run time
    refusal = found.refusal(len(call.args), [k.arg for k in call.keywords])
    return (
        f'{where()}: {refusal} (line {found.line} of {_file(names, cls, found)})'
        if refusal
        else None
    )


def _file(names: Names, cls: str, signature: Signature) -> str:
    for api in names.lineage(cls)[0]:
        if signature in api.methods:
            return api.file
    return '?'
