"""The embedded moto server is a process of the bot's: it carries none of the job's secrets
and it does not outlive the bot, however the bot ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.verify._backend import EmbeddedMoto, admin_client

# A bot that starts the server and the forkserver, says their pids, then waits to be killed.
BOT = """
import sys, time
from bot.verify._backend import EmbeddedMoto
from bot.verify._spawn import Forkserver
server = EmbeddedMoto().start()
warm = Forkserver('python')
print(server._process.pid, warm.process.pid, flush=True)
time.sleep(600)
"""


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()[0]
        except OSError:
            return True
        if state == 'Z':
            return True
        time.sleep(0.1)
    return False


def test_the_server_carries_no_secret_of_the_job(monkeypatch):
    monkeypatch.setenv('GITHUB_TOKEN', 'ghs_mototesttoken')
    monkeypatch.setenv('INPUT_GITHUB-TOKEN', 'ghs_mototesttoken')
    server = EmbeddedMoto().start()
    try:
        environ = Path(f'/proc/{server._process.pid}/environ').read_bytes()
        assert admin_client(server.url).list_tables()['TableNames'] == []
    finally:
        server.stop()
    assert b'ghs_mototesttoken' not in environ and b'PATH=' in environ


def test_the_server_and_the_forkserver_end_with_the_bot(tmp_path):
    """Killed with SIGKILL (no clean-up runs), the bot leaves neither process behind."""
    bot = subprocess.Popen(
        [sys.executable, '-c', BOT],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, 'PYTHONPATH': str(Path(__file__).resolve().parents[2])},
    )
    pids = [int(p) for p in bot.stdout.readline().split()]
    assert len(pids) == 2 and not any(_gone(p, 0.2) for p in pids)
    os.kill(bot.pid, signal.SIGKILL)
    bot.wait()
    bot.stdout.close()
    assert all(_gone(p, 10) for p in pids), pids
