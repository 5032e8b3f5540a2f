"""The bot waits for a DynamoDB endpoint itself (no health check in the service's image): a port
that opens late is waited for, one that never answers fails with a clear message and exit 2."""

from __future__ import annotations

import socket
import threading
import time

from verify_dals import implemented_shop

from bot.cli import main
from bot.verify._backend import EmbeddedMoto, free_port


def test_an_endpoint_that_opens_late_is_waited_for(tmp_path, capsys):
    dal = implemented_shop(tmp_path)
    port = free_port()
    server = EmbeddedMoto(port=port)
    # Like a service container still starting: nothing listens for the first 2 s.
    opener = threading.Timer(2.0, server.start)
    opener.start()
    try:
        started = time.monotonic()
        code = main(
            [
                'verify',
                str(dal),
                '--endpoint',
                f'http://127.0.0.1:{port}',
                '--endpoint-timeout',
                '30',
                '--runner',
                'python',
            ]
        )
        waited = time.monotonic() - started
    finally:
        opener.join()
        server.stop()
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    assert '10/10 ok' in out.out
    assert waited >= 2.0


def test_an_endpoint_nobody_listens_on_fails_within_the_timeout(tmp_path, capsys):
    dal = implemented_shop(tmp_path)
    url = f'http://127.0.0.1:{free_port()}'
    started = time.monotonic()
    code = main(
        ['verify', str(dal), '--endpoint', url, '--endpoint-timeout', '1.5', '--runner', 'python']
    )
    elapsed = time.monotonic() - started
    err = capsys.readouterr().err
    assert code == 2
    assert f'DynamoDB endpoint {url} did not answer within 1.5 s' in err
    assert 1.5 <= elapsed < 10, elapsed


def test_an_endpoint_that_accepts_but_never_answers_fails_within_the_timeout(tmp_path, capsys):
    dal = implemented_shop(tmp_path)
    # A listening socket nobody reads from: connections succeed, requests get no answer.
    with socket.create_server(('127.0.0.1', 0), backlog=64) as silent:
        url = f'http://127.0.0.1:{silent.getsockname()[1]}'
        started = time.monotonic()
        code = main(
            [
                'verify',
                str(dal),
                '--endpoint',
                url,
                '--endpoint-timeout',
                '2',
                '--runner',
                'python',
            ]
        )
        elapsed = time.monotonic() - started
    err = capsys.readouterr().err
    assert code == 2
    assert f'DynamoDB endpoint {url} did not answer within 2 s' in err
    # Each attempt's timeouts are cut to what is left of the wait (botocore retries once).
    assert 2 <= elapsed < 12, elapsed


def test_a_non_positive_endpoint_timeout_is_bad_input(tmp_path, capsys):
    dal = implemented_shop(tmp_path)
    code = main(['verify', str(dal), '--endpoint-timeout', '0'])
    assert code == 2
    assert '--endpoint-timeout must be positive' in capsys.readouterr().err
