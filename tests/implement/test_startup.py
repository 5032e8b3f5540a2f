"""`dal-bot implement` as a command imports what implementing needs and nothing more: its
start-up is most of its time on one DAL (bench/many_bench.py)."""

from __future__ import annotations

import gc
import json
import subprocess
import sys

import pytest

from bot.cli import main

from .conftest import copy_fixture

# Each would cost the command start-up and none is used by implement: libcst checks the
# templates at build and test time only, the report (and with it verify's models) is the
# summary across several DALs, git only with --commit, the rest belongs to verify and the
# action.
NOT_IMPORTED = ('libcst', 'bot.report', 'bot.verify', 'git', 'github', 'boto3', 'moto')

LOADED = """
import json, sys
from bot.cli import main
code = main(sys.argv[1:])
print(json.dumps([code, sorted(sys.modules)]))
"""


def modules_of(*argv: str) -> tuple[int, set[str]]:
    done = subprocess.run(
        [sys.executable, '-c', LOADED, *argv], capture_output=True, text=True, check=True
    )
    code, modules = json.loads(done.stdout.splitlines()[-1])
    return code, set(modules)


def _unneeded(modules: set[str]) -> set[str]:
    return {m for m in modules for name in NOT_IMPORTED if m == name or m.startswith(name + '.')}


def test_implement_of_one_dal_imports_only_what_implementing_needs(tmp_path):
    dal = copy_fixture('shop_example', tmp_path)
    code, modules = modules_of('implement', str(dal))
    assert code == 0
    assert '# TODO' not in (dal / 'repositories.py').read_text()  # every stub implemented
    assert {'bot.implement', 'bot.model', 'pydantic'} <= modules
    assert _unneeded(modules) == set()


def test_several_dals_import_the_report_for_their_summary_table(tmp_path):
    copy_fixture('shop_example', tmp_path)
    copy_fixture('folded_crud', tmp_path)
    code, modules = modules_of('implement', str(tmp_path))
    assert code == 0
    unneeded = _unneeded(modules)
    assert 'bot.report' in unneeded  # the table across DALs (it pulls verify's models)
    assert {m for m in unneeded if not m.startswith(('bot.report', 'bot.verify'))} == set()


def test_the_garbage_collector_runs_again_once_the_command_is_loaded(capsys):
    """It is paused while the command imports (bot/cli.py); a command that runs long (verify,
    the action) must not run without it, not even after argparse exits."""
    with pytest.raises(SystemExit):
        main(['implement', '--help'])
    assert 'PATH' in capsys.readouterr().out
    assert gc.isenabled()


def test_detect_reads_no_model(tmp_path):
    """`dal-bot detect` (a workflow step of its own) names DAL folders by their files: neither
    the model nor pydantic is loaded for it."""
    from tests.support.gitrepos import commit_all, git

    git(tmp_path, 'init', '--quiet')
    base = commit_all(tmp_path, 'empty')
    copy_fixture('shop_example', tmp_path / 'svc')
    commit_all(tmp_path, 'a DAL')
    argv = ('detect', '--root', str(tmp_path), '--base', base, '--head', 'HEAD')
    found = subprocess.run(
        [sys.executable, '-m', 'bot', *argv], capture_output=True, text=True, check=True
    )
    assert 'svc/shop_example/generated_dal' in found.stdout  # it still finds the DAL
    code, modules = modules_of(*argv)
    assert code == 0
    assert not {m for m in modules if m.split('.')[0] == 'pydantic' or m.startswith('bot.model')}
