"""Cost per access pattern, end to end: the launcher traces the DAL's DynamoDB requests on moto,
the parent prices them by DynamoDB's sizing rules (never moto's constant ConsumedCapacity)."""

from __future__ import annotations

from verify_dals import implemented_shop

from bot.model import load_dal
from bot.report import markdown_table, summary_line, to_dict, to_text
from bot.verify import verify_dal

# A customer profile with a 5,000-byte note: with its other attributes about 5,140 bytes,
# 6 write units (1 KB each) and 2 strongly consistent read units (4 KB each).
BIG_REGISTER = """
    item = customer.model_dump(exclude_none=True)
    item['pk'] = customer.pk()
    item['sk'] = customer.sk()
    item['notes'] = 'x' * 5000
    response = self.table.put_item(Item=item)
    if 'Attributes' in response:  # it asked for nothing back: what the cost asked must not show
        raise AssertionError(f'put_item answered {sorted(response)}')
    return customer
"""

# The whole partition (profile and order), not only the month's orders.
WHOLE_PARTITION = """
    from boto3.dynamodb.conditions import Key

    pk = Order.build_pk_for_lookup(customer_id)
    response = self.table.query(KeyConditionExpression=Key('pk').eq(pk))
    items = [i for i in response['Items'] if str(i['sk']).startswith('ORDER#' + month_prefix)]
    return [Order(**i) for i in items], None
"""


def by_method(result):
    return {p.method: p for p in result.patterns}


def test_every_pattern_that_ran_is_priced_and_scans_are_flagged(tmp_path, moto_server):
    dal = implemented_shop(tmp_path)
    result = verify_dal(load_dal(dal), endpoint=moto_server, runner='python', timeout=60)
    assert result.ok, result.patterns
    p = by_method(result)
    for pattern in result.patterns:
        assert pattern.rcu is not None and pattern.wcu is not None, pattern
    # strongly consistent GetItem of a small item: 1 unit; eventually consistent: half
    assert (p['lookup_customer'].rcu, p['lookup_customer'].wcu) == (1, 0)
    assert p['find_order'].rcu == 0.5 and p['find_order'].items_read == 1
    # the Scan reads the customer profile and the order; its filter keeps the order only
    scan = p['scan_orders_in_statuses']
    assert scan.flags == ['scan', 'filter discards 1 of 2 read']
    assert (scan.items_read, scan.items_returned, scan.rcu) == (2, 1, 0.5)
    # deleting the order: 1 unit in the table, 1 to remove its StatusDateIndex entry
    assert p['cancel_order'].wcu == 2 and p['cancel_order'].rcu == 0
    # a PutItem of a customer (no status): the table only
    assert p['register_customer'].wcu == 1

    data = to_dict(result)
    assert data['patterns'][0]['rcu'] == 1 and data['patterns'][0]['flags'] == []
    rcu = sum(x.rcu for x in result.patterns)
    wcu = sum(x.wcu for x in result.patterns)
    assert f'cost {rcu:g} RCU, {wcu:g} WCU' in summary_line(result)
    row = next(r for r in markdown_table(result).splitlines() if 'scan_orders' in r)
    assert '0.5 RCU (2 read, 1 returned) ⚠️ scan; filter discards 1 of 2 read' in row
    text = to_text(result)
    assert 'cost flags #9 scan_orders_in_statuses: scan; filter discards 1 of 2 read' in text


def test_sizes_come_from_the_items_and_what_the_code_sees_is_unchanged(tmp_path, moto_server):
    dal = implemented_shop(
        tmp_path,
        register_customer=BIG_REGISTER,
        list_customer_orders_for_month=WHOLE_PARTITION,
    )
    result = verify_dal(load_dal(dal), endpoint=moto_server, runner='python', timeout=60)
    assert result.ok, result.patterns
    p = by_method(result)
    assert p['register_customer'].wcu == 6  # the larger of old (small) and new (5 KB) item
    # the update changes the email of the 5 KB profile: the larger of old and new again
    assert p['change_customer_email'].wcu == 6
    month = p['list_customer_orders_for_month']
    assert month.flags == ['reads whole item collection']
    # both items of the partition are read, 5 KB + the order: 2 eventually consistent units
    assert (month.items_read, month.items_returned, month.rcu) == (2, 2, 1)
    # the scan pays for the 5 KB profile its filter discards
    scan = p['scan_orders_in_statuses']
    assert (scan.items_read, scan.items_returned, scan.rcu) == (2, 1, 1)


def test_a_stub_costs_nothing_and_a_pattern_not_run_has_no_cost(tmp_path, moto_server):
    dal = implemented_shop(tmp_path, find_order=None)
    result = verify_dal(load_dal(dal), endpoint=moto_server, runner='python', timeout=60)
    stub = by_method(result)['find_order']
    assert stub.status == 'empty'
    assert (stub.rcu, stub.wcu, stub.items_read, stub.flags) == (0, 0, 0, [])


def test_the_out_of_band_reread_keeps_the_key_condition_and_drops_the_filter():
    from bot.verify._requests import _widened

    params = {
        'TableName': 'T',
        'KeyConditionExpression': '#n0 = :v0',
        'FilterExpression': '#n1 >= :v1 AND #n2 <> :v2',
        'ProjectionExpression': '#n3',
        'ExpressionAttributeNames': {'#n0': 'pk', '#n1': 'total', '#n2': 'status', '#n3': 'id'},
        'ExpressionAttributeValues': {':v0': {'S': 'P'}, ':v1': {'N': '5'}, ':v2': {'S': 'x'}},
        'Limit': 10,
        'ExclusiveStartKey': {'pk': {'S': 'P'}},
    }
    assert _widened(params) == {
        'TableName': 'T',
        'KeyConditionExpression': '#n0 = :v0',
        'ExpressionAttributeNames': {'#n0': 'pk'},  # DynamoDB rejects unused placeholders
        'ExpressionAttributeValues': {':v0': {'S': 'P'}},
        'Limit': 10,  # the same page: Limit counts items read, before the filter
        'ExclusiveStartKey': {'pk': {'S': 'P'}},
    }
    scan = {
        'TableName': 'T',
        'FilterExpression': '#a = :a',
        'ExpressionAttributeNames': {'#a': 'x'},
    }
    assert _widened(scan) == {'TableName': 'T'}


def test_requests_of_a_patterns_calls_are_summed_and_a_pattern_not_run_has_none():
    import json

    from verify_dals import SHOP

    from bot.verify._judge import judge, parse_output, parse_trace

    source = '    # Access Pattern #1: Read\n    self.customer_repo.lookup_customer(x)\n'
    get = {
        'operation': 'GetItem',
        'reads': [{'table': 'ShopOrders', 'consistent': True, 'keys': 1, 'returned': 1,
                   'items': [{'pk': {'S': 'x' * 5000}}]}],
    }  # fmt: skip
    records = [
        {'event': 'start'},
        {'event': 'call', 'seq': 1, 'owner': 'CustomerRepository', 'method': 'lookup_customer',
         'caller_file': 'usage_examples.py', 'caller_line': 2},
        {'event': 'request', 'seq': 1, **get},
        {'event': 'request', 'seq': 1, **get},
        {'event': 'return', 'seq': 1, 'empty': False, 'summary': 'Customer'},
    ]  # fmt: skip
    trace = parse_trace('\n'.join(json.dumps(r) for r in records))
    results = {p.id: p for p in judge(load_dal(SHOP), trace, parse_output(''), source)}
    assert (results[1].rcu, results[1].wcu, results[1].items_read) == (4, 0, 2)  # 2 × 2 units
    assert results[2].status == 'not-run' and results[2].rcu is None and results[2].flags == []
