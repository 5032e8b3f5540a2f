"""Usage repairs pass range bounds a caller would pass, never strings tuned to the code."""

from __future__ import annotations

import re

import pytest

from bot.implement import implement_dal

from .conftest import ALL, copy_fixture
from .test_ranges_and_transact_keys import _add_stubs

TUNED = re.compile(r"""\+\s*['"]~['"]|\[:-1\]""")


@pytest.mark.parametrize('name', ALL)
def test_no_repair_appends_a_tilde_or_cuts_a_character(name, implemented):
    dal_dir, _ = implemented(name)
    text = (dal_dir / 'usage_examples.py').read_text()
    assert not TUNED.findall(text)


def test_strict_date_bounds_are_the_day_before_or_after(implemented):
    dal_dir, _ = implemented('visit_ranges')
    text = (dal_dir / 'usage_examples.py').read_text()
    assert text.count("after_date='2024-06-11'") == 2  # main table and GSI, the sample is 06-12
    assert text.count("before_date='2024-06-13'") == 2
    # inclusive bounds are the date itself
    assert text.count("until_date=created_entities['Visit'].visit_date") == 2
    assert "end_date=created_entities['Order'].order_date" in text


def test_strict_datetime_bounds_move_by_a_second(implemented):
    dal_dir, _ = implemented('ecommerce')
    text = (dal_dir / 'usage_examples.py').read_text()
    # the sample order was placed at 2024-05-10T14:22:00Z
    assert "after='2024-05-10T14:21:59Z'" in text
    assert "before='2024-05-10T14:22:01Z'" in text


def test_single_field_and_multi_attribute_sort_keys_keep_plain_comparisons(implemented):
    ecommerce = (implemented('ecommerce')[0] / 'repositories.py').read_text()
    assert "Key('placed_at').between(start_date, end_date)" in ecommerce  # GSI `{placed_at}`
    assert "Key('placed_at').lte(cutoff)" in ecommerce
    gaming = (implemented('gaming_leaderboard')[0] / 'repositories.py').read_text()
    assert "Key('score').lt(below_score)" in gaming  # multi-attribute [mode, score]
    assert "Key('score').between(low_score, high_score)" in gaming
    assert "Key('level').gt(min_level)" in gaming


PREFIX_STUBS = '''
    def orders_after_key(self, customer_id: str, sort_key_prefix: str) -> list[Order]:
        """Orders whose sort key sorts after a key prefix"""
        # TODO: Implement Access Pattern #94
        # Operation: Query | Index: Main Table | Range Condition: >
        pass

    def orders_up_to_key(self, customer_id: str, like_prefix: str) -> list[Order]:
        """Orders whose sort key sorts at or before a key prefix"""
        # TODO: Implement Access Pattern #95
        # Operation: Query | Index: Main Table | Range Condition: <=
        pass
'''


def test_a_parameter_named_as_a_key_prefix_is_compared_as_a_string(tmp_path):
    path = copy_fixture('ecommerce', tmp_path)
    _add_stubs(path, 'OrderRepository', PREFIX_STUBS)
    assert implement_dal(path).left == []
    source = (path / 'repositories.py').read_text()
    # the key prefix itself, no '$' past the field: `> p` leaves out only the key equal to p
    assert "between(f'ORDER#{sort_key_prefix}', 'ORDER$')" in source
    assert "not in (f'ORDER#{sort_key_prefix}', 'ORDER$')" in source
    assert "between('ORDER#', f'ORDER#{like_prefix}')" in source
