"""Text splicing: only the stub's body lines change, whatever the shape around them."""

from __future__ import annotations

import ast

from bot.implement._splice import add_imports, method_span, methods, splice_bodies
from bot.pysource import Source

MODULE = '''\
"""Repositories."""

from decimal import Decimal


class CafeRepository:
    def menu(self) -> str:
        return 'Café crème ☕'  # a human wrote this

    def find(
        self,
        cafe_id: str,
        limit: int = 10,
    ) -> dict | None:  # the header ends here
        # TODO: Implement Access Pattern #4
        # Operation: GetItem
        pass

    def count(self, cafe_id: str) -> int:
        """Count, with a docstring
        on two lines."""
        pass
        # TODO: Implement Access Pattern #5

    # A comment about what follows stays.
'''


def test_bodies_replace_the_stub_lines_after_a_multiline_header_or_a_docstring():
    out = splice_bodies(
        MODULE,
        {
            ('CafeRepository', 'find'): '        return {"id": cafe_id}\n',
            ('CafeRepository', 'count'): '        return 0\n',
        },
        ' ' * 8,
    )
    assert out == MODULE.replace(
        '        # TODO: Implement Access Pattern #4\n        # Operation: GetItem\n        pass\n',
        '        return {"id": cafe_id}\n',
    ).replace('        pass\n        # TODO: Implement Access Pattern #5\n', '        return 0\n')
    ast.parse(out)


def test_bodies_take_the_indentation_of_the_file():
    tabbed = 'class R:\n\tdef m(self):\n\t\t"""Doc."""\n\t\tpass\n'
    out = splice_bodies(tabbed, {('R', 'm'): '        x = 1\n        return x\n'}, ' ' * 8)
    assert out == 'class R:\n\tdef m(self):\n\t\t"""Doc."""\n\t\tx = 1\n\t\treturn x\n'


def test_segments_are_exact_on_lines_with_non_ascii_text():
    src = Source(MODULE)
    ret = methods(src.tree)[('CafeRepository', 'menu')].body[0]
    assert src.segment(ret.value) == "'Café crème ☕'"
    # The offset after the non-ASCII string lands on the comment, not bytes further on.
    assert src.text[src.span(ret.value)[1] :].startswith('  # a human wrote this')


def test_a_method_span_keeps_the_commented_blocks_that_trail_it():
    text = (
        'class U:\n'
        '    def a(self):\n'
        '        print(1)\n'
        '\n'
        '        # Access Pattern #3: commented out\n'
        '        # try:\n'
        '        #     self.repo.m()\n'
        '\n'
        '    # a comment about b\n'
        '    def b(self):\n'
        '        pass\n'
    )
    src = Source(text)
    span = method_span(src.lines, methods(src.tree)[('U', 'a')])
    assert ''.join(src.lines[span.start : span.end]).endswith('#     self.repo.m()\n')
    assert span.end == 7


def test_imports_are_added_once_next_to_the_existing_ones():
    out = add_imports(MODULE, {('decimal', 'Decimal'), ('boto3.dynamodb.conditions', 'Key')})
    assert out.count('from decimal import Decimal') == 1
    assert 'from boto3.dynamodb.conditions import Key\n' in out
    assert out.index('import Key') < out.index('class CafeRepository')
    assert out.split('class CafeRepository')[1] == MODULE.split('class CafeRepository')[1]
    assert add_imports(out, {('decimal', 'Decimal')}) == out


def test_imports_go_where_isort_puts_them():
    text = (
        'from __future__ import annotations\n\n'
        'from base_repository import BaseRepository\n'
        'from decimal import Decimal\n'
        'from typing import Any\n\n\n'
        'class R:\n    pass\n'
    )
    out = add_imports(
        text,
        {
            ('botocore.exceptions', 'ClientError'),
            ('boto3.dynamodb.conditions', 'Key'),
            ('boto3.dynamodb.conditions', 'Attr'),
            ('decimal', 'InvalidOperation'),
            ('zoneinfo', 'ZoneInfo'),
        },
    )
    assert out == (
        'from __future__ import annotations\n\n'
        'from base_repository import BaseRepository\n'
        'from boto3.dynamodb.conditions import Attr, Key\n'
        'from botocore.exceptions import ClientError\n'
        'from decimal import Decimal, InvalidOperation\n'
        'from typing import Any\n'
        'from zoneinfo import ZoneInfo\n\n\n'
        'class R:\n    pass\n'
    )
