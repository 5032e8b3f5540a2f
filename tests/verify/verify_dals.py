"""Hand-implemented copies of fixture DALs for the verify tests.

Written by hand on purpose: the verify tests judge the verifier, so they must not depend on
what `implement` writes (tests/implement/test_implement_then_verify.py covers the two together).
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import libcst as cst

FIXTURES = Path(__file__).resolve().parents[1] / 'fixtures' / 'dals'
SHOP = FIXTURES / 'shop_example' / 'generated_dal'

# Bodies for the ten shop_example stubs, as a careful human would write them.
SHOP_BODIES: dict[tuple[str, str], str] = {
    ('CustomerRepository', 'lookup_customer'): """
        pk = Customer.build_pk_for_lookup(customer_id)
        sk = Customer.build_sk_for_lookup()
        return self.get(pk, sk, consistent_read=True)
    """,
    ('CustomerRepository', 'register_customer'): """
        item = customer.model_dump(exclude_none=True)
        item['pk'] = customer.pk()
        item['sk'] = customer.sk()
        self.table.put_item(Item=item)
        return customer
    """,
    ('CustomerRepository', 'change_customer_email'): """
        pk = Customer.build_pk_for_lookup(customer_id)
        sk = Customer.build_sk_for_lookup()
        response = self.table.update_item(
            Key={'pk': pk, 'sk': sk},
            UpdateExpression='SET #e = :e',
            ExpressionAttributeNames={'#e': 'email'},
            ExpressionAttributeValues={':e': email},
            ReturnValues='ALL_NEW',
        )
        return self.model_class(**response['Attributes'])
    """,
    ('OrderRepository', 'find_order'): """
        pk = Order.build_pk_for_lookup(customer_id)
        sk = Order.build_sk_for_lookup(order_date, order_id)
        return self.get(pk, sk)
    """,
    ('OrderRepository', 'list_customer_orders_for_month'): """
        from boto3.dynamodb.conditions import Key

        pk = Order.build_pk_for_lookup(customer_id)
        params = {
            'KeyConditionExpression': Key('pk').eq(pk)
            & Key('sk').begins_with('ORDER#' + month_prefix),
            'Limit': limit,
        }
        if exclusive_start_key:
            params['ExclusiveStartKey'] = exclusive_start_key
        return self._parse_query_response(self.table.query(**params), skip_invalid_items)
    """,
    ('OrderRepository', 'list_customer_orders_between'): """
        from boto3.dynamodb.conditions import Key

        pk = Order.build_pk_for_lookup(customer_id)
        params = {
            'KeyConditionExpression': Key('pk').eq(pk)
            & Key('sk').between('ORDER#' + start_date, 'ORDER#' + end_date + '~'),
            'Limit': limit,
        }
        if exclusive_start_key:
            params['ExclusiveStartKey'] = exclusive_start_key
        return self._parse_query_response(self.table.query(**params), skip_invalid_items)
    """,
    ('OrderRepository', 'orders_by_status_since'): """
        from boto3.dynamodb.conditions import Key

        params = {
            'IndexName': 'StatusDateIndex',
            'KeyConditionExpression': Key('status').eq(status) & Key('order_date').gte(since_date),
            'Limit': limit,
        }
        if exclusive_start_key:
            params['ExclusiveStartKey'] = exclusive_start_key
        return self._parse_query_response(self.table.query(**params), skip_invalid_items)
    """,
    ('OrderRepository', 'large_orders_of_customer'): """
        from boto3.dynamodb.conditions import Attr, Key

        pk = Order.build_pk_for_lookup(customer_id)
        params = {
            'KeyConditionExpression': Key('pk').eq(pk) & Key('sk').begins_with('ORDER#'),
            'FilterExpression': Attr('total').gte(min_total) & Attr('status').ne(excluded_status),
            'Limit': limit,
        }
        if exclusive_start_key:
            params['ExclusiveStartKey'] = exclusive_start_key
        return self._parse_query_response(self.table.query(**params), skip_invalid_items)
    """,
    ('OrderRepository', 'scan_orders_in_statuses'): """
        from boto3.dynamodb.conditions import Attr

        params = {'FilterExpression': Attr('status').is_in([first_status, second_status])}
        if exclusive_start_key:
            params['ExclusiveStartKey'] = exclusive_start_key
        return self._parse_query_response(self.table.scan(**params), skip_invalid_items)
    """,
    ('OrderRepository', 'cancel_order'): """
        pk = Order.build_pk_for_lookup(customer_id)
        sk = Order.build_sk_for_lookup(order_date, order_id)
        response = self.table.delete_item(Key={'pk': pk, 'sk': sk}, ReturnValues='ALL_OLD')
        old = response.get('Attributes')
        return self.model_class(**old) if old else None
    """,
}


class _ReplaceBodies(cst.CSTTransformer):
    def __init__(self, bodies: dict[tuple[str, str], str]):
        self.bodies = bodies
        self.owner: list[str] = []
        self.done: set[tuple[str, str]] = set()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.owner.append(node.name.value)

    def leave_ClassDef(self, original, updated):
        self.owner.pop()
        return updated

    def leave_FunctionDef(self, original, updated):
        key = (self.owner[-1] if self.owner else '', updated.name.value)
        if key not in self.bodies:
            return updated
        self.done.add(key)
        body = cst.parse_module(textwrap.dedent(self.bodies[key]).strip() + '\n').body
        docstring = [
            s
            for s in updated.body.body[:1]
            if isinstance(s, cst.SimpleStatementLine)
            and isinstance(s.body[0], cst.Expr)
            and isinstance(s.body[0].value, cst.SimpleString | cst.ConcatenatedString)
        ]
        return updated.with_changes(body=updated.body.with_changes(body=[*docstring, *body]))


def implement(dal_dir: Path, bodies: dict[tuple[str, str], str], file: str = 'repositories.py'):
    """Replace the bodies of the given methods in dal_dir/file (in place)."""
    path = dal_dir / file
    transformer = _ReplaceBodies(bodies)
    module = cst.parse_module(path.read_text()).visit(transformer)
    missing = set(bodies) - transformer.done
    assert not missing, f'methods not found: {missing}'
    path.write_text(module.code)


def copy_dal(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns('__pycache__'))
    return dst


def implemented_shop(tmp_path: Path, **overrides: str | None) -> Path:
    """A copy of shop_example with every stub implemented; overrides: method name → body
    (None leaves that stub in place)."""
    dal = copy_dal(SHOP, tmp_path / 'shop' / 'generated_dal')
    shutil.copy(SHOP.parent / 'schema.json', dal.parent / 'schema.json')
    bodies = dict(SHOP_BODIES)
    for name, body in overrides.items():
        key = next(k for k in bodies if k[1] == name)
        if body is None:
            del bodies[key]
        else:
            bodies[key] = body
    implement(dal, bodies)
    return dal
