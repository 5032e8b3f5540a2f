"""The verification gate: a method whose own call raised is never pushed or committed.

The DAL is shop_example whose base repository cannot parse Order items (as if a human had
broken `_parse_query_response` for that entity): the five Order Query/Scan methods the bot
writes raise during verification, the other five work.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.actionrun import pr_env, run_action
from tests.support.gitrepos import clone, commit_all, git, make_pr_repos

BROKEN = {  # pattern id -> method: Order items are parsed by each of these
    5: 'list_customer_orders_for_month',
    6: 'list_customer_orders_between',
    7: 'orders_by_status_since',
    8: 'large_orders_of_customer',
    9: 'scan_orders_in_statuses',
}
WORKING = {1: 'lookup_customer', 2: 'register_customer', 3: 'change_customer_email'}
WORKING |= {4: 'find_order', 10: 'cancel_order'}
RAISED = 'raised ValueError: Order items cannot be parsed'


def break_order_parsing(dal: Path) -> None:
    path = dal / 'base_repository.py'
    text = path.read_text()
    anchor = "        items = []\n        for item in response.get('Items', []):"
    assert anchor in text
    path.write_text(
        text.replace(
            anchor,
            '        items = []\n'
            "        if self.model_class.__name__ == 'Order' and response.get('Items'):\n"
            "            raise ValueError('Order items cannot be parsed')\n"
            "        for item in response.get('Items', []):",
        )
    )


def methods(text: str) -> dict[str, str]:
    """Source of every method of repositories.py, by name."""
    tree = ast.parse(text)
    return {
        node.name: ast.get_source_segment(text, node)
        for cls in tree.body
        if isinstance(cls, ast.ClassDef)
        for node in cls.body
        if isinstance(node, ast.FunctionDef)
    }


def assert_gated(before: str, after: str) -> None:
    """The raising methods are the stubs they were, byte for byte; the others implemented."""
    old, new = methods(before), methods(after)
    for name in BROKEN.values():
        assert new[name] == old[name], name
    for pid, name in WORKING.items():
        assert f'TODO: Implement Access Pattern #{pid}' in old[name]
        assert 'TODO' not in new[name] and new[name] != old[name], name


def chunk_commits(cwd: Path, since: str) -> list[str]:
    out = git(cwd, 'log', '--reverse', '--format=%B%x00', f'{since}..HEAD')
    return [m.strip() for m in out.split('\0') if m.strip()]


def assert_commits(messages: list[str]) -> None:
    *chunks, usage = messages
    assert 'usage_examples.py' in usage
    listed = []
    for message in chunks:
        lines = [ln for ln in message.splitlines() if ln.startswith('- ')]
        assert 3 <= len(lines) <= 5, message
        listed += [int(m) for ln in lines for m in re.findall(r': AP (\d+) ', ln)]
    assert sorted(listed) == sorted(WORKING)  # nothing that raised is in a commit


def test_pr_mode_pushes_only_what_did_not_raise(tmp_path, gh):
    repos = make_pr_repos(tmp_path / 'git', {'services/shop': 'shop_example'})
    dal = repos.workspace / 'services/shop/generated_dal'
    break_order_parsing(dal)
    head = commit_all(repos.workspace, 'Order parsing is broken')
    git(repos.workspace, 'push', '--quiet', 'origin', repos.branch)
    before = (dal / 'repositories.py').read_text()
    repos.head_sha = head
    gh.add_pull(7, repos.branch, head_sha=head, base_sha=repos.base_sha, title='Add DAL')
    run = pr_env(tmp_path, gh, repos)

    code = run_action(run.env)

    assert code == 1  # fail-on-error: five patterns are not ok
    pushed = clone(repos.origin, tmp_path / 'pushed', repos.branch)
    assert git(pushed, 'rev-parse', 'HEAD') == repos.remote_sha() != head
    assert_gated(before, (pushed / 'services/shop/generated_dal/repositories.py').read_text())
    assert_commits(chunk_commits(pushed, head))

    body = gh.comments(7)[0]['body']
    if os.environ.get('DAL_BOT_SHOW_COMMENT'):
        print(body)
    assert 'Not pushed** (5)' in body and '5 methods not pushed (raised)' in body
    for pid, name in BROKEN.items():
        assert f'`OrderRepository.{name}` (AP {pid})' in body
        assert f'attempted body of <code>OrderRepository.{name}</code>' in body
    assert body.count(f'not pushed: {RAISED}') == 5
    assert '```diff\n--- a/services/shop/generated_dal/repositories.py' in body
    assert '+        return self._parse_query_response(response, skip_invalid_items)' in body

    report = run.report()
    (outcome,) = report['dals']
    not_pushed = outcome['implement']['not_pushed']
    assert {n['name'] for n in not_pushed} == set(BROKEN.values())
    assert {n['reason'] for n in not_pushed} == {RAISED}
    assert run.outputs['implemented'] == '5'
    # the verdict describes what was pushed: the taken-out methods are stubs there
    statuses = {p['id']: p['status'] for p in outcome['verify']['patterns']}
    assert {pid: statuses[pid] for pid in BROKEN} == dict.fromkeys(BROKEN, 'empty')
    assert {pid: statuses[pid] for pid in WORKING} == dict.fromkeys(WORKING, 'ok')
    assert report['head_sha'] == repos.remote_sha()
    # each attempted body applies to the pushed branch, for a human to take from there
    for n in not_pushed:
        subprocess.run(
            ['git', 'apply', '--check', '-'], cwd=pushed, input=n['diff'], text=True, check=True
        )
    pushed_lines = (
        (pushed / 'services/shop/generated_dal/repositories.py').read_text().splitlines()
    )
    for n in not_pushed:  # where the stub is on the pushed branch
        assert f'def {n["name"]}(' in pushed_lines[n['line'] - 1]


def test_run_commit_commits_only_what_did_not_raise(tmp_path):
    from tests.support.gitrepos import copy_fixture

    work = tmp_path / 'repo'
    git(tmp_path, 'init', '--quiet', str(work))
    dal = copy_fixture('shop_example', work / 'shop')
    break_order_parsing(dal)
    base = commit_all(work, 'the generated DAL')
    before = (dal / 'repositories.py').read_text()
    implement_json, verify_json = tmp_path / 'implement.json', tmp_path / 'verify.json'

    done = subprocess.run(
        [sys.executable, '-m', 'bot', 'run', str(dal), '--commit', '--runner', 'python']
        + ['--implement-json', str(implement_json), '--json', str(verify_json)],
        capture_output=True,
        text=True,
        cwd=work,
    )

    assert done.returncode == 1, done.stderr
    assert git(work, 'status', '--porcelain') == ''  # committed exactly what is on disk
    assert_gated(before, (dal / 'repositories.py').read_text())
    assert_commits(chunk_commits(work, base))
    assert '5 implemented, 0 left, 5 not pushed' in done.stdout
    for pid, name in BROKEN.items():
        assert f'OrderRepository.{name} (AP {pid}): {RAISED}' in done.stdout
    summary = json.loads(implement_json.read_text())
    assert [n['pattern_id'] for n in summary['not_pushed']] == sorted(BROKEN)
    assert all(
        n['diff'].startswith('--- a/shop/generated_dal/repositories.py')
        for n in summary['not_pushed']
    )
    verdict = {p['id']: p for p in json.loads(verify_json.read_text())['patterns']}
    assert all(verdict[pid]['status'] == 'empty' for pid in BROKEN)
    assert all(verdict[pid]['raised'] is None for pid in verdict)


def _repo_with_dal(tmp_path: Path, name: str, broken: bool) -> tuple[Path, Path, str]:
    from tests.support.gitrepos import copy_fixture

    work = tmp_path / 'repo'
    work.mkdir(parents=True)
    git(work, 'init', '--quiet')
    dal = copy_fixture(name, work / 'dal')
    if broken:
        break_order_parsing(dal)
    return work, dal, commit_all(work, 'the generated DAL')


def _verifier(endpoint: str, seen: list[int]):
    from bot.model import load_dal
    from bot.verify import verify_dal

    def verify(path: Path):
        seen.append(len(load_dal(path).stubs))  # stubs left in what is verified
        return verify_dal(load_dal(path), endpoint=endpoint, runner='python', timeout=60)

    return verify


def test_the_verdict_is_reused_only_when_the_commits_hold_the_bytes_verified(
    tmp_path, moto_server
):
    from bot.gate import implement_verified

    work, dal, _ = _repo_with_dal(tmp_path / 'clean', 'shop_example', broken=False)
    seen: list[int] = []
    gated = implement_verified(dal, _verifier(moto_server, seen), commit=True)
    assert seen == [0] and gated.verifications == 1  # one verification: of what is committed
    assert gated.verify.ok and len(gated.implement.commits) == 3  # 2 chunks + usage
    assert git(work, 'status', '--porcelain') == ''

    work, dal, _ = _repo_with_dal(tmp_path / 'broken', 'shop_example', broken=True)
    seen = []
    gated = implement_verified(dal, _verifier(moto_server, seen), commit=True)
    # everything, then without the five that raised (the files committed are those bytes)
    assert seen == [0, 5] and gated.verifications == 2
    assert len(gated.implement.not_pushed) == 5 and len(gated.implement.commits) == 2


def test_without_a_verdict_nothing_is_committed_and_every_file_is_back(tmp_path):
    from bot.errors import InfrastructureError
    from bot.gate import implement_verified

    work, dal, base = _repo_with_dal(tmp_path, 'shop_example', broken=False)
    before = {p: p.read_bytes() for p in dal.iterdir()}

    def unreachable(path: Path):
        raise InfrastructureError('endpoint http://127.0.0.1:9 unreachable')

    with pytest.raises(InfrastructureError, match='unreachable'):
        implement_verified(dal, unreachable, commit=True)
    assert git(work, 'rev-parse', 'HEAD') == base
    assert {p: p.read_bytes() for p in dal.iterdir()} == before


def test_sweep_mode_pushes_only_what_did_not_raise(tmp_path, gh):
    from tests.support.actionrun import REPO, Run
    from tests.support.events import action_env, schedule_event

    repos = make_pr_repos(tmp_path / 'git', {}, base_dals={'svc': 'shop_example'})
    dev = clone(repos.origin, tmp_path / 'dev')
    break_order_parsing(dev / 'svc/generated_dal')
    broken = commit_all(dev, 'Order parsing is broken')
    git(dev, 'push', '--quiet', 'origin', 'main')
    before = (dev / 'svc/generated_dal/repositories.py').read_text()
    workspace = clone(repos.origin, tmp_path / 'main-ws')
    env = action_env(
        tmp_path / 'runner',
        api_url=gh.url,
        workspace=workspace,
        repo=REPO,
        event_name='schedule',
        event=schedule_event(REPO),
    )
    env['DAL_BOT_RUNNER'] = 'python'

    assert run_action(Run(tmp_path, env).env) == 1  # fail-on-error: five patterns not ok

    (pull,) = gh.pulls
    branch = pull['head']['ref']
    pushed = clone(repos.origin, tmp_path / 'pushed', branch)
    assert_gated(before, (pushed / 'svc/generated_dal/repositories.py').read_text())
    assert_commits(chunk_commits(pushed, broken))
    assert 'Not pushed** (5)' in pull['body']
    assert pull['body'].count(f'not pushed: {RAISED}') == 5


def test_run_over_several_dals_gates_each_and_verifies_them_together(tmp_path):
    from tests.support.gitrepos import copy_fixture

    broken = copy_fixture('shop_example', tmp_path / 'broken')
    break_order_parsing(broken)
    clean = copy_fixture('shop_example', tmp_path / 'clean')
    before = (broken / 'repositories.py').read_text()
    report = tmp_path / 'implement.json'

    done = subprocess.run(
        [sys.executable, '-m', 'bot', 'run', str(tmp_path), '--runner', 'python', '-j', '2']
        + ['--implement-json', str(report)],
        capture_output=True,
        text=True,
    )

    assert done.returncode == 1, done.stderr
    assert_gated(before, (broken / 'repositories.py').read_text())
    assert 'TODO' not in (clean / 'repositories.py').read_text()
    summaries = {Path(d['dal']).parent.name: d for d in json.loads(report.read_text())['dals']}
    assert len(summaries['broken']['not_pushed']) == 5
    assert summaries['clean']['not_pushed'] == [] and len(summaries['clean']['implemented']) == 10
    assert f'{broken}: 5 implemented, 0 left, 5 not pushed' in done.stdout
    assert '10/10 ok' in done.stdout and '5/10 ok, 5 empty' in done.stdout
