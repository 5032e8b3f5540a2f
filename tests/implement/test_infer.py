"""What the bot infers from names when no schema, mapping or stub comment decides it, and
that it says so: one positive and one near-miss case per rule, the code each reading produces
run against moto, and the label in the summary, the commit message and the PR comment."""

from __future__ import annotations

import json
import subprocess
import sys

import git
import pytest

from bot.github.comment import render
from bot.github.results import DalOutcome, RunReport
from bot.implement import implement_dal, plan
from bot.model import load_dal
from bot.report import escape_cell

from .conftest import FIXTURES, copy_fixture
from .test_operations import imported

MESSY = 'messy_signatures'
LABEL = 'inferred from names: '


def _with_stub(tmp_path, owner: str, signature: str, operation: str, returns: str):
    """The messy fixture with one more stub (pattern #40) in class `owner`."""
    dal = copy_fixture(MESSY, tmp_path)
    path = dal / 'repositories.py'
    text = path.read_text()
    stub = (
        f'\n    def probe(self, {signature}) -> {returns}:\n'
        '        """A stub the test adds"""\n'
        '        # TODO: Implement Access Pattern #40\n'
        f'        # {operation}\n'
        '        pass\n'
    )
    start = text.index(f'class {owner}(')
    end = text.find('\nclass ', start + 1)
    end = len(text) if end < 0 else end
    path.write_text(text[:end].rstrip('\n') + '\n' + stub + '\n' + text[end:])
    return dal


def _probe(tmp_path, owner, signature, operation, returns):
    """(labels, None) when the probe stub is implemented, (None, reason) when it is left."""
    dal = load_dal(_with_stub(tmp_path, owner, signature, operation, returns))
    planned, left = plan(dal)
    done = next((p for p in planned if p.method.name == 'probe'), None)
    if done is not None:
        return [label.removeprefix(LABEL) for label in done.inferred], None
    return None, next(s.reason for s in left if s.name == 'probe')


PAGE = 'tuple[list[Order], dict | None]'
QUERY = 'Operation: Query | Index: Main Table'


@pytest.mark.parametrize(
    ('owner', 'signature', 'operation', 'returns', 'labels'),
    [
        (
            'OrderRepository',
            'pk: str, sk: str',
            'Operation: GetItem | Index: Main Table',
            'Order | None',
            [
                "pk is the raw value of the partition key 'pk'",
                "sk is the raw value of the sort key 'sk'",
            ],
        ),
        (
            'OrderRepository',
            'PK: str, sort_key: str',
            QUERY,
            PAGE,
            [
                "PK is the raw value of the partition key 'pk'",
                "sort_key is the raw value of the sort key 'sk'",
            ],
        ),
        (
            'OrderRepository',
            'user_id: str, from_id: str, to_id: str',
            QUERY,
            PAGE,
            [
                "from_id and to_id are the bounds of a between on the sort key's first field 'order_id'"
            ],
        ),
        (
            'OrderRepository',
            'user_id: str, after_id: str',
            QUERY,
            PAGE,
            ["after_id is a lower bound (>=) on the sort key's first field 'order_id'"],
        ),
        (
            'OrderRepository',
            'user_id: str, until_id: str',
            QUERY,
            PAGE,
            ["until_id is an upper bound (<=) on the sort key's first field 'order_id'"],
        ),
        (
            'HealthRecordRepository',
            'records: HealthRecord',
            'Operation: BatchWriteItem | Index: Main Table',
            'bool',
            ['records is one HealthRecord or an iterable of them'],
        ),
        (
            'OrderRepository',
            'status: str',
            'Operation: Scan | Index: Main Table',
            PAGE,
            ["status filters the scan to items whose 'status' equals it"],
        ),
    ],
)
def test_a_name_rule_implements_the_stub_and_says_what_it_read(
    tmp_path, owner, signature, operation, returns, labels
):
    inferred, reason = _probe(tmp_path, owner, signature, operation, returns)
    assert reason is None
    assert inferred == labels


@pytest.mark.parametrize(
    ('owner', 'signature', 'operation', 'returns', 'reason'),
    [
        # Not the key attribute's name: no raw key, and two loose names cannot be one alias.
        (
            'OrderRepository',
            'pk_value: str, sk_value: str',
            'Operation: GetItem | Index: Main Table',
            'Order | None',
            "no parameter gives key field 'user_id'",
        ),
        # A lone end_* is no rule; nor is a pair in the wrong order or with other suffixes.
        ('OrderRepository', 'user_id: str, end_id: str', QUERY, PAGE, "parameters ['end_id']"),
        ('OrderRepository', 'user_id: str, end_id: str, start_id: str', QUERY, PAGE, 'neither'),
        ('OrderRepository', 'user_id: str, start_id: str, end_day: str', QUERY, PAGE, 'neither'),
        ('OrderRepository', 'user_id: str, startid: str', QUERY, PAGE, "parameters ['startid']"),
        # start_* beside a value that is no bound: not a lone lower bound.
        (
            'OrderRepository',
            'user_id: str, start_id: str, stop_id: str',
            QUERY,
            PAGE,
            "parameters ['start_id', 'stop_id'] are neither",
        ),
        # updates: str needs its update_value; `update` is not `updates`.
        (
            'UserRepository',
            'user_id: str, updates: str',
            'Operation: UpdateItem | Index: Main Table',
            'User | None',
            'no value to SET',
        ),
        (
            'UserRepository',
            'user_id: str, update: str, update_value',
            'Operation: UpdateItem | Index: Main Table',
            'User | None',
            'no value to SET',
        ),
        # A batch of one entity with a second parameter; or of another entity.
        (
            'HealthRecordRepository',
            'records: HealthRecord, provider: str',
            'Operation: BatchWriteItem | Index: Main Table',
            'bool',
            'exactly one parameter',
        ),
        (
            'HealthRecordRepository',
            'orders: Order',
            'Operation: BatchWriteItem | Index: Main Table',
            'bool',
            'exactly one parameter',
        ),
        # `state` and `targetstatus` are not fields (nor target_<field>).
        (
            'OrderRepository',
            'target_state: str',
            'Operation: Scan | Index: Main Table',
            PAGE,
            "scan parameters ['target_state']",
        ),
        (
            'OrderRepository',
            'targetstatus: str',
            'Operation: Scan | Index: Main Table',
            PAGE,
            "scan parameters ['targetstatus']",
        ),
    ],
)
def test_a_near_miss_is_left_with_its_reason(
    tmp_path, owner, signature, operation, returns, reason
):
    inferred, left = _probe(tmp_path, owner, signature, operation, returns)
    assert inferred is None, f'implemented with {inferred}'
    assert reason in left


def test_what_the_comment_says_wins_over_names(tmp_path):
    """A range condition or a filter in the stub's comment decides: nothing is inferred."""
    dal = load_dal(
        _with_stub(
            tmp_path,
            'OrderRepository',
            'user_id: str, since_id: str',
            QUERY + ' | Range Condition: >',
            PAGE,
        )
    )
    probe = next(p for p in dal.patterns if p.method == 'probe')
    assert probe.range_condition == '>' and probe.inferred == ()
    scan = load_dal(
        _with_stub(
            tmp_path / 'scan',
            'OrderRepository',
            'status: str',
            'Operation: Scan | Index: Main Table | Filter Expression: #status <> :status',
            PAGE,
        )
    )
    probe = next(p for p in scan.patterns if p.method == 'probe')
    assert probe.filter.conditions[0].operator == '<>' and probe.inferred == ()


def test_a_mapping_decides_the_range(tmp_path):
    """With access_pattern_mapping.json describing the pattern, no range is inferred."""
    dal = _with_stub(tmp_path, 'OrderRepository', 'user_id: str, since_id: str', QUERY, PAGE)
    mapping = {'access_pattern_mapping': {'40': {'pattern_id': 40, 'method_name': 'probe'}}}
    (dal / 'access_pattern_mapping.json').write_text(json.dumps(mapping))
    probe = next(p for p in load_dal(dal).patterns if p.method == 'probe')
    assert probe.range_condition is None and probe.inferences('range') == []


def test_messy_signatures_does_what_expected_json_says(implemented):
    expected = json.loads((FIXTURES / MESSY / 'EXPECTED.json').read_text())
    _, result = implemented(MESSY)
    done = {f'{m.owner}.{m.name}': m for m in result.implemented}
    assert set(done) == set(expected['implementable_stubs'])
    for key, spec in expected['implementable_stubs'].items():
        assert done[key].pattern_id == spec['pattern_id']
        assert done[key].operation == spec['operation']
        assert done[key].inferred == [LABEL + text for text in spec.get('inferred', [])], key
    assert {f'{s.owner}.{s.name}' for s in result.left} == set(expected['unmappable_stubs'])
    model = load_dal(FIXTURES / MESSY / 'generated_dal')
    for key, spec in expected['implementable_stubs'].items():
        pattern = next(p for p in model.patterns if f'{p.owner}.{p.method}' == key)
        assert pattern.range_condition == spec.get('range_condition'), key


@pytest.fixture
def messy(implemented, moto_server, dynamodb_client, monkeypatch):
    path, _ = implemented(MESSY)
    with imported(path, moto_server, dynamodb_client, monkeypatch) as modules:
        yield modules


def test_inferred_readings_behave_as_their_labels_say(messy):
    entities, repos = messy['entities'], messy['repositories']
    users = repos.UserRepository()
    ann = entities.User(user_id='u1', name='Ann', email='a@x', plan='PRO')
    bob = entities.User(user_id='u2', name='Bob', email='b@x', plan='FREE')
    users.create_user(ann)
    users.create_user(bob)
    # Raw keys.
    assert users.get_by_key(ann.pk(), ann.sk()).name == 'Ann'
    assert users.get_by_key('USER#nobody', 'PROFILE') is None
    # updates: str + update_value.
    assert users.change_user_field('u1', 'email', 'new@x').email == 'new@x'
    with pytest.raises(ValueError, match=r"updates must name a field of User .* got 'user_id'"):
        users.change_user_field('u1', 'user_id', 'u9')
    # Scan by target_<field>.
    on_pro, _ = users.users_on_plan('PRO')
    assert [u.user_id for u in on_pro] == ['u1']

    orders = repos.OrderRepository()
    for n in (1, 2, 3):
        orders.create_order(
            entities.Order(
                user_id='u1',
                order_id=f'ord-{n}',
                amount=n,
                status='PAID',
                created_at='2024',
                plan_at_purchase='PRO',
            )
        )
    since, _ = orders.orders_since('u1', 'ord-2')
    assert [o.order_id for o in since] == ['ord-2', 'ord-3']

    records = repos.HealthRecordRepository()

    def record(n: int):
        return entities.HealthRecord(
            patient_id='p1',
            record_id=f'r{n}',
            provider_id='dr',
            kind='ECG',
            recorded_at=f'2024-0{n}-01',
        )

    # A batch of one entity: one, a list, or any iterable.
    assert records.put_records(record(1)) is True
    assert records.put_records([record(2), record(3)]) is True
    assert records.put_records(record(n) for n in (4, 5)) is True
    between, _ = records.records_for_provider_between('dr', '2024-02-01', '2024-04-01')
    assert [r.record_id for r in between] == ['r2', 'r3', 'r4']
    before = records.records_before('dr', '2024-02-01')
    assert [r.record_id for r in before] == ['r1', 'r2']


def test_labels_reach_the_summary_json_commits_and_pr_comment(tmp_path):
    dal = copy_fixture(MESSY, tmp_path)
    repo = git.Repo.init(tmp_path)
    repo.git.add('-A')
    repo.index.commit('the DAL', author=git.Actor('dev', 'dev@example.com'))
    out = tmp_path / 'summary.json'
    done = subprocess.run(
        [sys.executable, '-m', 'bot', 'implement', str(dal), '--commit', '--json', str(out)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stderr  # three stubs are left
    since = "since_order_id is a lower bound (>=) on the sort key's first field 'order_id'"
    assert f'OrderRepository.orders_since (AP 14): {LABEL}{since}' in done.stdout
    summary = json.loads(out.read_text())
    by_name = {m['name']: m for m in summary['implemented']}
    assert by_name['orders_since']['inferred'] == [LABEL + since]
    assert by_name['put_order']['inferred'] == []
    messages = [c.message for c in repo.iter_commits()]
    assert any(
        '- OrderRepository.orders_since: AP 14 Query\n  ' + LABEL + since in m for m in messages
    )

    result = implement_dal(copy_fixture(MESSY, tmp_path / 'again'))
    report = RunReport(
        mode='pr', repository='o/r', outcomes=[DalOutcome(dal='clinic', implement=result)]
    )
    comment = render(report, env={})
    assert '**Inferred from names** (12)' in comment
    shown = escape_cell(LABEL + since)  # markdown-escaped, reads the same on GitHub
    assert f'`OrderRepository.orders_since` (AP 14): {shown}' in comment
