"""API failures, input validation, detect and discover."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from bot.discover import find_dals, matches, touched_dals
from bot.errors import BadInput, InfrastructureError
from bot.github.inputs import InputError, read_inputs
from bot.github.workflow import annotation, format_outputs, parse_outputs
from tests.support.actionrun import pr_env, run_action
from tests.support.gitrepos import copy_fixture


def test_bad_token_stops_before_any_git_work(tmp_path, gh, two_dal_pr):
    gh.fail_next(1, 401, path=r'^/repos/acme/shop$')
    run = pr_env(tmp_path, gh, two_dal_pr)
    with pytest.raises(InfrastructureError, match='401.*Bad credentials'):
        run_action(run.env)
    assert two_dal_pr.remote_sha() == two_dal_pr.head_sha
    assert gh.writes() == []


def test_missing_permission_is_a_clear_error(tmp_path, gh, two_dal_pr):
    gh.fail_next(1, 403, path=r'/issues/7/comments$', method='GET')
    run = pr_env(tmp_path, gh, two_dal_pr)
    with pytest.raises(InfrastructureError, match='403.*pull-requests: write'):
        run_action(run.env)
    assert two_dal_pr.remote_sha() == two_dal_pr.head_sha


def test_server_errors_and_rate_limits_are_retried(tmp_path, gh, two_dal_pr):
    gh.fail_next(2, 502, path=r'/pulls/7$')
    gh.rate_limit_next(1, reset_in=1, path=r'/issues/7/comments$', method='GET')
    gh.fail_next(1, 502, method='POST', path=r'/issues/7/comments$')
    run = pr_env(tmp_path, gh, two_dal_pr, inputs={'paths': 'services/shop/*'})
    assert run_action(run.env) == 0
    assert len(gh.comments(7)) == 1
    assert [r.status for r in gh.requests if r.path.endswith('/pulls/7')][:3] == [502, 502, 200]


def test_unknown_mode_for_event():
    from bot.commands.action import choose_mode

    assert choose_mode('', 'pull_request') == 'pr'
    assert choose_mode('', 'schedule') == 'sweep'
    assert choose_mode('detect', 'pull_request') == 'detect'
    with pytest.raises(BadInput, match='mode'):
        choose_mode('', 'push')


@pytest.mark.parametrize(
    'name,value,needle',
    [
        ('MODE', 'foo', "input `mode`.*'pr', 'sweep', 'detect'"),
        ('CHUNK-SIZE', '9', 'input `chunk-size`.*3, 4 or 5'),
        ('CHUNK-SIZE', 'four', 'input `chunk-size`'),
        ('FAIL-ON-ERROR', 'maybe', "input `fail-on-error`.*'true' or 'false'"),
        ('COMMENT-WHEN-CLEAN', 'sometimes', 'input `comment-when-clean`'),
        ('COMMIT', 'nah', 'input `commit`'),
        ('FIX-INDEX-KEYS', 'sometimes', "input `fix-index-keys`.*'true' or 'false'"),
        ('COMMIT-AUTHOR', 'just a name', 'input `commit-author`'),
        ('DYNAMODB-ENDPOINT', 'dynamodb-local:8000', 'input `dynamodb-endpoint`'),
    ],
)
def test_input_validation(name, value, needle):
    with pytest.raises(InputError, match=needle):
        read_inputs({f'INPUT_{name}': value})


def test_inputs_defaults_and_values():
    i = read_inputs({'GITHUB_TOKEN': 'tok'})
    assert (i.mode, i.paths, i.commit, i.fail_on_error, i.chunk_size) == ('', '**', True, True, 4)
    assert i.github_token == 'tok' and 'tok' not in repr(i)
    i = read_inputs(
        {
            'INPUT_GITHUB-TOKEN': 'in',
            'GITHUB_TOKEN': 'env',
            'INPUT_CHUNK-SIZE': '3',
            'INPUT_COMMIT': 'False',
            'INPUT_COMMIT-AUTHOR': 'Bot <bot@example.com>',
            'INPUT_DYNAMODB-ENDPOINT': 'http://dynamodb-local:8000',
        }
    )
    assert i.github_token == 'in' and i.chunk_size == 3 and i.commit is False
    assert i.commit_author == ('Bot', 'bot@example.com')
    assert i.fix_index_keys is True
    assert read_inputs({'INPUT_FIX-INDEX-KEYS': 'false'}).fix_index_keys is False


def test_input_error_exits_2(tmp_path, monkeypatch, capsys):
    from bot.cli import main

    monkeypatch.setenv('INPUT_CHUNK-SIZE', '9')
    monkeypatch.setenv('GITHUB_WORKSPACE', str(tmp_path))
    assert main(['action']) == 2
    assert 'chunk-size' in capsys.readouterr().err


def test_outputs_and_annotations_escaping():
    text = format_outputs({'dals': ['a', 'b'], 'report': 'x\ny'})
    assert parse_outputs(text) == {'dals': '["a", "b"]', 'report': 'x\ny'}
    line = annotation('error', '50% done\nnext', file='a,b:c.py', line=3, title='t: x')
    assert line == '::error file=a%2Cb%3Ac.py,line=3,title=t%3A x::50%25 done%0Anext'


def _tree(root: Path) -> None:
    copy_fixture('shop_example', root / 'svc' / 'shop')
    copy_fixture('shop_example', root / 'deep' / 'x' / 'y')
    copy_fixture('shop_example', root / 'node_modules' / 'pkg')
    copy_fixture('shop_example', root / '.venv2' / 'lib')
    (root / '.venv2' / 'pyvenv.cfg').write_text('home = /usr\n')


def test_find_and_touched(tmp_path):
    _tree(tmp_path)
    dals = find_dals(tmp_path)
    assert dals == ['deep/x/y/generated_dal', 'svc/shop/generated_dal']
    assert find_dals(tmp_path, 'svc/*') == ['svc/shop/generated_dal']
    assert matches('svc/shop/generated_dal', 'svc/shop/generated_dal')
    changed = ['svc/shop/schema.json', 'README.md']
    assert touched_dals(dals, changed) == ['svc/shop/generated_dal']
    assert touched_dals(dals, ['deep/x/y/generated_dal/usage_examples.py']) == [
        'deep/x/y/generated_dal'
    ]
    assert touched_dals(dals, ['deep/x/schema.json', 'svc/shop/generated_dalx/a.py']) == []


def test_detect_prints_matrix_and_output(tmp_path, monkeypatch, capsys):
    from bot.commands import detect
    from tests.support.gitrepos import make_pr_repos

    repos = make_pr_repos(
        tmp_path / 'git', {'new': 'shop_example'}, base_dals={'old': 'synthetic_gsi'}
    )
    out = tmp_path / 'out'
    out.write_text('')
    monkeypatch.setenv('GITHUB_OUTPUT', str(out))
    monkeypatch.delenv('GITHUB_EVENT_PATH', raising=False)
    args = argparse.Namespace(base=repos.base_sha, head=None, paths=None, root=repos.workspace)
    assert detect.run(args) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == {'include': [{'dal': 'new/generated_dal'}]}
    assert json.loads(parse_outputs(out.read_text())['dals']) == ['new/generated_dal']
    args = argparse.Namespace(base=None, head=None, paths=None, root=repos.workspace)
    assert detect.run(args) == 0
    assert len(json.loads(capsys.readouterr().out)['include']) == 2
