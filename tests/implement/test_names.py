"""Only names the DAL defines: every body the bot writes, on every fixture of both generations,
uses only what its own DAL's code defines, with arguments its signatures accept."""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import pytest

from bot.implement import implement_dal, plan
from bot.implement._names import undefined_names
from bot.model import Signature, load_dal
from bot.model._types import Parameter
from bot.verify import verify_dal

from .conftest import ALL, FIXTURES, PRE_RELEASE, copy_fixture


def _new_bodies(dal_dir: Path, result) -> dict[tuple[str, str], str]:
    """(class, method) -> the statements the bot wrote (docstring left out), read back from
    the files on disk."""
    out = {}
    trees = {}
    for m in result.implemented:
        tree = trees.setdefault(m.file, ast.parse((dal_dir / m.file).read_text()))
        cls = next(c for c in tree.body if isinstance(c, ast.ClassDef) and c.name == m.owner)
        fn = next(f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == m.name)
        body = fn.body[1:] if ast.get_docstring(fn, clean=False) is not None else fn.body
        out[(m.owner, m.name)] = ast.unparse(ast.Module(body=body, type_ignores=[]))
    return out


@pytest.mark.parametrize('name', ALL)
def test_every_new_body_uses_only_names_its_dal_defines(name, implemented):
    dal_dir, result = implemented(name)
    original = load_dal(FIXTURES / name / 'generated_dal')
    bodies = _new_bodies(dal_dir, result)
    assert bodies, 'nothing implemented'
    problems = {
        key: found
        for key, body in bodies.items()
        if (found := undefined_names(original, original.method(*key), body))
    }
    assert problems == {}


@pytest.mark.parametrize('name', PRE_RELEASE)
def test_pre_release_bodies_call_that_generations_helpers(name, implemented):
    dal_dir, _ = implemented(name)
    text = (dal_dir / 'repositories.py').read_text()
    code = '\n'.join(line for line in text.splitlines() if not line.lstrip().startswith('#'))
    # Lowercased index names without separators, never the 2.1.x snake case.
    assert 'build_gsi_pk_for_lookup_' in code
    assert '_for_lookup_deals_by' not in code and '_for_lookup_loans_by' not in code
    assert '_for_lookup_carrier_day' not in code and '_for_lookup_shipments_by' not in code
    # get(pk, sk) has no consistent_read: a strongly consistent read goes to the table.
    assert 'consistent_read=' not in code
    # legacy_warehouse's strongly consistent read is a Query (its stub's example says so).
    assert (
        "'ConsistentRead': True" if name == 'legacy_warehouse' else 'ConsistentRead=True'
    ) in code


def test_newest_generation_keeps_its_own_helpers(implemented):
    dal_dir, _ = implemented('shop_example')
    text = (dal_dir / 'repositories.py').read_text()
    assert 'return self.get(pk, sk, consistent_read=True)' in text
    assert 'Order.build_gsi_pk_for_lookup_status_date_index(status)' in text


# --- the check itself ----------------------------------------------------------------------


@pytest.fixture(scope='module')
def deals():
    return load_dal(FIXTURES / 'legacy_deals' / 'generated_dal')


def test_check_names_what_a_pre_release_dal_lacks(deals):
    method = deals.method('DealRepository', 'deals_by_brand')
    problems = undefined_names(
        deals,
        method,
        'gsi_pk = Deal.build_gsi_pk_for_lookup_deals_by_brand(brand_id)\n'
        'item = self.get(pk, sk, consistent_read=True)\n'
        'page = self._parse_query_response(response, True, 5)\n'
        'key = Deal.pk()\n'
        'other = self.cache\n',
    )
    assert problems == [
        "Deal.build_gsi_pk_for_lookup_deals_by_brand: Deal defines no 'build_gsi_pk_for_lookup_deals_by_brand'",
        "self.get: get() has no parameter 'consistent_read' (line 149 of base_repository.py)",
        'self._parse_query_response: _parse_query_response() takes 2 positional argument(s), '
        'given 3 (line 229 of base_repository.py)',
        'Deal.pk: an instance method of Deal, used on the class',
        "self.cache: DealRepository defines no 'cache'",
    ]


def test_check_follows_entity_parameters_and_loops(deals):
    method = deals.method('BrandRepository', 'save_brand')
    assert (
        undefined_names(
            deals,
            method,
            'item = brand.model_dump(exclude_none=True)\n'
            'item[self.pkey_name] = brand.pk()\n'
            "item['country'] = brand.country\n"
            'self.table.put_item(Item=item)\n',
        )
        == []
    )
    assert undefined_names(deals, method, 'brand.to_dict()') == [
        "brand.to_dict: Brand defines no 'to_dict'"
    ]
    assert undefined_names(deals, method, 'brand.build_gsi_pk_brandsbycountry(1)') == [
        'brand.build_gsi_pk_brandsbycountry: build_gsi_pk_brandsbycountry() takes 0 '
        'positional argument(s), given 1 (line 43 of entities.py)'
    ]
    batch = deals.method('DealRepository', 'publish_deals').model_copy(
        update={'parameters': (Parameter(name='deals', annotation='list[Deal]'),)}
    )
    assert undefined_names(deals, batch, 'for deal in deals:\n    deal.shout()') == [
        "deal.shout: Deal defines no 'shout'"
    ]


def test_signature_binding_is_pythons():
    sig = Signature(
        name='f',
        parameters=(
            Parameter(name='a'),
            Parameter(name='b', default='None'),
            Parameter(name='c', kind='keyword'),
        ),
    )
    assert sig.refusal(1, ['c']) is None
    assert sig.refusal(2, ['c']) is None
    assert sig.refusal(0, ['a', 'c']) is None
    assert sig.refusal(3, ['c']) == 'f() takes 2 positional argument(s), given 3'
    assert sig.refusal(1, ['a', 'c']) == "f() got 'a' both by position and by keyword"
    assert sig.refusal(1, []) == "f() needs 'c'"
    assert sig.refusal(1, ['c', 'd']) == "f() has no parameter 'd'"
    loose = Signature(
        name='g',
        parameters=(Parameter(name='args', kind='star'), Parameter(name='kw', kind='double_star')),
    )
    assert loose.refusal(5, ['anything']) is None


# --- what implement does when the DAL lacks a helper ---------------------------------------


def _remove_function(path: Path, name: str) -> None:
    text = path.read_text()
    lines = text.splitlines(keepends=True)
    fn = next(
        n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.FunctionDef) and n.name == name
    )
    first = (fn.decorator_list[0] if fn.decorator_list else fn).lineno
    del lines[first - 1 : fn.end_lineno]
    path.write_text(''.join(lines))


def test_a_body_that_would_call_an_undefined_name_is_not_written(tmp_path):
    dal_dir = copy_fixture('shop_example', tmp_path)
    _remove_function(dal_dir / 'base_repository.py', 'build_sk_for_lookup')
    before = (dal_dir / 'repositories.py').read_text()
    result = implement_dal(dal_dir)
    left = {s.name: s.reason for s in result.left}
    assert 'find_order' in left
    assert (
        "Order.build_sk_for_lookup: Order defines no 'build_sk_for_lookup'" in left['find_order']
    )
    after = (dal_dir / 'repositories.py').read_text()
    start = before.index('    def find_order')
    end = before.index('\n    def ', start + 10)
    assert before[start:end] in after  # the stub stays, byte for byte
    assert {m.name for m in result.implemented} >= {'register_customer', 'scan_orders_in_statuses'}


def test_missing_helpers_are_built_inline_and_verify(tmp_path, dynamodb_client):
    """A DAL without the GSI lookup builder and without `_parse_query_response_raw`: the key
    comes from the entity's key template, the raw items from the response itself."""
    dal_dir = copy_fixture('legacy_deals', tmp_path)
    _remove_function(dal_dir / 'entities.py', 'build_gsi_pk_for_lookup_dealsbybrand')
    _remove_function(dal_dir / 'base_repository.py', '_parse_query_response_raw')
    planned, _ = plan(load_dal(dal_dir))
    bodies = {
        p.method.name: '\n'.join(
            line.strip() for line in ast.unparse(ast.parse(_code(p))).splitlines()
        )
        for p in planned
    }
    assert "gsi_pk = f'{brand_id}'" in bodies['deals_by_brand']
    assert (
        "response.get('Items', []), response.get('LastEvaluatedKey')"
        in bodies['deal_keys_with_status_before']
    )
    implement_dal(dal_dir)
    result = verify_dal(load_dal(dal_dir), runner='python', timeout=120)
    status = {p.method: p.status for p in result.patterns}
    assert status['deals_by_brand'] == 'ok'
    assert status['deals_by_brand_between'] == 'ok'
    assert status['deal_keys_with_status_before'] == 'ok'
    assert 'error' not in status.values()


def _code(planned) -> str:
    return planned.rendered.code


@pytest.mark.parametrize('name', PRE_RELEASE)
def test_pre_release_fixtures_have_neither_schema_nor_mapping(name, tmp_path):
    dal = load_dal(copy_fixture(name, tmp_path))
    assert dal.schema_path is None and dal.mapping_path is None
    assert any(p.consistent_read for p in dal.patterns)  # read from the stub's own example


def test_a_synthetic_index_key_is_written_inline_without_the_instance_builder(tmp_path):
    dal_dir = copy_fixture('ride_share', tmp_path)
    _remove_function(dal_dir / 'entities.py', 'build_gsi_pk_status_index')
    _remove_function(dal_dir / 'entities.py', 'build_gsi_pk_for_lookup_status_index')
    planned, left = plan(load_dal(dal_dir))
    bodies = {p.method.name: _code(p) for p in planned}
    assert "item['status_pk'] = f'STATUS#{ride.status}'" in bodies['request_ride']
    assert "gsi_pk = f'STATUS#{status}'" in bodies['rides_in_status']
    assert left == []


def test_a_pre_release_dal_with_its_schema_beside_it_still_calls_its_own_helpers(
    tmp_path, dynamodb_client
):
    """The schema names the index `DealsByBrand`; the code's builders are `..._dealsbybrand`
    (the issue's AttributeError: `build_gsi_pk_for_lookup_deals_by_brand`)."""
    dal_dir = copy_fixture('legacy_deals', tmp_path)
    shutil.copy(dal_dir.parent / 'source' / 'schema.json', dal_dir.parent / 'schema.json')
    assert load_dal(dal_dir).schema_path is not None
    result = implement_dal(dal_dir)
    text = (dal_dir / 'repositories.py').read_text()
    assert 'Deal.build_gsi_pk_for_lookup_dealsbybrand(brand_id)' in text
    assert result.left == []
    verdicts = verify_dal(load_dal(dal_dir), runner='python', timeout=120).patterns
    assert [p.method for p in verdicts if p.status == 'error'] == []


# --- a transaction stub's own example, for DALs without a mapping --------------------------


@pytest.mark.parametrize('name', ALL)
def test_a_transaction_stub_names_the_same_items_as_the_mapping(name, tmp_path):
    """Where both exist, the items read from the stub's example equal the mapping's
    `entities_involved`, so a DAL without the mapping gets the same transaction."""
    dal = load_dal(FIXTURES / name / 'generated_dal')
    transactions = [p for p in dal.patterns if p.operation in ('TransactWrite', 'TransactGet')]
    if dal.mapping_path is None or not transactions:
        pytest.skip('no mapping or no transaction to compare with')

    def items(found):  # conditions: schema.json's win over the stub's (ecommerce's differ)
        return [(i.table, i.entity, i.action) for i in found]

    for p in transactions:
        hint = dal.method(p.owner, p.method).hint
        assert items(hint.transaction_items) == items(p.transaction_items), p.method


def test_a_transaction_stub_gives_the_conditions_the_schema_declares():
    dal = load_dal(FIXTURES / 'legacy_warehouse/generated_dal')
    schema = json.loads((FIXTURES / 'legacy_warehouse/source/schema.json').read_text())
    for spec in schema['cross_table_access_patterns']:
        pattern = dal.pattern(spec['pattern_id'])
        assert [i.condition for i in pattern.transaction_items] == [
            e.get('condition') for e in spec['entities_involved']
        ]


def test_transactions_without_a_mapping_are_implemented_from_their_stub(implemented):
    dal_dir, result = implemented('legacy_warehouse')
    assert load_dal(FIXTURES / 'legacy_warehouse/generated_dal').mapping_path is None
    done = {m.name for m in result.implemented}
    assert {'ship_from_stock', 'shipment_and_stock'} <= done
    text = (dal_dir / 'transaction_service.py').read_text()
    assert "'Put': {'TableName': 'Warehouse'" in text.replace('\n', '').replace('  ', '')


def test_a_strongly_consistent_query_on_a_gsi_is_refused(tmp_path):
    dal_dir = copy_fixture('ticketing', tmp_path)
    mapping = dal_dir / 'access_pattern_mapping.json'
    data = json.loads(mapping.read_text())
    data['access_pattern_mapping']['2']['consistent_read'] = True  # venue_events_from, a GSI
    data['access_pattern_mapping']['11']['consistent_read'] = True  # seats_in_section
    mapping.write_text(json.dumps(data))
    planned, left = plan(load_dal(dal_dir))
    reasons = {s.name: s.reason for s in left}
    assert 'eventually consistent only' in reasons['venue_events_from']
    # The main-table Query that asks for it sends it; the others do not.
    bodies = {p.method.name: _code(p) for p in planned}
    assert "'ConsistentRead': True" in bodies['seats_in_section']
    assert "'ConsistentRead'" not in bodies['available_seats_under']
