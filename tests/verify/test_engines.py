"""Two independent engines, one verdict: every fixture DAL, implemented, verified on moto and on
dynalite (npm; no multi-attribute GSI keys, no transactions).

Every pattern dynalite supports gets the same status on both; the others are `unsupported` with
a message naming the missing feature, and which ones they are is computed here from the model,
not from what the engine said. dynalite comes from `DAL_BOT_CI_DYNALITE` (its URL, set by
.ci/run), else a `dynalite` on PATH is started for the session; without either the tests are
skipped, except when `DAL_BOT_REQUIRE_DYNALITE=1` (CI), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import pytest
from verify_dals import FIXTURES, copy_dal

from bot.github.comment import render
from bot.github.results import DalOutcome, RunReport
from bot.implement import implement_dal
from bot.model import Dal, load_dal
from bot.report import to_markdown
from bot.verify import PatternResult, VerifyResult, verify_dal
from bot.verify._backend import free_port
from bot.verify._tables import tables_of

ALL = sorted(p.name for p in FIXTURES.iterdir() if (p / 'generated_dal').is_dir())
REQUIRE = os.environ.get('DAL_BOT_REQUIRE_DYNALITE') == '1'
MULTI = 'this endpoint has no multi-attribute GSI keys (DynamoDB Local >= 3.3.0)'
TRANSACTIONS = 'this endpoint has no transactions (DynamoDB Local >= 1.11.475)'


def unavailable(reason: str):
    if REQUIRE:
        pytest.fail(f'{reason} (DAL_BOT_REQUIRE_DYNALITE=1: the engine tests must run)')
    pytest.skip(reason)


@pytest.fixture(scope='session')
def dynalite():
    url = os.environ.get('DAL_BOT_CI_DYNALITE')
    if url:
        yield url
        return
    exe = shutil.which('dynalite')
    if exe is None:
        unavailable('no dynalite: set DAL_BOT_CI_DYNALITE or put dynalite (npm) on PATH')
    port = free_port()
    proc = subprocess.Popen(
        [exe, '--host', '127.0.0.1', '--port', str(port), '--createTableMs', '100'],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(('127.0.0.1', port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f'http://127.0.0.1:{port}'
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def expected_unsupported(dal: Dal) -> dict[int, str]:
    """Pattern id -> the gap dynalite must report, from the model alone."""
    out = {}
    for p in dal.patterns:
        if p.operation in ('TransactWrite', 'TransactGet'):
            out[p.id] = TRANSACTIONS
            continue
        entity = dal.entity(p.entity) if p.entity else None
        table = dal.table(entity.table) if entity and entity.table else None
        index = table.index(p.index_name) if table and p.index_name else None
        if index and (len(index.partition_key) > 1 or len(index.sort_key) > 1):
            out[p.id] = MULTI
    return out


@pytest.mark.parametrize('name', ALL)
def test_moto_and_dynalite_agree_on_every_supported_pattern(name, dynalite, tmp_path):
    dal_dir = copy_dal(FIXTURES / name, tmp_path / name) / 'generated_dal'
    implement_dal(dal_dir)
    dal = load_dal(dal_dir)
    on_moto = verify_dal(dal, runner='python', timeout=120)
    on_dynalite = verify_dal(dal, endpoint=dynalite, runner='python', timeout=120)

    for result in (on_moto, on_dynalite):
        assert result.crash is None and not result.timed_out, result.crash
        assert 'Traceback' not in result.stderr, result.stderr[-2000:]
    assert not [p for p in on_moto.patterns if p.status == 'unsupported']
    moto = {p.id: p for p in on_moto.patterns}
    lite = {p.id: p for p in on_dynalite.patterns}
    assert set(moto) == set(lite) == {p.id for p in dal.patterns}

    gaps = expected_unsupported(dal)
    unsupported = {i: p.message for i, p in lite.items() if p.status == 'unsupported'}
    assert set(unsupported) == set(gaps), unsupported
    for i, message in unsupported.items():
        assert message.startswith(gaps[i]), message
    differ = {
        i: (moto[i].status, lite[i].status, lite[i].message)
        for i in lite
        if i not in gaps and moto[i].status != lite[i].status
    }
    assert not differ, differ

    # Cost: an index dynalite refused is not in its table, so no write pays for it there. A
    # pattern whose writes would have is flagged and costs less than on moto; every other
    # supported pattern costs the same on both engines.
    refused = {name for gap in on_dynalite.engine_gaps for name in gap.indexes}
    flagged = {
        i: f for i, p in lite.items() for f in p.flags if f.startswith('WCU leave out ')
    }  # fmt: skip
    for i, flag in flagged.items():
        assert any(name in flag for name in refused), flag
        assert lite[i].wcu < moto[i].wcu, (i, lite[i].wcu, moto[i].wcu)
    same = {
        i: ((moto[i].rcu, moto[i].wcu), (lite[i].rcu, lite[i].wcu))
        for i in lite
        if i not in gaps and i not in flagged
    }
    assert all(m == lt for m, lt in same.values()), {i: c for i, c in same.items() if c[0] != c[1]}
    if refused:  # every fixture with such an index has a pattern writing entries of it
        assert flagged, refused
        assert 'Write costs (WCU) leave out' in to_markdown(on_dynalite)

    # What a user sees: the comment, the report and the outputs say it, and how to fix it.
    if gaps:
        assert on_dynalite.exit_code == 1 and not on_dynalite.ok
        features = {g.feature for g in on_dynalite.engine_gaps}
        assert features == {
            'multi-attribute GSI keys' if m == MULTI else 'transactions' for m in gaps.values()
        }
        markdown = to_markdown(on_dynalite)
        assert '🚫 unsupported' in markdown
        assert 'DynamoDB Local >= 3.3.0 (`amazon/dynamodb-local:3.3.2`)' in markdown
        report = RunReport(
            mode='pr',
            repository='o/r',
            outcomes=[DalOutcome(dal=name, verify=on_dynalite)],
        )
        outputs = report.outputs('dal-bot-report.json')
        assert outputs['patterns-unsupported'] == str(len(gaps))
        failed = sum(p.status not in ('ok', 'unsupported') for p in on_dynalite.patterns)
        assert outputs['patterns-failed'] == str(failed)
        comment = render(report, env={})
        assert f'{len(gaps)} of {len(lite)} not supported by the DynamoDB engine' in comment
        assert 'To verify them, use an engine that has these features' in comment


def test_fixture_table_names_are_unique():
    """dynalite keeps one set of tables for every region, and the fixtures above run on it in
    parallel (pytest -n 2): two fixtures with one table name would drop each other's tables."""
    owners: dict[str, str] = {}
    for name in ALL:
        for table in tables_of(load_dal(FIXTURES / name / 'generated_dal')):
            assert table.name not in owners, (table.name, owners.get(table.name), name)
            owners[table.name] = name


def result_with(*statuses: str) -> VerifyResult:
    patterns = [
        PatternResult(id=i, owner='R', method=f'm{i}', status=s) for i, s in enumerate(statuses)
    ]
    return VerifyResult(dal='d', backend='b', endpoint='e', runner='python', patterns=patterns)


def test_exit_code_2_only_when_nothing_could_run():
    assert result_with('unsupported', 'unsupported').exit_code == 2
    assert result_with('unsupported', 'ok').exit_code == 1
    assert result_with('ok', 'ok').exit_code == 0
    assert result_with().exit_code == 0
