"""load_dal: code (always) + access_pattern_mapping.json + schema.json (when present).

The code is the truth when they disagree: method names, owners and signatures come from
the code; the stub's own `# Operation:` line wins over the mapping.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from bot.errors import BadInput
from bot.files import REQUIRED_FILES
from bot.model._code import (
    CodeEntity,
    operation_in,
    parse_classes,
    parse_entities,
    parse_repositories,
    parse_service,
    usage_pattern_ids,
)
from bot.model._filter_text import parse_filter_text
from bot.model._infer import infer_from_names
from bot.model._source import ParsedModule, read_json
from bot.model._types import (
    OPERATIONS,
    AccessPattern,
    Dal,
    Entity,
    Field,
    FilterCondition,
    FilterExpression,
    Index,
    IndexKeys,
    KeyAttribute,
    KeyTemplate,
    Method,
    PatternParameter,
    Repository,
    Table,
    TransactionItem,
)

_INDEX_NAME = re.compile(r"""IndexName['"]?\s*[:=]\s*['"]([\w.-]+)['"]""")
_KEY_NAME = re.compile(r"""Key\(\s*['"]([\w.-]+)['"]\s*\)""")
_PROJECTION = re.compile(r'Projection:\s*(ALL|KEYS_ONLY|INCLUDE)')


T = TypeVar('T')


def _read(mod: ParsedModule, reader: Callable[[ParsedModule], T]) -> T:
    """reader(mod), once per parsed module: a model read again with known modules reuses
    what they gave (the caller copies what it extends)."""
    if reader not in mod.derived:
        mod.derived[reader] = reader(mod)
    return mod.derived[reader]


def is_dal_dir(path: Path) -> bool:
    return all((path / f).is_file() for f in REQUIRED_FILES)


def find_schema(path: Path) -> Path | None:
    for candidate in (path / 'schema.json', path.parent / 'schema.json'):
        if candidate.is_file():
            return candidate
    return None


def load_dal(path: Path | str) -> Dal:
    return read_dal(path)[0]


def read_dal(
    path: Path | str,
    known: Mapping[str, ParsedModule] | None = None,
    compiled_later: Collection[str] = (),
) -> tuple[Dal, dict[str, ParsedModule]]:
    """The model and the Python modules it parsed, by file name (usage_examples.py too), for
    implement to edit without reading and parsing them again. `known`: modules of this DAL
    parsed before (or their new text, not yet written), not read again. `compiled_later`:
    modules only parsed here, the caller compiling each once, as it will be written."""
    path = Path(path).resolve()
    if not path.is_dir():
        raise BadInput(path, 'not a directory')
    missing = [f for f in REQUIRED_FILES if not (path / f).is_file()]
    if missing:
        raise BadInput(path, f'not a generated DAL: missing {", ".join(missing)}')
    known = known or {}
    files: dict[str, ParsedModule] = {}

    def module(name: str) -> ParsedModule:
        compiled = name not in compiled_later
        files[name] = known.get(name) or ParsedModule(path / name, compiled=compiled)
        return files[name]

    entities_module = module('entities.py')
    repositories_module = module('repositories.py')
    modules = [module('base_repository.py'), entities_module, repositories_module]
    code_entities = parse_entities(entities_module)
    repos, methods, sources = _read(repositories_module, parse_repositories)
    repos, methods, sources = list(repos), list(methods), dict(sources)
    if (path / 'transaction_service.py').is_file():
        modules.append(module('transaction_service.py'))
        service_methods, service_sources = _read(modules[-1], parse_service)
        methods += service_methods
        sources |= service_sources
    classes = [c for mod in modules for c in _read(mod, parse_classes)]
    usage_ids: dict[tuple[str, str], list[int]] = {}
    if (path / 'usage_examples.py').is_file():
        # Parsed (and compile-checked unless the caller does): a broken script fails before
        # anything is written, and its tree is the one the usage repair edits.
        usage_ids = usage_pattern_ids(module('usage_examples.py').text)

    mapping_path = path / 'access_pattern_mapping.json'
    mapping = _mapping(mapping_path) if mapping_path.is_file() else {}
    schema_path = find_schema(path)
    schema = read_json(schema_path) if schema_path else None
    if schema is not None and not isinstance(schema.get('tables'), list):
        schema, schema_path = None, None  # a schema.json of something else: the code decides
    with _shape_errors(schema_path or mapping_path):
        entities = _entities(code_entities, repos, schema, schema_path)
        # The mapping drops the conditions of transaction items; schema.json keeps them.
        for spec in (schema or {}).get('cross_table_access_patterns', []) or []:
            pid = spec.get('pattern_id')
            if isinstance(pid, int) and pid in mapping and spec.get('entities_involved'):
                mapping[pid] = dict(mapping[pid], entities_involved=spec['entities_involved'])
        patterns = _patterns(path, methods, repos, mapping, mapping_path, usage_ids, sources)
        if schema is not None:
            tables = _tables_from_schema(schema, schema_path, entities)
        else:
            tables = _tables_from_code(repos, entities, patterns, sources, mapping)
        decided = set(mapping) | _schema_pattern_ids(schema)
    dal = Dal(
        path=path,
        tables=tuple(tables),
        entities=tuple(entities),
        repositories=tuple(repos),
        methods=tuple(methods),
        patterns=tuple(patterns),
        classes=tuple(classes),
        schema_path=schema_path,
        mapping_path=mapping_path if mapping_path.is_file() else None,
    )
    return infer_from_names(dal, decided), files


def _schema_pattern_ids(schema: dict | None) -> set[int]:
    """Patterns schema.json describes: their range condition is decided, not inferred."""
    ids = set()
    for table in (schema or {}).get('tables', []) or []:
        for spec in (table.get('entities') or {}).values():
            for ap in spec.get('access_patterns', []) or []:
                if isinstance(ap, dict) and isinstance(ap.get('pattern_id'), int):
                    ids.add(ap['pattern_id'])
    return ids


@contextmanager
def _shape_errors(where: Path):
    """A mapping or schema whose JSON parses but whose shape is not the generator's."""
    try:
        yield
    except (AttributeError, KeyError, TypeError) as e:
        raise BadInput(where, f'unexpected shape ({type(e).__name__}: {e})') from e


def _mapping(path: Path) -> dict[int, dict]:
    raw = read_json(path).get('access_pattern_mapping', {})
    out: dict[int, dict] = {}
    for key, value in raw.items():
        try:
            out[int(value.get('pattern_id', key))] = value
        except (TypeError, ValueError, AttributeError) as e:
            raise BadInput(
                path, f'pattern {key!r}: expected an object with a numeric pattern_id'
            ) from e
    return out


def _entities(
    code: dict[str, CodeEntity],
    repos: list[Repository],
    schema: dict | None,
    schema_path: Path | None,
) -> list[Entity]:
    table_of = {r.entity: r.table_name for r in repos}
    schema_entities: dict[str, dict] = {}
    for table in (schema or {}).get('tables', []):
        for name, spec in (table.get('entities') or {}).items():
            schema_entities[name] = dict(
                spec, _table=table.get('table_config', {}).get('table_name')
            )
    out = []
    for name, ce in code.items():
        spec = schema_entities.get(name, {})
        fields = ce.fields
        if spec.get('fields'):
            # The code's field list, with the schema's richer types (integer vs decimal, ...).
            types = {f['name']: f for f in spec['fields'] if isinstance(f, dict) and 'name' in f}
            fields = [
                Field(name=f.name, type=types[f.name].get('type', f.type), required=f.required)
                if f.name in types
                else f
                for f in fields
            ]
        index_keys = []
        for mapping in spec.get('gsi_mappings', []) or []:
            pk_t, sk_t = mapping.get('pk_template'), mapping.get('sk_template')
            index_keys.append(
                IndexKeys(
                    index=mapping['name'],
                    partition=tuple(KeyTemplate(text=t) for t in _as_list(pk_t)),
                    sort=tuple(KeyTemplate(text=t) for t in _as_list(sk_t)),
                )
            )
        if not index_keys:
            index_keys = [
                IndexKeys(index=snake_name, partition=tuple(pk), sort=tuple(sk))
                for snake_name, (pk, sk) in ce.index_keys.items()
            ]
        out.append(
            Entity(
                name=name,
                entity_type=ce.entity_type,
                table=table_of.get(name) or spec.get('_table'),
                fields=tuple(fields),
                pk=ce.pk
                or (KeyTemplate(text=spec['pk_template']) if spec.get('pk_template') else None),
                sk=ce.sk
                or (KeyTemplate(text=spec['sk_template']) if spec.get('sk_template') else None),
                index_keys=tuple(index_keys),
                computed=tuple(ce.computed),
            )
        )
    return out


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _filter(raw: dict | None) -> FilterExpression | None:
    if not raw or not raw.get('conditions'):
        return None
    return FilterExpression(
        conditions=tuple(
            FilterCondition(
                field=c['field'],
                operator=c.get('operator'),
                function=c.get('function'),
                param=c.get('param'),
                param2=c.get('param2'),
                params=tuple(c.get('params') or ()),
            )
            for c in raw['conditions']
        ),
        logical_operator=(raw.get('logical_operator') or 'AND').upper(),
    )


def _patterns(
    path: Path,
    methods: list[Method],
    repos: list[Repository],
    mapping: dict[int, dict],
    mapping_path: Path,
    usage_ids: dict[tuple[str, str], list[int]],
    sources: dict[str, str],
) -> list[AccessPattern]:
    # Several patterns can name one method: the generator folds a pattern equivalent to a
    # CRUD method into it (`get_player_by_id` -> `get_player`), sometimes two into one.
    by_method: dict[tuple[str | None, str | None], list[int]] = {}
    for k, v in sorted(mapping.items()):
        owner = v.get('repository') or v.get('service')
        by_method.setdefault((owner, v.get('method_name')), []).append(k)
    entity_of = {r.name: r.entity for r in repos}
    patterns = []
    # (a method with no pattern id is generated CRUD or a human's own helper)
    served = [(m, pid) for m in methods for pid in _pattern_ids(m, by_method, usage_ids)]
    for method, pid in served:
        spec = mapping.get(pid, {})
        hint = method.hint
        from_hint = bool(hint and hint.operation)
        operation = hint.operation if from_hint else spec.get('operation')
        source = sources.get(f'{method.owner}.{method.name}', '')
        if operation is None and not method.is_stub:
            operation = operation_in(source)
        index_in_code = _INDEX_NAME.search(source) if not from_hint and not spec else None
        # An operation we do not know stays None, so `implement` lists it instead of guessing.
        operation_value = operation if operation in OPERATIONS else None
        flt, filter_problem = _filter(spec.get('filter_expression')), None
        if flt is None and hint and hint.filter_text:
            try:
                flt = parse_filter_text(hint.filter_text)
            except ValueError as e:
                filter_problem = str(e)
        try:
            patterns.append(
                AccessPattern(
                    id=pid,
                    description=spec.get('description') or (method.docstring or '').split('\n')[0],
                    method=method.name,
                    owner=method.owner,
                    file=method.file,
                    line=method.line,
                    entity=spec.get('entity') or entity_of.get(method.owner),
                    operation=operation_value,
                    raw_operation=operation,
                    index_name=hint.index_name
                    if from_hint
                    else spec.get('index_name')
                    or (index_in_code.group(1) if index_in_code else None),
                    range_condition=hint.range_condition
                    if from_hint
                    else spec.get('range_condition'),
                    filter=flt,
                    filter_problem=filter_problem,
                    consistent_read=bool(spec.get('consistent_read'))
                    or bool(hint and hint.consistent_read),
                    projection=spec.get('projection') or _docstring_projection(method),
                    projected_attributes=tuple(spec.get('projected_attributes') or ()),
                    parameters=tuple(
                        PatternParameter(
                            name=p['name'],
                            type=p.get('type', 'string'),
                            entity_type=p.get('entity_type'),
                            default=p.get('default'),
                        )
                        for p in spec.get('parameters', [])
                    ),
                    transaction_items=tuple(
                        TransactionItem(
                            **{k: v for k, v in item.items() if k in TransactionItem.model_fields}
                        )
                        for item in spec.get('entities_involved', [])
                    )
                    or (hint.transaction_items if hint else ()),
                    is_stub=method.is_stub,
                )
            )
        except ValidationError as e:
            where = mapping_path if spec else path / method.file
            raise BadInput(
                where, f'access pattern #{pid}: {e.errors()[0]["msg"]}', method.line
            ) from e
    return patterns


def _pattern_ids(
    method: Method,
    by_method: dict[tuple[str | None, str | None], list[int]],
    usage_ids: dict[tuple[str, str], list[int]],
) -> list[int]:
    """The access patterns a method serves: the stub's own `#N`, else every mapping entry
    naming it, else (no mapping at all) every usage_examples.py block calling it."""
    if method.hint and method.hint.pattern_id is not None:
        return [method.hint.pattern_id]
    if by_method:
        return by_method.get((method.owner, method.name), [])
    return usage_ids.get((method.owner, method.name), [])


def _docstring_projection(method: Method) -> str | None:
    hit = _PROJECTION.search(method.docstring or '')
    return hit.group(1) if hit else None


def _attribute_type(entities: list[Entity], table: str, attribute: str, templates) -> str:
    """N when some entity of the table fills the attribute with exactly one numeric field."""
    for entity, template in templates:
        if entity.table != table or template is None or not template.is_single_field:
            continue
        f = entity.field(template.fields[0])
        if f is not None and f.numeric:
            return 'N'
    return 'S'


def _tables_from_schema(schema: dict, schema_path: Path, entities: list[Entity]) -> list[Table]:
    tables = []
    for i, spec in enumerate(schema.get('tables', [])):
        config = spec.get('table_config') or {}
        name = config.get('table_name')
        if not name or not config.get('partition_key'):
            raise BadInput(
                schema_path, f'tables[{i}].table_config needs table_name and partition_key'
            )
        ents = [e for e in entities if e.table == name]

        def attr(attr_name: str, templates, table_name: str = name) -> KeyAttribute:
            return KeyAttribute(
                name=attr_name, type=_attribute_type(entities, table_name, attr_name, templates)
            )

        pk = attr(config['partition_key'], [(e, e.pk) for e in ents])
        sk = (
            attr(config['sort_key'], [(e, e.sk) for e in ents]) if config.get('sort_key') else None
        )
        gsi_specs = spec.get('gsi_list') or config.get('gsi_list') or []
        indexes = []
        for g in gsi_specs:

            def keys(part: str, g=g, ents=ents) -> tuple[KeyAttribute, ...]:
                out = []
                for pos, attr_name in enumerate(_as_list(g.get(part))):
                    templates = []
                    for e in ents:
                        ik = e.keys_for(g['name'])
                        seq = (ik.partition if part == 'partition_key' else ik.sort) if ik else ()
                        templates.append((e, seq[pos] if pos < len(seq) else None))
                    out.append(attr(attr_name, templates))
                return tuple(out)

            indexes.append(
                Index(
                    name=g['name'],
                    partition_key=keys('partition_key'),
                    sort_key=keys('sort_key'),
                    projection=g.get('projection', 'ALL'),
                    included_attributes=tuple(g.get('included_attributes') or ()),
                )
            )
        tables.append(Table(name=name, partition_key=pk, sort_key=sk, indexes=tuple(indexes)))
    return tables


def _tables_from_code(
    repos: list[Repository],
    entities: list[Entity],
    patterns: list[AccessPattern],
    sources: dict[str, str],
    mapping: dict[int, dict],
) -> list[Table]:
    """No schema.json: keys from the repositories, GSIs from the methods that query them."""
    tables: dict[str, dict] = {}
    for repo in repos:
        t = tables.setdefault(
            repo.table_name, {'pk': repo.pkey_name, 'sk': repo.skey_name, 'indexes': {}}
        )
        entity = next((e for e in entities if e.name == repo.entity), None)
        for pattern in patterns:
            if pattern.owner != repo.name:
                continue
            source = sources.get(f'{repo.name}.{pattern.method}', '')
            index = pattern.index_name or (
                m.group(1) if (m := _INDEX_NAME.search(source)) else None
            )
            if not index:
                continue
            names = [n for n in dict.fromkeys(_KEY_NAME.findall(source))]
            keys = entity.keys_for(index) if entity else None
            n_pk = len(keys.partition) if keys and keys.partition else 1
            seen = t['indexes'].get(index)
            # Each method names the key attributes it uses: a query without a range names no
            # sort key, so the index keeps the longest list any of its methods names.
            if seen is None or len(names[n_pk:]) > len(seen[1]):
                t['indexes'][index] = (
                    names[:n_pk] or (seen[0] if seen else []),
                    names[n_pk:],
                    seen[2] if seen else pattern.projection or 'ALL',
                    seen[3] if seen else pattern,
                )
    out = []
    for name, t in tables.items():
        ents = [e for e in entities if e.table == name]

        def attr(attr_name: str, templates, table_name: str = name) -> KeyAttribute:
            return KeyAttribute(
                name=attr_name, type=_attribute_type(entities, table_name, attr_name, templates)
            )

        indexes = []
        for index, (pk_names, sk_names, projection, pattern) in t['indexes'].items():

            def keyed(names, part, index=index, ents=ents):
                out_keys = []
                for pos, n in enumerate(names):
                    templates = []
                    for e in ents:
                        ik = e.keys_for(index)
                        seq = (ik.partition if part == 'pk' else ik.sort) if ik else ()
                        templates.append(
                            (e, seq[pos] if pos < len(seq) else KeyTemplate(text='{' + n + '}'))
                        )
                    out_keys.append(attr(n, templates))
                return tuple(out_keys)

            if not pk_names:
                continue
            included = pattern.projected_attributes if projection == 'INCLUDE' else ()
            indexes.append(
                Index(
                    name=index,
                    partition_key=keyed(pk_names, 'pk'),
                    sort_key=keyed(sk_names, 'sk'),
                    projection=projection,
                    included_attributes=tuple(included),
                )
            )
        out.append(
            Table(
                name=name,
                partition_key=attr(t['pk'], [(e, e.pk) for e in ents]),
                sort_key=attr(t['sk'], [(e, e.sk) for e in ents]) if t['sk'] else None,
                indexes=tuple(indexes),
            )
        )
    return out
