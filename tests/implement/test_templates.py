"""Templates filled as text, one ruff run per DAL, one walk per tree: what the fast paths
must keep exactly as the slow ones had it."""

from __future__ import annotations

import ast

import pytest

from bot.implement._context import statements
from bot.implement._format import format_methods
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
    tree = ast.parse((FIXTURES / 'audit_log' / 'generated_dal' / name).read_text())
    ours, theirs = walk(tree), list(ast.walk(tree))
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


def test_a_template_that_is_not_valid_python_is_refused_on_first_use():
    from bot.implement._context import statements

    with pytest.raises(ValueError, match='template is not valid Python'):
        statements('x = = {v}', v='1')
    with pytest.raises(ValueError, match='template is not valid Python'):
        statements('if {v}:\nreturn', v='flag')
