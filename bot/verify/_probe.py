"""dal-bot range probe: call a DAL's range-query methods with given bounds, in the script's process.

Standard library only, plus what the DAL imports. `bot.verify._run` copies this file beside the
launcher as `dalbot_probe.py`; once usage_examples.py has ended, the launcher (same process,
same sandbox, same clean environment, the DAL's modules already imported) hands it the plan (JSON)
the parent wrote after seeding the tables. For each probe of the plan it builds the script's item
as the DAL's entity (`created_entities[...]`), evaluates the argument expressions the usage
repair would write against it, adds the bounds, calls the method (reading every page when it
returns one) and writes the items that came back to the result file.
"""

import json
import traceback
from datetime import date, datetime, timedelta
from decimal import Decimal

_MAX_PAGES = 50


def _decode(value):
    if isinstance(value, dict) and set(value) == {'$decimal'}:
        return Decimal(value['$decimal'])
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _plain(item):
    """An entity or a raw item as a JSON-ready dict."""
    if hasattr(item, 'model_dump'):
        item = item.model_dump()
    return item if isinstance(item, dict) else {'$value': repr(item)}


def _items(method, kwargs, paged):
    result = method(**kwargs)
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], list):
        items, key = list(result[0]), result[1]
        pages = 1
        while paged and key is not None and pages < _MAX_PAGES:
            page, key = method(**kwargs, exclusive_start_key=key)
            items += page
            pages += 1
        return items
    if result is None:
        return []
    return list(result) if isinstance(result, list) else [result]


def _run(probe, repositories, entities, repos):
    entity_cls = getattr(entities, probe['entity'])
    fields = getattr(entity_cls, 'model_fields', None) or {}
    item = _decode(probe['item'])
    created = {probe['entity']: entity_cls(**{k: v for k, v in item.items() if k in fields})}
    scope = {'created_entities': created, 'Decimal': Decimal}
    scope |= {'date': date, 'datetime': datetime, 'timedelta': timedelta}
    kwargs = {name: eval(source, scope) for name, source in probe['args'].items()}  # noqa: S307
    kwargs.update(zip(probe['bounds'], _decode(probe['values']), strict=True))
    repo = repos.get(probe['owner'])
    if repo is None:  # one per class: each makes its own boto3 resource
        repo_cls = getattr(repositories, probe['owner'])
        try:
            repo = repos[probe['owner']] = repo_cls(probe['table'])
        except TypeError:
            repo = repos[probe['owner']] = repo_cls()
    method = getattr(repo, probe['method'])
    return [_plain(i) for i in _items(method, kwargs, probe['paged'])]


def run(plan_text, result_file):
    """Probe every pattern of the plan; {id: {'items': [...]} or {'error': ...}} to result_file."""
    import entities
    import repositories

    out, repos = {}, {}
    for probe in json.loads(plan_text)['probes']:
        try:
            out[str(probe['id'])] = {'items': _run(probe, repositories, entities, repos)}
        except Exception as e:
            out[str(probe['id'])] = {
                'error': f'{type(e).__name__}: {e}',
                'traceback': traceback.format_exc()[-2000:],
            }
    with open(result_file, 'w', encoding='utf-8') as f:
        json.dump(out, f, default=str, ensure_ascii=False)
