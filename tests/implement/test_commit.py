"""`implement --commit`: chunks of 3-5 methods in file order, each commit compiles on its own."""

from __future__ import annotations

import py_compile
import subprocess
import sys

import git

from bot.commit import chunks

from .conftest import copy_fixture


def _repo_with(tmp_path, name):
    dal = copy_fixture(name, tmp_path)
    repo = git.Repo.init(tmp_path)
    repo.git.add('-A')
    repo.index.commit('the generated DAL', author=git.Actor('dev', 'dev@example.com'))
    return repo, dal


def test_chunks_are_three_to_five_in_order():
    for n in range(3, 40):
        sizes = [len(c) for c in chunks(list(range(n)), 4)]
        assert all(3 <= s <= 5 for s in sizes), (n, sizes)
        assert [x for c in chunks(list(range(n)), 4) for x in c] == list(range(n))
    assert [len(c) for c in chunks([1, 2], 4)] == [2]


def test_commit_per_chunk_each_compiling_then_usage(tmp_path):
    repo, dal = _repo_with(tmp_path, 'ecommerce')
    (tmp_path / 'notes.txt').write_text('staged by someone else\n')
    repo.git.add('notes.txt')
    done = subprocess.run(
        [
            sys.executable,
            '-m',
            'bot',
            'implement',
            str(dal),
            '--commit',
            '--author',
            'dal-bot <bot@example.com>',
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    commits = list(repo.iter_commits('HEAD', max_count=20))[::-1][1:]  # oldest first, minus base
    *chunk_commits, usage_commit = commits
    assert 'usage_examples.py' in usage_commit.message
    assert list(usage_commit.stats.files) == ['ecommerce/generated_dal/usage_examples.py']
    implemented = 0
    for commit in chunk_commits:
        lines = [ln for ln in commit.message.splitlines() if ln.startswith('- ')]
        assert 3 <= len(lines) <= 5, commit.message
        assert all(
            'AP ' in ln and 'Repository.' in ln or 'TransactionService.' in ln for ln in lines
        )
        assert commit.author.email == 'bot@example.com'
        assert 'notes.txt' not in commit.stats.files
        implemented += len(lines)
        # The tree of every commit compiles by itself.
        repo.git.checkout(commit.hexsha, '--', 'ecommerce')
        for path in dal.glob('*.py'):
            py_compile.compile(str(path), doraise=True)
    assert implemented == 32
    repo.git.checkout('HEAD', '--', 'ecommerce')
    assert 'notes.txt' in repo.git.diff('--cached', '--name-only')  # still staged, not committed


def test_commit_outside_a_git_repository_is_bad_input(tmp_path):
    dal = copy_fixture('shop_example', tmp_path)
    done = subprocess.run(
        [sys.executable, '-m', 'bot', 'implement', str(dal), '--commit'],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and 'inside a git repository' in done.stderr
    assert '# TODO: Implement Access Pattern' in (dal / 'repositories.py').read_text()
