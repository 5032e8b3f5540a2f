"""What updates write: GSI keys built from a changed field move the item in the index, an
entity's None fields are not SET (never NULL), and a transaction Update's condition gets its
placeholder values. Fixtures implemented by the real pipeline, called against moto."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from bot.implement import implement_dal

from .conftest import copy_fixture
from .test_operations import imported

RIDE = dict(
    rider_id='r1',
    requested_at=100,
    ride_id='ride-1',
    city='Lisbon',
    status='REQUESTED',
    fare=Decimal('12.5'),
)
DRIVER = dict(driver_id='d1', name='Rui', city='Lisbon', rating_avg=Decimal('4.8'), available=True)


@pytest.fixture
def dal(implemented, moto_server, dynamodb_client, monkeypatch, request):
    """The implemented fixture (by name, via indirect parametrize), imported on fresh tables."""
    path, _ = implemented(request.param)
    with imported(path, moto_server, dynamodb_client, monkeypatch) as modules:
        yield modules


def _ids(page) -> list[str]:
    items, _ = page
    return [getattr(i, 'ticket_id', None) or i.ride_id for i in items]


@pytest.mark.parametrize('dal', ['synthetic_gsi'], indirect=True)
def test_moving_a_ticket_to_another_status_moves_it_in_the_status_index(dal):
    repo = dal['repositories'].TicketRepository()
    repo.open_ticket(
        dal['entities'].Ticket(
            ticket_id='t1',
            title='VPN drops',
            status='OPEN',
            priority=3,
            assignee='bob',
            opened_by='amy',
            updated_at='2024-01-01',
        )
    )
    assert _ids(repo.tickets_in_status('OPEN')) == ['t1']
    assert repo.move_ticket_to_status('t1', 'CLOSED').status == 'CLOSED'
    assert _ids(repo.tickets_in_status('CLOSED')) == ['t1']
    assert _ids(repo.tickets_in_status('OPEN')) == []


@pytest.mark.parametrize('dal', ['ride_share'], indirect=True)
def test_update_from_an_entity_does_not_write_its_none_fields(dal, dynamodb):
    repo = dal['repositories'].RideRepository()
    Ride = dal['entities'].Ride
    repo.request_ride(Ride(**RIDE))  # no driver_id, no rating
    saved = repo.save_ride(Ride(**RIDE | {'status': 'ACCEPTED', 'fare': Decimal('13')}))
    assert isinstance(saved, Ride)
    assert (saved.status, saved.fare, saved.rating, saved.version) == (
        'ACCEPTED',
        Decimal('13'),
        None,
        2,
    )
    raw = dynamodb.Table('Rides').get_item(Key={'rider_id': 'r1', 'requested_at': 100})['Item']
    assert 'rating' not in raw and 'driver_id' not in raw  # absent, not NULL
    assert raw['status_pk'] == 'STATUS#ACCEPTED'
    assert _ids(repo.rides_in_status('ACCEPTED')) == ['ride-1']
    assert _ids(repo.rides_in_status('REQUESTED')) == []
    # SET only: a field the entity leaves None keeps its stored value
    repo.rate_ride('r1', 100, 5)
    assert repo.save_ride(Ride(**RIDE | {'status': 'DONE'})).rating == 5


@pytest.mark.parametrize('dal', ['ride_share'], indirect=True)
def test_transaction_update_condition_gets_its_placeholder_value(dal, dynamodb):
    entities, repos = dal['entities'], dal['repositories']
    rides, drivers = repos.RideRepository(), repos.DriverRepository()
    rides.request_ride(entities.Ride(**RIDE))
    drivers.onboard_driver(entities.Driver(**DRIVER))
    service = dal['transaction_service'].TransactionService(dynamodb)
    assert service.accept_ride('r1', 100, 'd1', 'ACCEPTED', False, True) is True
    assert drivers.get_driver('d1').available is False
    ride = rides.get_ride('r1', 100)
    assert (ride.driver_id, ride.status) == ('d1', 'ACCEPTED')
    assert _ids(rides.rides_in_status('ACCEPTED')) == ['ride-1']  # the index key moved too
    assert _ids(rides.rides_in_status('REQUESTED')) == []
    # The driver is no longer available: `available = :is_available` fails, nothing is written.
    with pytest.raises(RuntimeError, match='ConditionalCheckFailed'):
        service.accept_ride('r1', 100, 'd1', 'DONE', False, True)
    assert rides.get_ride('r1', 100).status == 'ACCEPTED'


# A transaction Update whose values come from an entity.
FINISH_STUB = '''
    def finish_ride(self, ride: Ride, driver_id: str, available: bool, is_available: bool) -> bool:
        """Save a ride and free its driver"""
        # TODO: Implement Access Pattern #102
        # Operation: TransactWrite | Tables: Rides, Drivers
        pass
'''


def _add_pattern(path, stub: str, pattern: dict) -> None:
    schema_path = path.parent / 'schema.json'
    schema = json.loads(schema_path.read_text())
    schema['cross_table_access_patterns'].append(pattern)
    schema_path.write_text(json.dumps(schema, indent=2))
    mapping_path = path / 'access_pattern_mapping.json'
    mapping = json.loads(mapping_path.read_text())
    mapping['access_pattern_mapping'][str(pattern['pattern_id'])] = pattern | {
        'method_name': pattern['name'],
        'service': 'TransactionService',
        'return_type': 'bool',
    }
    mapping_path.write_text(json.dumps(mapping, indent=2))
    service = path / 'transaction_service.py'
    service.write_text(service.read_text().rstrip('\n') + '\n' + stub)


def test_transaction_update_from_an_entity_skips_none_fields_and_moves_index_keys(
    tmp_path, moto_server, dynamodb_client, dynamodb, monkeypatch
):
    path = copy_fixture('ride_share', tmp_path)
    _add_pattern(
        path,
        FINISH_STUB,
        {
            'pattern_id': 102,
            'name': 'finish_ride',
            'description': 'Save a ride and free its driver',
            'operation': 'TransactWrite',
            'parameters': [
                {'name': 'ride', 'type': 'entity', 'entity_type': 'Ride'},
                {'name': 'driver_id', 'type': 'string'},
                {'name': 'available', 'type': 'boolean'},
                {'name': 'is_available', 'type': 'boolean'},
            ],
            'entities_involved': [
                {'table': 'Rides', 'entity': 'Ride', 'action': 'Update'},
                {
                    'table': 'Drivers',
                    'entity': 'Driver',
                    'action': 'Update',
                    'condition': 'available = :is_available',
                },
            ],
        },
    )
    assert implement_dal(path).left == []
    with imported(path, moto_server, dynamodb_client, monkeypatch) as dal:
        entities, repos = dal['entities'], dal['repositories']
        rides, drivers = repos.RideRepository(), repos.DriverRepository()
        rides.request_ride(entities.Ride(**RIDE))
        drivers.onboard_driver(entities.Driver(**DRIVER | {'available': False}))
        service = dal['transaction_service'].TransactionService(dynamodb)
        done = entities.Ride(**RIDE | {'status': 'DONE'})  # rating and driver_id None
        assert service.finish_ride(done, 'd1', True, False) is True
        raw = dynamodb.Table('Rides').get_item(Key={'rider_id': 'r1', 'requested_at': 100})
        assert 'rating' not in raw['Item'] and raw['Item']['status_pk'] == 'STATUS#DONE'
        assert _ids(rides.rides_in_status('DONE')) == ['ride-1']
        assert drivers.get_driver('d1').available is True


MOVE_STUBS = '''
    def set_ride_status(self, rider_id: str, requested_at: int, status: str) -> Ride | None:
        """Change the status of a ride (the index key also needs its city)"""
        # TODO: Implement Access Pattern #90
        # Operation: UpdateItem | Index: Main Table
        pass

    def move_ride(self, rider_id: str, requested_at: int, status: str, city: str) -> Ride | None:
        """Change the status and city of a ride"""
        # TODO: Implement Access Pattern #91
        # Operation: UpdateItem | Index: Main Table
        pass
'''


def test_an_index_key_whose_other_fields_are_unknown_is_left_with_the_reason(tmp_path):
    path = copy_fixture('ride_share', tmp_path)
    schema_path = path.parent / 'schema.json'
    schema = json.loads(schema_path.read_text())
    (ride,) = schema['tables'][0]['entities'].values()
    ride['gsi_mappings'][0]['pk_template'] = 'STATUS#{status}#{city}'
    schema_path.write_text(json.dumps(schema, indent=2))
    # The builders as the generator writes them for that template (the code wins).
    entities = path / 'entities.py'
    entities.write_text(
        entities.read_text()
        .replace(
            'lookup_status_index(cls, status) -> KeyType:\n'
            '        """Build GSI partition key for StatusIndex lookup operations"""\n'
            "        return f'STATUS#{status}'",
            'lookup_status_index(cls, status, city) -> KeyType:\n'
            '        """Build GSI partition key for StatusIndex lookup operations"""\n'
            "        return f'STATUS#{status}#{city}'",
        )
        .replace("return f'STATUS#{self.status}'", "return f'STATUS#{self.status}#{self.city}'")
    )
    repositories = path / 'repositories.py'
    text = repositories.read_text()
    end = text.index('\n\n\nclass DriverRepository')
    repositories.write_text(text[:end] + '\n' + MOVE_STUBS + text[end:])

    left = {s.name: s.reason for s in implement_dal(path).left}
    # the transaction's Ride update has no city either (and the query now needs one)
    assert set(left) == {'set_ride_status', 'accept_ride', 'rides_in_status'}
    for name in ('set_ride_status', 'accept_ride'):
        assert (
            "index key 'status_pk' ('STATUS#{status}#{city}') of Ride uses ['status'], which "
            "this update changes, and ['city'], which no parameter gives" in left[name]
        )
    assert (
        "':status_pk': Ride.build_gsi_pk_for_lookup_status_index(status, city)"
        in repositories.read_text()
    )


def test_a_put_keeps_an_item_out_of_a_sparse_index_when_its_key_field_is_none(
    tmp_path, moto_server, dynamodb_client, monkeypatch, dynamodb
):
    """`status_pk = 'STATUS#{status}'` with `status` optional: a ticket without a status
    must not be indexed under 'STATUS#None'."""
    path = copy_fixture('synthetic_gsi', tmp_path)
    entities = path / 'entities.py'
    entities.write_text(
        entities.read_text().replace('    status: str\n', '    status: str = None\n')
    )
    schema = path.parent / 'schema.json'
    doc = json.loads(schema.read_text())
    for entity in doc['tables'][0]['entities'].values():
        for field in entity['fields']:
            if field['name'] == 'status':
                field['required'] = False
    schema.write_text(json.dumps(doc))
    implement_dal(path)
    with imported(path, moto_server, dynamodb_client, monkeypatch) as dal:
        repo = dal['repositories'].TicketRepository()
        Ticket = dal['entities'].Ticket
        common = dict(title='t', priority=1, assignee='bob', opened_by='amy', updated_at='d')
        repo.open_ticket(Ticket(ticket_id='t1', **common))
        repo.open_ticket(Ticket(ticket_id='t2', status='OPEN', **common))
        table = dynamodb.Table(doc['tables'][0]['table_config']['table_name'])
        items = {i['ticket_id']: i for i in table.scan()['Items']}
        assert 'status_pk' not in items['t1']
        assert items['t2']['status_pk'] == 'STATUS#OPEN'
        assert _ids(repo.tickets_in_status('OPEN')) == ['t2']
