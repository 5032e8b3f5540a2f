"""Open-ended ranges stay inside the entity's sort-key prefix in a shared partition, and a
transaction that deletes one item of an entity and puts another keys the delete by its own
parameters, not by the entity the Put writes. Real pipeline: implement a copy, run on moto."""

from __future__ import annotations

import json
import sys
from decimal import Decimal

import pytest

from bot.implement import implement_dal

from .conftest import copy_fixture
from .test_operations import imported

# ecommerce's OrderRepository has `>` (orders_placed_after) and `<` (orders_placed_before);
# the other directions and the other two read paths are added as stubs.
EXTRA_ORDER_STUBS = '''
    def orders_placed_since(
        self, customer_id: str, since: str, limit: int = 100,
        exclusive_start_key: dict | None = None, skip_invalid_items: bool = True,
    ) -> tuple[list[Order], dict | None]:
        """Orders of a customer placed at or after a timestamp"""
        # TODO: Implement Access Pattern #90
        # Operation: Query | Index: Main Table | Range Condition: >=
        pass

    def orders_placed_until(
        self, customer_id: str, until: str, limit: int = 100,
        exclusive_start_key: dict | None = None, skip_invalid_items: bool = True,
    ) -> tuple[list[Order], dict | None]:
        """Orders of a customer placed at or before a timestamp"""
        # TODO: Implement Access Pattern #91
        # Operation: Query | Index: Main Table | Range Condition: <=
        pass

    def all_orders_after(self, customer_id: str, after: str) -> list[Order]:
        """Every order of a customer placed after a timestamp"""
        # TODO: Implement Access Pattern #92
        # Operation: Query | Index: Main Table | Range Condition: >
        pass

    def last_order_before(self, customer_id: str, before: str) -> Order | None:
        """The latest order of a customer placed before a timestamp"""
        # TODO: Implement Access Pattern #93
        # Operation: Query | Index: Main Table | Range Condition: <
        pass
'''

ORDER = dict(status='NEW', total=Decimal('1'), currency='EUR', item_count=1)
# Sort keys beside the 'ORDER#' prefix, each written as a complete Order item so that a leak
# shows up as an order rather than as an item the parser skips.
FOREIGN_SKS = ('ADDRESS#z', 'ORDER!', 'ORDER"z', 'ORDER$', 'ORDERS#1', 'PROFILE#x')


def _add_stubs(path, cls: str, stubs: str, file: str = 'repositories.py') -> None:
    target = path / file
    text = target.read_text()
    start = text.index(f'class {cls}')
    end = text.find('\n\n\nclass ', start)
    end = len(text) if end < 0 else end
    target.write_text(text[:end].rstrip('\n') + '\n' + stubs + text[end:])


@pytest.fixture
def orders(tmp_path, moto_server, dynamodb_client, dynamodb, monkeypatch):
    """ecommerce implemented with the extra stubs: the OrderRepository of customer c1 holding
    orders o1 (05-01), 'edge' (sort key exactly ORDER#2024-05-02), o3 (05-03), plus a
    Customer, an Address and foreign items on both sides of the prefix in the same partition."""
    path = copy_fixture('ecommerce', tmp_path)
    _add_stubs(path, 'OrderRepository', EXTRA_ORDER_STUBS)
    assert implement_dal(path).left == []
    with imported(path, moto_server, dynamodb_client, monkeypatch) as dal:
        entities, repos = dal['entities'], dal['repositories']
        repos.CustomerRepository().create_customer(
            entities.Customer(
                customer_id='c1',
                email='c1@example.com',
                full_name='C One',
                tier='gold',
                signup_date='2024-01-01',
                lifetime_value=Decimal('0'),
            )
        )
        repos.AddressRepository().create_address(
            entities.Address(
                customer_id='c1',
                address_id='a1',
                label='home',
                line1='1 Main St',
                city='Porto',
                postal_code='4000',
                country='PT',
                is_default=True,
            )
        )
        order_repo = repos.OrderRepository()
        for placed_at, order_id in (('2024-05-01', 'o1'), ('2024-05-03', 'o3')):
            order_repo.create_order(
                entities.Order(customer_id='c1', placed_at=placed_at, order_id=order_id, **ORDER)
            )
        table = dynamodb.Table('Commerce')
        raw = dict(customer_id='c1', placed_at='2024-05-02', **ORDER)
        table.put_item(
            Item={'pk': 'CUSTOMER#c1', 'sk': 'ORDER#2024-05-02', 'order_id': 'edge'} | raw
        )
        for sk in FOREIGN_SKS:
            table.put_item(Item={'pk': 'CUSTOMER#c1', 'sk': sk, 'order_id': f'foreign {sk}'} | raw)
        yield order_repo, (path / 'repositories.py').read_text()


def _ids(found) -> list[str]:
    return [o.order_id for o in found]


def _paged(method, *args) -> list[str]:
    """Every page with limit=1, items parsed strictly (a foreign item would raise)."""
    ids, key = [], None
    while True:
        items, key = method(*args, limit=1, exclusive_start_key=key, skip_invalid_items=False)
        ids += _ids(items)
        if key is None:
            return ids


def test_open_ranges_return_only_the_entity_items_with_exact_bounds(orders):
    repo, source = orders
    # strict bounds leave out the item exactly at the bound; inclusive ones keep it
    assert _ids(repo.orders_placed_after('c1', '2024-05-02', skip_invalid_items=False)[0]) == [
        'o3'
    ]
    assert _ids(repo.orders_placed_since('c1', '2024-05-02', skip_invalid_items=False)[0]) == [
        'edge',
        'o3',
    ]
    assert _ids(repo.orders_placed_before('c1', '2024-05-02', skip_invalid_items=False)[0]) == [
        'o1'
    ]
    assert _ids(repo.orders_placed_until('c1', '2024-05-02', skip_invalid_items=False)[0]) == [
        'o1',
        'edge',
    ]
    # open ends reach the ends of the prefix, not past it
    assert _ids(repo.orders_placed_after('c1', '')[0]) == ['o1', 'edge', 'o3']
    assert _ids(repo.orders_placed_until('c1', '9999')[0]) == ['o1', 'edge', 'o3']
    assert _ids(repo.orders_placed_before('c1', '2024-05-01')[0]) == []
    # reading every page, and one item nearest an upper bound (descending)
    assert _ids(repo.all_orders_after('c1', '2024-05-01#o1')) == ['edge', 'o3']
    assert repo.last_order_before('c1', '2024-05-02#').order_id == 'edge'
    assert repo.last_order_before('c1', '2024-05-02').order_id == 'o1'
    assert repo.last_order_before('c1', '2024-05-01') is None
    # one key condition each (DynamoDB takes one on the sort key)
    assert "between(f'ORDER#{after}$', 'ORDER$')" in source
    assert "between('ORDER#', f'ORDER#{until}$')" in source


def test_pages_of_one_never_walk_into_foreign_items(orders):
    repo, _ = orders
    assert _paged(repo.orders_placed_after, 'c1', '2024-05-01#o1') == ['edge', 'o3']
    assert _paged(repo.orders_placed_since, 'c1', '') == ['o1', 'edge', 'o3']
    assert _paged(repo.orders_placed_before, 'c1', '2024-05-03') == ['o1', 'edge']
    assert _paged(repo.orders_placed_until, 'c1', '2024-05-03#o3') == ['o1', 'edge', 'o3']


# A key rotation: delete one Address, put another, in one transaction.
REPLACE_STUBS = '''
    def replace_address(self, customer_id: str, old_address_id: str, new_address: Address) -> bool:
        """Delete an address and create its replacement"""
        # TODO: Implement Access Pattern #102
        # Operation: TransactWrite | Tables: Commerce
        pass

    def replace_some_address(self, customer_id: str, new_address: Address) -> bool:
        """Delete an address (which one, no parameter says) and create another"""
        # TODO: Implement Access Pattern #103
        # Operation: TransactWrite | Tables: Commerce
        pass
'''


def _replace_pattern(pid: int, name: str, parameters: list[dict]) -> dict:
    return {
        'pattern_id': pid,
        'name': name,
        'method_name': name,
        'description': 'Delete an address and create its replacement',
        'service': 'TransactionService',
        'operation': 'TransactWrite',
        'transaction_type': 'cross_table',
        'return_type': 'bool',
        'parameters': parameters,
        'entities_involved': [
            {
                'table': 'Commerce',
                'entity': 'Address',
                'action': 'Delete',
                'condition': 'attribute_exists(pk)',
            },
            {
                'table': 'Commerce',
                'entity': 'Address',
                'action': 'Put',
                'condition': 'attribute_not_exists(pk)',
            },
        ],
    }


@pytest.fixture
def replacing(tmp_path):
    """ecommerce with two Delete Address + Put Address transactions in its model and stubs."""
    path = copy_fixture('ecommerce', tmp_path)
    new_address = {'name': 'new_address', 'type': 'entity', 'entity_type': 'Address'}
    customer_id = {'name': 'customer_id', 'type': 'string'}
    patterns = [
        _replace_pattern(
            102,
            'replace_address',
            [customer_id, {'name': 'old_address_id', 'type': 'string'}, new_address],
        ),
        _replace_pattern(103, 'replace_some_address', [customer_id, new_address]),
    ]
    schema_path = path.parent / 'schema.json'
    schema = json.loads(schema_path.read_text())
    schema['cross_table_access_patterns'] += patterns
    schema_path.write_text(json.dumps(schema, indent=2))
    mapping_path = path / 'access_pattern_mapping.json'
    mapping = json.loads(mapping_path.read_text())
    for p in patterns:
        mapping['access_pattern_mapping'][str(p['pattern_id'])] = p
    mapping_path.write_text(json.dumps(mapping, indent=2))
    _add_stubs(path, 'TransactionService', REPLACE_STUBS, file='transaction_service.py')
    return path


def test_delete_beside_a_put_of_the_same_entity_is_keyed_by_its_own_parameters(
    replacing, moto_server, dynamodb_client, dynamodb, monkeypatch
):
    left = {s.name: s.reason for s in implement_dal(replacing).left}
    with imported(replacing, moto_server, dynamodb_client, monkeypatch) as dal:
        entities = dal['entities']

        def address(address_id: str):
            return entities.Address(
                customer_id='c1',
                address_id=address_id,
                label='home',
                line1='1 Main St',
                city='Porto',
                postal_code='4000',
                country='PT',
                is_default=True,
            )

        addresses = dal['repositories'].AddressRepository()
        addresses.create_address(address('a1'))
        service = dal['transaction_service'].TransactionService(dynamodb)
        assert service.replace_address('c1', 'a1', address('a2')) is True
        assert addresses.get_address('c1', 'a1') is None
        assert addresses.get_address('c1', 'a2').address_id == 'a2'
        with pytest.raises(RuntimeError, match='ConditionalCheckFailed'):
            service.replace_address('c1', 'a1', address('a3'))  # a1 is gone: nothing written
        assert addresses.get_address('c1', 'a3') is None
    assert (
        'Address.build_sk_for_lookup(old_address_id)'
        in (replacing / 'transaction_service.py').read_text()
    )
    # no parameter names the address to delete: left, not keyed from new_address
    assert set(left) == {'replace_some_address'}
    assert "key field 'address_id' of the Delete of Address" in left['replace_some_address']


def test_an_item_collection_query_returns_every_entity_of_the_partition(orders):
    """The generator's mixed_data query reads the whole item collection: the profile, the
    addresses and the orders of the customer, not only the item of the owner's sort key."""
    repo, source = orders
    customers = sys.modules[type(repo).__module__].CustomerRepository()
    items, _ = customers.customer_item_collection('c1')
    sort_keys = {item['sk'] for item in items}
    assert {'ORDER#2024-05-01#o1', 'ORDER#2024-05-03#o3'} <= sort_keys
    assert any(sk.startswith('ADDRESS#') for sk in sort_keys)
    assert len(sort_keys) > 3
