"""Templates filled as text, one ruff run per DAL, one walk per tree: what the fast paths
must keep exactly as the slow ones had it."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import bot.implement
from bot.implement._context import statements
from bot.implement._format import format_methods
from bot.implement.template_check import templates
from bot.pysource import walk, walk_statements

from .conftest import FIXTURES


def test_statements_go_where_their_placeholder_stands_indented_like_it():
    inner = statements('if {c}:\n    {v} = 1', c='ready', v='count')
    (code,) = statements(
        """
while True:
    {body}
    break
""",
        body=[*inner, *statements('log({m})', m="'once'")],
    )
    assert code == "while True:\n    if ready:\n        count = 1\n    log('once')\n    break\n"
    compile(code, '<test>', 'exec')


def test_an_expression_placeholder_takes_the_source_as_written():
    (code,) = statements('items = {v}', v="{'a': [1,\n 2]}")
    assert code == "items = {'a': [1,\n 2]}\n"


def test_a_value_that_is_not_an_expression_is_refused():
    with pytest.raises(ValueError, match='is not an expression'):
        statements('return {v}', v='a) + (b')


def test_a_string_spanning_lines_is_refused_as_indenting_would_change_it():
    with pytest.raises(ValueError, match='string spanning lines'):
        statements('return {v}', v='f("""a\nb""")')


def test_a_string_line_that_looks_like_a_class_does_not_split_a_method(tmp_path):
    (tmp_path / 'ruff.toml').write_text("line-length = 99\n[format]\nquote-style = 'single'\n")
    text = '    def f(self):\n        return """\nclass Fake:\n"""\n'
    second = '    def g(self):\n        return   1\n'
    first, other = format_methods([('A', text), ('B', second)], tmp_path)
    assert first == text
    assert other == '    def g(self):\n        return 1\n'


@pytest.mark.parametrize('name', ['repositories.py', 'usage_examples.py'])
def test_walk_visits_the_nodes_ast_walk_visits_in_its_order(name):
    """All but the expression contexts (Load / Store / Del), which hold nothing."""
    tree = ast.parse((FIXTURES / 'audit_log' / 'generated_dal' / name).read_text())
    ours = walk(tree)
    theirs = [n for n in ast.walk(tree) if not isinstance(n, ast.expr_context)]
    assert len(ours) == len(theirs) > 1000
    assert all(a is b for a, b in zip(ours, theirs, strict=True))


def test_walk_statements_is_ast_walk_without_the_expressions():
    text = (FIXTURES / 'audit_log' / 'generated_dal' / 'usage_examples.py').read_text()
    text += (
        'try:\n    a = 1\nexcept ValueError:\n    b = 2\nmatch a:\n    case 1:\n        c = 3\n'
    )
    tree = ast.parse(text)
    blocks = (ast.stmt, ast.ExceptHandler, ast.match_case)
    expected = [tree, *(n for n in ast.walk(tree) if isinstance(n, blocks))]
    assert all(a is b for a, b in zip(walk_statements(tree), expected, strict=True))


IMPLEMENT = Path(bot.implement.__file__).parent


def check_templates(folder: Path | None = None) -> subprocess.CompletedProcess:
    """The check as the image build runs it."""
    return subprocess.run(
        [sys.executable, '-m', 'bot.implement.template_check', *([str(folder)] if folder else [])],
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_template_of_the_operations_is_valid_python():
    done = check_templates()
    assert done.returncode == 0, done.stderr
    found, unreadable = templates()
    assert not unreadable
    texts = {t.text.strip() for t in found}
    assert len(found) > 70
    # An f-string with a part chosen in the source: both choices; a name bound twice: both.
    assert {t for t in texts if t.startswith('while True:')} == {
        'while True:\n    {call}\n    page, last_key = {parse}\n    items.extend(page)\n'
        f'    if {cond}last_key is None:\n        break\n'
        "    {params}['ExclusiveStartKey'] = last_key"
        for cond in ('', 'items or ')
    }
    assert {t for t in texts if t.endswith('[__tpl_value__] = {v}')} >= {
        '__tpl_value__[__tpl_value__] = {v}',
        'if __tpl_value__:\n    __tpl_value__[__tpl_value__] = {v}',
    }
    assert f'{len(found)} templates checked, 0 broken' in done.stdout


def _break(path: Path, line: str, broken: str) -> int:
    """Replace the one source line `line` (stripped) with `broken`; its line number."""
    lines = path.read_text().splitlines(keepends=True)
    (index,) = [i for i, text in enumerate(lines) if text.strip() == line]
    lines[index] = lines[index].replace(line, broken)
    path.write_text(''.join(lines))
    return index + 1


def test_a_broken_template_fails_the_check_naming_its_file_and_line(tmp_path):
    copy = tmp_path / 'implement'
    shutil.copytree(IMPLEMENT, copy, ignore=shutil.ignore_patterns('__pycache__'))
    assert check_templates(copy).returncode == 0
    # A plain string, an f-string with a chosen part, and a name bound to an f-string.
    update = _break(
        copy / 'operations' / 'update_item.py', 'if {p} not in {fields}:', 'if {p} not in {fields}'
    )
    query = _break(copy / 'operations' / 'query.py', 'while True:', 'while True')
    items = _break(
        copy / 'operations' / '_items.py',
        "assign = f'if {cond}:\\n    {assign}'",
        "assign = f'if {cond}\\n    {assign}'",
    )
    done = check_templates(copy)
    assert done.returncode == 1
    assert 'templates checked, 3 broken' in done.stdout
    places = re.findall(r'^(\S+\.py):(\d+): template is not valid Python', done.stderr, re.M)
    assert sorted(places) == sorted(
        [
            (str(copy / 'operations' / 'update_item.py'), str(update)),
            (str(copy / 'operations' / 'query.py'), str(query)),
            (str(copy / 'operations' / '_items.py'), str(items)),
        ]
    )
    assert 'expected one of' in done.stderr  # libcst's own message, with its position


def test_a_template_built_at_run_time_is_refused_as_it_cannot_be_checked(tmp_path):
    (tmp_path / 'op.py').write_text(
        'def render(parts):\n'
        "    done = ' '.join(parts)\n"
        "    return statements('x = {v}', v='1') + statements(done)\n"
    )
    done = check_templates(tmp_path)
    assert done.returncode == 1
    assert f"{tmp_path / 'op.py'}:3: template 'done' is not in the source" in done.stderr
    assert '1 templates checked, 1 broken' in done.stdout
