"""verify_dal end to end against moto: implemented, broken, stub, hang, forwarder, old template."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest
from verify_dals import FIXTURES, copy_dal, implement, implemented_shop

from bot.errors import BadInput, InfrastructureError
from bot.model import load_dal
from bot.verify import verify_dal
from bot.verify._backend import EmbeddedMoto


def statuses(result) -> dict[int, str]:
    return {p.id: p.status for p in result.patterns}


def test_implemented_dal_is_all_ok(tmp_path, moto_server):
    dal = implemented_shop(tmp_path)
    result = verify_dal(load_dal(dal), endpoint=moto_server, runner='python', timeout=60)
    assert set(statuses(result).values()) == {'ok'}, result.patterns
    assert len(result.patterns) == 10
    assert result.exit_code == 0 and result.crash is None and not result.crud_errors
    assert all(p.evidence == 'call' and p.calls >= 1 for p in result.patterns)
    assert result.tables == ['ShopOrders']
    assert not list(dal.rglob('__pycache__')), 'the run must not litter the DAL folder'


def test_embedded_backend_is_the_default_and_stops(tmp_path):
    dal = implemented_shop(tmp_path)
    result = verify_dal(load_dal(dal), runner='python', timeout=60)
    assert result.exit_code == 0, result.patterns
    assert result.backend.startswith('embedded moto')
    port = int(result.endpoint.rsplit(':', 1)[1])
    import socket

    with socket.socket() as s:  # the embedded server is gone: its port is free again
        # SO_REUSEADDR: connections left in TIME_WAIT do not count, a listening socket would.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('127.0.0.1', port))


def test_broken_method_is_error_and_the_rest_ok(tmp_path, moto_server):
    broken = """
        pk = Order.build_pk_for_lookup(customer_id)
        response = self.table.delete_item(Key={'pk': pk}, ReturnValues='ALL_OLD')
        return response.get('Attributes')
    """
    dal = implemented_shop(tmp_path, cancel_order=broken)
    result = verify_dal(load_dal(dal), endpoint=moto_server, runner='python', timeout=60)
    got = statuses(result)
    assert got.pop(10) == 'error'
    assert set(got.values()) == {'ok'}
    cancel = result.patterns[-1]
    assert cancel.method == 'cancel_order' and 'ClientError' in cancel.message
    # its own body raised: what the verification gate takes out
    assert cancel.raised and cancel.raised.startswith('ClientError')
    assert all(p.raised is None for p in result.patterns if p.id != 10)
    assert result.exit_code == 1


def test_stub_left_in_place_is_empty(tmp_path, moto_server):
    dal = implemented_shop(tmp_path, lookup_customer=None)
    result = verify_dal(load_dal(dal), endpoint=moto_server, runner='python', timeout=60)
    got = statuses(result)
    assert got.pop(1) == 'empty'
    assert set(got.values()) == {'ok'}
    assert 'returned None' in result.patterns[0].message
    assert result.patterns[0].message == 'returned None — the method is still a stub'
    assert result.patterns[0].cause == 'the method is still a stub'
    assert result.exit_code == 1


def test_call_site_error_printed_by_the_script_counts(tmp_path, moto_server):
    dal = implemented_shop(tmp_path)
    script = dal / 'usage_examples.py'
    text = script.read_text()
    # The generated call passes too few arguments: the method is never entered.
    text = text.replace(
        "self.order_repo.scan_orders_in_statuses('SHIPPED', 'DELIVERED')",
        'self.order_repo.scan_orders_in_statuses(*())',
    )
    script.write_text(text)
    result = verify_dal(load_dal(dal), endpoint=moto_server, runner='python', timeout=60)
    scan = next(p for p in result.patterns if p.id == 9)
    assert scan.status == 'error' and 'missing 2 required positional arguments' in scan.message
    # The method's body never ran: not something the verification gate takes out.
    assert scan.raised is None and scan.evidence == 'call'


def _alive(pid: int) -> bool:
    try:
        state = Path(f'/proc/{pid}/stat').read_text().split(')')[-1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ('Z', 'X')


def test_hanging_script_is_killed_with_its_children(tmp_path, moto_server):
    pids = tmp_path / 'pids'
    hang = f"""
        import os, subprocess, sys, time

        child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])
        with open({str(pids)!r}, 'w') as f:
            f.write(f'{{os.getpid()}} {{child.pid}}')
        time.sleep(300)
    """
    dal = implemented_shop(tmp_path, find_order=hang)
    started = time.monotonic()
    result = verify_dal(load_dal(dal), endpoint=moto_server, runner='python', timeout=4)
    assert time.monotonic() - started < 30
    assert result.timed_out and result.returncode is None
    assert 'timed out after 4s' in result.crash and 'OrderRepository.find_order' in result.crash
    got = statuses(result)
    assert got[1] == got[2] == got[3] == 'ok'
    assert got[4] == 'error' and 'still running' in result.patterns[3].message
    assert {got[i] for i in range(5, 11)} == {'not-run'}
    assert result.exit_code == 1
    for pid in map(int, pids.read_text().split()):
        deadline = time.monotonic() + 5
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid), f'process {pid} outlived the run'


def test_forwarder_carries_a_full_run_to_another_host(tmp_path, moto_server):
    # 127.0.0.2 is loopback but fails the script's safety check, like http://dynamodb-local:8000.
    other = EmbeddedMoto(host='127.0.0.2').start()
    try:
        dal = implemented_shop(tmp_path)
        result = verify_dal(load_dal(dal), endpoint=other.url, runner='python', timeout=60)
    finally:
        other.stop()
    assert result.exit_code == 0, result.patterns
    assert 'forwarded' in result.backend and result.endpoint.startswith('http://127.0.0.1:')
    assert f'Using DynamoDB endpoint: {result.endpoint}' in result.stdout


def _uncomment_block(script: Path, pattern_id: int) -> None:
    lines = script.read_text().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if f'# Access Pattern #{pattern_id}:' in line)
    i = next(i for i in range(start, len(lines)) if lines[i].strip() == '# try:')
    while True:
        lines[i] = re.sub(r'^(\s*)# ?', r'\1', lines[i], count=1)
        if f'Error testing Access Pattern #{pattern_id}' in lines[i]:
            break
        i += 1
    script.write_text(''.join(lines))


def test_older_template_is_judged_from_calls(tmp_path, moto_server):
    dal = copy_dal(FIXTURES / 'legacy_blog' / 'generated_dal', tmp_path / 'legacy')
    implement(
        dal,
        {
            ('UserRepository', 'read_user'): """
                return self.get(User.build_pk_for_lookup(user_id), User.build_sk_for_lookup())
            """,
            ('PostRepository', 'posts_by_user'): """
                from boto3.dynamodb.conditions import Key

                response = self.table.query(KeyConditionExpression=Key('pk').eq(user_id))
                return self._parse_query_response(response, skip_invalid_items)
            """,
        },
    )
    script = dal / 'usage_examples.py'
    for pattern_id in (1, 3, 4):  # 2 and 5.. stay commented out
        _uncomment_block(script, pattern_id)
    result = verify_dal(load_dal(dal), endpoint=moto_server, runner='python', timeout=60)
    got = statuses(result)
    assert got[1] == 'ok'  # the block prints nothing about the result: the call is observed
    assert got[3] == 'empty'  # stub: the script still says "completed"
    assert got[4] == 'error'  # placeholder target_user_id = "" is not a valid key
    assert 'Access Pattern #3 (Change the email address of a user) completed' in result.stdout
    assert got[2] == 'not-run'
    assert 'commented out' in result.patterns[1].message
    assert result.exit_code == 1


def test_cross_table_patterns_are_observed(moto_server):
    dal = load_dal(FIXTURES / 'ecommerce' / 'generated_dal')
    result = verify_dal(dal, endpoint=moto_server, runner='python', timeout=60)
    tx = [p for p in result.patterns if p.owner == 'TransactionService']
    assert tx, 'ecommerce has cross-table patterns'
    assert all(p.status == 'empty' and p.calls >= 1 for p in tx), tx


def test_uv_runner(tmp_path, moto_server):
    dal = implemented_shop(tmp_path)
    result = verify_dal(load_dal(dal), endpoint=moto_server, runner='uv', timeout=120)
    assert result.command[1:3] == ['run', '--no-project']
    assert result.exit_code == 0, (result.patterns, result.stderr[-2000:])
    # the request hooks work with the boto3 uv installs, not only this interpreter's
    scan = next(p for p in result.patterns if p.operation == 'Scan')
    assert scan.flags == ['scan', 'filter discards 1 of 2 read'] and scan.rcu == 0.5


def test_unreachable_endpoint_is_infrastructure_error(tmp_path):
    dal = implemented_shop(tmp_path)
    with socket_closed_port() as port:
        with pytest.raises(InfrastructureError, match='did not answer within 1 s'):
            verify_dal(
                load_dal(dal),
                endpoint=f'http://127.0.0.1:{port}',
                runner='python',
                endpoint_timeout=1,
            )


def test_port_in_use_is_infrastructure_error():
    import socket

    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        s.listen()
        with pytest.raises(InfrastructureError, match='in use'):
            EmbeddedMoto(port=s.getsockname()[1]).start()


def test_table_creation_refused_is_infrastructure_error(tmp_path, moto_server):
    dal = load_dal(implemented_shop(tmp_path))
    table = dal.tables[0]
    bad_index = table.indexes[0].model_copy(update={'name': 'x'})  # too short: refused
    dal = dal.model_copy(update={'tables': (table.model_copy(update={'indexes': (bad_index,)}),)})
    with pytest.raises(InfrastructureError, match='table creation refused for ShopOrders'):
        verify_dal(dal, endpoint=moto_server, runner='python')


def test_missing_usage_examples_is_bad_input(tmp_path):
    dal = implemented_shop(tmp_path)
    (dal / 'usage_examples.py').unlink()
    with pytest.raises(BadInput, match='usage_examples.py'):
        verify_dal(load_dal(dal), runner='python')


def test_crash_is_reported_with_traceback(tmp_path, moto_server):
    dal = implemented_shop(tmp_path)
    with open(dal / 'usage_examples.py', 'a') as f:
        f.write("\nraise SystemError('crashed on purpose')\n")
    result = verify_dal(load_dal(dal), endpoint=moto_server, runner='python', timeout=60)
    assert result.returncode == 1 and not result.timed_out
    assert 'Traceback' in result.crash and 'crashed on purpose' in result.crash
    assert result.exit_code == 1


class socket_closed_port:
    """A port on 127.0.0.1 that nothing listens on."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            return s.getsockname()[1]

    def __exit__(self, *exc) -> None:
        pass


def test_runner_env_never_sees_real_credentials(monkeypatch):
    from bot.verify._run import child_env

    base = {
        'PATH': '/usr/bin',
        'HOME': '/root',
        'AWS_ACCESS_KEY_ID': 'AKIAREAL',
        'AWS_SECRET_ACCESS_KEY': 'real-secret',
        'AWS_PROFILE': 'prod',
        'GITHUB_TOKEN': 'ghs_x',
        'INPUT_GITHUB-TOKEN': 'ghs_y',
        'UV_CACHE_DIR': '/cache/uv',
        'HTTPS_PROXY': 'http://proxy:3128',
    }
    env = child_env('http://127.0.0.1:1234', Path('/tmp/trace'), base)
    assert env['AWS_ACCESS_KEY_ID'] == 'testing' and env['AWS_SECRET_ACCESS_KEY'] == 'testing'
    assert 'AWS_PROFILE' not in env and 'GITHUB_TOKEN' not in env
    assert not any(k.startswith('INPUT_') for k in env)
    assert env['UV_CACHE_DIR'] == '/cache/uv' and env['PATH'] == '/usr/bin'
    assert env['AWS_ENDPOINT_URL_DYNAMODB'] == 'http://127.0.0.1:1234'
    assert env['AWS_MAX_ATTEMPTS'] == '2'
    assert '127.0.0.1' in env['NO_PROXY'] and '127.0.0.1' in env['no_proxy']
    assert os.devnull == env['AWS_SHARED_CREDENTIALS_FILE']


def test_cli_writes_reports_and_exits_by_verdict(tmp_path, moto_server, capsys):
    import argparse
    import json

    from bot.commands import verify as command

    parser = argparse.ArgumentParser()
    command.configure(parser)
    good = implemented_shop(tmp_path / 'a')
    out_json, out_md = tmp_path / 'r.json', tmp_path / 'r.md'
    argv = [str(good), '--endpoint', moto_server, '--runner', 'python']
    code = command.run(
        parser.parse_args([*argv, '--json', str(out_json), '--markdown', str(out_md)])
    )
    assert code == 0
    assert json.loads(out_json.read_text())['counts']['ok'] == 10
    assert '| 10 |' in out_md.read_text()
    assert '10/10 ok' in capsys.readouterr().out
    stub = implemented_shop(tmp_path / 'b', cancel_order=None)
    args = parser.parse_args([str(stub), '--endpoint', moto_server, '--runner', 'python'])
    assert command.run(args) == 1
    shutil.rmtree(tmp_path / 'a')
