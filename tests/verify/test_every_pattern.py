"""Every access pattern of the mapping is reported, also those the generator folded into a
generated CRUD method (`get_player_by_id` and `get_player` both become `get_player`)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from verify_dals import FIXTURES, copy_dal

from bot.model import load_dal

WITH_MAPPING = sorted(
    p.parent.parent.name for p in FIXTURES.glob('*/generated_dal/access_pattern_mapping.json')
)


@pytest.mark.parametrize('name', WITH_MAPPING)
def test_the_model_has_every_pattern_of_the_mapping(name):
    dal_dir = FIXTURES / name / 'generated_dal'
    mapping = json.loads((dal_dir / 'access_pattern_mapping.json').read_text())
    wanted = {int(v['pattern_id']) for v in mapping['access_pattern_mapping'].values()}
    assert {p.id for p in load_dal(dal_dir).patterns} == wanted


def test_patterns_folded_into_one_crud_method_are_each_judged_from_their_own_block(
    tmp_path, moto_server
):
    dal = copy_dal(FIXTURES / 'folded_crud' / 'generated_dal', tmp_path / 'dal')
    out = tmp_path / 'verify.json'
    done = subprocess.run(
        [sys.executable, '-m', 'bot', 'verify', str(dal), '--runner', 'python']
        + ['--endpoint', moto_server, '--json', str(out)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stderr  # two stubs are still stubs
    patterns = {p['id']: p for p in json.loads(out.read_text())['patterns']}
    assert sorted(patterns) == [1, 2, 3, 4, 5, 6]
    # #1 (strongly consistent) and #2 are both served by the generated get_player
    for pid in (1, 2):
        p = patterns[pid]
        assert (p['method'], p['operation'], p['status']) == ('get_player', 'GetItem', 'ok')
        assert p['calls'] == 1 and p['evidence'] == 'call'
    assert patterns[1]['description'] == 'Read a player profile (strongly consistent)'
    assert (patterns[4]['method'], patterns[4]['status']) == ('update_player', 'ok')
    assert (patterns[6]['method'], patterns[6]['status']) == ('delete_player', 'ok')
    assert patterns[3]['status'] == patterns[5]['status'] == 'empty'
    assert '\n1  ' in done.stdout and '\n2  ' in done.stdout
