"""The index-key repair: GSI key attributes that create()/update() leave out become computed
fields of the entity, in a commit of their own; the items then appear in their indexes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import boto3
import git
import pytest

from bot.implement import implement_dal
from bot.model import load_dal
from bot.verify import verify_dal
from bot.verify._tables import create_tables, drop_tables, tables_of
from tests.conftest import DUMMY_CREDENTIALS

from .conftest import copy_fixture

INDEX_READS = list(range(2, 12))  # user_analytics: every pattern but #1 (GetItem) and #12


def _repo_with(tmp_path: Path, name: str) -> tuple[git.Repo, Path]:
    dal = copy_fixture(name, tmp_path)
    repo = git.Repo.init(tmp_path)
    repo.git.add('-A')
    repo.index.commit('the generated DAL', author=git.Actor('dev', 'dev@example.com'))
    return repo, dal


def _ruff_check(dal: Path) -> None:
    done = subprocess.run(
        [sys.executable, '-m', 'ruff', 'check', '--no-cache', '--config', 'ruff.toml', '.'],
        cwd=dal,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_repair_is_its_own_commit_and_idempotent(tmp_path):
    repo, dal = _repo_with(tmp_path, 'user_analytics')
    result = implement_dal(dal, commit=True)
    first = list(repo.iter_commits('HEAD'))[::-1][1]
    assert first.message.startswith('dal-bot: write the GSI key attributes')
    assert 'write model_dump() plus pk/sk only' in first.message
    assert "- User.status_pk = 'STATUS#{status}' (StatusIndex)" in first.message
    assert list(first.stats.files) == ['user_analytics/generated_dal/entities.py']
    added = {a.attribute: a for a in result.index_keys}
    assert set(added) == {
        'status_pk',
        'last_active_sk',
        'country_pk',
        'city_sk',
        'engagement_level_pk',
        'session_count_sk',
        'age_group_pk',
        'signup_date_sk',
        'plan_pk',
    }
    assert added['status_pk'].patterns == [2, 3, 12] and added['status_pk'].writers == []
    lines = (dal / 'entities.py').read_text().splitlines()
    assert lines[added['plan_pk'].line - 1].strip().startswith('def plan_pk(self)')
    _ruff_check(dal)  # the DAL's own lint still passes (imports where isort puts them)

    # The model now sees them as written: a second run changes nothing.
    assert load_dal(dal).entity('User').computed == tuple(added)
    head = repo.head.commit.hexsha
    again = implement_dal(dal, commit=True)
    assert again.index_keys == [] and again.commits == []
    assert repo.head.commit.hexsha == head


def test_turned_off_leaves_entities_untouched(tmp_path):
    _, dal = _repo_with(tmp_path, 'user_analytics')
    before = (dal / 'entities.py').read_bytes()
    done = subprocess.run(
        [sys.executable, '-m', 'bot', 'implement', str(dal), '--commit', '--no-fix-index-keys'],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert (dal / 'entities.py').read_bytes() == before
    assert 'GSI key attributes' not in git.Repo(tmp_path).git.log('--format=%s')


def test_a_dal_that_already_writes_its_keys_gets_no_commit(tmp_path):
    """A human (or a future generator) already wrote the key as a computed field."""
    repo, dal = _repo_with(tmp_path, 'synthetic_gsi')
    entities = dal / 'entities.py'
    text = entities.read_text()
    text = text.replace(
        'from base_repository import ConfigurableEntity, EntityConfig, KeyType\n',
        'from base_repository import ConfigurableEntity, EntityConfig, KeyType\n'
        'from pydantic import computed_field\n',
    )
    text = text.replace(
        '    @classmethod\n    def get_config(cls) -> EntityConfig:\n        return TICKET_CONFIG\n',
        '    @classmethod\n    def get_config(cls) -> EntityConfig:\n        return TICKET_CONFIG\n\n'
        '    @computed_field\n    @property\n    def status_pk(self) -> str:\n'
        "        return f'STATUS#{self.status}'\n",
    )
    entities.write_text(text)
    repo.git.commit('-am', 'keys written by hand')
    result = implement_dal(dal, commit=True)
    assert result.index_keys == []
    assert entities.read_text() == text
    assert not any('GSI key attributes' in c.message for c in result.commits)


def test_a_name_the_class_already_uses_is_left_and_said(tmp_path):
    dal = copy_fixture('synthetic_gsi', tmp_path)
    entities = dal / 'entities.py'
    text = entities.read_text().replace(
        '    assignee: str = None\n', '    assignee: str = None\n    status_pk = None\n'
    )
    entities.write_text(text)
    result = implement_dal(dal)
    assert result.index_keys == []
    assert result.index_keys_left == [
        "Ticket.status_pk (StatusIndex): the class already defines 'status_pk' (not written)"
    ]
    assert entities.read_text() == text


@pytest.fixture
def repaired_modules(tmp_path, moto_server, monkeypatch):
    """The repaired user_analytics DAL imported in-process against fresh moto tables."""
    dal = copy_fixture('user_analytics', tmp_path)
    implement_dal(dal)
    monkeypatch.setenv('AWS_ACCESS_KEY_ID', DUMMY_CREDENTIALS['aws_access_key_id'])
    monkeypatch.setenv('AWS_SECRET_ACCESS_KEY', DUMMY_CREDENTIALS['aws_secret_access_key'])
    monkeypatch.setenv('AWS_DEFAULT_REGION', DUMMY_CREDENTIALS['region_name'])
    monkeypatch.setenv('AWS_ENDPOINT_URL_DYNAMODB', moto_server)
    client = boto3.client('dynamodb', endpoint_url=moto_server, **DUMMY_CREDENTIALS)
    tables = tables_of(load_dal(dal))
    drop_tables(client, [t.name for t in tables])
    create_tables(client, tables)
    monkeypatch.syspath_prepend(str(dal))
    names = ('base_repository', 'entities', 'repositories')
    for name in names:
        sys.modules.pop(name, None)
    import entities
    import repositories

    yield entities, repositories, client
    for name in names:
        sys.modules.pop(name, None)
    drop_tables(client, [t.name for t in tables])


def test_created_items_carry_their_keys_and_sparse_stays_sparse(repaired_modules):
    entities, repositories, client = repaired_modules
    repo = repositories.UserRepository()
    common = dict(
        email='a@example.com',
        status='ACTIVE',
        last_active='2024-06-02',
        country='PT',
        city='Lisbon',
        signup_date='2024-01-20',
        engagement_level='HIGH',
        session_count=42,
        age_group='25-34',
    )
    repo.create(entities.User(user_id='u-pro', plan='PRO', **common))
    repo.create(entities.User(user_id='u-free', **common))  # no plan: not in PlanIndex

    stored = client.get_item(
        TableName='UserAnalytics', Key={'pk': {'S': 'USER#u-free'}, 'sk': {'S': 'PROFILE'}}
    )['Item']
    assert stored['status_pk'] == {'S': 'STATUS#ACTIVE'}
    assert stored['session_count_sk'] == {'N': '42'}  # a number, like the table's key type
    assert 'plan_pk' not in stored and 'plan' not in stored

    # Reading back still builds the entity (the computed names in the item are ignored).
    back = repo.get('USER#u-pro', 'PROFILE')
    assert back.user_id == 'u-pro' and back.plan_pk == 'PLAN#PRO'
    on_plan = client.scan(TableName='UserAnalytics', IndexName='PlanIndex')['Items']
    assert [i['pk']['S'] for i in on_plan] == ['USER#u-pro']
    in_status = client.query(
        TableName='UserAnalytics',
        IndexName='StatusIndex',
        KeyConditionExpression='status_pk = :s',
        ExpressionAttributeValues={':s': {'S': 'STATUS#ACTIVE'}},
    )['Items']
    assert sorted(i['pk']['S'] for i in in_status) == ['USER#u-free', 'USER#u-pro']

    # update() moves the item in the index and out of the sparse one.
    back.status, back.plan = 'DORMANT', None
    repo.update(back)
    stored = client.get_item(
        TableName='UserAnalytics', Key={'pk': {'S': 'USER#u-pro'}, 'sk': {'S': 'PROFILE'}}
    )['Item']
    assert stored['status_pk'] == {'S': 'STATUS#DORMANT'} and 'plan_pk' not in stored


@pytest.mark.parametrize('fix', [True, False])
def test_user_analytics_verdicts_with_and_without_the_repair(tmp_path, fix, moto_server):
    dal = copy_fixture('user_analytics', tmp_path)
    implement_dal(dal, fix_index_keys=fix)
    result = verify_dal(load_dal(dal), runner='python', endpoint=moto_server)
    status = {p.id: p for p in result.patterns}
    if fix:
        assert [p.id for p in result.patterns if p.status != 'ok'] == []
    else:
        assert status[1].status == 'ok'
        for i in INDEX_READS:
            assert status[i].status == 'empty', status[i]
            assert 'the generated create() does not write' in status[i].message
            assert status[i].cause and status[i].message.endswith(status[i].cause)


def test_without_the_generators_builders_the_value_comes_from_the_template(tmp_path):
    """A DAL whose entity has no instance builder (hand-trimmed, or another generation): the
    key is written from the template the model read from the schema."""
    dal = copy_fixture('synthetic_gsi', tmp_path)
    entities = dal / 'entities.py'
    text = entities.read_text()
    start = text.index('    def build_gsi_pk_status_index(self)')
    end = text.index('    def build_gsi_sk_status_index(self)')
    entities.write_text(text[:start] + text[end:])
    result = implement_dal(dal)
    assert [a.attribute for a in result.index_keys] == ['status_pk']
    assert "        return f'STATUS#{self.status}'\n" in entities.read_text()


def test_a_model_that_forbids_extra_input_is_left_and_said(tmp_path):
    """Under extra='forbid' pydantic refuses input named like a computed field, so an item
    carrying the key could not be read back: nothing is added."""
    dal = copy_fixture('synthetic_gsi', tmp_path)
    entities = dal / 'entities.py'
    text = entities.read_text().replace(
        'class Ticket(ConfigurableEntity):\n',
        "class Ticket(ConfigurableEntity):\n    model_config = {'extra': 'forbid'}\n",
    )
    text = text.replace("{'extra': 'forbid'}", "dict(extra='forbid')")
    entities.write_text(text)
    result = implement_dal(dal)
    assert result.index_keys == []
    assert result.index_keys_left and "extra='forbid'" in result.index_keys_left[0]
    assert entities.read_text() == text
