"""Many DALs in one call: discovery, parallel verification on one backend, failures kept apart."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.discover import dal_dirs

FIXTURES = Path(__file__).resolve().parents[1] / 'fixtures' / 'dals'


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, '-m', 'bot', *args], capture_output=True, text=True, timeout=300
    )


def _copy(name: str, dest: Path) -> Path:
    shutil.copytree(FIXTURES / name, dest, ignore=shutil.ignore_patterns('__pycache__'))
    return dest / 'generated_dal'


def test_paths_name_dals_or_folders_to_search(tmp_path):
    shop = _copy('shop_example', tmp_path / 'services' / 'shop')
    blog = _copy('legacy_blog', tmp_path / 'services' / 'deep' / 'er' / 'blog')
    # Copies where a DAL must not be looked for: git internals, virtualenvs, node_modules.
    for ignored in ('.git/x', 'node_modules/pkg', '.venv', 'env-with-cfg'):
        _copy('shop_example', tmp_path / ignored)
    (tmp_path / 'env-with-cfg' / 'pyvenv.cfg').write_text('home = /usr\n')
    assert dal_dirs([tmp_path]) == [blog, shop]
    # A DAL folder is itself; named twice, it is listed once; a folder with no DAL is kept as
    # given, so loading it says what is missing.
    assert dal_dirs([shop, tmp_path / 'services', tmp_path / 'nothing']) == [
        shop,
        blog,
        tmp_path / 'nothing',
    ]


def test_two_dals_with_the_same_tables_verify_in_one_call_without_interference(tmp_path):
    first = _copy('shop_example', tmp_path / 'a')
    second = _copy('shop_example', tmp_path / 'b')
    report = tmp_path / 'report.json'
    done = _cli('run', str(tmp_path), '--runner', 'python', '-j', '2', '--json', str(report))
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(report.read_text())
    assert [d['dal'] for d in data['dals']] == [str(first), str(second)]
    # Both create, fill and drop `ShopOrders` at the same time: each sees only its own items.
    assert [d['counts']['ok'] for d in data['dals']] == [10, 10]
    assert data['ok'] is True
    table = done.stdout[done.stdout.index('DAL ') :]
    assert str(first) in table and str(second) in table and '2 DAL(s)' in table


def test_one_bad_dal_among_good_ones_is_reported_and_the_others_go_on(tmp_path):
    good = _copy('shop_example', tmp_path / 'good')
    bad = _copy('shop_example', tmp_path / 'bad')
    (bad / 'entities.py').write_text('class Broken(:\n')
    before = (bad / 'repositories.py').read_bytes()
    done = _cli('run', str(tmp_path), '--runner', 'python')
    assert done.returncode == 2
    assert f'{bad}/entities.py:1: syntax error' in done.stderr
    assert '10/10 ok' in done.stdout  # the good one was implemented and verified
    rows = {line.split()[0]: line for line in done.stdout.splitlines() if line.startswith('/')}
    assert 'syntax error' in rows[str(bad)] and rows[str(good)].split()[1:4] == ['10', '0', '10']
    assert (bad / 'repositories.py').read_bytes() == before


def test_exit_code_is_the_worst_over_the_dals(tmp_path):
    _copy('shop_example', tmp_path / 'clean')
    _copy('messy_signatures', tmp_path / 'messy')  # two stubs it must leave: exit 1
    done = _cli('implement', str(tmp_path))
    assert done.returncode == 1, done.stderr
    assert '2 DAL(s)' in done.stdout
    (tmp_path / 'not-a-dal').mkdir()
    worse = _cli('implement', str(tmp_path / 'clean'), str(tmp_path / 'not-a-dal'))
    assert worse.returncode == 2 and 'not a generated DAL' in worse.stderr


def test_implement_json_holds_every_dal(tmp_path):
    _copy('shop_example', tmp_path / 'one')
    _copy('iot_telemetry', tmp_path / 'two')
    out = tmp_path / 'implement.json'
    done = _cli('implement', str(tmp_path), '--json', str(out))
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    assert data['schema'] == 'dal-bot/implement/many'
    assert [len(d['implemented']) for d in data['dals']] == [10, 17]


def test_each_worker_gets_a_moto_server_of_its_own_without_waiting_for_one(tmp_path):
    """On the embedded default a second DAL verified at once shares the first server (its
    region keeps it apart) while one more starts; from then on each worker has its own (one moto
    process serves one core), reused for the next DALs; all of them stop with the call."""
    from botocore.exceptions import EndpointConnectionError

    from bot.verify import SharedBackend
    from bot.verify._backend import admin_client

    with SharedBackend() as shared:
        with shared.lease() as first, shared.lease() as second:
            assert second.url == first.url  # nothing idle yet: shared, no wait
        deadline = time.monotonic() + 60
        while len(shared._idle) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        with shared.lease() as one, shared.lease() as other:
            assert one.url != other.url and first.url in (one.url, other.url)
            for backend in (one, other):
                assert admin_client(backend.url).list_tables()['TableNames'] == []
    for backend in (one, other):  # stopped with the call
        with pytest.raises(EndpointConnectionError):
            admin_client(backend.url, connect_timeout=1).list_tables()
