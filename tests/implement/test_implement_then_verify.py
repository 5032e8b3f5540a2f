"""implement, then verify against a moto server: every fixture's patterns find their data."""

from __future__ import annotations

import pytest

from bot.model import load_dal
from bot.verify import verify_dal

from .conftest import ALL, EXPECTED_LEFT


@pytest.mark.parametrize('name', ALL)
def test_every_pattern_is_ok_after_implement(name, implemented, dynamodb_client):
    dal_dir, _ = implemented(name)
    result = verify_dal(load_dal(dal_dir), runner='python', timeout=120)
    not_ok = {p.method: (p.status, p.message) for p in result.patterns if p.status != 'ok'}
    # Only the stubs the bot rightly refused are left; they are judged empty, not ok.
    assert set(not_ok) == set(EXPECTED_LEFT.get(name, {})), not_ok
    assert all(status == 'empty' for status, _ in not_ok.values())
    # No unexplained empty: each says why (here: the stubs the bot rightly left).
    assert all(p.cause for p in result.patterns if p.status == 'empty'), not_ok
    assert result.crash is None and not result.timed_out
    assert len(result.patterns) == len(load_dal(dal_dir).patterns)
    # Every pattern that ran is priced by the sizing rules: a read costs at least half a read
    # unit, a write at least one write unit, every Scan is flagged, no out-of-band read failed.
    writes = ('PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWrite')
    for p in result.patterns:
        assert p.evidence == 'call' and p.rcu is not None and p.wcu is not None, p
        assert not any(f.startswith('cost incomplete') for f in p.flags), p
        if p.status != 'ok':
            continue
        assert (p.wcu >= 1) if p.operation in writes else (p.rcu >= 0.5), p
        assert ('scan' in p.flags) == (p.operation == 'Scan'), p
