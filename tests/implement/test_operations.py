"""Each operation's generated code, called directly against moto: the items it writes, the key,
index and range it reads by, pagination across pages, errors it raises."""

from __future__ import annotations

import contextlib
import importlib
import sys
from decimal import Decimal

import pytest

from bot.model import load_dal
from bot.verify._tables import create_tables, drop_tables, tables_of

DAL_MODULES = ('base_repository', 'entities', 'repositories', 'transaction_service')


@contextlib.contextmanager
def imported(path, endpoint, client, monkeypatch):
    """The DAL's modules imported from its folder, talking to `endpoint`, on fresh tables."""
    for key, value in {
        'AWS_ENDPOINT_URL_DYNAMODB': endpoint,
        'AWS_ACCESS_KEY_ID': 'testing',
        'AWS_SECRET_ACCESS_KEY': 'testing',
        'AWS_DEFAULT_REGION': 'us-east-1',
    }.items():
        monkeypatch.setenv(key, value)
    tables = tables_of(load_dal(path))
    drop_tables(client, [t.name for t in tables])
    create_tables(client, tables)
    monkeypatch.syspath_prepend(str(path))
    for module in DAL_MODULES:
        sys.modules.pop(module, None)
    try:
        yield {m: importlib.import_module(m) for m in DAL_MODULES if (path / f'{m}.py').exists()}
    finally:
        for module in DAL_MODULES:
            sys.modules.pop(module, None)
        drop_tables(client, [t.name for t in tables])


@pytest.fixture
def dal(implemented, moto_server, dynamodb_client, monkeypatch, request):
    """The implemented fixture (by name, via indirect parametrize), imported on fresh tables."""
    path, _ = implemented(request.param)
    with imported(path, moto_server, dynamodb_client, monkeypatch) as modules:
        yield modules


def _score(entities, n: int, **overrides):
    values = dict(
        player_id='p1',
        game_id='space',
        achieved_at=f'2024-05-0{n}',
        region='eu',
        mode='ranked',
        score=100 * n,
        match_id='m1',
        kills=n,
        deaths=10 - n,
    )
    return entities.Score(**(values | overrides))


@pytest.mark.parametrize('dal', ['gaming_leaderboard'], indirect=True)
def test_put_then_query_main_table_pages_through_every_item(dal):
    repo = dal['repositories'].ScoreRepository()
    for n in range(1, 6):
        repo.record_score(_score(dal['entities'], n))
    seen, key, pages = [], None, 0
    while True:
        items, key = repo.player_scores_from_game('p1', 'space', limit=2, exclusive_start_key=key)
        seen += items
        pages += 1
        if key is None:
            break
    assert pages >= 3
    assert sorted(s.score for s in seen) == [100, 200, 300, 400, 500]


@pytest.mark.parametrize('dal', ['gaming_leaderboard'], indirect=True)
def test_range_conditions_on_a_multi_attribute_gsi(dal):
    repo = dal['repositories'].ScoreRepository()
    for n in range(1, 6):
        repo.record_score(_score(dal['entities'], n))
    at_least, _ = repo.leaderboard_at_least('space', 'eu', 'ranked', 300)
    assert sorted(s.score for s in at_least) == [300, 400, 500]
    below, _ = repo.leaderboard_below('space', 'eu', 'ranked', 300)
    assert sorted(s.score for s in below) == [100, 200]
    band, _ = repo.leaderboard_band('space', 'eu', 'ranked', 200, 400)
    assert sorted(s.score for s in band) == [200, 300, 400]
    other_region, _ = repo.leaderboard_at_least('space', 'us', 'ranked', 0)
    assert other_region == []


@pytest.mark.parametrize('dal', ['gaming_leaderboard'], indirect=True)
def test_keys_only_index_returns_dicts_and_batch_calls_round_trip(dal):
    repo = dal['repositories'].ScoreRepository()
    scores = [_score(dal['entities'], n) for n in range(1, 4)]
    repo.batch_record_scores(scores)
    keys_only, _ = repo.match_scores_up_to('m1', 200)
    assert all(isinstance(item, dict) for item in keys_only)
    assert sorted(int(item['score']) for item in keys_only) == [100, 200]
    fetched = repo.batch_get_scores(
        [
            {'player_id': s.player_id, 'game_id': s.game_id, 'achieved_at': s.achieved_at}
            for s in scores
        ]
    )
    assert sorted(s.score for s in fetched) == [100, 200, 300]
    assert repo.batch_get_scores([]) == []


@pytest.mark.parametrize('dal', ['gaming_leaderboard'], indirect=True)
def test_scan_filters_and_update_and_delete(dal):
    scores = dal['repositories'].ScoreRepository()
    for n in range(1, 6):
        scores.record_score(_score(dal['entities'], n))
    few_deaths, _ = scores.scan_scores_with_few_deaths(6, 0, 1000)
    assert sorted(s.deaths for s in few_deaths) == [5, 6]

    players = dal['repositories'].PlayerRepository()
    player = dal['entities'].Player(
        player_id='p9',
        display_name='Nine',
        region='eu',
        platform='pc',
        level=3,
        xp=10,
        country='PT',
    )
    players.save_player(player)
    updated = players.grant_xp('p9', 500)
    assert updated.xp == 500 and updated.version == 2
    assert players.grant_xp('nobody', 1) is None  # update never creates a half item
    assert players.retire_player('p9').player_id == 'p9'
    assert players.get_player('p9') is None


def _product(entities, product_id: str, discount: str, **overrides):
    values = dict(
        product_id=product_id,
        name=product_id,
        category='audio',
        brand='acme',
        price=Decimal('10'),
        discount_pct=Decimal(discount),
        stock=3,
    )
    return entities.Product(**(values | overrides))


@pytest.mark.parametrize('dal', ['ecommerce'], indirect=True)
def test_string_range_parameter_on_numeric_key_is_sent_as_number_or_rejected(dal):
    repo = dal['repositories'].ProductRepository()
    for pid, discount in (('a', '5'), ('b', '15.5'), ('c', '30')):
        repo.put_product(_product(dal['entities'], pid, discount))
    found, _ = repo.discounted_products_of_brand('acme', '15.5')
    assert sorted(p['product_id'] if isinstance(p, dict) else p.product_id for p in found) == [
        'b',
        'c',
    ]
    with pytest.raises(ValueError, match="min_discount must be a number, got 'lots'"):
        repo.discounted_products_of_brand('acme', 'lots')


@pytest.mark.parametrize('dal', ['ecommerce'], indirect=True)
def test_transact_write_is_all_or_nothing_and_transact_get_reads_both(dal, dynamodb):
    import boto3

    entities = dal['entities']
    dal['repositories'].ProductRepository().put_product(_product(entities, 'prod-1', '0'))
    service = dal['transaction_service'].TransactionService(boto3.resource('dynamodb'))
    order = entities.Order(
        customer_id='c1',
        placed_at='2024-06-01',
        order_id='o1',
        status='PLACED',
        total=Decimal('20'),
        currency='EUR',
        item_count=2,
    )
    assert service.checkout_cart_line(order, 'prod-1', 1) is True
    with pytest.raises(RuntimeError, match='ConditionalCheckFailed'):
        service.checkout_cart_line(order, 'prod-1', 0)  # the order exists: nothing is written
    both = service.get_order_and_product('c1', '2024-06-01', 'o1', 'prod-1')
    assert both['order'].order_id == 'o1'
    assert both['product'].stock == 1  # the first transaction's update, not the second's


@pytest.mark.parametrize('dal', ['iot_telemetry'], indirect=True)
def test_one_item_under_an_upper_bound_is_the_nearest_one(dal):
    repo = dal['repositories'].ReadingRepository()
    for ts in (100, 200, 300):
        repo.create_reading(
            dal['entities'].Reading(
                device_id='d1',
                ts=ts,
                site_id='s1',
                temperature=Decimal('20.5'),
                humidity=Decimal('40'),
                battery_pct=90,
                status='OK',
            )
        )
    assert repo.latest_reading_before('d1', 250).ts == 200
    assert repo.latest_reading_before('d1', 100) is None


EXTRA_STUBS = '''
    def orders_on_date(self, customer_id: str, order_date: str) -> list[Order]:
        """Orders of a customer on one date"""
        # TODO: Implement Access Pattern #90
        # Operation: Query | Index: Main Table
        pass

    def order_exactly(self, customer_id: str, order_date: str, order_id: str) -> Order | None:
        """One order by its full key, as a query"""
        # TODO: Implement Access Pattern #91
        # Operation: Query | Index: Main Table
        pass

    def orders_with_note(self, customer_id: str, note: str) -> list[Order]:
        """Orders carrying a note (no such key or filter: cannot be mapped)"""
        # TODO: Implement Access Pattern #92
        # Operation: Query | Index: Main Table
        pass
'''


@pytest.fixture
def shop_with_extra_stubs(tmp_path, moto_server, dynamodb_client, monkeypatch):
    """shop_example plus stubs whose sort-key parameters are named after the key's fields."""
    from .conftest import copy_fixture

    path = copy_fixture('shop_example', tmp_path)
    repositories = path / 'repositories.py'
    text = repositories.read_text()
    anchor = 'class OrderRepository(BaseRepository[Order]):'
    start = text.index(anchor)
    end = text.index('\n\n\nclass ', start) if '\n\n\nclass ' in text[start:] else len(text)
    repositories.write_text(text[:end].rstrip('\n') + '\n' + EXTRA_STUBS + text[end:])
    return path


def test_sort_key_fields_by_name_become_key_conditions(
    shop_with_extra_stubs, dynamodb_client, moto_server, monkeypatch
):
    from bot.implement import implement_dal

    result = implement_dal(shop_with_extra_stubs)
    left = {s.name: s.reason for s in result.left}
    assert set(left) == {'orders_with_note'}
    assert 'neither key fields nor filter values' in left['orders_with_note']
    text = (shop_with_extra_stubs / 'repositories.py').read_text()
    assert "begins_with(f'ORDER#{order_date}#')" in text
    assert "eq(f'ORDER#{order_date}#{order_id}')" in text
    with imported(shop_with_extra_stubs, moto_server, dynamodb_client, monkeypatch) as dal:
        repo = dal['repositories'].OrderRepository()
        for date, oid in (('2024-05-01', 'a'), ('2024-05-01', 'b'), ('2024-05-011', 'c')):
            repo.create_order(
                dal['entities'].Order(
                    customer_id='c1',
                    order_date=date,
                    order_id=oid,
                    status='NEW',
                    total=Decimal('1'),
                    item_count=1,
                )
            )
        # the '#' after the date keeps 2024-05-011 out of 2024-05-01
        assert sorted(o.order_id for o in repo.orders_on_date('c1', '2024-05-01')) == ['a', 'b']
        assert repo.order_exactly('c1', '2024-05-01', 'b').order_id == 'b'
        assert repo.order_exactly('c1', '2024-05-01', 'z') is None
